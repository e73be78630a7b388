"""pyexasol basics against the lab Exasol emulator (issue 12 item 4), with the pyexasol in .venv.

Each test follows one of pyexasol's own public test cases (exasol/pyexasol, test/integration/;
re-written for the lab, not copied) and names it: `SELECT 1` without FROM
(integration_smoke_test.py), KILL SESSION (exceptions_test.py test_close_closed_connection), the
"nosql" metadata commands getSchemas/getTables (metadata_nosql_test.py, examples/a13_meta_nosql.py).
What the emulator does and why is in tests/lab/README_exasol.md.

Objects created here are schemas named PYEXA_BASICS_<random>, dropped at the end of each test.
"""

import secrets

import pyexasol
import pytest

# exa is a fixture: imported so that pytest finds it here
from test_exasol_db_emulator import connect, exa, fails, release  # noqa: F401  pylint: disable=unused-import

DECIMAL_1_0 = {"type": "DECIMAL", "precision": 1, "scale": 0}


@pytest.fixture
def schema(exa):
    """A fresh, empty schema (created and opened), dropped after the test."""
    name = "PYEXA_BASICS_%s" % secrets.token_hex(4).upper()
    with connect(exa) as conn:
        conn.execute("CREATE SCHEMA %s" % name)
    yield name
    with connect(exa) as conn:
        conn.execute("DROP SCHEMA IF EXISTS %s CASCADE" % name)


def needs_v2(exa):
    if release(exa) < (7, 0):
        pytest.skip("metadata commands need protocol V2 (Exasol 7.0+); the lab runs %s" % exa["version"])


# SELECT without FROM --------------------------------------------------------------------------
def test_select_1_like_pyexasol_smoke_test(exa):
    """integration_smoke_test.py test_static_select: `SELECT 1;` -> [(1,)]."""
    with connect(exa) as conn:
        stmt = conn.execute("SELECT 1;")
        assert stmt.columns() == {"1": DECIMAL_1_0}
        assert stmt.fetchall() == [(1,)]
        assert conn.execute("SELECT 1 FROM DUAL").fetchval() == 1


def test_session_functions(exa, schema):
    with connect(exa) as conn:
        stmt = conn.execute("SELECT CURRENT_SESSION, CURRENT_USER, CURRENT_SCHEMA")
        assert stmt.fetchone() == (conn.session_id(), "SYS", None)
        assert stmt.columns()["CURRENT_SESSION"] == {"type": "DECIMAL", "precision": 20, "scale": 0}
        conn.execute("OPEN SCHEMA %s" % schema)
        assert conn.execute("SELECT CURRENT_SCHEMA AS s, 'a' x").fetchall() == [(schema, "a")]


@pytest.mark.parametrize(
    "statement,code",
    [
        ("SELECT1;", "42000"),  # exceptions_test.py test_invalid_sql
        ("SELECT 1+1", "0A000"),
        ("SELECT USER", "0A000"),
        ("SELECT NULL", "0A000"),
        ("KILL STATEMENT IN SESSION 1", "0A000"),
    ],
)
def test_outside_the_subset_is_refused(exa, statement, code):
    with connect(exa) as conn:
        assert fails(conn, statement).code == code


# KILL SESSION -----------------------------------------------------------------------------------
def test_killed_session_fails_on_close(exa):
    """exceptions_test.py test_close_closed_connection: after KILL SESSION <id> from another
    session, close() of the killed one raises ExaCommunicationError."""
    with connect(exa) as killer:
        victim = connect(exa)
        killer.execute("KILL SESSION %s" % victim.session_id())
        with pytest.raises(pyexasol.ExaCommunicationError):
            victim.close()
        assert killer.execute("SELECT 1").fetchval() == 1


def test_kill_unknown_session_is_an_error(exa):
    with connect(exa) as conn:
        assert fails(conn, "KILL SESSION 1").code == "42000"
        assert conn.execute("SELECT 1").fetchval() == 1


