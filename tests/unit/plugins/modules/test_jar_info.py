"""jar_info: jar detection, manifest parsing, version floor."""
import os
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from module_runner import run_module  # noqa: E402
from standin_jars import adapter_standin, old_postgresql_driver  # noqa: E402

from ansible_collections.virtualis.aurora.plugins.modules.jar_info import (  # noqa: E402
    numeric_version,
    parse_manifest,
)

DEBIAN_DRIVER = "/usr/share/java/postgresql.jar"


def test_parse_manifest_continuation_and_sections():
    text = "Manifest-Version: 1.0\r\nImplementation-Title: Postgre\r\n SQL JDBC\r\n\r\nName: x\r\nA: b\r\n"
    assert parse_manifest(text) == {"Manifest-Version": "1.0", "Implementation-Title": "PostgreSQL JDBC"}


@pytest.mark.parametrize("text,expected", [("42.2.6", (42, 2, 6)), ("42.2.6.jre7", (42, 2, 6)),
                                           ("1.0-SNAPSHOT", (1, 0)), ("x", None), (None, None)])
def test_numeric_version(text, expected):
    assert numeric_version(text) == expected


def test_old_driver_refused(tmp_path):
    jar = old_postgresql_driver(str(tmp_path), "42.2.5")
    result = run_module("jar_info", tmp_path, path=jar, min_version="42.2.6")
    assert result["failed"] and "is version 42.2.5, older than the 42.2.6 required" in result["msg"]
    ok = run_module("jar_info", tmp_path, path=old_postgresql_driver(str(tmp_path), "42.2.6"), min_version="42.2.6")
    assert not ok.get("failed") and ok["version"] == "42.2.6"


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


def test_missing_file_and_title(tmp_path):
    assert "does not exist" in run_module("jar_info", tmp_path, path=str(tmp_path / "x.jar"))["msg"]
    standin = adapter_standin(str(tmp_path))
    result = run_module("jar_info", tmp_path, path=standin, title="PostgreSQL JDBC")
    assert result["failed"] and "not a PostgreSQL JDBC jar" in result["msg"]


@pytest.mark.skipif(not os.path.exists(DEBIAN_DRIVER), reason="libpostgresql-jdbc-java not installed")
def test_debian_driver(tmp_path):
    result = run_module("jar_info", tmp_path, path=DEBIAN_DRIVER, min_version="42.2.6", title="PostgreSQL JDBC")
    assert not result.get("failed"), result
    assert numeric_version(result["version"]) >= (42, 2, 6)
    assert result["manifest"]["Implementation-Vendor-Id"] == "org.postgresql"
