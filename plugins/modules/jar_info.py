#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: jar_info
short_description: Check that a file is a Java archive and read its version from the manifest
version_added: 0.1.0
description:
  - Reads a local file on the machine the task runs on and checks that it is a jar, that is a zip
    archive (it starts with the zip magic C(PK\\x03\\x04)) that contains C(META-INF/MANIFEST.MF).
  - Returns the main attributes of the manifest and the version, taken from C(Implementation-Version),
    else C(Bundle-Version), else C(Specification-Version).
  - With O(min_version) it fails when the jar is older.
  - With O(advisories=pgjdbc) it fails when the version lies in the affected range of a published
    security advisory of the PostgreSQL JDBC driver (pgjdbc), naming each CVE, unless that CVE is in
    O(accept_advisories) (then it warns). The ranges, per release line, live in one table of the
    collection (C(plugins/module_utils/_pgjdbc.py)), taken from pgjdbc's C(docs/content/security.md)
    and release notes; 42.7.14 is the first release outside all of them.
  - Uses only the Python standard library (C(zipfile)).
author:
  - virtualis.aurora developers (@virtualis)
extends_documentation_fragment:
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.info_module
options:
  path:
    description: The file to inspect.
    type: path
    required: true
  min_version:
    description:
      - Fail unless the jar's version is at least this one. Versions compare by their leading
        dotted numbers, so C(42.2.6.jre7) counts as C(42.2.6).
    type: str
  title:
    description:
      - Fail unless the manifest's C(Implementation-Title) or C(Bundle-Name) contains this text
        (case-insensitive), for example C(PostgreSQL JDBC).
    type: str
  advisories:
    description:
      - Refuse a version inside the affected range of a known security advisory of this product.
      - V(pgjdbc) checks the PostgreSQL JDBC driver's advisories (CVE-2022-21724, CVE-2022-31197,
        CVE-2022-41946, CVE-2024-1597, CVE-2025-49146, CVE-2026-42198, CVE-2026-54291,
        CVE-2026-107314, CVE-2026-107315). A jar without a version is refused.
    type: str
    choices: [pgjdbc]
    version_added: 0.2.0
  accept_advisories:
    description:
      - CVE ids (for example V(CVE-2026-42198)) whose affected range the jar may lie in; the module
        then warns instead of failing. Only for an advisory whose condition does not apply to you.
      - An id that is not in the table is an error, so that a typo accepts nothing silently.
    type: list
    elements: str
    default: []
    version_added: 0.2.0
  embedded_advisories:
    description:
      - Warn (never fail) when a library bundled inside the jar, found by its Maven metadata
        C(META-INF/maven/<group>/<artifact>/pom.properties), lies in an advisory's range.
      - V(pgjdbc) checks a bundled C(org.postgresql:postgresql), as the PostgreSQL virtual-schema
        adapter's C(virtual-schema-dist-*) jar bundles it (4.0.1 and 4.0.2 bundle 42.7.13).
    type: str
    choices: [pgjdbc]
    version_added: 0.2.0
"""

EXAMPLES = r"""
- name: Refuse a PostgreSQL JDBC driver with a known security advisory
  virtualis.aurora.jar_info:
    path: /var/cache/drivers/postgresql-42.7.14.jar
    title: PostgreSQL JDBC
    advisories: pgjdbc
  register: driver_jar
  delegate_to: localhost

- name: Debian's 42.5.5, accepting the one advisory that needs a malicious server
  virtualis.aurora.jar_info:
    path: /usr/share/java/postgresql.jar
    advisories: pgjdbc
    accept_advisories: [CVE-2026-42198]
  delegate_to: localhost
"""

RETURN = r"""
version:
  description: Version from the manifest, or null when the manifest has none.
  returned: success
  type: str
  sample: 42.5.5
title:
  description: C(Implementation-Title) or C(Bundle-Name) of the manifest, or null.
  returned: success
  type: str
  sample: PostgreSQL JDBC Driver
manifest:
  description: The main section of C(META-INF/MANIFEST.MF), attribute name to value.
  returned: success
  type: dict
  sample: {Implementation-Version: 42.5.5, Main-Class: org.postgresql.util.PGJDBCMain}
sha256:
  description: sha256 of the file.
  returned: success
  type: str
  sample: 2d1f1c5d9ab2e9d1f26bd4ca56ef1bd7fc54a3ea33bb7d1b1d0c3e0ac7a4cd22
size:
  description: Size of the file in bytes.
  returned: success
  type: int
  sample: 1027073
embedded:
  description: Libraries bundled in the jar, C(group:artifact) to version, from C(META-INF/maven/*/*/pom.properties).
  returned: success
  type: dict
  sample: {"org.postgresql:postgresql": "42.7.13", "com.exasol:virtual-schema-common-jdbc": "14.0.5"}
  version_added: 0.2.0
embedded_advisories:
  description: Advisories whose range holds the version of the bundled library (warned about).
  returned: when O(embedded_advisories) is set
  type: list
  elements: dict
  sample: [{cve: CVE-2026-107315, ghsa: GHSA-f64h-wr5q-3qf3, fixed_in: 42.7.14, summary: "...", condition: "..."}]
  version_added: 0.2.0
advisories:
  description: Advisories whose affected range holds the version (accepted ones; with others the module fails).
  returned: when O(advisories) is set
  type: list
  elements: dict
  sample: [{cve: CVE-2026-42198, ghsa: GHSA-98qh-xjc8-98pq, fixed_in: 42.7.11,
            summary: unbounded SCRAM PBKDF2 iteration count, condition: a malicious PostgreSQL server}]
