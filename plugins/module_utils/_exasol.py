# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Exasol over pyexasol: connection options, quoting, reads and transactional changes.

Private to virtualis.aurora. The documentation of the options is the doc fragment
virtualis.aurora.exasol; exasol_argument_spec() is its argument spec. Identifier and literal
rules follow the Exasol SQL reference ("SQL identifier", "Literals"): a delimited identifier is
written in double quotes with "" for one double quote, a string literal in single quotes with ''
for one single quote.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import decimal
import re
import ssl
import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    import pyexasol

    HAS_PYEXASOL = True
    PYEXASOL_IMPORT_ERROR = None
except ImportError:
    HAS_PYEXASOL = False
    PYEXASOL_IMPORT_ERROR = traceback.format_exc()

MAX_IDENTIFIER_LENGTH = 128
REDACTED = "********"
_REGULAR_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FINGERPRINT = re.compile(r"^[0-9A-F]{64}$")
_TRUST_MARKERS = ("PKIX", "SSLHandshake", "unable to find valid certification path")
TRUST_HINT = (
    "The adapter's JVM does not trust the PostgreSQL server certificate: the RDS CA is not "
    "in the node truststores. Run the virtualis.aurora.exasol_truststore role (root SSH "
    "to the data nodes), or use the BucketFS truststore mode of the "
    "virtualis.aurora.exasol_virtual_schema role (exasol_virtual_schema_trust_mode: bucketfs)."
)

LOADER_TRUST_HINT = (
    "Exasol's loader (ExaLoader, the IMPORT FROM JDBC behind every SELECT on a virtual "
    "table) does not trust the PostgreSQL server certificate on every data node: it reads "
    "each node's own Java truststore, never the adapter's %jvmoption or BucketFS store. Run "
    "the virtualis.aurora.exasol_truststore role (root SSH to the data nodes)."
)

DRIVER_HINT = (
    "Exasol's loader has no PostgreSQL JDBC driver registered for the connection's URL: run "
    "the virtualis.aurora.exasol_jdbc_driver role (BucketFS drivers/jdbc on Exasol 7.1+, "
    "EXAoperation on 6.x/7.0)."
)


class ExasolInputError(ValueError):
    """Bad module input, found before any SQL runs."""


def exasol_argument_spec():
    """The connection options of the doc fragment virtualis.aurora.exasol."""
    return dict(
        login_host=dict(type="str", required=True),
        login_port=dict(type="int", default=8563),
        login_user=dict(type="str", required=True),
        login_password=dict(type="str", required=True, no_log=True),
        validate_certs=dict(type="bool", default=True),
        ca_cert=dict(type="path"),
        certificate_fingerprint=dict(type="str", no_log=False),
        connect_timeout=dict(type="int", default=10),
        query_timeout=dict(type="int", default=300),
    )


# names and literals ---------------------------------------------------------------------------
def object_name(name, what="object"):
    """The name as Exasol stores it: regular identifiers upper case, anything else verbatim."""
    if not isinstance(name, str) or name == "":
        raise ExasolInputError("the %s name must not be empty" % what)
    if len(name) > MAX_IDENTIFIER_LENGTH:
        raise ExasolInputError("the %s name %r is longer than %d characters" % (what, name, MAX_IDENTIFIER_LENGTH))
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise ExasolInputError("the %s name %r contains a control character" % (what, name))
    return name.upper() if _REGULAR_IDENTIFIER.match(name) else name


def quote_ident(name):
    """A delimited identifier for a name already in stored form (see object_name())."""
    return '"%s"' % name.replace('"', '""')


def quote_literal(value):
    """A string literal; NUL cannot be stored, so it is refused."""
    value = str(value)
    if "\x00" in value:
        raise ExasolInputError("a string value contains a NUL character")
    return "'%s'" % value.replace("'", "''")


def redact(text, secrets):
    """Text with every secret (raw and as it appears inside a literal) replaced by ********."""
    text = str(text)
    for secret in secrets:
        if secret:
            for form in sorted({secret, secret.replace("'", "''")}, key=len, reverse=True):
                text = text.replace(form, REDACTED)
    return text


