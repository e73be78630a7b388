# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where the Java truststores of an Exasol data node are, and which JVM reads each.

Node-side code: Python standard library only, Python 3.6+. Shared by rds_truststore (writes the
stores) and rds_truststore_info (audits them), so that both find the same stores, resolve them the
same way and describe them alike. Their options are documented once, in the doc fragment
virtualis.aurora.truststore_discovery.

Layouts (globbed, never hard-coded; the public sources are named in the fragment):
- 6.x/7.x: the loader (ExaLoader) reads the central /etc/pki/ca-trust/extracted/java/cacerts; each
  script-language container (SLC) is a ScriptLanguages-* directory below
  /usr/opt/EXASuite-*/EXAClusterOS-*/var/clients/packages, or an SLC uploaded to BucketFS.
- 2025.x (COS): the loader runs /opt/exasol/runtime-<v>-jdk (runtime-<v> on older 8.x images); the
  SLCs are the directories right below /opt/exasol/slc-<v>. An update adds new directories and may
  keep the old ones.
Inside a container, absolute symbolic links mean paths of the container, never of the host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import glob
import os
import re

from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import KeystoreError, resolve_in_root

DEFAULT_PATTERNS = [
    "/usr/opt/EXASuite-*/EXAClusterOS-*/var/clients/packages/ScriptLanguages-*/usr/lib/jvm/*/jre/lib/security/cacerts",
    "/usr/opt/EXASuite-*/EXAClusterOS-*/var/clients/packages/ScriptLanguages-*/usr/lib/jvm/*/lib/security/cacerts",
    "/exa/data/bucketfs/*/.dest/*/EXAClusterOS/ScriptLanguages-*/usr/lib/jvm/*/lib/security/cacerts",
    "/opt/exasol/runtime-*/lib/security/cacerts",
    "/opt/exasol/slc-*/*/usr/lib/jvm/*/lib/security/cacerts",
]
CONTAINER_DIR = "ScriptLanguages-*"
CONTAINER_PARENT = "slc-*"  # Exasol 2025.x: /opt/exasol/slc-<v>/<container>/
CENTRAL_STORE = "/etc/pki/ca-trust/extracted/java/cacerts"  # what the 6.x/7.x loader reads
GENERATION_RES = (
    (re.compile(r"^/opt/exasol/(?:runtime-(?P<runtime>[^/]+?)(?:-jdk)?|slc-(?P<slc>[^/]+))/"), "2025.x"),
    (re.compile(r"^/usr/opt/EXASuite-(?P<major>\d+)/"), None),
    (re.compile(r"^/exa/data/bucketfs/"), "any"),
)


def argument_spec():
    """The discover options, as both modules take them (documented in the truststore_discovery fragment)."""
    return dict(
        discover=dict(type="bool", default=False),
        discover_patterns=dict(type="list", elements="str", default=DEFAULT_PATTERNS),
        discover_root=dict(type="path", default="/"),
        discover_required=dict(type="bool", default=True),
    )


def discover_stores(patterns, root):
    """Every file below root that matches one of the patterns (relative to root), sorted, once."""
    found = []
    for pattern in patterns:
        found.extend(sorted(glob.glob(os.path.join(root, pattern.lstrip("/")))))
    return sorted(set(found))


def store_paths(module, verb):
    """(listed stores + discovered ones not listed, discovered) from the module's parameters; fails
    the module when discover_required finds nothing, or when there is no store at all."""
    params, discovered = module.params, []
    if params["discover"]:
        discovered = discover_stores(params["discover_patterns"], params["discover_root"])
        if not discovered and params["discover_required"]:
            module.fail_json(
                msg="discover found no truststore under %s matching %s (set discover_required=false "
                "to allow this)" % (params["discover_root"], ", ".join(params["discover_patterns"])),
                discovered=[],
            )
    paths = list(params["truststores"]) + [p for p in discovered if p not in params["truststores"]]
    if not paths:
        module.fail_json(msg="no truststore to %s: give truststores and/or discover=true" % verb, discovered=discovered)
    return paths, discovered


# which JVM reads a store ----------------------------------------------------------------------------
def container_root(path):
    """The script-language container a path lies in (a ScriptLanguages-* directory, or on Exasol
    2025.x the directory right below /opt/exasol/slc-<v>), or None."""
    parts = path.split(os.sep)
    for index in range(len(parts) - 1, 0, -1):
        if fnmatch.fnmatch(parts[index], CONTAINER_DIR) or (
            index > 2 and fnmatch.fnmatch(parts[index - 1], CONTAINER_PARENT) and parts[index - 2] == "exasol"
        ):
            return os.sep.join(parts[: index + 1])
    return None


def node_path(path, root):
    """The path as the node sees it when root stands for its `/` (unchanged outside root)."""
    path = os.path.abspath(path)
    if os.path.abspath(root) == "/" or not _inside(path, os.path.abspath(root)):
        return path
    return "/" + os.path.relpath(path, root)


def describe_discovered(path, root):
    """{path, jvm, generation, version}: which JVM reads a discovered store, on which Exasol.

    jvm: `adapter` for a store inside a script-language container (UDFs and virtual-schema
    adapters run there), `loader` for the 2025.x runtime JDK (ExaLoader, IMPORT/EXPORT)."""
    info = describe_store(path, root)
    if info["jvm"] is None:
        info["jvm"] = "loader"  # discovered outside a container: the patterns name runtime JDKs only
    return info


def describe_store(path, root="/"):
    """{path, jvm, generation, version} of any store, each None where its path does not tell:
    `adapter` inside a container, `loader` for a 2025.x runtime JDK and for the central store."""
    seen = node_path(path, root)
    info = {"path": path, "jvm": None, "generation": None, "version": None}
    runtime = None
    for pattern, generation in GENERATION_RES:
        match = pattern.match(seen)
        if match:
            groups = match.groupdict()
            runtime = groups.get("runtime")
            info["generation"] = generation or "%s.x" % groups["major"]
            info["version"] = runtime or groups.get("slc")
            break
    if container_root(seen):
        info["jvm"] = "adapter"
    elif runtime or seen == CENTRAL_STORE:
        info["jvm"] = "loader"
    return info


# where a store really is ------------------------------------------------------------------------------
def _inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_store(path, discover_root=None):
    """(file to read or write, container root or None): container symlinks resolve inside the container.

    A discovered store resolves inside discover_root (the node's `/`), every component down to the
    container and the container directory included: an absolute link means a path of the node, a
    link that climbs out of discover_root is refused (KeystoreError); the rest then resolves inside
    the container."""
    croot = container_root(os.path.abspath(path))
    if discover_root is None:
        if croot:
            return resolve_in_root(path, croot), croot
        return os.path.realpath(path), None
    try:
        real_root = os.path.realpath(discover_root)
        if not croot:
            return _inside_root(resolve_in_root(path, discover_root, strict=True), real_root), None
        real_croot = _inside_root(resolve_in_root(croot, discover_root, strict=True), real_root)
        return resolve_in_root(os.path.join(real_croot, os.path.relpath(path, croot)), real_croot), real_croot
    except KeystoreError as exc:
        raise KeystoreError("discovered truststore %s is refused: %s (discover_root %s)" % (path, exc, discover_root))


def _inside_root(resolved, real_root):
    real = os.path.realpath(resolved)  # discover_root's own symlinks (/tmp -> /private/tmp) are fine
    if not _inside(real, real_root):
        raise KeystoreError("it resolves to %s, outside" % real)
    return real
