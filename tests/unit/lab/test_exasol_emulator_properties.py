"""Property validation of the emulated PostgreSQL adapter, per adapter generation (issue 13; no lab).

Adapter 4.x (virtual-schema-common-jdbc 14.0.2+, Exasol 2025.x) accepts TELEMETRY; 3.x (7.1) refuses it
with E-VSCJDBC-13, as it refuses every property it does not know. The emulator reads the major version
from the `%jar` file name, virtual-schema-dist-<vscjdbc>-postgresql-<adapter>.jar.
"""

import pytest
from lab_exasol import adapter

JAR4 = "virtual-schema-dist-14.0.5-postgresql-4.0.2.jar"
JAR3 = "virtual-schema-dist-12.0.0-postgresql-3.0.0.jar"
DRIVER = "postgresql-42.5.5.jar"


@pytest.mark.parametrize(
    "jars,major",
    [
        (["/buckets/bfsdefault/default/jars/" + JAR4, "/buckets/bfsdefault/default/jars/" + DRIVER], 4),
        (["/buckets/bfsdefault/default/jars/" + DRIVER, "/buckets/bfsdefault/default/jars/" + JAR3], 3),
        (["/buckets/bfsdefault/default/jars/virtual-schema-dist-13.0.0-postgresql-3.1.1.jar"], 3),
        (["/buckets/bfsdefault/default/jars/virtualschema-jdbc-adapter-dist-1.19.jar"], None),
        ([], None),
    ],
)
def test_adapter_major_comes_from_the_jar_name(jars, major):
    assert adapter.adapter_major(jars) == major


def refusal(props, major):
    with pytest.raises(adapter.AdapterError) as info:
        adapter.validate_properties(props, major)
    return info.value


def test_telemetry_is_accepted_by_4x():
    adapter.validate_properties({"CONNECTION_NAME": "C", "TELEMETRY": "false"}, 4)
    adapter.validate_properties({"CONNECTION_NAME": "C", "TELEMETRY": "true", "MAX_TABLE_COUNT": "5"}, 5)


@pytest.mark.parametrize("major", [3, 2, None])
def test_telemetry_is_refused_by_3x_and_unnamed_jars(major):
    error = refusal({"CONNECTION_NAME": "C", "TELEMETRY": "false"}, major)
    assert error.code == "22002"
    assert "E-VSCJDBC-13: This dialect does not support property 'TELEMETRY'" in str(error)


@pytest.mark.parametrize("major", [3, 4])
def test_unknown_properties_stay_refused(major):
    error = refusal({"CONNECTION_NAME": "C", "FETCH_MAGIC": "1"}, major)
    assert "E-VSCJDBC-13: This dialect does not support property 'FETCH_MAGIC'" in str(error)


@pytest.mark.parametrize("major", [3, 4])
def test_known_properties_of_both_generations(major):
    adapter.validate_properties(
        {
            "CONNECTION_NAME": "C",
            "TABLE_FILTER": "a,b",
            "EXCLUDED_CAPABILITIES": "LIMIT",
            "DEBUG_ADDRESS": "10.0.0.1:3000",
            "LOG_LEVEL": "INFO",
            "IMPORT_DATA_TYPES": "FROM_RESULT_SET",
            "MAX_TABLE_COUNT": "10",
            "CATALOG_NAME": "db",
            "SCHEMA_NAME": "public",
            "IGNORE_ERRORS": "POSTGRESQL_UPPERCASE_TABLES",
            "POSTGRESQL_IDENTIFIER_MAPPING": "CONVERT_TO_UPPER",
        },
        major,
    )


def test_value_checks_still_run_on_4x():
    assert "E-VSCJDBC-14" in str(refusal({"TELEMETRY": "false"}, 4))
    assert "E-VSCJDBC-43" in str(refusal({"CONNECTION_NAME": "C", "MAX_TABLE_COUNT": "0"}, 4))
    assert "E-VSPG-4" in str(refusal({"CONNECTION_NAME": "C", "POSTGRESQL_IDENTIFIER_MAPPING": "X"}, 4))


def script(jar):
    return {
        "body": "\n%%scriptclass com.exasol.adapter.RequestDispatcher;\n"
        "%%jar /buckets/bfsdefault/default/jars/%s;\n"
        "%%jar /buckets/bfsdefault/default/jars/%s;\n" % (jar, DRIVER)
    }


@pytest.fixture
def emulated(tmp_path):
    """An Adapter whose BucketFS holds both adapter jars and the driver (no JVM is started)."""
    jars = tmp_path / "bucketfs" / "bfsdefault" / ".dest" / "default" / "jars"
    jars.mkdir(parents=True)
    for name in (JAR4, JAR3, DRIVER):
        (jars / name).write_bytes(b"PK")
    return adapter.Adapter(
        {
            "helper_dir": "",
            "lab_json": str(tmp_path / "none.json"),
            "bucketfs_host_dir": str(tmp_path / "bucketfs"),
            "repo_root": str(tmp_path),
        }
    )


def test_create_with_telemetry_on_a_4x_script_passes_validation(emulated):
    # validation passes; the next step (the connection lookup) is what fails here
    with pytest.raises(adapter.AdapterError, match="E-UDF-CL-SL-JAVA-1108: connection 'C' does not exist"):
        emulated.read_metadata(script(JAR4), {"CONNECTION_NAME": "C", "TELEMETRY": "false"}, None, 7)


def test_create_with_telemetry_on_a_3x_script_is_refused(emulated):
    with pytest.raises(
        adapter.AdapterError,
        match="E-VSCJDBC-13: This dialect does not support property 'TELEMETRY'. Please, do not set this property.",
    ):
        emulated.read_metadata(script(JAR3), {"CONNECTION_NAME": "C", "TELEMETRY": "false"}, None, 7)
