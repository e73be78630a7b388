"""exasol_connection / exasol_adapter_script / exasol_virtual_schema: URL, SQL and diff logic (no DB)."""

import contextlib
import json
from unittest import mock

import pytest

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.virtualis.aurora.plugins.module_utils import _exasol
from ansible_collections.virtualis.aurora.plugins.module_utils._exasol import ExasolInputError
from ansible_collections.virtualis.aurora.plugins.modules import exasol_adapter_script as script
from ansible_collections.virtualis.aurora.plugins.modules import exasol_connection as conn
from ansible_collections.virtualis.aurora.plugins.modules import exasol_info as info
from ansible_collections.virtualis.aurora.plugins.modules import exasol_virtual_schema as vs

try:
    from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19+
except ImportError:  # ansible-core 2.17, 2.18: AnsibleModule reads its arguments from basic._ANSIBLE_ARGS

    @contextlib.contextmanager
    def patch_module_args(args=None):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()):
            yield


TLS = {"ssl": "true", "sslfactory": "org.postgresql.ssl.DefaultJavaSSLFactory"}


# connection: URL and plan ----------------------------------------------------------------------
def test_url_has_tls_parameters_by_default():
    assert conn.build_jdbc_url(
        "db.cluster-x.eu-central-1.rds.amazonaws.com", 5432, "aurora_tutorial_database", TLS
    ) == (
        "jdbc:postgresql://db.cluster-x.eu-central-1.rds.amazonaws.com:5432/aurora_tutorial_database"
        "?ssl=true&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory"
    )


def test_url_escapes_database_and_values_and_brackets_ipv6():
    url = conn.build_jdbc_url("::1", 5433, "my db/x", {"ssl": "true", "options": "-c a=b&c"})
    assert url == "jdbc:postgresql://[::1]:5433/my%20db%2Fx?ssl=true&options=-c+a%3Db%26c"
    assert conn.build_jdbc_url("10.0.0.1", 5432, "d", {}) == "jdbc:postgresql://10.0.0.1:5432/d"


@pytest.mark.parametrize(
    "endpoint,port,database",
    [("h/x", 5432, "d"), ("h?x", 5432, "d"), ("u@h", 5432, "d"), ("h", 0, "d"), ("h", 70000, "d"), ("h", 5432, "")],
)
def test_url_refuses_bad_parts(endpoint, port, database):
    with pytest.raises(ExasolInputError):
        conn.build_jdbc_url(endpoint, port, database, TLS)


def current(url="jdbc:x", user="u"):
    return {"CONNECTION_NAME": "C", "CONNECTION_STRING": url, "USER_NAME": user}


@pytest.mark.parametrize(
    "row,password,policy,expected",
    [
        (None, "p", "on_create", ("CREATE", ["missing"])),
        (current(), "p", "on_create", (None, [])),
        (current(), "p", "always", ("ALTER", ["password"])),
        (current(url="jdbc:old"), "p", "on_create", ("ALTER", ["url"])),
        (current(user="other"), "p", "on_create", ("ALTER", ["user"])),
        (current(), None, "always", (None, [])),
    ],
)
def test_connection_plan(row, password, policy, expected):
    assert conn.plan("C", row, "jdbc:x", "u", password, policy) == expected


def test_connection_statement_hides_the_password_in_the_display():
    sql, display = conn.statement("ALTER", "C", "jdbc:x", "u", "it's")
    assert sql == "ALTER CONNECTION \"C\" TO 'jdbc:x' USER 'u' IDENTIFIED BY 'it''s'"
    assert display == "ALTER CONNECTION \"C\" TO 'jdbc:x' USER 'u' IDENTIFIED BY '********'"


# adapter script: header, directives, body ------------------------------------------------------
BODY = script.build_body(
    "com.exasol.adapter.RequestDispatcher",
    ["-Dx=1"],
    ["/buckets/bfsdefault/default/jars/a.jar", "/buckets/bfsdefault/default/jars/pg.jar"],
)


