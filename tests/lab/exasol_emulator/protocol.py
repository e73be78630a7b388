"""Exasol WebSocket API, protocol versions 1-3 (github.com/exasol/websocket-api, docs/).

One `ProtocolSession` per WebSocket connection. `handle(request_dict)` returns the response
dict (or None for commands that have no response, like abortQuery). Login follows
commands/loginV1.md / loginV3.md: the server answers `login` with a 1024-bit RSA public key
(PEM, modulus, exponent), the client sends username + password encrypted with PKCS#1 v1.5,
base64. Results follow commands/executeV1.md: < 1000 rows inline (column-major `data`),
>= 1000 rows behind a `resultSetHandle` read with `fetch` and released with `closeResultSet`.
"""

import base64
import json
import logging
import re
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from . import metadata
from .catalog import Session, result_set
from .sql import SessionKilled, SqlError

LOG = logging.getLogger("exasol-emulator")
AUTH_FAILED = "Connection exception - authentication failed."
INLINE_LIMIT = 1000
MAX_FETCH_BYTES = 64 * 1024 * 1024


def error(code, text):
    return {"status": "error", "exception": {"text": text, "sqlCode": code}}


def max_protocol(version):
    """Highest WebSocket protocol version an Exasol release speaks (V1 6.0+, V2 7.0+, V3 7.1+).

    V4/V5 need 8.32+; the emulator stops at 3 (see README_exasol.md)."""
    if version >= (7, 1):
        return 3
    if version >= (7, 0):
        return 2
    return 1


def downgrades(version):
    """Since 6.1.9 / 6.2.5 a too-high requested version is accepted and downgraded
    (WebsocketAPIV1.md, Changes, EXASOL-2614); older releases refuse it."""
    return version >= (6, 2, 5) or ((6, 1, 9) <= version < (6, 2, 0))