def test_kill_current_session_logs_out(exa):
    conn = connect(exa)
    with pytest.raises(pyexasol.ExaQueryError, match="killed"):
        conn.execute("KILL SESSION CURRENT_SESSION")
    with pytest.raises(pyexasol.ExaCommunicationError):
        conn.execute("SELECT 1")


# metadata commands ------------------------------------------------------------------------------
def names(stmt):
    return [row["NAME"] for row in stmt.fetchall()]


def test_nosql_metadata_like_pyexasol(exa, schema):
    """metadata_nosql_test.py: schema_exists, table_exists, view_exists, getSchemas (all and with
    a LIKE filter), getTables with a schema filter."""
    needs_v2(exa)
    with connect(exa, schema=schema) as conn:
        assert conn.protocol_version() >= pyexasol.PROTOCOL_V2
        assert conn.meta.schema_exists(schema)
        assert not conn.meta.schema_exists("ThisSchemaShouldNotExist")
        assert not conn.meta.table_exists("users")  # the lab has no physical tables
        assert not conn.meta.view_exists("ThisViewShouldNotExist")
        everything = names(conn.meta.execute_meta_nosql("getSchemas"))
        assert {"SYS", "EXA_STATISTICS", schema} <= set(everything) and everything == sorted(everything)
        assert names(conn.meta.execute_meta_nosql("getSchemas", {"schema": schema[:-2] + "%"})) == [schema]
        assert names(conn.meta.execute_meta_nosql("getSchemas", {"schema": ""})) == []
        assert names(conn.meta.execute_meta_nosql("getTables", {"schema": schema})) == []
        system = conn.meta.execute_meta_nosql(
            "getTables", {"schema": "SYS", "table": "EXA_ALL_%", "tableTypes": ["SYSTEM TABLE"]}
        )
        assert system.column_names() == [
            "SCHEMA",
            "NAME",
            "OWNER",
            "TABLE_TYPE",
            "IS_VIRTUAL",
            "HAS_DISTRIBUTION_KEY",
            "HAS_PARTITION_KEY",
            "COMMENT",
        ]
        assert "EXA_ALL_SCRIPTS" in names(system)


def test_snapshot_metadata_sql(exa, schema):
    """pyexasol meta.list_schemas / list_tables (SQL on EXA_SCHEMAS / EXA_ALL_TABLES behind the
    /*snapshot execution*/ hint) and, on protocol V1, table_exists through EXA_ALL_TABLES."""
    with connect(exa, protocol_version=pyexasol.PROTOCOL_V1) as conn:
        assert [s["SCHEMA_NAME"] for s in conn.meta.list_schemas(schema)] == [schema]
        assert conn.meta.list_tables(schema) == []
        assert not conn.meta.table_exists((schema, "users"))


def test_metadata_bad_request_and_other_commands(exa):
    """examples/a13_meta_nosql.py "Exception handling": a malformed request is an ExaRequestError;
    metadata commands the emulator does not implement stay refused (0A000)."""
    needs_v2(exa)
    with connect(exa) as conn:
        with pytest.raises(pyexasol.ExaRequestError):
            conn.meta.execute_meta_nosql("getTables", {"tableTypes": ["MATERIALIZED VIEW"]})
        with pytest.raises(pyexasol.ExaRequestError) as info:
            conn.meta.execute_meta_nosql("getColumns", {"schema": "SYS"})
        assert info.value.code == "0A000"


def test_metadata_refused_on_protocol_v1(exa):
    """Protocol V1 has no metadata commands (WebsocketAPIV2.md, added in 7.0): pyexasol refuses
    them itself, and the emulator refuses the raw request."""
    with connect(exa, protocol_version=pyexasol.PROTOCOL_V1) as conn:
        assert conn.protocol_version() == 1
        with pytest.raises(pyexasol.ExaRuntimeError):
            conn.meta.execute_meta_nosql("getSchemas")
        with pytest.raises(pyexasol.ExaRequestError) as info:
            conn.req({"command": "getSchemas"})
        assert info.value.code == "0A000"