def test_body_has_one_directive_per_line():
    assert BODY == (
        "\n%scriptclass com.exasol.adapter.RequestDispatcher;\n%jvmoption -Dx=1;\n"
        "%jar /buckets/bfsdefault/default/jars/a.jar;\n%jar /buckets/bfsdefault/default/jars/pg.jar;\n"
    )


@pytest.mark.parametrize(
    "stored",
    [
        'CREATE JAVA ADAPTER SCRIPT "JDBC_ADAPTER" AS' + BODY,  # as Exasol shows it
        "CREATE OR REPLACE JAVA ADAPTER SCRIPT adapter.jdbc_adapter AS\n  // the tutorial's comment\n"
        "  %scriptclass   com.exasol.adapter.RequestDispatcher;\n\n  %jvmoption -Dx=1;\n"
        "  %jar /buckets/bfsdefault/default/jars/a.jar:/buckets/bfsdefault/default/jars/pg.jar;\n",
        'CREATE JAVA ADAPTER SCRIPT "we ""odd"" AS x" AS' + BODY,  # AS inside a quoted name
        BODY,  # body only
    ],
)
def test_stored_text_compares_equal_when_only_layout_differs(stored):
    assert script.render(script.directives(stored)) == script.render(script.directives(BODY))


def test_jar_order_and_jvm_options_count():
    swapped = BODY.replace("a.jar", "TMP").replace("pg.jar", "a.jar").replace("TMP", "pg.jar")
    assert script.directives(swapped) != script.directives(BODY)
    assert script.directives(BODY.replace("-Dx=1", "-Dx=2")) != script.directives(BODY)


@pytest.mark.parametrize(
    "cls,jvm,jars",
    [
        ("com.x;drop", [], ["/buckets/s/b/a.jar"]),
        ("com.X", ["-Da=1;%jar /x.jar"], ["/buckets/s/b/a.jar"]),
        ("com.X", ["-Da=1\n"], ["/buckets/s/b/a.jar"]),
        ("com.X", [], ["/tmp/a.jar"]),
        ("com.X", [], ["/buckets/s/b/a b.jar"]),
        ("com.X", [], ["/buckets/s/b/a.jar;x"]),
        ("com.X", [], []),
    ],
)
def test_body_refuses_what_would_break_a_directive(cls, jvm, jars):
    with pytest.raises(ExasolInputError):
        script.build_body(cls, jvm, jars)


# virtual schema: properties, SQL, adapter ----------------------------------------------------------
def test_properties_are_upper_cased_and_stringified():
    wanted = vs.desired_properties(
        {"connection_name": "C", "Table_Filter": ["a", " b"], "MAX_TABLE_COUNT": 5, "LOG_LEVEL": None}
    )
    assert wanted == {"CONNECTION_NAME": "C", "TABLE_FILTER": "a,b", "MAX_TABLE_COUNT": "5", "LOG_LEVEL": None}


@pytest.mark.parametrize(
    "props,message",
    [
        ({"CONNECTION_NAME": "C", "LOG LEVEL": "x"}, "not a plain identifier"),
        ({"CONNECTION_NAME": "C", "TELEMETRY": "off"}, "must be one of TRUE, FALSE"),
        ({"CONNECTION_NAME": "C", "PASSWORD": "x"}, "would store credentials"),
        ({"SCHEMA_NAME": "public"}, "must set CONNECTION_NAME"),
        ({"CONNECTION_NAME": "C", "POSTGRESQL_IDENTIFIER_MAPPING": "LOWER"}, "must be one of"),
        ({"CONNECTION_NAME": "C", "MAX_TABLE_COUNT": 0}, "positive integer"),
        ({"CONNECTION_NAME": "C", "DEBUG_ADDRESS": "host"}, "host:port"),
        ({"CONNECTION_NAME": "C", "IGNORE_ERRORS": "X"}, "POSTGRESQL_UPPERCASE_TABLES"),
        ({"CONNECTION_NAME": "C", "connection_name": "D"}, "given twice"),
    ],
)
def test_bad_properties_are_refused(props, message):
    with pytest.raises(ExasolInputError, match=message):
        vs.desired_properties(props)


