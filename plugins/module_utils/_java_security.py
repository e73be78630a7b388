# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which certificates a JDK's `jdk.certpath.disabledAlgorithms` would reject (stdlib, Python 3.6+).

Only the rules that apply to a trust anchor are evaluated: key-size rules (`RSA keySize < 1024`)
for every certificate, and plain algorithm names (`MD5`) for the signature of certificates that
are not self-signed (a JDK does not check the signature of a trust anchor). Rules limited by
`jdkCA`, `usage` or `denyAfter` are left out: they depend on how the certificate is used.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import operator
import os
import re

PROPERTY = "jdk.certpath.disabledAlgorithms"
SYSTEM_FILES = (
    "/etc/java-*/security/java.security",
    "/usr/lib/jvm/*/conf/security/java.security",
    "/usr/lib/jvm/*/jre/lib/security/java.security",
    "/usr/lib/jvm/*/lib/security/java.security",
)
CRYPTO_POLICY = "/etc/crypto-policies/back-ends/java.config"
SEPARATOR_RE = re.compile(r"\s*[=:]\s*|\s+")
KEY_SIZE_RE = re.compile(r"^(\S+)\s+keySize\s*(<=|>=|<|>|==|!=)\s*(\d+)$")
OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def read_properties(path):
    """A java.util.Properties file as a dict (continuation lines joined, comments dropped)."""
    props, pending = {}, ""
    with open(path, "r") as handle:
        for raw in handle:
            line = raw.strip()
            if not pending and (not line or line[0] in "#!"):
                continue
            if line.endswith("\\") and not line.endswith("\\\\"):
                pending += line[:-1] + " "
                continue
            line, pending = pending + line, ""
            match = SEPARATOR_RE.search(line)
            if match:
                props[line[: match.start()]] = line[match.end() :]
            else:
                props[line] = ""
    return props


def disabled_rules(path):
    """The disabledAlgorithms rules of one java.security file (crypto-policies override honoured)."""
    props = read_properties(path)
    value = props.get(PROPERTY, "")
    if props.get("security.useSystemPropertiesFile", "").lower() == "true" and os.path.exists(CRYPTO_POLICY):
        value = read_properties(CRYPTO_POLICY).get(PROPERTY, value)
    return [rule.strip() for rule in value.split(",") if rule.strip()]


def candidate_files(store_path, container_root=None, resolve=None):
    """java.security files that govern a store: the JDK around it first, then the system's."""
    found, directory = [], os.path.dirname(store_path)
    for dummy in range(4):
        for relative in (
            "conf/security/java.security",
            "lib/security/java.security",
            "jre/lib/security/java.security",
            "security/java.security",
        ):
            candidate = os.path.join(directory, relative)
            if resolve is not None and container_root:
                candidate = resolve(candidate, container_root)
            if os.path.isfile(candidate) and candidate not in found:
                found.append(candidate)
        if found:
            return found[:1]
        directory = os.path.dirname(directory)
    if container_root:
        return []
    for pattern in SYSTEM_FILES:
        for candidate in sorted(glob.glob(pattern)):
            if os.path.isfile(candidate) and os.path.realpath(candidate) not in [os.path.realpath(f) for f in found]:
                found.append(candidate)
    return found


def rejected_by(certificate, rules):
    """The rule that rejects `certificate` (an _x509.Certificate), or None."""
    self_signed = certificate.subject == certificate.issuer
    for rule in rules:
        for clause in rule.split("&"):
            clause = clause.strip()
            match = KEY_SIZE_RE.match(clause)
            if match:
                name, op, size = match.group(1), match.group(2), int(match.group(3))
                if name.upper() == certificate.key_type.upper() and OPERATORS[op](certificate.key_size, size):
                    return rule
                break
            if " " in clause or self_signed:
                break  # constrained (jdkCA, usage, denyAfter) or a trust anchor's own signature
            if _signature_uses(certificate.signature_algorithm, clause):
                return rule
    return None


def _signature_uses(signature_algorithm, name):
    upper, name = signature_algorithm.upper(), name.upper()
    return upper == name or upper.startswith(name + "WITH") or upper.endswith("WITH" + name)
