"""Unit tests of the Exasol emulator's SQL parser, catalog and protocol negotiation (no lab)."""

import base64

import pytest
from lab_exasol import catalog, protocol, server, sql
from lab_exasol.sql import SqlError


def parse(text):
    return sql.parse(text)


def test_identifier_rules():
    stmt = parse("CREATE CONNECTION my_conn TO 'jdbc:x' USER 'u' IDENTIFIED BY 'it''s'")
    assert stmt["name"] == "MY_CONN"
    assert stmt["password"] == "it's"
    assert parse('DROP CONNECTION "my_Conn"')["name"] == "my_Conn"
    assert parse('DROP CONNECTION "a""b"')["name"] == 'a"b'
    assert parse("open schema Adapter")["name"] == "ADAPTER"


def test_script_body_kept_verbatim():
    body = "\n  %scriptclass com.exasol.adapter.RequestDispatcher;\n  %jar /buckets/bfsdefault/default/jars/a.jar;"
    stmt = parse('CREATE OR REPLACE JAVA ADAPTER SCRIPT adapter."Jdbc" AS' + body + "\n/\n")
    assert (stmt["schema"], stmt["name"], stmt["replace"]) == ("ADAPTER", "Jdbc", True)
    assert stmt["body"] == body


def test_virtual_schema_statements():
    stmt = parse(
        "CREATE VIRTUAL SCHEMA IF NOT EXISTS vs USING adapter.jdbc WITH "
        "CONNECTION_NAME = 'PG' SCHEMA_NAME='public' table_filter='a,b'"
    )
    assert stmt["if_not_exists"] and stmt["adapter"] == ("ADAPTER", "JDBC")
    assert stmt["properties"] == [("CONNECTION_NAME", "PG"), ("SCHEMA_NAME", "public"), ("TABLE_FILTER", "a,b")]
    assert parse("ALTER VIRTUAL SCHEMA vs SET LOG_LEVEL = NULL")["properties"] == [("LOG_LEVEL", None)]
    assert parse("ALTER VIRTUAL SCHEMA vs REFRESH TABLES t1 t2")["tables"] == ["T1", "T2"]
    drop = parse("DROP VIRTUAL SCHEMA IF EXISTS vs CASCADE")
    assert drop["virtual"] and drop["if_exists"] and drop["cascade"] and not drop["force"]
    assert parse("DROP FORCE VIRTUAL SCHEMA vs")["force"]


def test_select_grammar():
    stmt = parse(
        "SELECT a, upper(b) AS ub FROM sys.exa_all_scripts WHERE (a = 'x' OR b IN ('y', 'z')) "
        "AND c IS NOT NULL AND d LIKE 'J%' ORDER BY a DESC, b LIMIT 5"
    )
    assert stmt["source"] == ("SYS", "EXA_ALL_SCRIPTS")
    assert [i["name"] for i in stmt["items"]] == ["A", "UB"]
    assert stmt["limit"] == 5 and len(stmt["order"]) == 2


@pytest.mark.parametrize(
    "text,code",
    [
        ("SELEC 1", "42000"),
        ("CREATE CONNECTION c TO", "42000"),
        ("CREATE SCHEMA", "42000"),
        ("SELECT * FROM", "42000"),
        ("CREATE OR REPLACE VIRTUAL SCHEMA v USING a.b", "42000"),
        ("INSERT INTO t VALUES (1)", "0A000"),
        ("CREATE TABLE t (a INT)", "0A000"),
        ("CREATE PYTHON3 SCALAR SCRIPT s.f() RETURNS INT AS\nreturn 1\n/", "0A000"),
        ("SELECT a FROM t1 JOIN t2 ON 1=1", "0A000"),
    ],
)
def test_errors_carry_exasol_codes(text, code):
    with pytest.raises(SqlError) as info:
        parse(text)
    assert info.value.code == code


def make_db(tmp_path, release):
    return catalog.Database(
        str(tmp_path / "catalog.json"),
        release,
        {
            "helper_dir": "",
            "lab_json": str(tmp_path / "none.json"),
            "bucketfs_host_dir": str(tmp_path / "bucketfs"),
            "repo_root": str(tmp_path),
        },
    )