def test_property_changes_set_changed_and_null_removed():
    current = {"CONNECTION_NAME": "C", "SCHEMA_NAME": "public", "LOG_LEVEL": "ALL"}
    wanted = {"CONNECTION_NAME": "C", "SCHEMA_NAME": "other", "TABLE_FILTER": "t"}
    purged = {"SCHEMA_NAME": "other", "TABLE_FILTER": "t", "LOG_LEVEL": None}
    assert vs.property_changes(current, wanted, purge=True) == purged
    assert vs.property_changes(current, wanted, purge=False) == {"SCHEMA_NAME": "other", "TABLE_FILTER": "t"}
    assert vs.property_changes(current, dict(current), purge=True) == {}
    assert vs.property_changes(current, dict(current, LOG_LEVEL=None), purge=False) == {"LOG_LEVEL": None}


def test_sql_quotes_names_and_values():
    assert vs.create_sql(
        'my "vs"', ("ADAPTER", "JDBC_ADAPTER"), {"CONNECTION_NAME": "C", "TABLE_FILTER": "it's", "LOG_LEVEL": None}
    ) == (
        'CREATE VIRTUAL SCHEMA "my ""vs""" USING "ADAPTER"."JDBC_ADAPTER" WITH '
        "CONNECTION_NAME = 'C' TABLE_FILTER = 'it''s'"
    )
    assert vs.assignments({"B": None, "A": "x"}) == "A = 'x' B = NULL"


@pytest.mark.parametrize(
    "row,adapter",
    [
        ({"ADAPTER_SCRIPT_SCHEMA": "ADAPTER", "ADAPTER_SCRIPT_NAME": "JDBC_ADAPTER"}, ("ADAPTER", "JDBC_ADAPTER")),
        ({"ADAPTER_SCRIPT": "ADAPTER.JDBC_ADAPTER"}, ("ADAPTER", "JDBC_ADAPTER")),
        ({"ADAPTER_SCRIPT": '"my.schema"."a ""b"""'}, ("my.schema", 'a "b"')),
    ],
)
def test_adapter_of_from_both_system_table_layouts(row, adapter):
    assert vs.adapter_of(row) == adapter


def test_version_defaults():
    text_new = "%jar /buckets/bfsdefault/default/jars/virtual-schema-dist-12.0.0-postgresql-3.1.1.jar;"
    text_old = "%jar /buckets/bfsdefault/default/virtualschema-jdbc-adapter-dist-1.19.0.jar;"
    assert vs.version_defaults({}, (6, 1, 4), text_new) == {
        "EXCLUDED_CAPABILITIES": vs.OLD_EXASOL_EXCLUDED_CAPABILITIES
    }
    assert vs.version_defaults({}, (6, 1, 5), text_new) == {}
    assert vs.version_defaults({"EXCLUDED_CAPABILITIES": ""}, (6, 0, 9), text_new) == {}
    assert vs.version_defaults({}, (7, 1, 26), text_old) == {"SQL_DIALECT": "POSTGRESQL"}
    assert vs.version_defaults({}, (7, 1, 26), "%jar /b/s/virtual-schema-dist-6.1.0-bundle-4.0.4.jar;") == {
        "SQL_DIALECT": "POSTGRESQL"
    }


# whole module runs on a fake pyexasol connection --------------------------------------------------
class FakeConnection:
    """Answers SELECTs by the system table named after FROM; records every other statement."""

    def __init__(self, tables):
        self.tables, self.executed, self.committed = tables, [], False

    def execute(self, sql):
        if sql.startswith("SELECT"):
            table = sql.split(" FROM ", 1)[1].split()[0]
            rows = list(self.tables.get(table, []))
            return type("Stmt", (), {"fetchall": lambda self: rows})()
        self.executed.append(sql)
        return None

    def commit(self):
        self.committed = True

    def rollback(self):
        pass

    def close(self):
        pass