def trust_failure(text):
    """True when an error shows the JVM could not verify a TLS certificate."""
    return any(marker in str(text) for marker in _TRUST_MARKERS)


def with_trust_hint(text):
    """The error text plus what to do, for the failures a user of this collection meets."""
    if trust_failure(text) and "ETL-5402" in str(text):
        return "%s\n%s" % (text, LOADER_TRUST_HINT)
    if trust_failure(text):
        return "%s\n%s" % (text, TRUST_HINT)
    if "No suitable driver found" in str(text):
        return "%s\n%s" % (text, DRIVER_HINT)
    return text


def normalize_fingerprint(value):
    """64 upper-case hex digits (colons and spaces removed), or ExasolInputError."""
    cleaned = re.sub(r"[\s:]", "", value or "").upper()
    if not _FINGERPRINT.match(cleaned):
        raise ExasolInputError(
            "certificate_fingerprint must be the 64 hexadecimal digits of a SHA-256 fingerprint, got %r" % value
        )
    return cleaned


def parse_version(text):
    """'7.1.26' -> (7, 1, 26); non-numeric parts end the tuple."""
    parts = []
    for part in str(text).strip().split("."):
        digits = re.match(r"\d+", part)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def json_safe(value):
    """A pyexasol value as Ansible can return it."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    return value


# connection -------------------------------------------------------------------------------------
def build_dsn(params):
    """pyexasol DSN: every host of login_host with the fingerprint (if any) and the port."""
    fingerprint = params.get("certificate_fingerprint")
    if fingerprint:
        fingerprint = normalize_fingerprint(fingerprint)
    parts = []
    for host in params["login_host"].split(","):
        host = host.strip()
        if not host or re.search(r"[\s/:@]", host):
            raise ExasolInputError(
                "login_host must be host names or addresses (a pyexasol host "
                "list like 10.0.0.11..13 is fine), without port, fingerprint "
                "or credentials: %r" % params["login_host"]
            )
        parts.append("%s%s:%d" % (host, "/" + fingerprint if fingerprint else "", params["login_port"]))
    return ",".join(parts)


def ssl_options(params):
    """websocket-client sslopt: CA + host name check unless validate_certs is off."""
    if not params["validate_certs"]:
        return {"cert_reqs": ssl.CERT_NONE}
    options = {"cert_reqs": ssl.CERT_REQUIRED}
    if params.get("ca_cert"):
        options["ca_certs"] = params["ca_cert"]
    return options


def connect_kwargs(params):
    return dict(
        dsn=build_dsn(params),
        user=params["login_user"],
        password=params["login_password"],
        autocommit=False,
        encryption=True,
        fetch_dict=True,
        websocket_sslopt=ssl_options(params),
        connection_timeout=params["connect_timeout"],
        socket_timeout=params["query_timeout"],
        client_name="virtualis.aurora",
    )


def connect(module):
    """One pyexasol connection (autocommit off) or fail_json with what to fix."""
    if not HAS_PYEXASOL:
        module.fail_json(msg=missing_required_lib("pyexasol"), exception=PYEXASOL_IMPORT_ERROR)
    params = module.params
    try:
        kwargs = connect_kwargs(params)
    except ExasolInputError as exc:
        module.fail_json(msg=str(exc))
    if not params["validate_certs"] and not params.get("certificate_fingerprint"):
        module.warn(
            "validate_certs=false without certificate_fingerprint: the Exasol server is "
            "not verified; use this on a private test system only"
        )
    where = "%s:%d" % (params["login_host"], params["login_port"])
    try:
        return connect_any_protocol(kwargs)
    except pyexasol.ExaAuthError as exc:
        module.fail_json(
            msg="Exasol at %s refused the login of user %s (wrong login_user or "
            "login_password?): %s" % (where, params["login_user"], error_text(exc))
        )
    except pyexasol.ExaError as exc:
        module.fail_json(msg=connect_error_message(where, error_text(exc)))
    except Exception as exc:  # websocket/ssl errors not wrapped by old pyexasol releases
        module.fail_json(msg=connect_error_message(where, str(exc)), exception=traceback.format_exc())


def connect_any_protocol(kwargs):
    """pyexasol.connect, stepping the WebSocket protocol down for releases that refuse a newer one.

    Exasol before 6.1.9 / 6.2.5 refuses a protocol version it does not know instead of
    downgrading it (WebSocket API, EXASOL-2614); pyexasol 1.x+ asks for version 3.
    """
    for version in (3, 2, 1):
        try:
            return pyexasol.connect(protocol_version=version, **kwargs)
        except pyexasol.ExaError as exc:
            if version == 1 or "protocol version" not in error_text(exc).lower():
                raise


def connect_error_message(where, text):
    if "did not match server fingerprint" in text:
        return (
            "The TLS certificate of Exasol at %s does not have the expected "
            "certificate_fingerprint (wrong fingerprint, or another server): %s" % (where, text)
        )
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return (
            "Could not verify the TLS certificate of Exasol at %s: set ca_cert to the CA that "
            "signed it, or certificate_fingerprint to its SHA-256 fingerprint: %s" % (where, text)
        )
    return "Could not connect to Exasol at %s: %s" % (where, text)


def error_text(exc):
    """The server's message without the statement pyexasol appends (it may hold a secret)."""
    message = getattr(exc, "message", None) or str(exc)
    code = getattr(exc, "code", None)
    return "[%s] %s" % (code, message) if code else str(message)


