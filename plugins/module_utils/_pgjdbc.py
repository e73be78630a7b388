# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Published security advisories of the PostgreSQL JDBC driver (pgjdbc), by affected range.

Private to virtualis.aurora. One place for the ranges: jar_info refuses a driver inside any of
them. Each range is [first affected, first fixed) on one release line; None as the lower bound
means "every older release". Sources, read for this table (repository + path):

- pgjdbc/pgjdbc docs/content/security.md ("Security Advisories") and the release notes
  docs/content/changelogs/*-release.md of the fixing releases named below;
- exasol/postgresql-virtual-schema doc/changes/changes_4.0.1.md, which names CVE-2026-54291 and
  GHSA-j92g-9f8w-j867 as well (so that CVE is public and verified, not invented).

Stdlib only, Python 3.6+ (the module that uses it may run anywhere).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# (cve, ghsa, affected ranges, what it is, when it bites)
ADVISORIES = (
    dict(
        cve="CVE-2022-21724",
        ghsa="GHSA-v7wg-cpwc-24m4",
        ranges=(((9, 4, 1208), (42, 2, 25)), ((42, 3, 0), (42, 3, 2))),
        summary="plugin class names from connection properties instantiated without a type check",
        condition="an attacker controls the JDBC URL or connection properties",
    ),
    dict(
        cve="CVE-2022-31197",
        ghsa="GHSA-r38f-c4h4-hqq2",
        ranges=((None, (42, 2, 26)), ((42, 3, 0), (42, 4, 1))),  # no 42.3.x fix (security.md)
        summary="SQL injection in ResultSet.refreshRow() through crafted column names",
        condition="the application calls refreshRow() on a table an attacker can define",
    ),
    dict(
        cve="CVE-2022-41946",
        ghsa="GHSA-562r-vg33-8x8h",
        ranges=((None, (42, 2, 27)), ((42, 3, 0), (42, 3, 8)), ((42, 4, 0), (42, 4, 3)), ((42, 5, 0), (42, 5, 1))),
        summary="large parameters spilled to a temporary file other local users can read",
        condition="other users on the same host",
    ),
    dict(
        cve="CVE-2024-1597",
        ghsa="GHSA-24rp-q3w6-vc56",
        ranges=(
            (None, (42, 2, 28)),
            ((42, 3, 0), (42, 3, 9)),
            ((42, 4, 0), (42, 4, 4)),
            ((42, 5, 0), (42, 5, 5)),
            ((42, 6, 0), (42, 6, 1)),
            ((42, 7, 0), (42, 7, 2)),
        ),
        summary="SQL injection via line comment generation",
        condition="preferQueryMode=simple",
    ),
    dict(
        cve="CVE-2025-49146",
        ghsa="GHSA-hq9p-pm7w-8p54",
        ranges=(((42, 7, 4), (42, 7, 7)),),
        summary="channelBinding=require falls back to authentication without channel binding",
        condition="channelBinding=require",
    ),
    dict(
        cve="CVE-2026-42198",
        ghsa="GHSA-98qh-xjc8-98pq",
        ranges=(((42, 2, 0), (42, 7, 11)),),  # fixed in 42.7.11 only, no backport release
        summary="unbounded SCRAM PBKDF2 iteration count from the server exhausts the client's CPU",
        condition="a malicious or impersonated PostgreSQL server",
    ),
    dict(
        cve="CVE-2026-54291",
        ghsa="GHSA-j92g-9f8w-j867",
        ranges=(((42, 7, 4), (42, 7, 12)),),
        summary="channelBinding=require silently downgraded to SCRAM without channel binding",
        condition="channelBinding=require",
    ),
    dict(
        cve="CVE-2026-107314",
        ghsa="GHSA-rhp9-mr79-r74h",
        ranges=(((42, 7, 11), (42, 7, 14)),),
        summary="a requireAuth value that excludes every method is not enforced",
        condition="requireAuth set",
    ),
    dict(
        cve="CVE-2026-107315",
        ghsa="GHSA-f64h-wr5q-3qf3",
        ranges=(((42, 7, 4), (42, 7, 14)),),
        summary="short values padded with bytes of earlier messages on the same connection",
        condition="a value shorter than its declared length (ByteStreamWriter)",
    ),
)
# The first release outside every range above (docs/content/changelogs/2026-10-07-42.7.14-release.md).
FIRST_CLEAN = (42, 7, 14)
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")


def numeric_version(text):
    """(42, 2, 6) for '42.2.6.jre7'; None when text does not start with a number."""
    match = re.match(r"\s*(\d+(?:\.\d+)*)", text or "")
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def dotted(version):
    return ".".join(str(part) for part in version)


def in_range(version, low, high):
    return (low is None or version >= low) and version < high


def fixed_in(advisory, version):
    """The release that fixes `advisory` on the line of `version` (the range's upper bound)."""
    for low, high in advisory["ranges"]:
        if in_range(version, low, high):
            return dotted(high)
    return None


def affecting(version_text):
    """Advisories whose ranges hold the version, as short dicts; ValueError without a version."""
    version = numeric_version(version_text)
    if version is None:
        raise ValueError("no numeric version in %r" % (version_text,))
    found = []
    for advisory in ADVISORIES:
        fix = fixed_in(advisory, version)
        if fix is not None:
            found.append(
                dict(
                    cve=advisory["cve"],
                    ghsa=advisory["ghsa"],
                    fixed_in=fix,
                    summary=advisory["summary"],
                    condition=advisory["condition"],
                )
            )
    return found


def check_accept_list(accepted):
    """Upper-cased CVE ids; ValueError for anything that is not a CVE id of this table."""
    known = {advisory["cve"] for advisory in ADVISORIES}
    cleaned = []
    for item in accepted or []:
        cve = str(item).strip().upper()
        if not _CVE.match(cve):
            raise ValueError("%r is not a CVE id (CVE-YYYY-NNNN)" % (item,))
        if cve not in known:
            raise ValueError("%s is not a pgjdbc advisory this collection knows (%s)" % (cve, ", ".join(sorted(known))))
        cleaned.append(cve)
    return cleaned


def describe(found):
    """One line per advisory, for messages: CVE (GHSA): what; fixed in X; matters with Y."""
    return "; ".join(
        "%s (%s): %s, fixed in %s, matters with %s" % (a["cve"], a["ghsa"], a["summary"], a["fixed_in"], a["condition"])
        for a in found
    )