def run_main(module, args, tables, monkeypatch, capsys):
    fake = FakeConnection(tables)
    monkeypatch.setattr(_exasol, "connect", lambda m: fake)
    fake.warnings = []
    monkeypatch.setattr(AnsibleModule, "warn", lambda self, text: fake.warnings.append(text))
    login = dict(login_host="exa", login_user="sys", login_password="secret")
    with patch_module_args(dict(login, **args)), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out), fake


def test_check_mode_plans_without_running(monkeypatch, capsys):
    result, fake = run_main(
        conn, dict(name="c", url="jdbc:x", user="u", password="p'q", _ansible_check_mode=True), {}, monkeypatch, capsys
    )
    assert result["changed"] and fake.executed == [] and not fake.committed
    assert result["queries"] == ["CREATE CONNECTION \"C\" TO 'jdbc:x' USER 'u' IDENTIFIED BY '********'"]


def test_real_run_executes_in_one_transaction(monkeypatch, capsys):
    result, fake = run_main(conn, dict(name="c", url="jdbc:x", user="u", password="p'q"), {}, monkeypatch, capsys)
    assert result["changed"] and fake.committed
    assert fake.executed == ["CREATE CONNECTION \"C\" TO 'jdbc:x' USER 'u' IDENTIFIED BY 'p''q'"]


def test_unchanged_adapter_script_is_left_alone(monkeypatch, capsys):
    tables = {
        "EXA_SCHEMAS": [{"SCHEMA_NAME": "ADAPTER", "SCHEMA_IS_VIRTUAL": False}],
        "EXA_ALL_SCRIPTS": [
            {
                "SCRIPT_TYPE": "ADAPTER",
                "SCRIPT_LANGUAGE": "JAVA",
                "SCRIPT_TEXT": 'CREATE JAVA ADAPTER SCRIPT "JDBC_ADAPTER" AS' + BODY,
            }
        ],
    }
    result, fake = run_main(
        script,
        dict(
            jvm_options=["-Dx=1"],
            jars=["/buckets/bfsdefault/default/jars/a.jar", "/buckets/bfsdefault/default/jars/pg.jar"],
        ),
        tables,
        monkeypatch,
        capsys,
    )
    assert result["changed"] is False and fake.executed == []


def test_virtual_schema_on_old_exasol_gets_the_join_exclusion_and_refuses_a_plain_schema(monkeypatch, capsys):
    tables = {
        "EXA_METADATA": [{"PARAM_VALUE": "6.1.4"}],
        "EXA_ALL_SCRIPTS": [{"SCRIPT_TYPE": "ADAPTER", "SCRIPT_TEXT": BODY}],
    }
    result, fake = run_main(vs, dict(name="aurora", properties={"CONNECTION_NAME": "C"}), tables, monkeypatch, capsys)
    assert result["applied_defaults"] == {"EXCLUDED_CAPABILITIES": vs.OLD_EXASOL_EXCLUDED_CAPABILITIES}
    assert fake.executed == [
        'CREATE VIRTUAL SCHEMA "AURORA" USING "ADAPTER"."JDBC_ADAPTER" WITH CONNECTION_NAME = '
        "'C' EXCLUDED_CAPABILITIES = '%s'" % vs.OLD_EXASOL_EXCLUDED_CAPABILITIES
    ]
    tables["EXA_SCHEMAS"] = [{"SCHEMA_NAME": "AURORA", "SCHEMA_IS_VIRTUAL": False}]
    result, fake = run_main(vs, dict(name="aurora", properties={"CONNECTION_NAME": "C"}), tables, monkeypatch, capsys)
    assert result["failed"] and "is not a virtual schema" in result["msg"] and fake.executed == []


