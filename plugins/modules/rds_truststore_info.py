#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rds_truststore_info
short_description: Audit Java truststores against a CA bundle, and test them with a real TLS handshake to PostgreSQL
version_added: 0.2.0
description:
  - Reads Java truststores (JKS or PKCS12, told apart by their content) and reports, per store, its
    type and entry count, which certificates of a CA bundle (the Amazon RDS one) it lacks, by
    SHA-256 fingerprint, the entries this collection added (O(alias_prefix)) that the bundle no
    longer has, and the certificates that have expired or expire within O(expiry_warning_days).
  - With O(endpoint), it measures whether each store would trust the PostgreSQL server (Aurora) -
    it connects, sends PostgreSQL's C(SSLRequest), and makes a TLS handshake that trusts exactly the
    trusted certificate entries of that store (not the system store) and checks the host name. It
    never sends a startup packet, a user name or a password.
  - Changes nothing, on the node or on the server; check mode is its normal mode.
  - Finds the stores of an Exasol data node itself with O(discover) (6.x/7.x and 2025.x, the same
    discovery as M(virtualis.aurora.rds_truststore)), and says which JVM reads each store
    (RV(stores[].jvm)) where its path tells.
  - A store that cannot be read is reported in its own entry (RV(stores[].error)), and so is a
    discovered store whose path leaves O(discover_root); the module fails only on bad input, when
    there is no store to audit (O(discover_required)), or with O(fail_on_missing).
  - Writes nothing, not even a temporary file. JKS stores are read without a JVM. A PKCS12 store
    is listed by one C(keytool -list -rfc) (the password goes to its standard input, never to the
    command line or the environment), or read from the copy of that exact file that
    M(virtualis.aurora.rds_truststore) keeps in its cache (O(cache_dir)), without a JVM.
  - Runs on the managed node with the Python standard library only (Python 3.6 and later).
author:
  - virtualis.aurora developers (@virtualis)
extends_documentation_fragment:
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.info_module
  - virtualis.aurora.attributes.platform
  - virtualis.aurora.truststore_discovery