def run(db, session, text):
    return db.execute(session, text)[0]


@pytest.mark.parametrize(
    "release,columns",
    [
        ("6.1.4", ["ADAPTER_SCRIPT"]),
        ("7.1.26", ["ADAPTER_SCRIPT"]),
        ("8.29.12", ["ADAPTER_SCRIPT_SCHEMA", "ADAPTER_SCRIPT_NAME"]),
        ("2025.1.3", ["ADAPTER_SCRIPT_SCHEMA", "ADAPTER_SCRIPT_NAME"]),
    ],
)
def test_version_dependent_system_tables(tmp_path, release, columns):
    db = make_db(tmp_path, release)
    session = catalog.Session(1, "SYS", True)
    names = [c["name"] for c in run(db, session, "SELECT * FROM SYS.EXA_ALL_VIRTUAL_SCHEMAS")["columns"]]
    assert [n for n in names if n.startswith("ADAPTER_SCRIPT")] == columns
    meta = run(db, session, "SELECT PARAM_VALUE FROM EXA_METADATA WHERE PARAM_NAME = 'databaseProductVersion'")
    assert meta["rows"] == [[release]]


def test_catalog_persists_and_queries(tmp_path):
    db = make_db(tmp_path, "7.1.26")
    session = catalog.Session(1, "SYS", True)
    run(db, session, "CREATE SCHEMA adapter")
    run(db, session, "CREATE JAVA ADAPTER SCRIPT jdbc AS\n%scriptclass X;\n/")
    run(db, session, "CREATE CONNECTION c1 TO 'a' USER 'u' IDENTIFIED BY 'p'")
    run(db, session, "CREATE CONNECTION \"c2\" TO 'b'")
    again = make_db(tmp_path, "7.1.26")
    rows = run(again, session, "SELECT SCRIPT_SCHEMA, SCRIPT_NAME, SCRIPT_TEXT FROM EXA_ALL_SCRIPTS")["rows"]
    assert rows == [["ADAPTER", "JDBC", 'CREATE JAVA ADAPTER SCRIPT "JDBC" AS\n%scriptclass X;']]
    rows = run(
        again,
        session,
        "SELECT CONNECTION_NAME FROM EXA_DBA_CONNECTIONS WHERE upper(CONNECTION_NAME) LIKE 'C%' AND USER_NAME IS NULL",
    )["rows"]
    assert rows == [["c2"]]
    with pytest.raises(SqlError) as info:
        run(again, session, "CREATE CONNECTION c1 TO 'x'")
    assert "already exists" in info.value.text
    with pytest.raises(SqlError) as info:
        run(again, session, "DROP SCHEMA adapter")
    assert info.value.code == "42000"
    run(again, session, "DROP SCHEMA adapter CASCADE")
    assert run(again, session, "SELECT * FROM EXA_ALL_SCRIPTS")["rows"] == []


class FakeServer:
    def __init__(self, release):
        self.release = release
        self.version = catalog.version_tuple(release)
        self.rsa_key = None
        self.user, self.password, self.host = "sys", "secret", "127.0.0.20"
        self.database = None

    def count(self, name):
        pass

    def new_session_id(self):
        return 42