def test_changed_adapter_recreates_with_a_warning(monkeypatch, capsys):
    tables = {
        "EXA_METADATA": [{"PARAM_VALUE": "8.29.12"}],
        "EXA_ALL_SCRIPTS": [{"SCRIPT_TYPE": "ADAPTER", "SCRIPT_TEXT": BODY}],
        "EXA_SCHEMAS": [{"SCHEMA_NAME": "AURORA", "SCHEMA_IS_VIRTUAL": True}],
        "EXA_ALL_VIRTUAL_SCHEMAS": [{"ADAPTER_SCRIPT_SCHEMA": "ADAPTER", "ADAPTER_SCRIPT_NAME": "OLD"}],
        "EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES": [{"PROPERTY_NAME": "CONNECTION_NAME", "PROPERTY_VALUE": "C"}],
    }
    result, fake = run_main(vs, dict(name="aurora", properties={"CONNECTION_NAME": "C"}), tables, monkeypatch, capsys)
    assert fake.executed[0] == 'DROP VIRTUAL SCHEMA "AURORA" CASCADE' and fake.executed[1].startswith("CREATE VIRTUAL")
    assert any("cannot change the adapter" in text for text in fake.warnings)


def test_bad_property_name_fails_before_connecting(monkeypatch, capsys):
    monkeypatch.setattr(_exasol, "connect", lambda m: pytest.fail("connected despite bad input"))
    with (
        patch_module_args(
            dict(
                login_host="exa",
                login_user="sys",
                login_password="s",
                name="v",
                properties={"CONNECTION_NAME": "C", "X = 'y' LOG_LEVEL": "1"},
            )
        ),
        pytest.raises(SystemExit),
    ):
        vs.main()
    assert "not a plain identifier" in json.loads(capsys.readouterr().out)["msg"]


# adapter versions, telemetry, unknown properties, purge of foreign names ------------------------------
JAR3 = "%jar /buckets/bfsdefault/default/jars/virtual-schema-dist-12.0.0-postgresql-3.0.0.jar;"
JAR4 = "%jar /buckets/bfsdefault/default/jars/virtual-schema-dist-14.0.5-postgresql-4.0.2.jar;"


def vs_tables(version, script_text, props=None):
    tables = {
        "EXA_METADATA": [{"PARAM_VALUE": version}],
        "EXA_ALL_SCRIPTS": [{"SCRIPT_TYPE": "ADAPTER", "SCRIPT_TEXT": script_text}],
    }
    if props is not None:
        tables.update(
            {
                "EXA_SCHEMAS": [{"SCHEMA_NAME": "AURORA", "SCHEMA_IS_VIRTUAL": True}],
                "EXA_ALL_VIRTUAL_SCHEMAS": [
                    {"ADAPTER_SCRIPT_SCHEMA": "ADAPTER", "ADAPTER_SCRIPT_NAME": "JDBC_ADAPTER"}
                ],
                "EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES": [
                    {"PROPERTY_NAME": k, "PROPERTY_VALUE": v} for k, v in props.items()
                ],
            }
        )
    return tables


@pytest.mark.parametrize(
    "setting,text,major",
    [
        ("auto", JAR4, 4),
        ("auto", JAR3, 3),
        ("auto", "%jar /b/s/adapter.jar;", None),
        ("3.1.1", JAR4, 3),
    ],
)
def test_adapter_major_from_the_jar_name_or_the_option(setting, text, major):
    assert vs.adapter_major(setting, text) == major


def test_telemetry_off_on_adapter_4_and_nothing_on_adapter_3(monkeypatch, capsys):
    args = dict(name="aurora", properties={"CONNECTION_NAME": "C"}, telemetry=False)
    result, fake = run_main(vs, args, vs_tables("2025.1.3", JAR4), monkeypatch, capsys)
    assert result["adapter_major"] == 4 and result["applied_defaults"] == {"TELEMETRY": "false"}
    assert fake.executed == [
        'CREATE VIRTUAL SCHEMA "AURORA" USING "ADAPTER"."JDBC_ADAPTER" WITH '
        "CONNECTION_NAME = 'C' TELEMETRY = 'false'"
    ]
    result, fake = run_main(vs, args, vs_tables("7.1.26", JAR3), monkeypatch, capsys)
    assert result["adapter_major"] == 3 and result["applied_defaults"] == {} and "TELEMETRY" not in fake.executed[0]
    result, fake = run_main(
        vs, args, vs_tables("2025.1.3", JAR4, {"CONNECTION_NAME": "C", "TELEMETRY": "false"}), monkeypatch, capsys
    )
    assert result["changed"] is False and fake.executed == []  # second run


