# -*- coding: utf-8 -*-
# Copyright: (c) 2026, virtualis.aurora developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the trust_audit role: which roots of the RDS bundle belong to a CA identifier, and the report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.virtualis.aurora.plugins.module_utils._x509 import CertificateError, parse_pem_bundle

# The G1 CAs (Aurora User Guide, "Certificate authorities"): one self-signed root per region and key
# type, named "Amazon RDS <region> Root CA <KEY> G1" in global-bundle.pem (tests/unit/fixtures/rds).
G1_KEYS = {"rds-ca-rsa2048-g1": "RSA2048", "rds-ca-rsa4096-g1": "RSA4096", "rds-ca-ecc384-g1": "ECC384"}
# Stores the loader (ExaLoader) JVM reads: the central store on 6.x/7.x, the runtime JDK's on 2025.x.
LOADER_RE = re.compile(r"^/etc/pki/ca-trust/extracted/java/cacerts$|^/opt/exasol/runtime-[^/]+/lib/security/cacerts$")


def _root_matcher(identifier, region, subjects):
    """A predicate on a certificate's common name for one CA identifier."""
    given = (subjects or {}).get(identifier)
    if given:
        names = set([given] if isinstance(given, str) else given)
        return lambda cn: cn in names
    if identifier not in G1_KEYS:
        raise AnsibleFilterError(
            "rds_ca_roots: unknown CA identifier %r; known: %s (or name its roots in the "
            "subjects argument)" % (identifier, ", ".join(sorted(G1_KEYS)))
        )
    if not region:
        raise AnsibleFilterError("rds_ca_roots: the region is empty; the G1 roots are per region")
    # "\S+ RDS": Amazon's own, not "Amazon RDS Beta us-east-1" or "Preview" sets of the same region.
    pattern = re.compile(r"^\S+ RDS %s Root CA %s G1$" % (re.escape(region), G1_KEYS[identifier]))
    return lambda cn: bool(pattern.match(cn))


def rds_ca_roots(bundle, identifiers, region="", subjects=None):
    """The bundle's certificates of each CA identifier: [{identifier, subject, sha256, not_after, pem}].

    `identifiers` is one identifier or a list; `subjects` optionally maps an identifier to the common
    name(s) of its roots (a private CA, the lab). Every identifier must match at least one certificate.
    """
    if isinstance(identifiers, str):
        identifiers = [identifiers]
    try:
        certificates = parse_pem_bundle(to_text(bundle), "the RDS CA bundle")
    except CertificateError as exc:
        raise AnsibleFilterError("rds_ca_roots: %s" % exc)
    roots = []
    for identifier in identifiers:
        matches = _root_matcher(identifier, region, subjects)
        found = [cert for cert in certificates if matches(cert.common_name)]
        if not found:
            raise AnsibleFilterError(
                "rds_ca_roots: the RDS CA bundle (%d certificates) holds no root of %s for region %r; an old "
                "bundle, or the wrong region?" % (len(certificates), identifier, region)
            )
        roots.extend(
            dict(
                identifier=identifier,
                subject=cert.subject_text,
                common_name=cert.common_name,
                sha256=cert.sha256,
                not_after=cert.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
                pem=cert.pem(),
            )
            for cert in found
        )
    return roots


def store_jvm(path, discovered_stores=None):
    """'loader' or 'adapter': which JVM of an Exasol node reads this store."""
    for entry in discovered_stores or []:
        if entry.get("path") == path and entry.get("jvm"):
            return entry["jvm"]
    return "loader" if LOADER_RE.match(path) else "adapter"


def _store_problems(store, roots_by_sha):
    problems = []
    if store.get("error"):
        problems.append("unreadable: %s" % store["error"])
    lacking = sorted({roots_by_sha.get(m.get("sha256"), m.get("subject", "?")) for m in store.get("missing") or []})
    if lacking:
        problems.append("lacks %s" % ", ".join(lacking))
    handshake = store.get("handshake") or {}
    if handshake and not handshake.get("ok"):
        problems.append("handshake failed (%s): %s" % (handshake.get("error_type"), handshake.get("error")))
    return problems


def _node_entries(host, variables, roots_by_sha):
    """(store entries, failures) of one node."""
    result = variables.get("trust_audit_result") or {}
    error = variables.get("trust_audit_error")
    if result.get("unreachable") or error is not None or "stores" not in result:
        reason = (
            ("unreachable: %s" % result.get("msg", ""))
            if result.get("unreachable")
            else ("failed: %s" % error if error is not None else "not audited")
        )
        return [], ["%s: %s" % (host, reason)]
    entries, failures = [], []
    discovered = result.get("discovered_stores")
    for store in result["stores"]:
        problems = _store_problems(store, roots_by_sha)
        chain = (store.get("handshake") or {}).get("server_chain") or []
        jvm = store.get("jvm") or store_jvm(store["path"], discovered)
        entries.append(
            dict(
                node=host,
                store=store["path"],
                jvm=jvm,
                type=store.get("type"),
                ok=not problems,
                problems=problems,
                missing=store.get("missing") or [],
                expiring=store.get("expiring") or [],
                server_chain=[c.get("subject") for c in chain],
            )
        )
        failures.extend("%s %s store %s: %s" % (host, entries[-1]["jvm"], store["path"], p) for p in problems)
    return entries, failures


def trust_audit_report(hostvars, hosts, roots, cluster=None):
    """The audit's report: {ok, cluster, roots, stores, failures, lines}; one line per node and store."""
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("trust_audit_report: hosts must be a list, got %r" % (hosts,))
    roots_by_sha = {
        r["sha256"]: "%s (%s)" % (r["identifier"], r.get("common_name") or r["subject"]) for r in roots or []
    }
    stores, failures, lines = [], [], []
    for host in hosts:
        entries, node_failures = _node_entries(host, hostvars.get(host) or {}, roots_by_sha)
        stores.extend(entries)
        failures.extend(node_failures)
        if not entries:
            lines.append("%-12s %-8s %-4s %s" % (host, "-", "FAIL", node_failures[0].split(": ", 1)[1]))
        lines.extend(
            "%-12s %-8s %-4s %s%s"
            % (
                e["node"],
                e["jvm"],
                "ok" if e["ok"] else "FAIL",
                e["store"],
                "" if e["ok"] else " - " + "; ".join(e["problems"]),
            )
            for e in entries
        )
    return dict(
        ok=not failures and bool(stores),
        cluster=cluster or {},
        roots=[{k: r.get(k) for k in ("identifier", "subject", "sha256", "not_after")} for r in roots or []],
        stores=stores,
        failures=failures or ([] if stores else ["no store was audited"]),
        lines=lines,
    )


class FilterModule:
    def filters(self):
        return {"rds_ca_roots": rds_ca_roots, "trust_audit_report": trust_audit_report}