def login(proto, requested):
    """The two login steps with the right password: (first reply, second reply or None)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    first = proto.handle({"command": "login", "protocolVersion": requested})
    if first["status"] != "ok":
        return first, None
    key = serialization.load_pem_public_key(first["responseData"]["publicKeyPem"].encode())
    assert key.key_size == 1024
    secret = base64.b64encode(key.encrypt(b"secret", padding.PKCS1v15())).decode()
    return first, proto.handle(
        {"username": "SYS", "password": secret, "useCompression": False, "attributes": {"autocommit": True}}
    )


@pytest.mark.parametrize(
    "release,requested,expected",
    [
        ("6.1.4", 1, 1),
        ("6.1.4", 3, None),
        ("6.2.17", 3, 1),
        ("7.0.20", 3, 2),
        ("7.1.26", 3, 3),
        ("8.29.12", 3, 3),
        ("7.1.26", 5, 3),
    ],
)
def test_protocol_negotiation(release, requested, expected):
    first, reply = login(protocol.ProtocolSession(FakeServer(release)), requested)
    if expected is None:
        assert first["status"] == "error" and first["exception"]["sqlCode"] == "08004"
        return
    assert reply["status"] == "ok"
    assert reply["responseData"]["protocolVersion"] == expected
    assert reply["responseData"]["releaseVersion"] == release


def test_wrong_password_is_08004():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    proto = protocol.ProtocolSession(FakeServer("7.1.26"))
    pem = proto.handle({"command": "login", "protocolVersion": 3})["responseData"]["publicKeyPem"]
    key = serialization.load_pem_public_key(pem.encode())
    reply = proto.handle(
        {"username": "sys", "password": base64.b64encode(key.encrypt(b"wrong", padding.PKCS1v15())).decode()}
    )
    assert reply == {
        "status": "error",
        "exception": {"text": "Connection exception - authentication failed.", "sqlCode": "08004"},
    }
    assert proto.closed


def test_transactions_commit_rollback_and_conflict(tmp_path):
    db = make_db(tmp_path, "7.1.26")
    one = catalog.Session(1, "SYS", False)
    two = catalog.Session(2, "SYS", False)
    observer = catalog.Session(3, "SYS", True)
    names = "SELECT CONNECTION_NAME, CONNECTION_STRING FROM EXA_DBA_CONNECTIONS ORDER BY CONNECTION_NAME"
    run(db, one, "CREATE CONNECTION c1 TO 'a'")
    assert run(db, one, names)["rows"] == [["C1", "a"]]  # own change visible
    assert run(db, observer, names)["rows"] == []  # not committed yet
    run(db, one, "ROLLBACK")
    assert run(db, one, names)["rows"] == []
    run(db, one, "CREATE CONNECTION c1 TO 'a'")
    run(db, one, "COMMIT")
    assert run(db, observer, names)["rows"] == [["C1", "a"]]
    run(db, one, "ALTER CONNECTION c1 TO 'b' USER 'u' IDENTIFIED BY 'p'")
    run(db, two, "ALTER CONNECTION c1 TO 'c'")
    run(db, two, "CREATE CONNECTION c2 TO 'x'")
    run(db, two, "COMMIT")
    with pytest.raises(SqlError) as info:
        run(db, one, "COMMIT")  # c1 was changed by session two meanwhile
    assert info.value.code == "40001"
    assert run(db, observer, names)["rows"] == [["C1", "c"], ["C2", "x"]]
    with pytest.raises(SqlError) as info:
        run(db, observer, "ALTER CONNECTION nope TO 'x'")
    assert info.value.code == "42000"


# issue 12 item 4: SELECT without FROM, KILL SESSION, getSchemas/getTables ----------------------
DEC1 = {"type": "DECIMAL", "precision": 1, "scale": 0}


def columns_and_rows(result):
    return [(c["name"], c["dataType"]) for c in result["columns"]], result["rows"]


@pytest.mark.parametrize(
    "text,columns,rows",
    [
        ("SELECT 1;", [("1", DEC1)], [[1]]),  # pyexasol integration_smoke_test
        ("select 1 from dual", [("1", DEC1)], [[1]]),
        (
            "SELECT 'Ab' a, TRUE, 0.50, 1234567890123456789 AS big",
            [
                ("A", {"type": "CHAR", "size": 2, "characterSet": "UTF8"}),
                ("TRUE", {"type": "BOOLEAN"}),
                ("0.50", {"type": "DECIMAL", "precision": 1, "scale": 1}),
                ("BIG", {"type": "DECIMAL", "precision": 19, "scale": 0}),
            ],
            [["Ab", True, "0.5", "1234567890123456789"]],
        ),
        (
            "SELECT CURRENT_SESSION, current_user, CURRENT_SCHEMA",
            [
                ("CURRENT_SESSION", {"type": "DECIMAL", "precision": 20, "scale": 0}),
                ("CURRENT_USER", catalog.NAME),
                ("CURRENT_SCHEMA", catalog.NAME),
            ],
            [["7792436882684342285", "SYS", None]],
        ),
        ("SELECT COUNT(*) FROM DUAL", [("COUNT(*)", catalog.DEC)], [[1]]),
    ],
)
def test_select_without_from(tmp_path, text, columns, rows):
    db = make_db(tmp_path, "7.1.26")
    session = catalog.Session(7792436882684342285, "SYS", True)
    assert columns_and_rows(run(db, session, text)) == (columns, rows)


def test_current_schema_follows_open_schema(tmp_path):
    db = make_db(tmp_path, "7.1.26")
    session = catalog.Session(1, "SYS", True)
    run(db, session, "CREATE SCHEMA s1")
    assert run(db, session, "SELECT CURRENT_SCHEMA")["rows"] == [["S1"]]
    run(db, session, "CLOSE SCHEMA")
    assert run(db, session, "SELECT CURRENT_SCHEMA")["rows"] == [[None]]


@pytest.mark.parametrize(
    "text,code",
    [
        ("SELECT 1+1", "0A000"),
        ("SELECT -1", "0A000"),
        ("SELECT 'a' || 'b'", "0A000"),
        ("SELECT USER", "0A000"),
        ("SELECT CURRENT_TIMESTAMP", "0A000"),
        ("SELECT NULL", "0A000"),
        ("SELECT ''", "0A000"),
        ("SELECT *", "0A000"),
        ("SELECT nope", "42000"),
        ("SELECT 1 WHERE 1 = 1", "42000"),
        ("SELECT1", "42000"),
        ("KILL STATEMENT IN SESSION 5", "0A000"),
        ("KILL SESSION", "42000"),
        ("KILL SESSION x", "42000"),
    ],
)
def test_outside_the_subset(tmp_path, text, code):
    db = make_db(tmp_path, "7.1.26")
    with pytest.raises(SqlError) as info:
        run(db, catalog.Session(1, "SYS", True), text)
    assert info.value.code == code


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1", (1, 0)),
        ("007", (1, 0)),
        ("0", (1, 0)),
        ("0.5", (1, 1)),
        ("12.340", (4, 2)),
        ("9" * 36, (36, 0)),
        ("9" * 37, None),
    ],
)
def test_numeric_literal_types(text, expected):
    dtype = catalog.numeric_literal_type(text)
    if expected is None:
        assert dtype == {"type": "DOUBLE"}
    else:
        assert (dtype["precision"], dtype["scale"]) == expected


def test_kill_session_statement(tmp_path):
    assert parse("KILL SESSION 123;") == {"kind": "kill_session", "session": 123}
    assert parse("kill session current_session") == {"kind": "kill_session", "session": None}
    db = make_db(tmp_path, "7.1.26")
    session = catalog.Session(7, "SYS", False)
    with pytest.raises(SqlError) as info:  # without the server nothing can be killed
        run(db, session, "KILL SESSION 8")
    assert info.value.code == "0A000"
    killed = []
    db.session_killer = lambda who, target: killed.append((who.session_id, target))
    run(db, session, "KILL SESSION 8")
    run(db, session, "KILL SESSION CURRENT_SESSION")
    assert killed == [(7, 8), (7, 7)] and session.transaction is None  # no transaction opened


def test_server_kill_session_refuses_unknown_and_ends_its_own(tmp_path):
    srv = server.Server(
        {
            "host": "127.0.0.61",
            "port": 0,
            "user": "sys",
            "password": "secret",
            "release": "7.1.26",
            "catalog_file": str(tmp_path / "catalog.json"),
            "adapter": {},
        }
    )
    proto = protocol.ProtocolSession(srv)
    login(proto, 3)
    own = proto.session.session_id
    assert srv.sessions == {own: proto}
    reply = proto.handle({"command": "execute", "sqlText": "KILL SESSION %d" % (own + 1)})
    assert reply["exception"]["sqlCode"] == "42000" and not proto.closed
    reply = proto.handle({"command": "execute", "sqlText": "KILL SESSION CURRENT_SESSION"})
    assert reply["status"] == "error" and "killed" in reply["exception"]["text"]
    assert proto.closed and proto.killed


def metadata_server(tmp_path, release):
    fake = FakeServer(release)
    fake.database = make_db(tmp_path, release)
    fake.database.committed["schemas"].update(
        {
            "ADAPTER": {"virtual": False, "object_id": 1, "scripts": {}},
            "AURORA": {"virtual": True, "object_id": 2, "tables": [{"name": "CUSTOMERS"}, {"name": "ORDERS"}]},
        }
    )
    proto = protocol.ProtocolSession(fake)
    login(proto, 3)
    return proto


def meta(proto, command, **fields):
    reply = proto.handle(dict(fields, command=command))
    if reply["status"] != "ok":
        return reply["exception"]["sqlCode"]
    result = reply["responseData"]["results"][0]["resultSet"]
    assert result["numRowsInMessage"] == result["numRows"]
    return [list(row) for row in zip(*result["data"])] if result["numRows"] else []


def test_get_schemas(tmp_path):
    proto = metadata_server(tmp_path, "7.1.26")
    proto.handle({"command": "setAttributes", "attributes": {"resultSetMaxRows": 1}})
    assert meta(proto, "getSchemas") == [  # resultSetMaxRows applies to statements only
        ["ADAPTER", "SYS", False, None],
        ["AURORA", "SYS", True, None],
        ["EXA_STATISTICS", "SYS", False, None],
        ["SYS", "SYS", False, None],
    ]
    assert [r[0] for r in meta(proto, "getSchemas", schema="A%")] == ["ADAPTER", "AURORA"]
    assert meta(proto, "getSchemas", schema="") == []
    assert meta(proto, "getSchemas", schema=None) == meta(proto, "getSchemas")
    assert meta(proto, "getSchemas", schema=["A%"]) == "00000"
    assert meta(proto, "getSchemas", catalog="EXA_DB") == "00000"  # not a field of getSchemas


def test_get_tables(tmp_path):
    proto = metadata_server(tmp_path, "8.29.12")
    tables = meta(proto, "getTables", schema="AURORA")
    assert tables == [
        ["AURORA", "CUSTOMERS", "SYS", "TABLE", True, False, False, None],
        ["AURORA", "ORDERS", "SYS", "TABLE", True, False, False, None],
    ]
    assert [r[1] for r in meta(proto, "getTables", table="CUST%", tableTypes=["TABLE"])] == ["CUSTOMERS"]
    assert meta(proto, "getTables", schema="AURORA", tableTypes=["VIEW"]) == []
    system = meta(proto, "getTables", schema="SYS")
    assert {r[3] for r in system} == {"SYSTEM TABLE"} and ["SYS", "EXA_ALL_SCRIPTS"] in [r[:2] for r in system]
    everything = meta(proto, "getTables")
    assert everything == sorted(everything, key=lambda r: (r[3], r[0], r[1])) and len(everything) == len(system) + 2
    assert meta(proto, "getTables", tableTypes=["MATERIALIZED VIEW"]) == "00000"
    all_tables = run(
        proto.server.database,
        proto.session,
        "/*snapshot execution*/SELECT TABLE_NAME, TABLE_IS_VIRTUAL FROM sys.exa_all_tables "
        "WHERE table_schema LIKE 'AUR%' ORDER BY table_name ASC",
    )
    assert all_tables["rows"] == [["CUSTOMERS", True], ["ORDERS", True]]
    assert meta(proto, "getColumns", schema="AURORA") == "0A000"  # still refused


def test_metadata_refused_on_protocol_v1(tmp_path):
    fake = FakeServer("6.2.17")
    fake.database = make_db(tmp_path, "6.2.17")
    proto = protocol.ProtocolSession(fake)
    login(proto, 3)
    assert proto.protocol == 1
    assert meta(proto, "getSchemas") == "0A000"
    assert meta(proto, "getTables") == "0A000"