class Session:
    """Reads and one transaction of changes on a pyexasol connection, for one module run."""

    def __init__(self, module, connection=None, secrets=()):
        self.module = module
        self.connection = connection if connection is not None else connect(module)
        self.secrets = [s for s in secrets if s]
        self.executed = []

    def fail(self, msg, **kwargs):
        self.close()
        self.module.fail_json(msg=redact(msg, self.secrets), **kwargs)

    def query(self, sql, what):
        """Rows as dicts; fail_json names `what` could not be read."""
        try:
            return [{k: json_safe(v) for k, v in row.items()} for row in self.connection.execute(sql).fetchall()]
        except pyexasol.ExaError as exc:
            text = error_text(exc)
            if "insufficient privileges" in text.lower():
                text += " (login_user needs SELECT ANY DICTIONARY or the DBA role to read %s)" % what
            self.fail("Could not read %s: %s" % (what, with_trust_hint(text)))

    def version_text(self):
        """databaseProductVersion from EXA_METADATA as Exasol writes it ('' when missing)."""
        rows = self.query(
            "SELECT PARAM_VALUE FROM EXA_METADATA WHERE PARAM_NAME = 'databaseProductVersion'",
            "the Exasol version (EXA_METADATA)",
        )
        return str(rows[0]["PARAM_VALUE"]) if rows else ""

    def version(self):
        return parse_version(self.version_text())

    def apply(self, statements):
        """Run (sql, display) pairs in one transaction; roll back and fail on the first error."""
        for sql, display in statements:
            try:
                self.connection.execute(sql)
            except pyexasol.ExaError as exc:
                self.rollback_and_fail(display, error_text(exc))
            self.executed.append(display)
        try:
            self.connection.commit()
        except pyexasol.ExaError as exc:
            self.rollback_and_fail("COMMIT", error_text(exc))

    def rollback_and_fail(self, display, text):
        rolled_back = ""
        try:
            self.connection.rollback()
        except pyexasol.ExaError as exc:
            rolled_back = " ROLLBACK failed too, earlier statements may be applied: %s" % error_text(exc)
        self.fail(
            "Exasol refused %s: %s%s" % (display, with_trust_hint(text), rolled_back),
            queries=[redact(q, self.secrets) for q in self.executed],
        )

    def close(self):
        try:
            self.connection.close()
        except Exception:  # closing is best effort; the module result does not depend on it
            pass