options:
  truststores:
    description:
      - Truststore files to audit, for example C(/etc/pki/ca-trust/extracted/java/cacerts) and the
        C(cacerts) of every script-language container. Stores found by O(discover) are audited after
        them; at least one store, listed or discovered, is needed.
      - A path inside a script-language container (a C(ScriptLanguages-*) directory, or on Exasol
        2025.x a directory right below C(/opt/exasol/slc-<version>)) whose symbolic links are
        absolute is resolved inside that container, as the container's JVM sees it, never on the
        host. A file reached by two paths is audited once, under the first.
    type: list
    elements: path
    default: []
  src:
    description:
      - Path of the PEM bundle on the managed node. At most one of O(src) and O(content).
      - Without a bundle, RV(stores[].missing) and RV(stores[].stale) are empty.
    type: path
  content:
    description:
      - The PEM bundle as text. At most one of O(src) and O(content).
    type: str
  store_password:
    description:
      - Password of the truststores (used to check their integrity, and by C(keytool) for PKCS12).
    type: str
    default: changeit
  store_type:
    description:
      - Type of the truststores. V(auto) detects it from the content of each file.
    type: str
    choices: [auto, jks, pkcs12]
    default: auto
  alias_prefix:
    description:
      - Prefix of the aliases that M(virtualis.aurora.rds_truststore) gives to the certificates it
        adds (C(<prefix><name>-<start of the certificate's SHA-256>)). Entries with such an alias
        whose certificate the bundle no longer holds are listed in RV(stores[].stale); entries that
        merely start with the prefix are not ours and never listed.
    type: str
    default: rds-
  include_expired:
    description:
      - Count expired certificates of the bundle as missing when a store lacks them. By default
        they are not, because M(virtualis.aurora.rds_truststore) does not add them either.
    type: bool
    default: false
  expiry_warning_days:
    description:
      - Certificates (of the stores, of the bundle, and of the chain the server presents) that
        expire within this many days are listed as expiring, with those that have expired.
      - Those of the bundle and of the server's chain also produce a warning, once each; a
        store's own entries do not (a JDK's C(cacerts) holds many CAs that expire in time).
    type: int
    default: 90
  endpoint:
    description:
      - The PostgreSQL server (the Aurora cluster endpoint) to test every store against, with a real
        TLS handshake. Without it no connection is made.
    type: dict
    suboptions:
      host:
        description: Host name or address to connect to.
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        default: 5432
      server_hostname:
        description:
          - Name sent as SNI and checked against the server certificate (what a JDBC URL's host
            is checked against). Defaults to O(endpoint.host).
        type: str
      timeout:
        description: Seconds to wait for the connection and for each answer.
        type: float
        default: 10
  fail_on_missing:
    description:
      - Fail when any store lacks a certificate of the bundle (RV(stores[].missing)), cannot be
        read, or fails the handshake; the message names the stores. The result is returned all
        the same.
    type: bool
    default: false
  keytool:
    description:
      - Path of C(keytool), for PKCS12 stores only. By default the first on E(PATH), then
        C(/usr/lib/jvm/*/bin/keytool).
    type: path
  cache_dir:
    description:
      - The cache of JKS copies of PKCS12 stores that M(virtualis.aurora.rds_truststore) keeps
        (named by the SHA-256 of the store file, so never stale). This module reads it, with the
        same checks (the running user's own 0700 directory and 0600 files), and never writes it.
        Empty string ignores it.
    type: path
    default: /var/cache/virtualis-aurora/rds_truststore
notes:
  - The handshake trusts the store's trusted certificate entries the way the JVM's PKIX check
    does in the respects that matter here (any entry is a trust anchor, self-signed or not; the
    host name is checked). OpenSSL, not Java, does the check, so a JVM policy such as
    C(jdk.certpath.disabledAlgorithms) is not applied; M(virtualis.aurora.rds_truststore) reports
    those keys.
  - RV(stores[].handshake.server_chain) lists every certificate the server presented on Python
    3.10 and later, only the server's own certificate on older Python.
  - The server logs the handshake as a connection that ended before its startup packet.
seealso:
  - module: virtualis.aurora.rds_truststore
  - name: Rotating your SSL/TLS certificate (Aurora User Guide)
    description: Why clients must trust the new CA before the cluster switches to it.
    link: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.SSL-certificate-rotation.html
  - name: PostgreSQL SSL session encryption
    description: The SSLRequest that precedes TLS.
    link: https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL
"""

EXAMPLES = r"""
- name: Does every store of this node (6.x/7.x or 2025.x) hold the RDS bundle and trust the Aurora endpoint?
  virtualis.aurora.rds_truststore_info:
    src: /tmp/global-bundle.pem
    truststores:
      - /etc/pki/ca-trust/extracted/java/cacerts
    discover: true
    store_password: "{{ exasol_truststore_password }}"
    endpoint:
      host: mycluster.cluster-abcdefghijkl.eu-central-1.rds.amazonaws.com
    expiry_warning_days: 60
  register: trust

- name: One line per store
  ansible.builtin.debug:
    msg: >-
      {{ item.jvm | default('other', true) }} {{ item.path }}:
      {{ 'ok' if item.ok else 'lacks ' ~ (item.missing | length) ~ ' CA(s); ' ~ (item.handshake.error | default(item.error)) }}
  loop: "{{ trust.stores }}"
  loop_control:
    label: "{{ item.path }}"

- name: Fail the play when a store would not trust the cluster
  virtualis.aurora.rds_truststore_info:
    content: "{{ lookup('ansible.builtin.file', 'rds-ca-rsa2048-g1.pem') }}"
    truststores: "{{ exasol_truststores }}"
    endpoint:
      host: 10.0.1.25
      server_hostname: mycluster.cluster-abcdefghijkl.eu-central-1.rds.amazonaws.com
    fail_on_missing: true
"""

RETURN = r"""
stores:
  description: One entry per store, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The store as listed.
      type: str
      sample: /etc/pki/ca-trust/extracted/java/cacerts
    resolved_path:
      description:
        - The file read (symbolic links resolved, inside the container for script-language container stores).
        - Null for a discovered store whose path leaves O(discover_root) (see RV(stores[].error)).
      type: str
      sample: /etc/pki/ca-trust/extracted/java/cacerts
    discovered:
      description: Whether the store was found by O(discover) (and not listed in O(truststores)).
      type: bool
      sample: false
    jvm:
      description:
        - The JVM that reads the store, where its path tells, else null.
        - V(adapter) for a store inside a script-language container (UDFs and virtual-schema adapters
          run there); V(loader) for the 2025.x runtime JDK that ExaLoader (IMPORT/EXPORT) starts, and
          for the central store C(/etc/pki/ca-trust/extracted/java/cacerts), which the 6.x/7.x loader
          reads. A discovered store outside a container is a V(loader) store (the patterns name runtime JDKs).
      type: str
      sample: loader
    generation:
      description: V(6.x), V(7.x), V(2025.x), or V(any) for an SLC uploaded to BucketFS, where the path tells, else null.
      type: str
      sample: 2025.x
    version:
      description: The runtime or SLC package version of a 2025.x store (from its directory name), else null.
      type: str
      sample: 8.8.0
    type:
      description: V(jks) or V(pkcs12), null when the file could not be read.
      type: str
      sample: jks
    error:
      description: Why the store could not be read (missing file, wrong password, not a keystore), else null.
      type: str
      sample: null
    entries:
      description: Number of entries (trusted certificates and others).
      type: int
      sample: 249
    trusted:
      description: Number of trusted certificate entries.
      type: int
      sample: 249
    present:
      description:
        - Number of the bundle's certificates the store holds (under any alias). The store holds
          every certificate of the bundle except those in RV(stores[].missing).
      type: int
      sample: 108
    missing:
      description: Certificates of the bundle the store lacks (expired ones only with O(include_expired)).
      type: list
      elements: dict
      sample:
        - subject: C=US, O=Amazon Web Services, Inc., OU=Amazon RDS, ST=WA, CN=Amazon RDS eu-central-1 Root CA RSA2048 G1, L=Seattle
          sha256: 3f1a2b3c...
    stale:
      description: Entries added by M(virtualis.aurora.rds_truststore) under O(alias_prefix) whose certificate is not in the bundle (rotated out by AWS).
      type: list
      elements: dict
      sample:
        - alias: rds-amazon-rds-root-2019-ca-2c5d9f1a
          subject: C=US, ST=Washington, L=Seattle, O=Amazon Web Services, Inc., OU=Amazon RDS, CN=Amazon RDS Root 2019 CA
          sha256: 2c5d9f1a...
    expiring:
      description: The store's trusted certificates that have expired or expire within O(expiry_warning_days).
      type: list
      elements: dict
      sample:
        - alias: rds-amazon-rds-root-2019-ca-2c5d9f1a
          subject: CN=Amazon RDS Root 2019 CA
          sha256: 2c5d9f1a...
          not_after: "2024-08-22T17:08:50Z"
          days_left: -800
          expired: true
    handshake:
      description: The result of the TLS handshake to O(endpoint) with this store's certificates; null without O(endpoint) or when the store could not be read.
      type: dict
      contains:
        ok:
          description: Whether the server's certificate chain and host name were verified.
          type: bool
          sample: true
        error:
          description: Why not, else null.
          type: str
          sample: "the server certificate is not trusted by this store: unable to get local issuer certificate"
        error_type:
          description: V(connect), V(refused) (the server offers no TLS), V(protocol), V(verify), V(hostname), V(tls) or V(store); null when ok.
          type: str
          sample: verify
        trust_anchors:
          description: Number of the store's certificates loaded as trust anchors.
          type: int
          sample: 249
        server_chain:
          description: The certificates the server presented, leaf first (also after a failed check, from a second, unverified handshake).
          type: list
          elements: dict
          sample:
            - subject: CN=mycluster.cluster-abcdefghijkl.eu-central-1.rds.amazonaws.com
              sha256: 9c0e...
              not_after: "2027-01-01T00:00:00Z"
        expiring:
          description: Certificates of RV(stores[].handshake.server_chain) that have expired or expire within O(expiry_warning_days).
          type: list
          elements: dict
          sample: []
    ok:
      description: Readable, lacks no certificate of the bundle, and, with O(endpoint), the handshake was verified.
      type: bool
      sample: true
    jvm_starts:
      description: C(keytool) runs for this store (0 for JKS, and for PKCS12 read from O(cache_dir)).
      type: int
      sample: 0
    seconds:
      description: Time spent on this store (reading and handshake).
      type: float
      sample: 0.04
discovered:
  description: Truststores found by O(discover), as in RV(virtualis.aurora.rds_truststore#module:discovered).
  returned: always
  type: list
  elements: str
  sample:
    - /opt/exasol/runtime-8.8.0-jdk/lib/security/cacerts
bundle:
  description: The bundle (zero counts and an empty list without O(src) or O(content)).
  returned: always
  type: dict
  contains:
    certificates:
      description: Distinct certificates in the bundle.
      type: int
      sample: 108
    expired:
      description: How many of them have expired.
      type: int
      sample: 0
    expiring:
      description: The bundle's certificates that have expired or expire within O(expiry_warning_days).
      type: list
      elements: dict
      sample: []
summary:
  description: Counts over all stores.
  returned: always
  type: dict
  sample: {stores: 3, ok: 2, unreadable: 0, lacking: 1, handshake_ok: 2, handshake_failed: 1, expiring: 0}
  contains:
    stores:
      description: Stores audited.
      type: int
    ok:
      description: Stores whose RV(stores[].ok) is true.
      type: int
    unreadable:
      description: Stores that could not be read.
      type: int
    lacking:
      description: Stores that lack at least one certificate of the bundle.
      type: int
    handshake_ok:
      description: Stores whose handshake was verified.
      type: int
    handshake_failed:
      description: Stores whose handshake failed.
      type: int
    expiring:
      description: Distinct certificates (stores, bundle, server chain) that have expired or expire soon.
      type: int
"""

import datetime
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.virtualis.aurora.plugins.module_utils import _discovery
from ansible_collections.virtualis.aurora.plugins.module_utils._discovery import (
    describe_discovered,
    describe_store,
    resolve_store,
    store_paths,
)
from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import KeystoreError, owned_alias
from ansible_collections.virtualis.aurora.plugins.module_utils._pg_tls import (
    HandshakeError,
    observing_context,
    postgres_tls,
    trust_context,
)
from ansible_collections.virtualis.aurora.plugins.module_utils._truststore_reader import read_truststore
from ansible_collections.virtualis.aurora.plugins.module_utils._x509 import (
    Certificate,
    CertificateError,
    parse_pem_bundle,
    utc_now,
)

DEFAULT_CACHE_DIR = "/var/cache/virtualis-aurora/rds_truststore"


# certificates -----------------------------------------------------------------------------------
def load_bundle(module):
    """Distinct certificates of the bundle in bundle order, or None without a bundle."""
    src, content = module.params["src"], module.params["content"]
    if src is None and content is None:
        return None
    data, source = content, "the bundle given as content"
    if src is not None:
        try:
            with open(src, "rb") as handle:
                data, source = handle.read(), src
        except (IOError, OSError) as exc:
            module.fail_json(msg="Could not read the bundle %s: %s" % (src, to_native(exc)))
    try:
        certificates = parse_pem_bundle(data, source)
    except CertificateError as exc:
        module.fail_json(msg=to_native(exc))
    seen, distinct = set(), []
    for cert in certificates:
        if cert.sha256 not in seen:
            seen.add(cert.sha256)
            distinct.append(cert)
    return distinct


def describe(cert, now=None, alias=None):
    """subject, sha256, not_after (UTC, ISO 8601), days_left and expired of a certificate."""
    now = now or utc_now()
    item = {"alias": alias} if alias is not None else {}
    item.update(
        subject=cert.subject_text,
        sha256=cert.sha256,
        not_after=cert.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        days_left=(cert.not_after - now).days,
        expired=cert.expired(now),
    )
    return item


def expiring(certs, days, now, aliases=None):
    """describe() of the certificates that have expired or expire within `days`."""
    limit = now + datetime.timedelta(days=days)
    return [describe(c, now, aliases[i] if aliases else None) for i, c in enumerate(certs) if c.not_after < limit]


def parse_der(der):
    try:
        return Certificate(der)
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


# stores -----------------------------------------------------------------------------------------
def resolve_all(paths, discovered, discover_root):
    """[(listed path, file to read or None, error or None, description)], a file reached by two paths
    only once. A discovered store resolves inside discover_root; one that leaves it is an error entry."""
    targets, seen = [], set()
    for path in paths:
        found = path in discovered
        try:
            target, error = resolve_store(path, discover_root if found else None)[0], None
        except KeystoreError as exc:
            target, error = None, to_native(exc)
        if target is None or target not in seen:
            seen.add(target)
            description = describe_discovered(path, discover_root) if found else describe_store(path, discover_root)
            description["discovered"] = found
            targets.append((path, target, error, description))
    return targets


def read_store(path, target, params, run_command):
    """(type, entries, keytool runs) or an error text; never raises for a bad store."""
    if not os.path.isfile(target):
        return "truststore %s %s%s" % (
            path,
            "is not a file" if os.path.exists(target) else "does not exist",
            "" if target == path else " (resolves to %s)" % target,
        )
    try:
        return read_truststore(
            target,
            params["store_type"],
            params["store_password"],
            run_command,
            params["keytool"],
            params["cache_dir"] or None,
        )
    except (KeystoreError, IOError, OSError) as exc:
        return "Could not read truststore %s: %s" % (path, to_native(exc))


def audit_store(entries, bundle, params, now):
    """Bundle comparison and expiry of one readable store's entries."""
    trusted = [e for e in entries if e.trusted]
    held = {e.sha256 for e in trusted}
    parsed = [(e, parse_der(e.der)) for e in trusted]
    parsed = [(e, c) for e, c in parsed if c is not None]
    result = dict(
        entries=len(entries),
        trusted=len(trusted),
        present=0,
        missing=[],
        stale=[],
        expiring=expiring([c for e, c in parsed], params["expiry_warning_days"], now, [e.alias for e, c in parsed]),
    )
    if bundle is not None:
        wanted = [c for c in bundle if params["include_expired"] or not c.expired(now)]
        fingerprints = {c.sha256 for c in bundle}
        result["present"] = len([c for c in bundle if c.sha256 in held])
        result["missing"] = [{"subject": c.subject_text, "sha256": c.sha256} for c in wanted if c.sha256 not in held]
        result["stale"] = [
            {"alias": e.alias, "subject": c.subject_text, "sha256": c.sha256}
            for e, c in parsed
            if owned_alias(e, params["alias_prefix"]) and c.sha256 not in fingerprints
        ]
    return result


# the handshake ----------------------------------------------------------------------------------
def handshake(entries, endpoint, days, now):
    """Verified TLS to the endpoint with exactly the store's trusted certificates."""
    host, port = endpoint["host"], endpoint["port"]
    server_hostname = endpoint["server_hostname"] or host
    result = dict(ok=False, error=None, error_type=None, trust_anchors=0, server_chain=[], expiring=[])
    chain = []
    try:
        context, result["trust_anchors"] = trust_context([e.der for e in entries if e.trusted])
        chain = postgres_tls(context, host, port, server_hostname, endpoint["timeout"])
        result["ok"] = True
    except HandshakeError as exc:
        result.update(error=to_native(exc), error_type=exc.kind)
        if exc.kind in ("verify", "hostname", "store"):
            chain = observe_chain(endpoint, server_hostname)
    certs = [c for c in (parse_der(der) for der in chain) if c is not None]
    result["server_chain"] = [
        {k: v for k, v in describe(c, now).items() if k in ("subject", "sha256", "not_after")} for c in certs
    ]
    result["expiring"] = expiring(certs, days, now)
    return result


def observe_chain(endpoint, server_hostname):
    """What the server presents, without checking it (only to report it after a failed check)."""
    try:
        return postgres_tls(
            observing_context(), endpoint["host"], endpoint["port"], server_hostname, endpoint["timeout"]
        )
    except HandshakeError:
        return []


# main -------------------------------------------------------------------------------------------
def audit(path, target, error, description, bundle, params, now, run_command):
    """One entry of `stores`."""
    started = time.time()
    entry = dict(
        description,
        resolved_path=target,
        type=None,
        error=error,
        entries=0,
        trusted=0,
        present=0,
        missing=[],
        stale=[],
        expiring=[],
        handshake=None,
        ok=False,
        jvm_starts=0,
    )
    read = error or read_store(path, target, params, run_command)
    if not isinstance(read, tuple):
        entry["error"] = read
    else:
        entry["type"], entries, entry["jvm_starts"] = read
        entry.update(audit_store(entries, bundle, params, now))
        if params["endpoint"]:
            entry["handshake"] = handshake(entries, params["endpoint"], params["expiry_warning_days"], now)
        entry["ok"] = not entry["missing"] and (entry["handshake"] is None or entry["handshake"]["ok"])
    entry["seconds"] = round(time.time() - started, 3)
    return entry


def summarize(stores, bundle_expiring):
    handshakes = [s["handshake"] for s in stores if s["handshake"] is not None]
    expiring_fps = {c["sha256"] for c in bundle_expiring}
    for store in stores:
        expiring_fps.update(c["sha256"] for c in store["expiring"])
        expiring_fps.update(c["sha256"] for c in (store["handshake"] or {}).get("expiring", []))
    return dict(
        stores=len(stores),
        ok=len([s for s in stores if s["ok"]]),
        unreadable=len([s for s in stores if s["error"]]),
        lacking=len([s for s in stores if s["missing"]]),
        handshake_ok=len([h for h in handshakes if h["ok"]]),
        handshake_failed=len([h for h in handshakes if not h["ok"]]),
        expiring=len(expiring_fps),
    )


def failure_message(stores):
    problems = []
    for store in stores:
        if store["error"]:
            problems.append("%s: %s" % (store["path"], store["error"]))
            continue
        if store["missing"]:
            problems.append(
                "%s lacks %d certificate(s) of the bundle (%s)"
                % (
                    store["path"],
                    len(store["missing"]),
                    ", ".join(m["subject"] for m in store["missing"][:3])
                    + (", ..." if len(store["missing"]) > 3 else ""),
                )
            )
        if store["handshake"] and not store["handshake"]["ok"]:
            problems.append("%s fails the handshake: %s" % (store["path"], store["handshake"]["error"]))
    return "%d of %d truststore(s) would not trust the server: %s" % (
        len([s for s in stores if not s["ok"]]),
        len(stores),
        "; ".join(problems),
    )


def warn_expiring(module, bundle_expiring, stores, days):
    """Warn once per certificate of the bundle or of a server chain that expires soon (item 7 of
    issue 14); the stores' own expiring entries are listed in the result only, a JDK store has many."""
    warned = set()
    chains = [c for s in stores for c in (s["handshake"] or {}).get("expiring", [])]
    for where, cert in [("the bundle", c) for c in bundle_expiring] + [("the server's chain", c) for c in chains]:
        if cert["sha256"] not in warned:
            warned.add(cert["sha256"])
            module.warn(
                "%s of %s %s %s (SHA-256 %s)"
                % (
                    cert["subject"],
                    where,
                    "expired on" if cert["expired"] else "expires within %d days, on" % days,
                    cert["not_after"],
                    cert["sha256"],
                )
            )


def check_input(module):
    params = module.params
    if params["expiry_warning_days"] < 0:
        module.fail_json(msg="expiry_warning_days must be 0 or more, not %d" % params["expiry_warning_days"])
    endpoint = params["endpoint"]
    if endpoint:
        if not endpoint["host"].strip():
            module.fail_json(msg="endpoint.host is empty")
        if not 0 < endpoint["port"] < 65536:
            module.fail_json(msg="endpoint.port must be between 1 and 65535, not %d" % endpoint["port"])
        if endpoint["timeout"] <= 0:
            module.fail_json(msg="endpoint.timeout must be more than 0 seconds")


def argument_spec():
    spec = _discovery.argument_spec()
    spec.update(
        truststores=dict(type="list", elements="path", default=[]),
        src=dict(type="path"),
        content=dict(type="str"),
        store_password=dict(type="str", default="changeit", no_log=True),
        store_type=dict(type="str", default="auto", choices=["auto", "jks", "pkcs12"]),
        alias_prefix=dict(type="str", default="rds-"),
        include_expired=dict(type="bool", default=False),
        expiry_warning_days=dict(type="int", default=90),
        endpoint=dict(
            type="dict",
            options=dict(
                host=dict(type="str", required=True),
                port=dict(type="int", default=5432),
                server_hostname=dict(type="str"),
                timeout=dict(type="float", default=10),
            ),
        ),
        fail_on_missing=dict(type="bool", default=False),
        keytool=dict(type="path"),
        cache_dir=dict(type="path", default=DEFAULT_CACHE_DIR),
    )
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(), supports_check_mode=True, mutually_exclusive=[("src", "content")]
    )
    check_input(module)
    params, now = module.params, utc_now()
    bundle = load_bundle(module)
    paths, discovered = store_paths(module, "audit")
    stores = [
        audit(path, target, error, description, bundle, params, now, module.run_command)
        for path, target, error, description in resolve_all(paths, discovered, params["discover_root"])
    ]
    bundle_expiring = expiring(bundle or [], params["expiry_warning_days"], now)
    result = dict(
        changed=False,
        stores=stores,
        discovered=discovered,
        summary=summarize(stores, bundle_expiring),
        bundle=dict(
            certificates=len(bundle or []),
            expired=len([c for c in bundle or [] if c.expired(now)]),
            expiring=bundle_expiring,
        ),
    )
    warn_expiring(module, bundle_expiring, stores, params["expiry_warning_days"])
    if params["fail_on_missing"] and not all(s["ok"] for s in stores):
        module.fail_json(msg=failure_message(stores), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
