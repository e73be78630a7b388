# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The discover options of rds_truststore and rds_truststore_info, declared once. The matching
# argument spec is argument_spec() in plugins/module_utils/_discovery.py; the default patterns
# below must stay equal to its DEFAULT_PATTERNS (sanity's validate-modules compares them).

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  discover:
    description:
      - Also handle every truststore that matches O(discover_patterns) below O(discover_root), after
        those of O(truststores) (a file listed and discovered is handled once).
      - Every path found is resolved inside O(discover_root), as the node's C(/), the components down
        to a script-language container, the container directory included (an absolute link is a path
        of the node; a link that climbs out of O(discover_root) is refused). Inside a container (the
        C(ScriptLanguages-*) directory, or on Exasol 2025.x the directory right below
        C(/opt/exasol/slc-<version>)) links resolve inside the container, never on the host.
      - Exasol 6.x/7.x - the script-language containers below
        C(/usr/opt/EXASuite-*/EXAClusterOS-*/var/clients/packages), and those uploaded to BucketFS.
        The loader (ExaLoader) reads the central store C(/etc/pki/ca-trust/extracted/java/cacerts),
        which is not discovered; list it in O(truststores).
      - Exasol 2025.x (public layout as far as known; the directory names are globbed, not assumed) -
        the loader JVM's store C(/opt/exasol/runtime-<v>-jdk/lib/security/cacerts) of every installed
        runtime (C(runtime-<v>) without C(-jdk) on older 8.x images, GitHub exasol/docker-db
        Dockerfiles; an update adds a new runtime and may keep the old; the module does not read
        which one the database runs, so all are found), and the SLC stores below
        C(/opt/exasol/slc-<v>/<container>/usr/lib/jvm). Source, the ETL loader spawns
        C(/opt/exasol/runtime-<v>-jdk/bin/java) (GitHub exasol/exasol-personal issue 273); that it
        uses that JDK's default truststore is an inference.
    type: bool
    default: false
  discover_patterns:
    description:
      - Glob patterns of the truststores to discover, used with O(discover); absolute, as on the
        node, and taken relative to O(discover_root).
    type: list
    elements: str
    default:
      - /usr/opt/EXASuite-*/EXAClusterOS-*/var/clients/packages/ScriptLanguages-*/usr/lib/jvm/*/jre/lib/security/cacerts
      - /usr/opt/EXASuite-*/EXAClusterOS-*/var/clients/packages/ScriptLanguages-*/usr/lib/jvm/*/lib/security/cacerts
      - /exa/data/bucketfs/*/.dest/*/EXAClusterOS/ScriptLanguages-*/usr/lib/jvm/*/lib/security/cacerts
      - /opt/exasol/runtime-*/lib/security/cacerts
      - /opt/exasol/slc-*/*/usr/lib/jvm/*/lib/security/cacerts
  discover_root:
    description:
      - Directory the O(discover_patterns) are relative to, the node's C(/) (another directory holds
        a copy of a node's tree, for example in tests).
    type: path
    default: /
  discover_required:
    description:
      - Fail when O(discover) finds no truststore.
    type: bool
    default: true
"""