def test_telemetry_property_refused_on_adapter_3_and_unknown_jar_warns(monkeypatch, capsys):
    props = {"CONNECTION_NAME": "C", "TELEMETRY": "false"}
    result, fake = run_main(vs, dict(name="aurora", properties=props), vs_tables("7.1.26", JAR3), monkeypatch, capsys)
    assert result["failed"] and "E-VSCJDBC-13" in result["msg"] and fake.executed == []
    result, fake = run_main(
        vs,
        dict(name="aurora", properties={"CONNECTION_NAME": "C"}, telemetry=False),
        vs_tables("2025.1.3", "%jar /b/s/adapter.jar;"),
        monkeypatch,
        capsys,
    )
    assert result["adapter_major"] is None and any("set adapter_version" in w for w in fake.warnings)


def test_unknown_property_passes_with_a_warning_and_adapter_4_on_7_1_warns(monkeypatch, capsys):
    props = {"CONNECTION_NAME": "C", "NEW_FEATURE_SWITCH": "on"}
    result, fake = run_main(vs, dict(name="aurora", properties=props), vs_tables("7.1.26", JAR4), monkeypatch, capsys)
    assert not result.get("failed") and "NEW_FEATURE_SWITCH = 'on'" in fake.executed[0]
    assert any("NEW_FEATURE_SWITCH" in w and "E-VSCJDBC-13" in w for w in fake.warnings)
    assert any("only Exasol 2025.1 and later" in w for w in fake.warnings)


def test_purge_refuses_a_property_name_from_the_database_that_is_not_an_identifier(monkeypatch, capsys):
    current = {"CONNECTION_NAME": "C", "LOG_LEVEL = NULL, X": "1"}
    result, fake = run_main(
        vs,
        dict(name="aurora", properties={"CONNECTION_NAME": "C"}),
        vs_tables("2025.1.3", JAR4, current),
        monkeypatch,
        capsys,
    )
    assert result["failed"] and "EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES" in result["msg"] and fake.executed == []
    result, fake = run_main(
        vs,
        dict(name="aurora", properties={"CONNECTION_NAME": "C"}, purge_properties=False),
        vs_tables("2025.1.3", JAR4, current),
        monkeypatch,
        capsys,
    )
    assert result["changed"] is False and fake.executed == []


@pytest.mark.parametrize(
    "version,generation,exaoperation,minimal",
    [
        ("6.2.17", "6.x and 7.0", True, False),
        ("7.0.20", "6.x and 7.0", True, False),
        ("7.1.26", "7.1", False, False),
        ("8.0.2", "8.x", False, False),
        ("8.29.12", "8.x", False, True),
        ("2025.1.3", "2025.x", False, True),
    ],
)
def test_exasol_info_generation(version, generation, exaoperation, minimal, monkeypatch, capsys):
    result = run_main(info, {}, {"EXA_METADATA": [{"PARAM_VALUE": version}]}, monkeypatch, capsys)[0]
    assert (result["version"], result["generation"]) == (version, generation)
    assert (result["exaoperation"], result["minimal_settings"], result["changed"]) == (exaoperation, minimal, False)


def test_no_secret_in_any_output(monkeypatch, capsys):
    result = run_main(
        conn, dict(name="c", url="jdbc:x", user="u", password="S3cr'et", _ansible_diff=True), {}, monkeypatch, capsys
    )[0]
    assert "S3cr" not in json.dumps(result)  # diff and queries carry no password
