# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read a Java truststore without writing anything anywhere (for the read-only modules).

Node-side code: Python standard library only, Python 3.6+.

JKS is read in Python (_keystore.read_jks). A PKCS12 store is read from the JKS copy that
rds_truststore keeps in its cache (read-only use, same safety checks), else listed by one
`keytool -list -rfc`: keytool prints each entry's alias, type and certificates as PEM and writes
no file, unlike the conversion rds_truststore needs to write a store. keytool runs through the
module's `run_command`; the password goes to keytool's standard input (keytool reads it from there
when it has no console), never to the command line or the environment.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import re

from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import (
    KEYTOOL_JVM_OPTIONS,
    TAG_KEPT_BY_KEYTOOL,
    TAG_PRIVATE_KEY,
    TAG_TRUSTED_CERT,
    ConversionCache,
    Entry,
    KeystoreError,
    detect_type,
    find_keytool,
    read_jks,
)

ALIAS_RE = re.compile(r"^Alias name: (.*)$", re.MULTILINE)
ENTRY_TYPE_RE = re.compile(r"^Entry type: (\S+)", re.MULTILINE)
COUNT_RE = re.compile(r"^Your keystore contains (\d+) entr", re.MULTILINE)
PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)
ENGLISH = ("-J-Duser.language=en", "-J-Duser.country=US")  # keytool's labels are localised


def read_truststore(path, store_type, password, run_command, keytool=None, cache_dir=None):
    """(type, entries, keytool runs) of the store at path; KeystoreError names the file and the fix."""
    detected = detect_type(path)
    if store_type not in (None, "auto") and store_type != detected:
        raise KeystoreError("%s is a %s file, but store_type=%s was given" % (path, detected.upper(), store_type))
    with open(path, "rb") as handle:
        data = handle.read()
    if detected == "jks":
        return detected, read_jks(data, password, path), 0
    cached = (
        ConversionCache(cache_dir, read_only=True).get(hashlib.sha256(data).hexdigest(), password)
        if cache_dir
        else None
    )
    if cached is not None:
        return detected, cached, 0
    return detected, keytool_list(run_command, find_keytool(keytool), path, detected, password), 1


def keytool_list(run_command, keytool, path, store_type, password):
    """Entries of a store as `keytool -list -rfc` shows them (one JVM, nothing written)."""
    argv = (
        [keytool]
        + list(KEYTOOL_JVM_OPTIONS)
        + list(ENGLISH)
        + ["-list", "-rfc", "-keystore", path, "-storetype", store_type.upper()]
    )
    # the newline is ours (binary_data=True): an empty password still gets its line on stdin
    code, output, errors = run_command(
        argv, data=password + "\n", binary_data=True, environ_update={"LC_ALL": "C"}, expand_user_and_vars=False
    )
    if code != 0:
        text = output + errors
        if "password was incorrect" in text or "mac check failed" in text.lower():
            raise KeystoreError("%s: wrong store_password (keytool: keystore password was incorrect)" % path)
        lines = [line for line in text.splitlines() if line.strip() and "Enter keystore password" not in line]
        raise KeystoreError("keytool could not list %s: %s" % (path, lines[-1] if lines else "no output"))
    return parse_listing(output, path)


def parse_listing(output, path):
    """Entries of a `keytool -list -rfc` listing; KeystoreError when it does not add up."""
    starts = list(ALIAS_RE.finditer(output))
    entries = []
    for index, match in enumerate(starts):
        block = output[match.end() : starts[index + 1].start() if index + 1 < len(starts) else len(output)]
        kind = ENTRY_TYPE_RE.search(block)
        kind = kind.group(1) if kind else "unknown"
        pems = PEM_RE.findall(block)
        if kind == "trustedCertEntry" and pems:
            entries.append(Entry(match.group(1), 0, TAG_TRUSTED_CERT, der=_der(pems[0], path)))
        elif kind == "PrivateKeyEntry":
            entries.append(Entry(match.group(1), 0, TAG_PRIVATE_KEY))
        else:
            entries.append(Entry(match.group(1), 0, TAG_KEPT_BY_KEYTOOL, reason=kind))
    count = COUNT_RE.search(output)
    if count is None or int(count.group(1)) != len(entries):
        raise KeystoreError(
            "could not read keytool's listing of %s (%d entries found, keytool said %s)"
            % (path, len(entries), count.group(1) if count else "nothing")
        )
    return entries


def _der(pem_body, path):
    try:
        return base64.b64decode("".join(pem_body.split()).encode("ascii"))
    except (binascii.Error, ValueError) as exc:
        raise KeystoreError("keytool printed an unreadable certificate for %s: %s" % (path, exc))