class ProtocolSession:
    def __init__(self, server):
        self.server = server  # has: database, user, password, release, version, counters
        self.state = "new"
        self.private_key = None
        self.protocol = None
        self.session = None
        self.compression = False
        self.attributes = {}
        self.result_sets = {}
        self.next_handle = 1
        self.closed = False
        self.killed = False  # by KILL SESSION: the server drops whatever this socket sends next
        self.websocket = None  # set by the server; KILL SESSION closes it

    # dispatch ---------------------------------------------------------------------------
    def handle(self, request):
        command = request.get("command")
        if self.state == "new":
            if command == "login":
                return self.login_start(request)
            if command == "loginToken":
                return error(
                    "08004",
                    "Connection exception - OpenID token login is not available on this database (lab emulator).",
                )
            return error("08004", "Connection exception - login required, got command %r." % command)
        if self.state == "credentials":
            return self.login_finish(request)
        if command == "abortQuery":
            return None  # commands/abortQueryV1.md: no response
        if "attributes" in request and command != "setAttributes":
            failure = self.apply_attributes(request["attributes"])
            if failure:
                return failure
        handler = {
            "execute": self.execute,
            "fetch": self.fetch,
            "closeResultSet": self.close_result_set,
            "getAttributes": self.get_attributes,
            "setAttributes": self.set_attributes,
            "disconnect": self.disconnect,
            "getHosts": self.get_hosts,
            "getSchemas": self.metadata,
            "getTables": self.metadata,
        }.get(command)
        if handler is None:
            return error(
                "0A000",
                "feature not supported by the lab Exasol emulator: WebSocket "
                "command %r (see tests/lab/README_exasol.md)" % command,
            )
        return handler(request)

    # login ------------------------------------------------------------------------------
    def login_start(self, request):
        requested = request.get("protocolVersion")
        if not isinstance(requested, int) or requested < 1:
            return error("08004", "Connection exception - invalid protocol version %r." % requested)
        highest = max_protocol(self.server.version)
        if requested > highest and not downgrades(self.server.version):
            return error(
                "08004",
                "Connection exception - unsupported WebSocket protocol "
                "version %d (this release supports up to %d)." % (requested, highest),
            )
        self.protocol = min(requested, highest)
        self.private_key = (
            rsa.generate_private_key(public_exponent=65537, key_size=1024)
            if self.server.rsa_key is None
            else self.server.rsa_key
        )
        public = self.private_key.public_key()
        numbers = public.public_numbers()
        self.state = "credentials"
        return {
            "status": "ok",
            "responseData": {
                "publicKeyPem": public.public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                ).decode(),
                "publicKeyModulus": "%X" % numbers.n,
                "publicKeyExponent": "%X" % numbers.e,
            },
        }

    def login_finish(self, request):
        user = request.get("username")
        try:
            password = self.private_key.decrypt(
                base64.b64decode(request.get("password") or ""), padding.PKCS1v15()
            ).decode("utf-8")
        except (ValueError, TypeError):
            password = None
        ok = (
            isinstance(user, str)
            and user.upper() == self.server.user.upper()
            and password is not None
            and secrets.compare_digest(password, self.server.password)
        )
        if not ok:
            self.closed = True
            self.server.count("auth_failed")
            return error("08004", AUTH_FAILED)
        self.compression = bool(request.get("useCompression"))
        session_id = self.server.new_session_id()
        autocommit = self.server.version >= (7, 1)  # default changed in 7.1 (EXASOL-2908)
        self.session = Session(session_id, user.upper(), autocommit)
        self.attributes = {
            "autocommit": autocommit,
            "compressionEnabled": self.compression,
            "currentSchema": "",
            "dateFormat": "YYYY-MM-DD",
            "dateLanguage": "ENG",
            "datetimeFormat": "YYYY-MM-DD HH24:MI:SS.FF6",
            "defaultLikeEscapeCharacter": "\\",
            "feedbackInterval": 1,
            "numericCharacters": ".,",
            "openTransaction": False,
            "queryTimeout": 0,
            "snapshotTransactionsEnabled": False,
            "timestampUtcEnabled": False,
            "timezone": "UNIVERSAL",
            "timeZoneBehavior": "INVALID SHIFT AMBIGUOUS ST",
        }
        if self.protocol >= 2:
            self.attributes["resultSetMaxRows"] = 0
        failure = self.apply_attributes(request.get("attributes") or {})
        if failure:
            self.closed = True
            return failure
        self.state = "ready"
        self.server.count("logins")
        register = getattr(self.server, "register_session", None)
        if register is not None:  # KILL SESSION finds sessions there
            register(self)
        return {
            "status": "ok",
            "responseData": {
                "sessionId": session_id,
                "protocolVersion": self.protocol,
                "releaseVersion": self.server.release,
                "databaseName": "EXA_DB",
                "productName": "EXASolution",
                "maxDataMessageSize": MAX_FETCH_BYTES,
                "maxIdentifierLength": 128,
                "maxVarcharLength": 2000000,
                "identifierQuoteString": '"',
                "timeZone": "UNIVERSAL",
                "timeZoneBehavior": "INVALID SHIFT AMBIGUOUS ST",
            },
        }

    # attributes -------------------------------------------------------------------------
    WRITABLE = {
        "autocommit": bool,
        "currentSchema": str,
        "feedbackInterval": int,
        "numericCharacters": str,
        "queryTimeout": int,
        "resultSetMaxRows": int,
        "snapshotTransactionsEnabled": bool,
        "timestampUtcEnabled": bool,
    }

    def apply_attributes(self, attributes):
        if not isinstance(attributes, dict):
            return error("00000", "attributes must be an object")
        for name, value in attributes.items():
            kind = self.WRITABLE.get(name)
            if kind is None or (name == "resultSetMaxRows" and self.protocol < 2):
                if name in self.attributes:
                    return error("00000", "attribute %s is read-only" % name)
                return error("00000", "unknown attribute %s" % name)
            if kind is int and isinstance(value, bool) or not isinstance(value, kind):
                return error("00000", "invalid value for attribute %s" % name)
            if name == "currentSchema":
                if value:
                    schema = value if value.startswith('"') else value.upper()
                    schema = schema.strip('"')
                    with self.server.database.lock:
                        if schema not in self.server.database.state["schemas"]:
                            return error("42000", "schema %s not found" % schema)
                    self.session.current_schema = schema
                    value = schema
                else:
                    self.session.current_schema = None
            if name == "autocommit":
                if value and self.session.transaction is not None:
                    try:  # switching autocommit on commits the open transaction (as JDBC does)
                        self.server.database.commit(self.session)
                    except SqlError as exc:
                        return error(exc.code, exc.text)
                self.session.autocommit = value
            self.attributes[name] = value
        return None

    def get_attributes(self, request):
        self.attributes["currentSchema"] = self.session.current_schema or ""
        return {"status": "ok", "attributes": dict(self.attributes)}

    def set_attributes(self, request):
        failure = self.apply_attributes(request.get("attributes") or {})
        if failure:
            return failure
        return {"status": "ok", "attributes": dict(request.get("attributes") or {})}

    # statements -------------------------------------------------------------------------
    def execute(self, request):
        text = request.get("sqlText")
        if not isinstance(text, str):
            return error("00000", "execute: sqlText missing")
        before = self.session.current_schema
        try:
            result, changed = self.server.database.execute(self.session, text)
        except SessionKilled as exc:  # KILL SESSION CURRENT_SESSION: an error, then logged out
            self.kill()
            return error(exc.code, exc.text)
        except SqlError as exc:
            self.server.count("sql_errors")
            return error(exc.code, exc.text)
        except Exception as exc:  # an emulator bug must not look like success or kill the session
            LOG.exception(
                "internal error executing %r",  # literals may hold passwords
                re.sub(r"'(?:[^']|'')*'", "'***'", text)[:200],
            )
            self.server.count("internal_errors")
            return error("00000", "internal error of the lab Exasol emulator: %s: %s" % (type(exc).__name__, exc))
        self.server.count("statements")
        if self.session.current_schema != before:
            changed = dict(changed, currentSchema=self.session.current_schema or "")
        for name, value in changed.items():
            self.attributes[name] = value
        response = {"status": "ok", "responseData": {"numResults": 1, "results": [self.shape(result)]}}
        if changed:
            response["attributes"] = changed
        return response

    def shape(self, result, statement=True):
        """Response form of a result; resultSetMaxRows applies to statements only (V2.md)."""
        if result["resultType"] == "rowCount":
            return result
        rows = result["rows"]
        max_rows = self.attributes.get("resultSetMaxRows") or 0 if statement else 0
        if max_rows:
            rows = rows[:max_rows]
        columns = result["columns"]
        body = {"numColumns": len(columns), "numRows": len(rows), "columns": columns}
        if len(rows) < INLINE_LIMIT:
            body["numRowsInMessage"] = len(rows)
            body["data"] = column_major(rows, len(columns))
        else:
            handle = self.next_handle
            self.next_handle += 1
            self.result_sets[handle] = (columns, rows)
            body["resultSetHandle"] = handle
            body["numRowsInMessage"] = 0
        return {"resultType": "resultSet", "resultSet": body}

    def fetch(self, request):
        handle = request.get("resultSetHandle")
        if handle not in self.result_sets:
            return error("00000", "result set handle %r is unknown or closed" % handle)
        columns, rows = self.result_sets[handle]
        start = request.get("startPosition", 0)
        budget = min(int(request.get("numBytes") or MAX_FETCH_BYTES), MAX_FETCH_BYTES)
        if not isinstance(start, int) or start < 0:
            return error("00000", "invalid startPosition %r" % start)
        chunk, used = [], 0
        for row in rows[start:]:
            size = len(json.dumps(row))
            if chunk and used + size > budget:
                break
            chunk.append(row)
            used += size
        return {"status": "ok", "responseData": {"numRows": len(chunk), "data": column_major(chunk, len(columns))}}

    def close_result_set(self, request):
        handles = request.get("resultSetHandles")
        if not isinstance(handles, list):
            return error("00000", "closeResultSet: resultSetHandles missing")
        for handle in handles:
            if handle not in self.result_sets:
                return error("00000", "result set handle %r is unknown or closed" % handle)
        for handle in handles:
            del self.result_sets[handle]
        return {"status": "ok"}

    def metadata(self, request):
        """getSchemas / getTables (see metadata.py); unknown before protocol V2."""
        if self.protocol < 2:
            return error(
                "0A000",
                "WebSocket command %r needs protocol version 2 or higher; "
                "this session speaks version %d" % (request["command"], self.protocol),
            )
        database = self.server.database
        with database.lock:  # the catalog as this session sees it, own open transaction included
            catalog = self.session.transaction[1] if self.session.transaction else database.committed
            try:
                if request["command"] == "getSchemas":
                    columns, rows = metadata.get_schemas(catalog, request)
                else:
                    names = sorted(n[4:].upper() for n in dir(database) if n.startswith("sys_"))
                    columns, rows = metadata.get_tables(catalog, names, request)
            except SqlError as exc:
                return error(exc.code, exc.text)
        return {
            "status": "ok",
            "responseData": {"numResults": 1, "results": [self.shape(result_set(columns, rows), statement=False)]},
        }

    def kill(self):
        """Ended by KILL SESSION: open transaction rolled back, result sets gone."""
        self.killed = self.closed = True
        self.server.database.rollback(self.session)
        self.result_sets.clear()

    def get_hosts(self, request):
        return {"status": "ok", "responseData": {"numNodes": 1, "nodes": [self.server.host]}}

    def disconnect(self, request):
        self.closed = True
        self.server.database.rollback(self.session)  # an open transaction ends with the session
        self.result_sets.clear()
        self.server.count("disconnects")
        return {"status": "ok"}


def column_major(rows, width):
    return [[row[i] for row in rows] for i in range(width)]
