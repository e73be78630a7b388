"""exasol_virtual_schema_info and _exasol_catalog: which adapter script and connection each virtual
schema uses, on both layouts of EXA_ALL_VIRTUAL_SCHEMAS, and never another property (no DB)."""

from test_exasol_objects_logic import run_main

from ansible_collections.virtualis.aurora.plugins.module_utils._exasol_catalog import adapter_of
from ansible_collections.virtualis.aurora.plugins.modules import exasol_virtual_schema_info as info


def test_adapter_from_one_column_with_and_without_quotes():
    assert adapter_of({"ADAPTER_SCRIPT": "ADAPTER.JDBC_ADAPTER"}) == ("ADAPTER", "JDBC_ADAPTER")
    assert adapter_of({"ADAPTER_SCRIPT": '"my.schema"."a""b"'}) == ("my.schema", 'a"b')
    assert adapter_of({"ADAPTER_SCRIPT": 'ADAPTER."x.y"'}) == ("ADAPTER", "x.y")
    assert adapter_of({"ADAPTER_SCRIPT": "NODOT"}) == (None, "NODOT")


def test_adapter_from_the_split_columns_of_exasol_8():
    row = {"ADAPTER_SCRIPT_SCHEMA": "ADAPTER", "ADAPTER_SCRIPT_NAME": "JDBC_ADAPTER", "ADAPTER_SCRIPT": "ignored"}
    assert adapter_of(row) == ("ADAPTER", "JDBC_ADAPTER")


def test_lists_adapter_and_connection_and_no_other_property(monkeypatch, capsys):
    tables = {
        "EXA_ALL_VIRTUAL_SCHEMAS": [
            {"SCHEMA_NAME": "B_VS", "ADAPTER_SCRIPT": "ADAPTER.JDBC_ADAPTER"},
            {"SCHEMA_NAME": "A_OLD", "ADAPTER_SCRIPT_SCHEMA": "X", "ADAPTER_SCRIPT_NAME": "Y"},
        ],
        "EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES": [{"SCHEMA_NAME": "B_VS", "PROPERTY_VALUE": "AURORA_CONNECTION"}],
    }
    result, fake = run_main(info, {}, tables, monkeypatch, capsys)
    assert not result["changed"] and fake.executed == []
    assert result["virtual_schemas"] == [
        {"name": "A_OLD", "adapter_schema": "X", "adapter_script": "Y", "connection": None},
        {
            "name": "B_VS",
            "adapter_schema": "ADAPTER",
            "adapter_script": "JDBC_ADAPTER",
            "connection": "AURORA_CONNECTION",
        },
    ]


def test_only_the_connection_name_property_is_asked_for(monkeypatch, capsys):
    asked = []
    from test_exasol_objects_logic import FakeConnection

    original = FakeConnection.execute

    def recording(self, sql):
        asked.append(sql)
        return original(self, sql)

    monkeypatch.setattr(FakeConnection, "execute", recording)
    run_main(info, {"name": "aurora"}, {}, monkeypatch, capsys)
    properties = [q for q in asked if "EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES" in q]
    assert properties and all("PROPERTY_NAME = 'CONNECTION_NAME'" in q for q in properties)
    assert any("WHERE SCHEMA_NAME = 'AURORA'" in q for q in asked)  # a regular identifier, folded


def test_a_bad_name_fails_before_any_query(monkeypatch, capsys):
    result, fake = run_main(info, {"name": "a\x01b"}, {}, monkeypatch, capsys)
    assert result["failed"] and "control character" in result["msg"]
