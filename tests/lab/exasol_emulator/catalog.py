"""The emulated database: catalog objects, system tables, statement execution.

The catalog lives in memory and is written to a JSON file after every change (atomic replace),
so a restart of the emulator keeps its objects. System table columns follow the Exasol
documentation of each table (docs.exasol.com, "System Tables"); EXA_ALL_VIRTUAL_SCHEMAS has a
combined ADAPTER_SCRIPT column up to 7.x and ADAPTER_SCRIPT_SCHEMA/ADAPTER_SCRIPT_NAME from 8 on
(exasol/extension-manager reads it that way).
"""

import copy
import datetime
import json
import os
import threading

from . import sql as sqlmod
from .adapter import Adapter, type_text
from .sql import SqlError, quote_ident
from .versions import version_tuple

OWNER = "SYS"


def varchar(n):
    return {"type": "VARCHAR", "size": n, "characterSet": "UTF8"}


DEC = {"type": "DECIMAL", "precision": 18, "scale": 0}
BOOL = {"type": "BOOLEAN"}
TS = {"type": "TIMESTAMP", "size": 8, "withLocalTimeZone": False}
NAME = varchar(128)
TEXT = varchar(2000000)


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


class Session:
    """What a statement needs to know about its WebSocket session."""

    def __init__(self, session_id, user, autocommit):
        self.session_id = session_id
        self.user = user
        self.current_schema = None
        self.autocommit = autocommit
        self.transaction = None  # (snapshot at start, working copy) while autocommit is off


READS = ("select", "open_schema", "close_schema", "commit", "rollback", "kill_session")
COLLECTIONS = ("schemas", "connections")


class TransactionConflict(SqlError):
    def __init__(self, session_id):
        super().__init__(
            "40001",
            "GlobalTransactionRollback due to transaction conflict - "
            "another session changed the same object (Session: %d)" % session_id,
        )