"""

import os
import zipfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.virtualis.aurora.plugins.module_utils import _pgjdbc
from ansible_collections.virtualis.aurora.plugins.module_utils._pgjdbc import numeric_version

ZIP_MAGIC = b"PK\x03\x04"
MANIFEST = "META-INF/MANIFEST.MF"
VERSION_KEYS = ("Implementation-Version", "Bundle-Version", "Specification-Version")
PGJDBC = "org.postgresql:postgresql"


def parse_manifest(text):
    """The main section of a manifest: 'Name: value' lines, continuation lines start with a space."""
    attributes, last = {}, None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            break  # the main section ends at the first empty line
        if line.startswith(" ") and last:
            attributes[last] += line[1:]
        elif ":" in line:
            last, value = line.split(":", 1)
            attributes[last] = value.strip()
    return attributes


def read_manifest(path):
    """The manifest's attributes; raises ValueError with a reason when path is not a jar."""
    with open(path, "rb") as handle:
        if handle.read(4) != ZIP_MAGIC:
            raise ValueError("%s is not a jar: it does not start with the zip signature" % path)
    try:
        with zipfile.ZipFile(path) as archive:
            data = archive.read(MANIFEST)
    except KeyError:
        raise ValueError("%s is not a jar: it has no %s" % (path, MANIFEST))
    except zipfile.BadZipfile as exc:
        raise ValueError("%s is not a jar: %s" % (path, exc))
    return parse_manifest(data.decode("utf-8", "replace"))


def read_embedded(path):
    """{group:artifact: version} from the Maven metadata of the libraries bundled in the jar."""
    embedded = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            parts = name.split("/")
            if len(parts) == 5 and parts[:2] == ["META-INF", "maven"] and parts[4] == "pom.properties":
                text = archive.read(name).decode("utf-8", "replace")
                found = [line.split("=", 1)[1].strip() for line in text.splitlines() if line.startswith("version=")]
                if found:
                    embedded["%s:%s" % (parts[2], parts[3])] = found[0]
    return embedded


def warn_embedded(module, path, embedded):
    """Warnings for a bundled pgjdbc inside an advisory's range; returns those advisories."""
    version = embedded.get(PGJDBC)
    if not version or numeric_version(version) is None:
        return []
    found = _pgjdbc.affecting(version)
    if found:
        module.warn(
            "%s bundles pgjdbc %s, inside the affected range of %s. Java loads the first "
            "org.postgresql.Driver on a script's %%jar path, so this copy may serve the adapter "
            "instead of the driver jar (an inference from Java class loading); use an adapter "
            "release that bundles %s or newer when there is one."
            % (path, version, _pgjdbc.describe(found), _pgjdbc.dotted(_pgjdbc.FIRST_CLEAN))
        )
    return found


def check_requirements(module, path, version, title):
    wanted = module.params["min_version"]
    if wanted:
        have = numeric_version(version)
        if have is None:
            module.fail_json(msg="%s has no version in its manifest; %s or newer is required" % (path, wanted))
        if have < numeric_version(wanted):
            module.fail_json(
                msg="%s is version %s, older than the %s required" % (path, version, wanted), version=version
            )
    needle = module.params["title"]
    if needle and needle.lower() not in (title or "").lower():
        module.fail_json(msg="%s is %r, not a %s jar" % (path, title, needle), title=title)


def check_advisories(module, path, version, accepted):
    """Advisories holding the version; fails on any that is not accepted, warns on the others."""
    if version is None or numeric_version(version) is None:
        module.fail_json(
            msg="%s has no version in its manifest, so it cannot be checked against the "
            "pgjdbc security advisories" % path
        )
    found = _pgjdbc.affecting(version)
    refused = [a for a in found if a["cve"] not in accepted]
    if refused:
        module.fail_json(
            msg="%s is pgjdbc %s, inside the affected range of %s. Use %s or newer, or accept "
            "an advisory whose condition does not apply (accept_advisories)."
            % (path, version, _pgjdbc.describe(refused), _pgjdbc.dotted(_pgjdbc.FIRST_CLEAN)),
            version=version,
            advisories=found,
        )
    for advisory in found:
        module.warn(
            "%s is pgjdbc %s, affected by %s (%s), fixed in %s; accepted by accept_advisories"
            % (path, version, advisory["cve"], advisory["summary"], advisory["fixed_in"])
        )
    return found


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            min_version=dict(type="str"),
            title=dict(type="str"),
            advisories=dict(type="str", choices=["pgjdbc"]),
            accept_advisories=dict(type="list", elements="str", default=[]),
            embedded_advisories=dict(type="str", choices=["pgjdbc"]),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    if not os.path.isfile(path):
        module.fail_json(msg="%s does not exist or is not a regular file" % path)
    if module.params["min_version"] and numeric_version(module.params["min_version"]) is None:
        module.fail_json(msg="min_version must start with a number, got %r" % module.params["min_version"])
    try:
        accepted = _pgjdbc.check_accept_list(module.params["accept_advisories"])
    except ValueError as exc:
        module.fail_json(msg="accept_advisories: %s" % exc)
    try:
        manifest = read_manifest(path)
        embedded = read_embedded(path)
    except (IOError, OSError, ValueError, zipfile.BadZipfile) as exc:
        module.fail_json(msg=str(exc))
    version = next((manifest[key] for key in VERSION_KEYS if manifest.get(key)), None)
    title = manifest.get("Implementation-Title") or manifest.get("Bundle-Name")
    check_requirements(module, path, version, title)
    result = dict(
        changed=False,
        version=version,
        title=title,
        manifest=manifest,
        embedded=embedded,
        sha256=module.sha256(path),
        size=os.path.getsize(path),
    )
    if module.params["embedded_advisories"]:
        result["embedded_advisories"] = warn_embedded(module, path, embedded)
    if module.params["advisories"]:
        result["advisories"] = check_advisories(module, path, version, accepted)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
