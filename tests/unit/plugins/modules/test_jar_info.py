"""jar_info: jar detection, manifest parsing, version floor."""

import json
import os
import zipfile

import pytest

from ansible_collections.virtualis.aurora.plugins.modules.jar_info import (
    numeric_version,
    parse_manifest,
)
from module_runner import run_module
from standin_jars import adapter_standin, old_postgresql_driver

DEBIAN_DRIVER = "/usr/share/java/postgresql.jar"


def test_parse_manifest_continuation_and_sections():
    text = "Manifest-Version: 1.0\r\nImplementation-Title: Postgre\r\n SQL JDBC\r\n\r\nName: x\r\nA: b\r\n"
    assert parse_manifest(text) == {"Manifest-Version": "1.0", "Implementation-Title": "PostgreSQL JDBC"}


@pytest.mark.parametrize(
    "text,expected",
    [("42.2.6", (42, 2, 6)), ("42.2.6.jre7", (42, 2, 6)), ("1.0-SNAPSHOT", (1, 0)), ("x", None), (None, None)],
)
def test_numeric_version(text, expected):
    assert numeric_version(text) == expected


@pytest.mark.spawns
def test_old_driver_refused(tmp_path):
    jar = old_postgresql_driver(str(tmp_path), "42.2.5")
    result = run_module("jar_info", tmp_path, path=jar, min_version="42.2.6")
    assert result["failed"] and "is version 42.2.5, older than the 42.2.6 required" in result["msg"]
    ok = run_module("jar_info", tmp_path, path=old_postgresql_driver(str(tmp_path), "42.2.6"), min_version="42.2.6")
    assert not ok.get("failed") and ok["version"] == "42.2.6"


@pytest.mark.spawns
def test_not_a_jar(tmp_path):
    text = tmp_path / "driver.jar"
    text.write_text("<html>404 Not Found</html>")
    result = run_module("jar_info", tmp_path, path=str(text))
    assert result["failed"] and "does not start with the zip signature" in result["msg"]
    plain_zip = tmp_path / "plain.jar"
    with zipfile.ZipFile(str(plain_zip), "w") as archive:
        archive.writestr("a.txt", "x")
    result = run_module("jar_info", tmp_path, path=str(plain_zip))
    assert result["failed"] and "has no META-INF/MANIFEST.MF" in result["msg"]


@pytest.mark.spawns
def test_missing_file_and_title(tmp_path):
    assert "does not exist" in run_module("jar_info", tmp_path, path=str(tmp_path / "x.jar"))["msg"]
    standin = adapter_standin(str(tmp_path))
    result = run_module("jar_info", tmp_path, path=standin, title="PostgreSQL JDBC")
    assert result["failed"] and "not a PostgreSQL JDBC jar" in result["msg"]


@pytest.mark.spawns
@pytest.mark.skipif(not os.path.exists(DEBIAN_DRIVER), reason="libpostgresql-jdbc-java not installed")
def test_debian_driver(tmp_path):
    result = run_module("jar_info", tmp_path, path=DEBIAN_DRIVER, min_version="42.2.6", title="PostgreSQL JDBC")
    assert not result.get("failed"), result
    assert numeric_version(result["version"]) >= (42, 2, 6)
    assert result["manifest"]["Implementation-Vendor-Id"] == "org.postgresql"


@pytest.mark.spawns
def test_driver_with_an_advisory_is_refused_naming_each_cve(tmp_path):
    jar = old_postgresql_driver(str(tmp_path), "42.7.5")
    result = run_module("jar_info", tmp_path, path=jar, advisories="pgjdbc")
    assert result["failed"] and "42.7.14 or newer" in result["msg"]
    for cve in ("CVE-2025-49146", "CVE-2026-42198", "CVE-2026-54291", "CVE-2026-107315"):
        assert cve in result["msg"]
    assert "CVE-2024-1597" not in result["msg"]  # fixed in 42.7.2


@pytest.mark.spawns
def test_accepted_advisory_passes_with_a_warning_and_a_typo_accepts_nothing(tmp_path):
    jar = old_postgresql_driver(str(tmp_path), "42.5.5")
    refused = run_module("jar_info", tmp_path, path=jar, advisories="pgjdbc")
    assert refused["failed"] and "CVE-2026-42198" in refused["msg"]
    result = run_module("jar_info", tmp_path, path=jar, advisories="pgjdbc", accept_advisories=["CVE-2026-42198"])
    assert not result.get("failed"), result
    assert [a["cve"] for a in result["advisories"]] == ["CVE-2026-42198"]
    warnings = json.dumps(result["warnings"])
    assert "CVE-2026-42198" in warnings and "accepted by accept_advisories" in warnings
    typo = run_module("jar_info", tmp_path, path=jar, advisories="pgjdbc", accept_advisories=["CVE-2026-4219"])
    assert typo["failed"] and "accept_advisories" in typo["msg"]


@pytest.mark.spawns
def test_clean_driver_and_unversioned_jar(tmp_path):
    ok = run_module("jar_info", tmp_path, path=old_postgresql_driver(str(tmp_path), "42.7.14"), advisories="pgjdbc")
    assert not ok.get("failed") and ok["advisories"] == [] and not ok.get("warnings")
    plain = tmp_path / "noversion.jar"
    with zipfile.ZipFile(str(plain), "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
    result = run_module("jar_info", tmp_path, path=str(plain), advisories="pgjdbc")
    assert result["failed"] and "no version" in result["msg"]


@pytest.mark.spawns
@pytest.mark.skipif(not os.path.exists(DEBIAN_DRIVER), reason="libpostgresql-jdbc-java not installed")
def test_debian_driver_passes_only_with_its_one_advisory_accepted(tmp_path):
    refused = run_module("jar_info", tmp_path, path=DEBIAN_DRIVER, advisories="pgjdbc")
    assert refused["failed"] and "CVE-2026-42198" in refused["msg"], refused
    result = run_module(
        "jar_info", tmp_path, path=DEBIAN_DRIVER, advisories="pgjdbc", accept_advisories=["CVE-2026-42198"]
    )
    assert not result.get("failed"), result


@pytest.mark.spawns
def test_bundled_pgjdbc_is_reported_and_warned_about_never_refused(tmp_path):
    from standin_jars import build_jar

    jar = build_jar(
        str(tmp_path / "virtual-schema-dist-14.0.5-postgresql-4.0.2.jar"),
        {"Implementation-Title": "adapter", "Implementation-Version": "4.0.2"},
        {
            "META-INF/maven/org.postgresql/postgresql/pom.properties": "groupId=org.postgresql\nversion=42.7.13\n",
            "META-INF/maven/com.exasol/virtual-schema-common-jdbc/pom.properties": "version=14.0.5\n",
        },
    )
    result = run_module("jar_info", tmp_path, path=jar, embedded_advisories="pgjdbc")
    assert not result.get("failed"), result
    assert result["embedded"] == {
        "org.postgresql:postgresql": "42.7.13",
        "com.exasol:virtual-schema-common-jdbc": "14.0.5",
    }
    assert [a["cve"] for a in result["embedded_advisories"]] == ["CVE-2026-107314", "CVE-2026-107315"]
    assert "bundles pgjdbc 42.7.13" in json.dumps(result["warnings"])
    clean = run_module("jar_info", tmp_path, path=adapter_standin(str(tmp_path)), embedded_advisories="pgjdbc")
    assert clean["embedded"] == {} and clean["embedded_advisories"] == [] and not clean.get("warnings")