class Database:
    """Committed catalog + per-session transactions (DDL is transactional in Exasol).

    With autocommit off, a session's first change works on a private copy; COMMIT merges the
    objects it changed into the committed catalog (conflict 40001 if another session committed
    a change of the same object meanwhile), ROLLBACK or a disconnect drops the copy.
    """

    def __init__(self, state_file, release, adapter_config):
        self.state_file = state_file
        self.release = release
        self.version = version_tuple(release)
        self.adapter = Adapter(adapter_config)
        self.lock = threading.RLock()
        self.local = threading.local()
        self.committed = {"schemas": {}, "connections": {}, "next_id": 1000}
        if os.path.exists(state_file):
            with open(state_file) as handle:
                self.committed = json.load(handle)

    @property
    def state(self):
        """The catalog as the statement running in this thread sees it."""
        view = getattr(self.local, "view", None)
        return view if view is not None else self.committed

    # persistence ------------------------------------------------------------------------
    def save(self):
        tmp = self.state_file + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(self.committed, handle, indent=1, sort_keys=True)
        os.replace(tmp, self.state_file)

    def new_id(self):
        with self.lock:  # ids stay unique across transactions
            self.committed["next_id"] += 1
            self.state["next_id"] = self.committed["next_id"]
            return self.committed["next_id"]

    # name resolution --------------------------------------------------------------------
    def schema_of(self, session, schema):
        if schema is not None:
            return schema
        if session.current_schema is None or session.current_schema not in self.state["schemas"]:
            raise SqlError(
                sqlmod.SYNTAX,
                "no schema specified or opened or current schema has been dropped (Session: %d)" % session.session_id,
            )
        return session.current_schema

    def find_script(self, session, schema, name):
        schema = self.schema_of(session, schema)
        obj = self.state["schemas"].get(schema)
        script = obj.get("scripts", {}).get(name) if obj else None
        return schema, script

    # execution --------------------------------------------------------------------------
    def execute(self, session, text):
        """Run one statement: returns (result, changed_attributes)."""
        stmt = sqlmod.parse(text)
        handler = getattr(self, "do_" + stmt["kind"])
        if stmt["kind"] not in READS and not session.autocommit and session.transaction is None:
            with self.lock:
                snapshot = copy.deepcopy(self.committed)
            session.transaction = (snapshot, copy.deepcopy(snapshot))
        self.local.view = session.transaction[1] if session.transaction else None
        try:
            return handler(session, stmt)
        finally:
            self.local.view = None

    def changed(self, session):
        if session.transaction is None:
            self.save()
        return ({"resultType": "rowCount", "rowCount": 0}, {})

    def commit(self, session):
        """Merge the objects this session changed into the committed catalog."""
        if session.transaction is None:
            return
        base, work = session.transaction
        session.transaction = None
        with self.lock:
            changes = []
            for coll in COLLECTIONS:
                for key in set(base[coll]) | set(work[coll]):
                    if base[coll].get(key) != work[coll].get(key):
                        if self.committed[coll].get(key) != base[coll].get(key):
                            raise TransactionConflict(session.session_id)
                        changes.append((coll, key, work[coll].get(key)))
            for coll, key, value in changes:
                if value is None:
                    self.committed[coll].pop(key, None)
                else:
                    self.committed[coll][key] = value
            if changes:
                self.save()

    def rollback(self, session):
        session.transaction = None

    def do_commit(self, session, stmt):
        self.commit(session)
        return ({"resultType": "rowCount", "rowCount": 0}, {})

    def do_rollback(self, session, stmt):
        self.rollback(session)
        return ({"resultType": "rowCount", "rowCount": 0}, {})

    def do_open_schema(self, session, stmt):
        with self.lock:
            if stmt["name"] not in self.state["schemas"]:
                raise SqlError(
                    sqlmod.SYNTAX,
                    "schema %s not found [line 1, column 13] (Session: %d)" % (stmt["name"], session.session_id),
                )
        session.current_schema = stmt["name"]
        return ({"resultType": "rowCount", "rowCount": 0}, {"currentSchema": stmt["name"]})

    def do_close_schema(self, session, stmt):
        session.current_schema = None
        return ({"resultType": "rowCount", "rowCount": 0}, {"currentSchema": ""})

    def do_create_connection(self, session, stmt):
        with self.lock:
            conns = self.state["connections"]
            if stmt["name"] in conns and not stmt["replace"]:
                raise SqlError(
                    "42500", "connection %s already exists (Session: %d)" % (stmt["name"], session.session_id)
                )
            conns[stmt["name"]] = {
                "address": stmt["address"],
                "user": stmt["user"],
                "password": stmt["password"],
                "created": now(),
                "object_id": self.new_id(),
            }
            return self.changed(session)

    def do_alter_connection(self, session, stmt):
        with self.lock:
            conn = self.state["connections"].get(stmt["name"])
            if conn is None:
                raise SqlError(
                    sqlmod.SYNTAX, "connection %s not found (Session: %d)" % (stmt["name"], session.session_id)
                )
            conn.update(address=stmt["address"], user=stmt["user"], password=stmt["password"])
            return self.changed(session)

    def do_drop_connection(self, session, stmt):
        with self.lock:
            if stmt["name"] not in self.state["connections"]:
                if stmt["if_exists"]:
                    return ({"resultType": "rowCount", "rowCount": 0}, {})
                raise SqlError(
                    sqlmod.SYNTAX, "connection %s not found (Session: %d)" % (stmt["name"], session.session_id)
                )
            del self.state["connections"][stmt["name"]]
            return self.changed(session)

    def do_create_schema(self, session, stmt):
        with self.lock:
            schemas = self.state["schemas"]
            existing = schemas.get(stmt["name"])
            if existing is not None:
                if stmt["if_not_exists"] and not existing.get("virtual"):
                    session.current_schema = stmt["name"]  # opened even if it already exists
                    return ({"resultType": "rowCount", "rowCount": 0}, {"currentSchema": stmt["name"]})
                if not stmt["replace"] or existing.get("virtual"):
                    raise SqlError(
                        "42500", "schema %s already exists (Session: %d)" % (stmt["name"], session.session_id)
                    )
                if existing.get("scripts"):
                    raise not_empty(stmt["name"], session)
            schemas[stmt["name"]] = {"virtual": False, "object_id": self.new_id(), "created": now(), "scripts": {}}
            session.current_schema = stmt["name"]  # Exasol opens a schema it creates
            result = self.changed(session)
            return result[0], {"currentSchema": stmt["name"]}

    def do_drop_schema(self, session, stmt):
        """DROP [FORCE] [VIRTUAL] SCHEMA: RESTRICT (default) only drops an empty schema; without
        FORCE the adapter of a virtual schema is called (docs.exasol.com DROP SCHEMA)."""
        with self.lock:
            obj = self.state["schemas"].get(stmt["name"])
            adapter = obj.get("adapter") if obj and obj.get("virtual") and stmt["virtual"] else None
            script = None
            if adapter and not stmt["force"] and (stmt["cascade"] or not obj.get("tables")):
                script = self.adapter_parts(session, adapter)[1]
        if script is not None:
            self.adapter.prepare(script, session.session_id)  # the UDF VM must start
        with self.lock:
            obj = self.state["schemas"].get(stmt["name"])
            if obj is None:
                if stmt["if_exists"]:
                    return ({"resultType": "rowCount", "rowCount": 0}, {})
                raise SqlError(sqlmod.SYNTAX, "schema %s not found (Session: %d)" % (stmt["name"], session.session_id))
            if stmt["virtual"] and not obj.get("virtual"):
                raise SqlError(
                    sqlmod.SYNTAX,
                    "schema %s is not a virtual schema (Session: %d)" % (stmt["name"], session.session_id),
                )
            if not stmt["virtual"] and obj.get("virtual"):
                raise SqlError(
                    sqlmod.SYNTAX,
                    "schema %s is a virtual schema; use DROP VIRTUAL "
                    "SCHEMA (Session: %d)" % (stmt["name"], session.session_id),
                )
            if (obj.get("scripts") or obj.get("tables")) and not stmt["cascade"]:
                raise not_empty(stmt["name"], session)
            del self.state["schemas"][stmt["name"]]
            if session.current_schema == stmt["name"]:
                session.current_schema = None
            return self.changed(session)

    def do_create_script(self, session, stmt):
        with self.lock:
            schema = self.schema_of(session, stmt["schema"])
            obj = self.state["schemas"].get(schema)
            if obj is None:
                raise SqlError(sqlmod.SYNTAX, "schema %s not found (Session: %d)" % (schema, session.session_id))
            if obj.get("virtual"):
                raise SqlError(
                    sqlmod.SYNTAX,
                    "creating scripts in virtual schema %s is not allowed (Session: %d)" % (schema, session.session_id),
                )
            scripts = obj.setdefault("scripts", {})
            if stmt["name"] in scripts and not stmt["replace"]:
                raise SqlError("42500", "script %s already exists (Session: %d)" % (stmt["name"], session.session_id))
            scripts[stmt["name"]] = {
                "language": stmt["language"],
                "type": stmt["type"],
                "body": stmt["body"],
                "object_id": self.new_id(),
                "created": now(),
                # stored as Exasol shows it in SCRIPT_TEXT: creation text, quoted name
                "text": "CREATE %s %s SCRIPT %s AS%s"
                % (stmt["language"], stmt["type"], quote_ident(stmt["name"]), stmt["body"]),
            }
            return self.changed(session)

    def do_drop_script(self, session, stmt):
        with self.lock:
            schema, script = self.find_script(session, stmt["schema"], stmt["name"])
            if script is None:
                if stmt["if_exists"]:
                    return ({"resultType": "rowCount", "rowCount": 0}, {})
                raise SqlError(
                    sqlmod.SYNTAX, "script %s.%s not found (Session: %d)" % (schema, stmt["name"], session.session_id)
                )
            del self.state["schemas"][schema]["scripts"][stmt["name"]]
            return self.changed(session)

    # virtual schemas ------------------------------------------------------------------
    def adapter_parts(self, session, adapter):
        schema, script = self.find_script(session, adapter[0], adapter[1])
        if script is None:
            raise SqlError(
                sqlmod.SYNTAX,
                "object %s.%s not found (Session: %d)"
                % (quote_ident(schema), quote_ident(adapter[1]), session.session_id),
            )
        if script["type"] != "ADAPTER":
            raise SqlError(
                sqlmod.SYNTAX,
                "script %s.%s is not an adapter script (Session: %d)" % (schema, adapter[1], session.session_id),
            )
        return schema, copy.deepcopy(script)

    def connection_for(self, props):
        return copy.deepcopy(self.state["connections"].get(props.get("CONNECTION_NAME") or ""))

    def do_create_virtual_schema(self, session, stmt):
        with self.lock:
            if stmt["name"] in self.state["schemas"]:
                if stmt["if_not_exists"]:
                    session.current_schema = stmt["name"]  # opened even if it already exists
                    return ({"resultType": "rowCount", "rowCount": 0}, {"currentSchema": stmt["name"]})
                raise SqlError("42500", "schema %s already exists (Session: %d)" % (stmt["name"], session.session_id))
            script_schema, script = self.adapter_parts(session, stmt["adapter"])
            props = {}
            for key, value in stmt["properties"]:
                if value is None:
                    props.pop(key, None)
                else:
                    props[key] = value
            connection = self.connection_for(props)
        tables = self.adapter.read_metadata(script, props, connection, session.session_id)
        with self.lock:
            if stmt["name"] in self.state["schemas"]:
                raise SqlError("42500", "schema %s already exists (Session: %d)" % (stmt["name"], session.session_id))
            stamp = now()
            self.state["schemas"][stmt["name"]] = {
                "virtual": True,
                "object_id": self.new_id(),
                "created": stamp,
                "adapter": [script_schema, stmt["adapter"][1]],
                "properties": props,
                "tables": self.with_ids(tables, stamp),
                "last_refresh": stamp,
                "last_refresh_by": session.user,
            }
            session.current_schema = stmt["name"]  # CREATE SCHEMA opens the new schema
            return self.changed(session)[0], {"currentSchema": stmt["name"]}

    def with_ids(self, tables, stamp):
        for table in tables:
            table["object_id"] = self.new_id()
            table["last_refresh"] = stamp
        return tables

    def virtual_schema(self, session, name):
        obj = self.state["schemas"].get(name)
        if obj is None:
            raise SqlError(sqlmod.SYNTAX, "schema %s not found (Session: %d)" % (name, session.session_id))
        if not obj.get("virtual"):
            raise SqlError(
                sqlmod.SYNTAX, "schema %s is not a virtual schema (Session: %d)" % (name, session.session_id)
            )
        return obj

    def refresh_input(self, session, name, assignments=()):
        """Properties after `assignments`, adapter script and connection of a virtual schema."""
        with self.lock:
            obj = self.virtual_schema(session, name)
            props = dict(obj["properties"])
            for key, value in assignments:
                if value is None:
                    props.pop(key, None)
                else:
                    props[key] = value
            script = self.adapter_parts(session, obj["adapter"])[1]
            return props, script, self.connection_for(props)

    def do_alter_vs_set(self, session, stmt):
        props, script, connection = self.refresh_input(session, stmt["name"], stmt["properties"])
        tables = self.adapter.read_metadata(script, props, connection, session.session_id)
        with self.lock:
            obj = self.virtual_schema(session, stmt["name"])
            stamp = now()
            obj.update(
                properties=props, tables=self.with_ids(tables, stamp), last_refresh=stamp, last_refresh_by=session.user
            )
            return self.changed(session)

    def do_alter_vs_refresh(self, session, stmt):
        props, script, connection = self.refresh_input(session, stmt["name"])
        tables = self.adapter.read_metadata(script, props, connection, session.session_id)
        with self.lock:
            obj = self.virtual_schema(session, stmt["name"])
            stamp = now()
            if stmt["tables"] is not None:
                fresh = self.with_ids([t for t in tables if t["name"] in stmt["tables"]], stamp)
                kept = [t for t in obj["tables"] if t["name"] not in stmt["tables"]]
                obj["tables"] = kept + fresh
            else:
                obj["tables"] = self.with_ids(tables, stamp)
            obj.update(last_refresh=stamp, last_refresh_by=session.user)
            return self.changed(session)

    # SELECT -----------------------------------------------------------------------------
    def do_select(self, session, stmt):
        schema, table = stmt["source"]
        with self.lock:
            source = DUAL if table == "DUAL" and schema in (None, "SYS") else self.system_table(schema, table)
            if source is None:
                source = self.virtual_table(session, schema, table)
        if source is DUAL and any(item.get("star") for item in stmt["items"]):
            raise SqlError(
                sqlmod.NOT_SUPPORTED, "feature not supported by the lab Exasol emulator: SELECT * without a table"
            )
        columns, rows = source
        names = [c[0] for c in columns]

        def lookup(row, name):
            if name not in names:
                raise SqlError(
                    sqlmod.SYNTAX, "object %s not found (Session: %d)" % (quote_ident(name), session.session_id)
                )
            return row[names.index(name)]

        def value(row, expr):
            kind = expr[0]
            if kind == "lit":
                return expr[1]
            if kind == "col":
                return lookup(row, expr[1])
            if kind == "fn":
                return session_function(session, expr[1])
            inner = value(row, expr[1])
            if inner is None:
                return None
            return str(inner).upper() if kind == "upper" else str(inner).lower()

        def truth(row, expr):
            kind = expr[0]
            if kind == "and":
                a, b = truth(row, expr[1]), truth(row, expr[2])
                return False if a is False or b is False else (None if None in (a, b) else True)
            if kind == "or":
                a, b = truth(row, expr[1]), truth(row, expr[2])
                return True if a is True or b is True else (None if None in (a, b) else False)
            if kind == "not":
                a = truth(row, expr[1])
                return None if a is None else not a
            if kind == "isnull":
                return value(row, expr[1]) is None
            if kind == "cmp":
                a, b = value(row, expr[2]), value(row, expr[3])
                if a is None or b is None:
                    return None
                a, b = coerce(a, b)
                return {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[expr[1]]
            if kind == "in":
                a = value(row, expr[1])
                if a is None:
                    return None
                vals = [value(row, v) for v in expr[2]]
                if any(coerce(a, v)[0] == coerce(a, v)[1] for v in vals if v is not None):
                    return True
                return None if None in vals else False
            if kind == "like":
                a, pattern = value(row, expr[1]), value(row, expr[2])
                if a is None or pattern is None:
                    return None
                return bool(sqlmod.like_to_regex(str(pattern), expr[3]).match(str(a)))
            raise SqlError(sqlmod.SYNTAX, "invalid condition")

        if stmt["where"] is not None:
            rows = [r for r in rows if truth(r, stmt["where"]) is True]
        for expr, desc, nulls_first in reversed(stmt["order"]):
            present = [r for r in rows if value(r, expr) is not None]
            missing = [r for r in rows if value(r, expr) is None]
            present.sort(key=lambda r: sort_key(value(r, expr)), reverse=desc)
            first = nulls_first if nulls_first is not None else desc  # Exasol: NULLs are largest
            rows = missing + present if first else present + missing
        if stmt["offset"]:
            rows = rows[stmt["offset"] :]
        if stmt["limit"] is not None:
            rows = rows[: stmt["limit"]]
        out_cols, out_rows = [], []
        if any("expr" in i and i["expr"] == ("count",) for i in stmt["items"]):
            if len(stmt["items"]) != 1:
                raise SqlError(
                    sqlmod.NOT_SUPPORTED,
                    "feature not supported by the lab Exasol emulator: COUNT(*) with other select items",
                )
            return result_set(
                [(stmt["items"][0]["name"], {"type": "DECIMAL", "precision": 18, "scale": 0})], [[len(rows)]]
            ), {}
        getters = []
        for item in stmt["items"]:
            if item.get("star"):
                for name, dtype in columns:
                    out_cols.append((name, dtype))
                    getters.append(("col", name))
            else:
                expr = item["expr"]
                if expr[0] == "col":
                    lookup([None] * len(names), expr[1])
                    dtype = columns[names.index(expr[1])][1]
                elif expr[0] in ("upper", "lower"):
                    dtype = (
                        NAME
                        if expr[1][0] != "col"
                        else columns[names.index(expr[1][1])][1]
                        if expr[1][1] in names
                        else NAME
                    )
                else:
                    dtype = expression_type(expr)
                out_cols.append((item["name"], dtype))
                getters.append(expr)
        for row in rows:
            out_rows.append(
                [
                    wire_value(value(row, g), dtype) if g[0] in ("lit", "fn") else value(row, g)
                    for g, (dummy, dtype) in zip(getters, out_cols)
                ]
            )
        return result_set(out_cols, out_rows), {}

    def do_kill_session(self, session, stmt):
        """KILL SESSION: the server (session_killer, set by server.py) owns the sockets."""
        killer = getattr(self, "session_killer", None)
        if killer is None:
            raise SqlError(
                sqlmod.NOT_SUPPORTED,
                "feature not supported by the lab Exasol emulator: KILL SESSION outside the WebSocket server",
            )
        killer(session, session.session_id if stmt["session"] is None else stmt["session"])
        return ({"resultType": "rowCount", "rowCount": 0}, {})

    def virtual_table(self, session, schema, table):
        schema = self.schema_of(session, schema)
        obj = self.state["schemas"].get(schema)
        found = None
        if obj is not None and obj.get("virtual"):
            found = next((t for t in obj["tables"] if t["name"] == table), None)
        if found is None:
            raise SqlError(
                sqlmod.SYNTAX,
                "object %s.%s not found (Session: %d)" % (quote_ident(schema), quote_ident(table), session.session_id),
            )
        script_schema, script = self.adapter_parts(session, obj["adapter"])
        props = dict(obj["properties"])
        connection = self.connection_for(props)
        found = copy.deepcopy(found)
        self.lock.release()  # the JVM runs outside the catalog lock
        try:
            raw = self.adapter.fetch_rows(script, props, connection, found, session.session_id, version=self.version)
        finally:
            self.lock.acquire()
        columns = [(c["name"], c["dataType"]) for c in found["columns"]]
        rows = [[convert(v, c[1]) for v, c in zip(r, columns)] for r in raw]
        return columns, rows

    # system tables --------------------------------------------------------------------
    def system_table(self, schema, table):
        if schema not in (None, "SYS"):
            return None
        builder = getattr(self, "sys_" + table.lower(), None) if table.startswith("EXA_") else None
        return builder() if builder else None

    def sys_exa_metadata(self):
        v = self.version
        params = [
            ("databaseName", "EXA_DB", True),
            ("databaseProductName", "EXASolution", True),
            ("databaseProductVersion", self.release, True),
            ("databaseMajorVersion", str(v[0]), True),
            ("databaseMinorVersion", str(v[1]), True),
            ("driverName", "EXASolution WebSocket emulator (lab)", True),
            ("identifierQuoteString", '"', True),
            ("maxIdentifierLength", "128", True),
            ("maxVarcharLength", "2000000", True),
            ("sqlKeywords", "", True),
        ]
        return ([("PARAM_NAME", NAME), ("PARAM_VALUE", TEXT), ("IS_STATIC", BOOL)], [list(p) for p in params])

    def sys_exa_dba_connections(self):
        rows = [
            [name, c["address"], c["user"], c["created"], None] for name, c in sorted(self.state["connections"].items())
        ]
        return (
            [
                ("CONNECTION_NAME", NAME),
                ("CONNECTION_STRING", TEXT),
                ("USER_NAME", TEXT),
                ("CREATED", TS),
                ("CONNECTION_COMMENT", varchar(2000)),
            ],
            rows,
        )

    def sys_exa_all_scripts(self):
        rows = []
        for schema, obj in sorted(self.state["schemas"].items()):
            for name, s in sorted(obj.get("scripts", {}).items()):
                rows.append(
                    [schema, name, OWNER, s["object_id"], s["type"], s["language"], None, None, s["text"], None]
                )
        return (
            [
                ("SCRIPT_SCHEMA", NAME),
                ("SCRIPT_NAME", NAME),
                ("SCRIPT_OWNER", NAME),
                ("SCRIPT_OBJECT_ID", DEC),
                ("SCRIPT_TYPE", varchar(40)),
                ("SCRIPT_LANGUAGE", varchar(100)),
                ("SCRIPT_INPUT_TYPE", varchar(40)),
                ("SCRIPT_RESULT_TYPE", varchar(40)),
                ("SCRIPT_TEXT", TEXT),
                ("SCRIPT_COMMENT", varchar(2000)),
            ],
            rows,
        )

    sys_exa_dba_scripts = sys_exa_all_scripts
    sys_exa_user_scripts = sys_exa_all_scripts

    def sys_exa_all_schemas(self):
        rows = [[name, OWNER, obj["object_id"], None] for name, obj in sorted(self.state["schemas"].items())]
        return (
            [
                ("SCHEMA_NAME", NAME),
                ("SCHEMA_OWNER", NAME),
                ("SCHEMA_OBJECT_ID", DEC),
                ("SCHEMA_COMMENT", varchar(2000)),
            ],
            rows,
        )

    def sys_exa_schemas(self):
        rows = [
            [name, OWNER, obj["object_id"], bool(obj.get("virtual")), None]
            for name, obj in sorted(self.state["schemas"].items())
        ]
        return (
            [
                ("SCHEMA_NAME", NAME),
                ("SCHEMA_OWNER", NAME),
                ("SCHEMA_OBJECT_ID", DEC),
                ("SCHEMA_IS_VIRTUAL", BOOL),
                ("SCHEMA_COMMENT", varchar(2000)),
            ],
            rows,
        )

    def virtual_schemas(self):
        return [(n, o) for n, o in sorted(self.state["schemas"].items()) if o.get("virtual")]

    def sys_exa_all_virtual_schemas(self):
        split = self.version >= (8,)
        cols = [("SCHEMA_NAME", NAME), ("SCHEMA_OWNER", NAME), ("SCHEMA_OBJECT_ID", DEC)]
        cols += (
            [("ADAPTER_SCRIPT_SCHEMA", NAME), ("ADAPTER_SCRIPT_NAME", NAME)]
            if split
            else [("ADAPTER_SCRIPT", varchar(257))]
        )
        cols += [("LAST_REFRESH", TS), ("LAST_REFRESH_BY", NAME), ("ADAPTER_NOTES", TEXT)]
        rows = []
        for name, obj in self.virtual_schemas():
            adapter = list(obj["adapter"]) if split else ["%s.%s" % tuple(obj["adapter"])]
            rows.append([name, OWNER, obj["object_id"]] + adapter + [obj["last_refresh"], obj["last_refresh_by"], None])
        return cols, rows

    def sys_exa_all_virtual_schema_properties(self):
        rows = [
            [name, obj["object_id"], key, value]
            for name, obj in self.virtual_schemas()
            for key, value in sorted(obj["properties"].items())
        ]
        return (
            [
                ("SCHEMA_NAME", NAME),
                ("SCHEMA_OBJECT_ID", DEC),
                ("PROPERTY_NAME", varchar(128)),
                ("PROPERTY_VALUE", TEXT),
            ],
            rows,
        )

    sys_exa_dba_virtual_schema_properties = sys_exa_all_virtual_schema_properties

    def sys_exa_all_virtual_tables(self):
        rows = [
            [name, t["name"], t["object_id"], t["last_refresh"], obj["last_refresh_by"], None]
            for name, obj in self.virtual_schemas()
            for t in obj["tables"]
        ]
        return (
            [
                ("TABLE_SCHEMA", NAME),
                ("TABLE_NAME", NAME),
                ("TABLE_OBJECT_ID", DEC),
                ("LAST_REFRESH", TS),
                ("LAST_REFRESH_BY", NAME),
                ("ADAPTER_NOTES", TEXT),
            ],
            rows,
        )

    def sys_exa_all_tables(self):
        """docs.exasol.com EXA_ALL_TABLES; only virtual tables exist here (row count and delete
        percentage NULL, their types lab inference). pyexasol reads it in meta.list_tables and,
        on protocol V1, in meta.table_exists."""
        rows = [
            [name, t["name"], OWNER, t.get("object_id"), True, False, False, None, None, None]
            for name, obj in self.virtual_schemas()
            for t in obj["tables"]
        ]
        return (
            [
                ("TABLE_SCHEMA", NAME),
                ("TABLE_NAME", NAME),
                ("TABLE_OWNER", NAME),
                ("TABLE_OBJECT_ID", DEC),
                ("TABLE_IS_VIRTUAL", BOOL),
                ("TABLE_HAS_DISTRIBUTION_KEY", BOOL),
                ("TABLE_HAS_PARTITION_KEY", BOOL),
                ("TABLE_ROW_COUNT", DEC),
                ("DELETE_PERCENTAGE", {"type": "DECIMAL", "precision": 4, "scale": 1}),
                ("TABLE_COMMENT", varchar(2000)),
            ],
            rows,
        )

    sys_exa_dba_tables = sys_exa_all_tables
    sys_exa_user_tables = sys_exa_all_tables

    def sys_exa_all_virtual_columns(self):
        rows = [
            [name, t["name"], c["name"], t["object_id"], None]
            for name, obj in self.virtual_schemas()
            for t in obj["tables"]
            for c in t["columns"]
        ]
        return (
            [
                ("COLUMN_SCHEMA", NAME),
                ("COLUMN_TABLE", NAME),
                ("COLUMN_NAME", NAME),
                ("COLUMN_OBJECT_ID", DEC),
                ("ADAPTER_NOTES", TEXT),
            ],
            rows,
        )

    def sys_exa_all_columns(self):
        rows = [
            [name, t["name"], "TABLE", c["name"], type_text(c["dataType"]), pos, True, bool(c.get("nullable", True))]
            for name, obj in self.virtual_schemas()
            for t in obj["tables"]
            for pos, c in enumerate(t["columns"], start=1)
        ]
        return (
            [
                ("COLUMN_SCHEMA", NAME),
                ("COLUMN_TABLE", NAME),
                ("COLUMN_OBJECT_TYPE", NAME),
                ("COLUMN_NAME", NAME),
                ("COLUMN_TYPE", NAME),
                ("COLUMN_ORDINAL_POSITION", DEC),
                ("COLUMN_IS_VIRTUAL", BOOL),
                ("COLUMN_IS_NULLABLE", BOOL),
            ],
            rows,
        )


DUAL = ([], [[]])  # SELECT without FROM reads this: one row, no columns
SESSION_FUNCTION_TYPES = {
    "CURRENT_SESSION": {"type": "DECIMAL", "precision": 20, "scale": 0},
    "CURRENT_USER": NAME,
    "CURRENT_SCHEMA": NAME,
}


def session_function(session, name):
    """CURRENT_SESSION / CURRENT_USER / CURRENT_SCHEMA (docs.exasol.com function pages;
    CURRENT_SCHEMA is NULL when no schema is open)."""
    return {
        "CURRENT_SESSION": session.session_id,
        "CURRENT_USER": session.user,
        "CURRENT_SCHEMA": session.current_schema,
    }[name]


def expression_type(expr):
    """Result type of a literal or session function item (README_exasol.md, SQL surface)."""
    if expr[0] == "fn":
        return SESSION_FUNCTION_TYPES[expr[1]]
    if expr[0] != "lit":
        raise SqlError(sqlmod.NOT_SUPPORTED, "feature not supported by the lab Exasol emulator: this select item")
    v = expr[1]
    if v is None:  # NULL or '' (Exasol: '' is NULL); the type Exasol gives it is not documented
        raise SqlError(sqlmod.NOT_SUPPORTED, "feature not supported by the lab Exasol emulator: NULL as a select item")
    if isinstance(v, bool):
        return BOOL
    if len(expr) > 2:
        return numeric_literal_type(expr[2])
    return {"type": "CHAR", "size": len(v), "characterSet": "UTF8"}  # lab inference


def numeric_literal_type(text):
    """docs.exasol.com "Literals": a number exactly representable as DECIMAL gets the smallest
    DECIMAL type (1 -> DECIMAL(1,0), 0.50 -> DECIMAL(1,1)), anything else DOUBLE."""
    whole, dummy, fraction = text.partition(".")
    whole, fraction = whole.lstrip("0"), fraction.rstrip("0")
    precision = max(1, len(whole) + len(fraction))
    if precision > 36:
        return {"type": "DOUBLE"}
    return {"type": "DECIMAL", "precision": precision, "scale": len(fraction)}


def wire_value(v, dtype):
    """A DECIMAL goes out as a JSON number only when that is exact (scale 0, precision <= 18),
    else as a string (pyexasol issue #95; its tests read DECIMAL(10,5) as '0.7')."""
    if v is None or dtype.get("type") not in ("DECIMAL", "DOUBLE"):
        return v
    if dtype["type"] == "DOUBLE":
        return float(v)
    if dtype.get("scale", 0) == 0 and dtype.get("precision", 18) <= 18:
        return v
    return format(v, "f").rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def not_empty(name, session):
    return SqlError(
        sqlmod.SYNTAX,
        "schema %s is not empty - use DROP SCHEMA %s CASCADE to delete "
        "it (Session: %d)" % (name, name, session.session_id),
    )


def coerce(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a, b
    if isinstance(a, (int, float)) and isinstance(b, str):
        try:
            return a, type(a)(b)
        except ValueError:
            return str(a), b
    if isinstance(b, (int, float)) and isinstance(a, str):
        try:
            return type(b)(a), b
        except ValueError:
            return a, str(b)
    return a, b


def sort_key(v):
    return (0, v) if isinstance(v, (int, float)) else (1, str(v))


def convert(raw, dtype):
    """A JDBC string value -> the JSON value Exasol sends for that column type."""
    if raw is None:
        return None
    kind = dtype["type"]
    if kind == "DECIMAL":
        return int(raw) if dtype.get("scale", 0) == 0 else str(raw)
    if kind == "DOUBLE":
        try:
            return float(raw)
        except ValueError:
            return float(str(raw).replace("$", "").replace(",", ""))
    if kind == "BOOLEAN":
        return str(raw).lower() in ("true", "t", "1")
    if kind == "TIMESTAMP":
        stamp = str(raw)
        if "." in stamp:
            head, frac = stamp.split(".", 1)
            return "%s.%s" % (head, (frac + "000000")[:6])
        return stamp + ".000000"
    if kind in ("VARCHAR", "CHAR"):
        text = str(raw)
        return None if text == "" else text  # Exasol: '' is NULL
    return str(raw)


def result_set(columns, rows):
    return {"resultType": "resultSet", "columns": [{"name": n, "dataType": d} for n, d in columns], "rows": rows}
