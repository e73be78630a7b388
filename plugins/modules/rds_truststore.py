#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rds_truststore
short_description: Put a CA bundle (the Amazon RDS one) into Java truststores, fast and atomically
version_added: 0.1.0
description:
  - Adds every certificate of a PEM bundle (RSA and EC) to one or more Java truststores, under a
    stable alias derived from the certificate, and optionally removes the certificates it added
    earlier that the bundle no longer holds.
  - Can discover the truststores of an Exasol data node, 6.x/7.x and 2025.x, and says which JVM reads
    each (RV(discovered_stores)).
  - JKS stores are read and written by the module itself, without a JVM. PKCS12 stores need at
    most two C(keytool) runs when they change (one to read, one to write; plus one per removed
    certificate in a store with keys, see below) and at most one when they do not, whatever the
    number of certificates; with a warm O(cache_dir), none when they do not change (a change
    re-reads the store to check the cached copy first).
  - B(What it keeps.) Every entry it did not add survives every write (trusted certificates under
    other aliases, and private keys of a JKS byte for byte). A PKCS12 store that only gains
    certificates, or that holds keys and loses at most 10, is edited in place on a copy (C(keytool)
    keeps the encrypted bytes of every key entry it does not touch; one run per removed alias);
    otherwise it is rebuilt, its private keys passing through C(keytool) with the store password
    (key material unchanged, re-encrypted) and entries a JKS cannot hold (a C(SecretKeyEntry))
    copied from the old file by alias. Every
    C(keytool) report is read (it exits 0 when entries "failed or cancelled"); an entry that cannot
    be carried over fails the run before any store is replaced, naming its alias and keytool's reason.
  - B(What it refuses), before anything is written and in check mode too (same message), an empty
    O(alias_prefix); with O(purge) or O(state=absent), a prefix that also matches entries it did not
    add; a store whose real type is not the declared O(store_type); a discovered store whose path
    leaves O(discover_root); a dangling symbolic link with O(create); an alias whose 8-, 16- and
    64-digit forms are all taken by other certificates; a PKCS12 store that would become empty; a
    store or directory that cannot be written.
  - B(What it cleans up.) Copies of a store (conversions, the new file) live only in a private
    (0700) directory next to the store, C(.<store>.<random>.tmp), never in E(TMPDIR), and are removed
    when the run ends; those of killed runs are removed by the next run once 10 minutes old, as are
    the C($TMPDIR/rds_truststore.*) directories that 0.1.0 left behind.
  - Idempotent by SHA-256 fingerprint, a certificate already in the store under any alias is not
    added again.
  - Every store is replaced atomically (temporary file in the same directory, fsync, rename), with
    its owner, group, mode and SELinux label (C(security.selinux)) kept; a label that cannot be set
    fails before the store is replaced.
  - The whole bundle and every store are read and checked before the first store is written; bad
    input fails with a message naming the file and the certificate, and changes nothing.
  - Runs on the managed node with the Python standard library only (Python 3.6 and later).
author:
  - virtualis.aurora developers (@virtualis)
extends_documentation_fragment:
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.check_mode
  - virtualis.aurora.attributes.diff_mode
  - virtualis.aurora.attributes.idempotent
  - virtualis.aurora.attributes.platform
  - virtualis.aurora.truststore_discovery
