# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The Exasol SQL connection options, declared once. The matching argument spec is
# exasol_argument_spec() in plugins/module_utils/_exasol.py. The option names are those of
# Exasol's own collection (exasol.exasol): login_*, validate_certs, ca_cert, certificate_fingerprint.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  login_host:
    description:
      - Exasol host name or IP address the WebSocket API (pyexasol) connects to.
      - A pyexasol host list works too, for example C(10.0.0.11..13) or C(node1,node2); pyexasol
        picks one of them and tries the others when it fails.
      - Without a port; the port is O(login_port).
    type: str
    required: true
  login_port:
    description: Port of the Exasol database (WebSocket API and JDBC/ODBC share it).
    type: int
    default: 8563
  login_user:
    description: Exasol user; it needs the system privileges for the objects the module manages.
    type: str
    required: true
  login_password:
    description: Password of O(login_user).
    type: str
    required: true
  validate_certs:
    description:
      - Verify the TLS certificate of Exasol against O(ca_cert) (or the system trust store) and its
        host name.
      - With O(certificate_fingerprint) set, V(false) makes the fingerprint the only trust anchor
        (for the self-signed certificate of a fresh Exasol); V(true) checks both.
      - V(false) without a fingerprint encrypts without verifying the server; only for a private test system.
    type: bool
    default: true
  ca_cert:
    description:
      - PEM file with the CA certificate(s) that sign the Exasol server certificate.
      - Without it, the system trust store is used. Only used when O(validate_certs=true).
    type: path
  certificate_fingerprint:
    description:
      - Expected SHA-256 fingerprint of the Exasol server certificate (64 hexadecimal digits,
        colons allowed), as Exasol shows it in its connection error or EXAoperation.
      - A certificate with another fingerprint is refused before the password is sent.
    type: str
  connect_timeout:
    description: Seconds to wait for the TCP and TLS connection to Exasol.
    type: int
    default: 10
  query_timeout:
    description:
      - Seconds to wait for one statement. Creating or refreshing a virtual schema starts the
        adapter's JVM and reads the remote metadata, which can take minutes on a busy cluster.
    type: int
    default: 300
requirements:
  - pyexasol >= 0.25 (Python library on the host that runs the module, usually the controller)
notes:
  - The module talks to Exasol over its WebSocket API with pyexasol, always encrypted (TLS).
  - All statements of one task run in one transaction; when one fails, the module rolls back, so
    nothing is left half-created.
  - Object names that are regular identifiers (letters, digits, underscores; starting with a
    letter) are folded to upper case as Exasol does with unquoted names. Any other name is used
    verbatim (case-sensitive) and quoted, so quotes, dots and semicolons in names are safe.
"""