options:
  src:
    description:
      - Path of the PEM bundle on the managed node.
      - Exactly one of O(src) and O(content) is required.
    type: path
  content:
    description:
      - The PEM bundle as text.
      - Exactly one of O(src) and O(content) is required.
    type: str
  truststores:
    description:
      - Truststore files to manage, for example the central C(/etc/pki/ca-trust/extracted/java/cacerts).
      - Each must exist unless O(create) is set. Stores found by O(discover) are added to this
        list; a file listed twice is handled once.
    type: list
    elements: path
    default: []
  create:
    description:
      - Create a store of O(truststores) that does not exist yet (its directory must exist), as
        JKS, or PKCS12 with O(store_type=pkcs12), mode 0644. Discovered stores always exist.
      - A listed path that is a dangling symbolic link is refused (the store would be created at the
        link's target, outside the directory named).
      - By default a missing store is an error.
    type: bool
    default: false
  store_password:
    description:
      - Password of the truststores. It reaches C(keytool) through the environment, never the
        command line.
    type: str
    default: changeit
  store_type:
    description:
      - Type of the truststores. V(auto) detects it from the file.
      - V(jks) or V(pkcs12) is the type to create with O(create); for an existing file it must be the
        file's real type, else the run fails (the module never converts a store from one type to the
        other; convert it yourself with C(keytool -importkeystore) if you want that).
    type: str
    choices: [auto, jks, pkcs12]
    default: auto
  alias_prefix:
    description:
      - Prefix of the aliases this module gives to certificates (C(<prefix><name>-<first 8 hex digits
        of the SHA-256>)). O(purge) and O(state=absent) only ever remove trusted certificates whose
        alias has that form, with the certificate's own fingerprint.
      - Must not be empty. With O(purge) or O(state=absent) it must not match any entry the module did
        not add (for example V(debian:) on a Debian C(cacerts)); such a run fails, naming them.
    type: str
    default: rds-
  state:
    description:
      - V(present) adds the bundle's certificates that are missing.
      - V(absent) removes the bundle's certificates that carry O(alias_prefix).
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(state=present), also remove entries whose alias starts with O(alias_prefix) and
        whose certificate is not in the bundle (certificates AWS has rotated out). Entries with
        other aliases are never touched.
    type: bool
    default: false
  include_expired:
    description:
      - Also add certificates that have expired. By default they are skipped with a warning.
    type: bool
    default: false
  backup:
    description:
      - Keep a timestamped copy of each store before it is changed.
    type: bool
    default: false
  keytool:
    description:
      - Path of C(keytool), used for PKCS12 stores only. By default the first on E(PATH), then
        C(/usr/lib/jvm/*/bin/keytool).
    type: path
  cache_dir:
    description:
      - Directory for JKS copies of PKCS12 stores that hold trusted certificates only (public data),
        named by the SHA-256 of the store file, so that a rerun on an unchanged PKCS12 store starts no
        JVM. Stores with private or secret keys are never copied here.
      - Used only if it is the running user's own directory (not a symbolic link); a looser mode is
        tightened to 0700; a directory of another user is not used (with a warning). A copy is used
        only if it is a 0600 file of the running user, opens with the store password and holds
        trusted certificates only; before a store is written from a copy, the store is read again and
        the copy must match it (a tampered copy fails the run, is removed, and nothing is written).
        Files older than 30 days, and all but the 64 newest, are removed.
      - Empty string disables the cache. Not used for JKS stores.
    type: path
    default: /var/cache/virtualis-aurora/rds_truststore
  lock_timeout:
    description:
      - Seconds to wait for another run of this module that works on the same store directory
        (runs take an exclusive lock on each store's directory, so overlapping runs take turns
        instead of losing each other's changes). Check mode takes no lock.
    type: int
    default: 60
  java_security:
    description:
      - C(java.security) file whose C(jdk.certpath.disabledAlgorithms) decides which keys are
        reported as weak. By default the file of the JDK the store belongs to, else the system
        JDKs' files.
    type: path
notes:
  - The module warns, and lists in RV(weak_keys), certificates whose key a C(java.security) next to
    the store (or on the system) would reject through C(jdk.certpath.disabledAlgorithms), for
    example C(RSA keySize < 1024). Rules limited by C(jdkCA), C(usage) or C(denyAfter) are not
    evaluated.
  - A run killed between writing the temporary file and renaming it leaves a hidden
    C(.<store>.*.tmp) file or directory next to the store; the store itself is always the old or the
    new one. The next run (not in check mode) removes such leftovers once they are 10 minutes old.
  - With several stores the run is all or nothing as far as it can be; every refusal is checked for
    every store, then every new store is built and checked next to its old one, and only then are
    they renamed into place. Only a failing rename (a full or failing disk) can leave some stores
    replaced; the message names them.
  - Reading a PKCS12 store, in check mode too, creates and removes a private temporary directory
    next to the store (the conversion may hold private keys), so the store's directory must be
    writable.
  - The module code runs on Python 3.6, but the ansible-core this collection needs (2.17 or later)
    runs modules on Python 3.7 or later on the managed node; give a Python 3.6 node a newer Python.
  - Private key entries of a PKCS12 store are kept; they must be protected by the store password
    (the PKCS12 norm), because C(keytool) converts them with it; one that is not fails the run, naming it.
  - A certificate of the bundle that is not a CA certificate (basicConstraints CA:FALSE, or a v3
    certificate without basicConstraints) is added, with a warning and listed in RV(not_ca); it can
    only ever trust itself, so it is almost always a server certificate put into the bundle by mistake.
  - Overlapping runs on the same store take turns (see O(lock_timeout)).
seealso:
  - name: Amazon RDS certificate bundles
    description: Where AWS publishes the bundles.
    link: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html
  - module: community.general.java_cert
"""

EXAMPLES = r"""
- name: Trust the RDS CA bundle in the central store and every script-language container
  virtualis.aurora.rds_truststore:
    src: /tmp/global-bundle.pem
    truststores:
      - /etc/pki/ca-trust/extracted/java/cacerts
    discover: true
    purge: true
    store_password: "{{ exasol_truststore_password }}"

- name: Remove the certificates of an old bundle again
  virtualis.aurora.rds_truststore:
    src: /tmp/rds-combined-ca-bundle.pem
    truststores:
      - /etc/pki/ca-trust/extracted/java/cacerts
    state: absent
    include_expired: true

- name: A PKCS12 store, bundle given as text, with a backup
  virtualis.aurora.rds_truststore:
    content: "{{ lookup('ansible.builtin.file', 'global-bundle.pem') }}"
    truststores:
      - /opt/app/truststore.p12
    store_type: pkcs12
    backup: true
"""

RETURN = r"""
stores:
  description: One entry per truststore handled.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The truststore as listed or discovered.
      type: str
      sample: /etc/pki/ca-trust/extracted/java/cacerts
    resolved_path:
      description: The file actually written (symbolic links resolved, inside the container for SLC stores).
      type: str
      sample: /usr/opt/EXASuite-7/.../ScriptLanguages-release-standard-exasol-7.1.0-1.0.0/etc/ssl/certs/java/cacerts
    type:
      description: Store type.
      type: str
      sample: jks
    added:
      description: Number of certificates added (or that would be, in check mode).
      type: int
      sample: 108
    removed:
      description: Number of entries removed.
      type: int
      sample: 0
    unchanged:
      description: Number of bundle certificates already present (under any alias).
      type: int
      sample: 0
    added_aliases:
      description: Aliases added.
      type: list
      elements: str
      sample: [rds-amazon-rds-eu-central-1-root-ca-rsa2048-g1-3f1a2b3c]
    removed_aliases:
      description: Aliases removed.
      type: list
      elements: str
      sample: []
    changed:
      description: Whether this store changed.
      type: bool
      sample: true
    created:
      description: Whether the store was created (O(create)).
      type: bool
      sample: false
    backup_file:
      description: The backup copy, when O(backup) was set and the store changed.
      type: str
      sample: /etc/pki/ca-trust/extracted/java/cacerts.12345.2026-11-27@14:00:00~
    jvm_starts:
      description: How many times C(keytool) ran for this store (0 for JKS, 0 for an unchanged cached PKCS12 store).
      type: int
      sample: 0
    seconds:
      description: Time spent reading and writing this store.
      type: float
      sample: 0.031
discovered:
  description: Truststores found by O(discover).
  returned: always
  type: list
  elements: str
  sample:
    - /usr/opt/EXASuite-7/EXAClusterOS-7.1.26/var/clients/packages/ScriptLanguages-release-standard-exasol-7.1.0-1.0.0/usr/lib/jvm/java-11/lib/security/cacerts
discovered_stores:
  description:
    - The stores of RV(discovered), each with the JVM that reads it and the Exasol generation.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The store as discovered (as in RV(discovered)).
      type: str
    jvm:
      description:
        - V(adapter) for a store inside a script-language container (UDFs and virtual-schema adapters
          run there), V(loader) for the 2025.x runtime JDK that ExaLoader (IMPORT/EXPORT) starts.
      type: str
    generation:
      description: V(6.x), V(7.x), V(2025.x), or V(any) for an SLC uploaded to BucketFS.
      type: str
    version:
      description: The runtime or SLC package version of a 2025.x store (from its directory name), else null.
      type: str
  sample:
    - path: /opt/exasol/runtime-8.8.0-jdk/lib/security/cacerts
      jvm: loader
      generation: 2025.x
      version: 8.8.0
    - path: /opt/exasol/slc-9.3.0/ScriptLanguages-standard-EXASOL-8.0.0-java-17/usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts
      jvm: adapter
      generation: 2025.x
      version: 9.3.0
not_ca:
  description: Common names of bundle certificates that are not CA certificates (added, with a warning).
  returned: always
  type: list
  elements: str
  sample: []
certificates:
  description: Number of distinct certificates in the bundle, and how many are used.
  returned: always
  type: dict
  contains:
    bundle:
      description: Distinct certificates in the bundle.
      type: int
    used:
      description: Certificates applied (expired ones excluded unless O(include_expired)).
      type: int
  sample: {bundle: 108, used: 108}
skipped_expired:
  description: Subjects of expired certificates that were skipped.
  returned: always
  type: list
  elements: str
  sample: ["Amazon RDS ap-east-1 CA"]
weak_keys:
  description: Certificates a C(java.security) would reject, with the rule and the file.
  returned: always
  type: list
  elements: dict
  sample:
    - certificate: Old CA
      key: RSA 1024
      rule: RSA keySize < 1024
      java_security: /etc/java-11-openjdk/security/java.security
      store: /etc/pki/ca-trust/extracted/java/cacerts
seconds:
  description: Module run time, in seconds.
  returned: always
  type: float
  sample: 0.12
"""

import os
import re
import time
import traceback

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.virtualis.aurora.plugins.module_utils import _discovery, _java_security
from ansible_collections.virtualis.aurora.plugins.module_utils._discovery import (
    describe_discovered,
    resolve_store,
    store_paths,
)
from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import (
    Entry,
    KeystoreError,
    Store,
    lock_directories,
    owned_alias,
    remove_old_workdirs,
    resolve_in_root,
)
from ansible_collections.virtualis.aurora.plugins.module_utils._x509 import (
    CertificateError,
    leaf_certificates,
    parse_pem_bundle,
    utc_now,
)

MAX_NAMED = 5
DEFAULT_CACHE_DIR = "/var/cache/virtualis-aurora/rds_truststore"
UPDATE_CA_TRUST = "/usr/bin/update-ca-trust"
EXTRACTED_DIR = "/etc/pki/ca-trust/extracted/"


# the bundle -------------------------------------------------------------------------------------
def load_bundle(module):
    """Distinct certificates of the bundle (first occurrence wins), in bundle order."""
    src = module.params["src"]
    if src is not None:
        try:
            with open(src, "rb") as handle:
                data = handle.read()
        except (IOError, OSError) as exc:
            module.fail_json(msg="Could not read the bundle %s: %s" % (src, to_native(exc)))
        source = src
    else:
        data, source = module.params["content"], "the bundle given as content"
    try:
        certificates = parse_pem_bundle(data, source)
    except CertificateError as exc:
        module.fail_json(msg=to_native(exc))
    distinct = {}
    for cert in certificates:
        distinct.setdefault(cert.sha256, cert)
    return [c for c in certificates if distinct.get(c.sha256) is c]


def make_alias(prefix, cert, taken):
    """`<prefix><cn slug>-<fingerprint prefix>`, lengthening the fingerprint part on a clash.

    ValueError when even the full fingerprint is taken by another entry: writing it would shadow a
    certificate (one alias, two entries)."""
    slug = re.sub(r"[^a-z0-9]+", "-", cert.common_name.lower()).strip("-")[:80] or "certificate"
    for length in (8, 16, 64):
        alias = "%s%s-%s" % (prefix.lower(), slug, cert.sha256[:length])
        if taken.get(alias, cert.sha256) == cert.sha256:
            return alias
    raise ValueError(
        "alias %s for certificate %s is already taken by another entry (as are the 8- and 16-digit "
        "forms); remove that entry or choose another alias_prefix" % (alias, cert.label())
    )


# the stores -------------------------------------------------------------------------------------
def resolve_stores(module, paths, discovered=()):
    """[(listed path, file, container root)], a file reached by two paths only once."""
    resolved, seen = [], set()
    for path in paths:
        try:
            target, croot = resolve_store(path, module.params["discover_root"] if path in discovered else None)
        except KeystoreError as exc:
            module.fail_json(msg="Nothing was changed: %s" % to_native(exc))
        if target not in seen:
            seen.add(target)
            resolved.append((path, target, croot))
    return resolved


def lock_stores(module, targets):
    """Serialise overlapping runs on the same stores (not needed to only read, in check mode)."""
    directories = [os.path.dirname(target) for dummy, target, dummy_root in targets]
    try:
        return lock_directories([d for d in directories if os.path.isdir(d)], module.params["lock_timeout"])
    except (KeystoreError, OSError) as exc:
        module.fail_json(msg="Nothing was changed: %s" % to_native(exc))


def load_stores(module, targets):
    """Read every store once."""
    stores = []
    for path, target, croot in targets:
        exists = os.path.exists(target)
        if not exists and os.path.islink(path):
            module.fail_json(
                msg="truststore %s is a dangling symbolic link (to %s): refusing to create a store at "
                "its target, outside the directory named; create the target, or name the real path"
                % (path, os.readlink(path))
            )
        if not exists and not (module.params["create"] and path in module.params["truststores"]):
            module.fail_json(
                msg="truststore %s does not exist%s (set create=true to create it)"
                % (path, "" if target == path else " (resolves to %s)" % target)
            )
        started = time.time()
        store = Store(
            target,
            module.params["store_type"],
            module.params["store_password"],
            module.params["keytool"],
            module.params["cache_dir"] or None,
            cache_read_only=module.check_mode,
            run_command=module.run_command,
        )
        try:
            if exists:
                store.load()
            else:
                store.start_new()
        except KeystoreError as exc:
            module.fail_json(msg="Could not read truststore %s: %s" % (path, to_native(exc)))
        for warning in store.warnings:
            module.warn(warning)
        store.listed_path, store.container_root, store.seconds = path, croot, time.time() - started
        store.created = not exists
        stores.append(store)
    return stores


# the plan ---------------------------------------------------------------------------------------
def plan_store(store, certs, bundle_fps, params):
    """(entries after, added entries, removed entries, unchanged count) for one store.

    Only entries this module added (owned_alias: prefix and the certificate's own fingerprint in
    the alias) are ever removed; ValueError when an alias is taken (see make_alias)."""
    prefix = params["alias_prefix"].lower()
    ours = [e for e in store.entries if owned_alias(e, prefix)]
    if params["state"] == "absent":
        removed = [e for e in ours if e.sha256 in bundle_fps]
        return [e for e in store.entries if e not in removed], [], removed, 0
    removed = [e for e in ours if e.sha256 not in bundle_fps] if params["purge"] else []
    present = {e.sha256 for e in store.entries if e.trusted and e not in removed}
    taken = {e.alias.lower(): e.sha256 for e in store.entries if e not in removed}
    added, now = [], int(time.time() * 1000)
    for cert in certs:
        if cert.sha256 in present:
            continue
        alias = make_alias(prefix, cert, taken)
        taken[alias] = cert.sha256
        added.append(Entry(alias, now, der=cert.der))
    after = [e for e in store.entries if e not in removed] + added
    return after, added, removed, len(certs) - len(added)


def prefix_refusal(store, params):
    """With purge or state=absent, a prefix that also matches entries this module did not add
    (`debian:`, `""`) would make them look ours: refused, naming them."""
    if not (params["purge"] or params["state"] == "absent"):
        return None
    prefix = params["alias_prefix"].lower()
    foreign = [e.alias for e in store.entries if e.alias.lower().startswith(prefix) and not owned_alias(e, prefix)]
    if not foreign:
        return None
    return (
        "alias_prefix '%s' also matches %d entr%s of %s that this module did not add (%s%s); with %s it "
        "must name only the module's own aliases: choose another alias_prefix"
        % (
            params["alias_prefix"],
            len(foreign),
            "y" if len(foreign) == 1 else "ies",
            store.listed_path,
            ", ".join(foreign[:MAX_NAMED]),
            ", ..." if len(foreign) > MAX_NAMED else "",
            "purge=true" if params["purge"] else "state=absent",
        )
    )


def store_diff(store, after, prefix, touched):
    def lines(entries):
        return "".join(
            "%s %s\n" % (e.alias, e.sha256)
            for e in sorted(entries, key=lambda e: e.alias)
            if e.alias.lower().startswith(prefix) or id(e) in touched
        )

    return {
        "before_header": store.listed_path,
        "after_header": store.listed_path,
        "before": lines(store.entries),
        "after": lines(after),
    }


def weak_keys(stores, certs, params):
    """Certificates that the java.security governing each store would reject."""
    found, rules_cache = [], {}
    for store in stores:
        files = (
            [params["java_security"]]
            if params["java_security"]
            else _java_security.candidate_files(store.path, store.container_root, resolve_in_root)
        )
        for java_security in files:
            if java_security not in rules_cache:
                try:
                    rules_cache[java_security] = _java_security.disabled_rules(java_security)
                except (IOError, OSError):
                    rules_cache[java_security] = []
            for cert in certs:
                rule = _java_security.rejected_by(cert, rules_cache[java_security])
                if rule:
                    found.append(
                        {
                            "certificate": cert.common_name,
                            "key": cert.key_text,
                            "rule": rule,
                            "java_security": java_security,
                            "store": store.listed_path,
                        }
                    )
    return found


# main -------------------------------------------------------------------------------------------
def warn_regenerated_stores(module, plans):
    """update-ca-trust rewrites the extracted stores: certificates added there do not last."""
    if not os.path.exists(UPDATE_CA_TRUST):
        return
    for store, plan in plans:
        if plan[1] and store.path.startswith(EXTRACTED_DIR):
            module.warn(
                "%s is regenerated by %s (for example on CA package updates), which drops the "
                "certificates added here; rerun after updates, or install the bundle as an anchor "
                "(exasol_truststore_central_method=anchors)" % (store.listed_path, UPDATE_CA_TRUST)
            )


def argument_spec():
    spec = _discovery.argument_spec()
    spec.update(
        src=dict(type="path"),
        content=dict(type="str"),
        truststores=dict(type="list", elements="path", default=[]),
        store_password=dict(type="str", default="changeit", no_log=True),
        store_type=dict(type="str", default="auto", choices=["auto", "jks", "pkcs12"]),
        alias_prefix=dict(type="str", default="rds-"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        purge=dict(type="bool", default=False),
        include_expired=dict(type="bool", default=False),
        backup=dict(type="bool", default=False),
        keytool=dict(type="path"),
        cache_dir=dict(type="path", default=DEFAULT_CACHE_DIR),
        java_security=dict(type="path"),
        create=dict(type="bool", default=False),
        lock_timeout=dict(type="int", default=60),
    )
    return spec


def warn_leaf_certificates(module, certs):
    """A server (leaf) certificate in a CA bundle is trusted only as itself: almost always a mistake."""
    leaves = leaf_certificates(certs)
    if leaves:
        module.warn(
            "%d certificate(s) of the bundle are not CA certificates (basicConstraints CA:FALSE or "
            "missing), so they can only ever trust themselves: %s. Was a server certificate put into "
            "the CA bundle?" % (len(leaves), "; ".join(c.label() for c in leaves[:MAX_NAMED]))
        )
    return [c.common_name for c in leaves]


def select_certificates(module, certs):
    """Drop expired certificates unless asked; warn naming them."""
    if module.params["include_expired"] or module.params["state"] == "absent":
        return certs, []
    now = utc_now()
    expired = [c for c in certs if c.expired(now)]
    if expired:
        module.warn(
            "Skipped %d expired certificate(s) of the bundle (include_expired=false): %s"
            % (len(expired), "; ".join("%s (expired %s)" % (c.common_name, c.not_after.date()) for c in expired))
        )
    return [c for c in certs if c not in expired], [c.common_name for c in expired]


def check_alias_prefix(module):
    prefix = module.params["alias_prefix"]
    if not prefix.strip():
        module.fail_json(
            msg="alias_prefix must not be empty: it marks the entries this module added, and "
            "purge and state=absent remove by it"
        )


def refusals(plans, params):
    """Every reason not to write, as far as it is known before writing, for all stores (check mode too)."""
    problems = [prefix_refusal(store, params) for store, plan in plans]
    problems += [store.write_refusal(plan[0]) for store, plan in plans if needs_write(store, plan)]
    return [p for p in problems if p]


def plan_stores(module, stores, certs, bundle):
    """[(store, plan)] for every store, or a failure naming every refusal (check mode alike)."""
    bundle_fps = {c.sha256 for c in bundle}
    try:
        plans = [(store, plan_store(store, certs, bundle_fps, module.params)) for store in stores]
    except ValueError as exc:
        module.fail_json(msg="Nothing was changed: %s" % to_native(exc))
    problems = refusals(plans, module.params)
    if problems:
        module.fail_json(msg="Nothing was changed: %s" % "; ".join(problems))
    return plans


def apply_plans(module, plans):
    """Build every changed store next to the old one (all conversions checked), then put them in
    place: a store that cannot be built leaves every store unchanged. Returns the backups."""
    writes = [(store, plan) for store, plan in plans if needs_write(store, plan)]
    backups = {}
    for store, plan in writes:
        started = time.time()
        try:
            if module.params["backup"] and store.stat is not None:
                backups[store.path] = module.backup_local(store.path)
            store.prepare(plan[0])
        except (KeystoreError, IOError, OSError) as exc:
            for prepared, dummy in writes:
                prepared.discard()
            module.fail_json(
                msg="Nothing was changed: could not write truststore %s: %s" % (store.path, to_native(exc)),
                exception=traceback.format_exc(),
            )
        store.seconds += time.time() - started
    written = []
    for store, dummy_plan in writes:
        try:
            store.commit()
        except (KeystoreError, IOError, OSError) as exc:
            for prepared, dummy in writes:
                prepared.discard()
            module.fail_json(
                msg="Could not replace truststore %s: %s (stores already replaced: %s)"
                % (store.path, to_native(exc), ", ".join(written) or "none"),
                exception=traceback.format_exc(),
            )
        written.append(store.path)
    return backups


def needs_write(store, plan):
    return bool(plan[1] or plan[2] or store.stat is None)


def store_result(store, plan, backups):
    after, added, removed, unchanged = plan
    result = dict(
        path=store.listed_path,
        resolved_path=store.path,
        type=store.type,
        added=len(added),
        removed=len(removed),
        unchanged=unchanged,
        added_aliases=[e.alias for e in added],
        removed_aliases=[e.alias for e in removed],
        changed=needs_write(store, plan),
        created=store.created,
        jvm_starts=store.keytool.runs if store.keytool else 0,
        seconds=round(store.seconds, 3),
    )
    if store.path in backups:
        result["backup_file"] = backups[store.path]
    return result


def main():
    started = time.time()
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[("src", "content")],
        required_one_of=[("src", "content")],
    )
    params = module.params
    check_alias_prefix(module)
    bundle = load_bundle(module)
    certs, skipped = select_certificates(module, bundle)
    not_ca = warn_leaf_certificates(module, bundle) if params["state"] == "present" else []
    paths, discovered = store_paths(module, "manage")
    targets = resolve_stores(module, paths, discovered)
    locks = lock_stores(module, targets) if not module.check_mode else []  # held until the process exits
    module.debug("rds_truststore: %d store directories locked" % len(locks))
    if not module.check_mode:
        remove_old_workdirs()
    plans = plan_stores(module, load_stores(module, targets), certs, bundle)
    stores = [store for store, plan in plans]
    changed = any(needs_write(store, plan) for store, plan in plans)
    weak = weak_keys(stores, certs, params) if params["state"] == "present" else []
    for item in weak:
        module.warn(
            "%s (%s) would be rejected by '%s' (jdk.certpath.disabledAlgorithms in %s) for store %s"
            % (item["certificate"], item["key"], item["rule"], item["java_security"], item["store"])
        )
    warn_regenerated_stores(module, plans)
    prefix = params["alias_prefix"].lower()
    diff = [store_diff(store, plan[0], prefix, {id(e) for e in plan[1] + plan[2]}) for store, plan in plans]
    backups = apply_plans(module, plans) if changed and not module.check_mode else {}
    discovered_stores = [describe_discovered(path, params["discover_root"]) for path in discovered]
    module.exit_json(
        changed=changed,
        stores=[store_result(s, p, backups) for s, p in plans],
        discovered=discovered,
        discovered_stores=discovered_stores,
        not_ca=not_ca,
        certificates=dict(bundle=len(bundle), used=len(certs)),
        skipped_expired=skipped,
        weak_keys=weak,
        diff=diff,
        seconds=round(time.time() - started, 3),
    )


if __name__ == "__main__":
    main()
