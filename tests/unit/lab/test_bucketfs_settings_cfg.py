"""Unit tests of the BucketFS emulator's settings.cfg check (no lab): the rules per release."""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
_spec = importlib.util.spec_from_file_location(
    "_lab_bucketfs_settings_cfg", os.path.join(ROOT, "tests", "lab", "bucketfs", "settings_cfg.py")
)
settings_cfg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(settings_cfg)

CLASSIC = (
    b"DRIVERNAME=POSTGRESQL\nJAR=postgresql-42.7.4.jar\nDRIVERMAIN=org.postgresql.Driver\n"
    b"PREFIX=jdbc:postgresql:\nNOSECURITY=YES\nFETCHSIZE=100000\nINSERTSIZE=-1\n"
)
SIMPLE = b"DRIVERNAME=POSTGRESQL\nPREFIX=jdbc:postgresql:\nFETCHSIZE=100000\nINSERTSIZE=-1\n"
JARS = {"postgresql-42.7.4.jar", "settings.cfg"}


@pytest.mark.parametrize(
    "version, simplified",
    [
        ("6.1", False),
        ("7.0", False),
        ("7.1", False),
        ("7.1.26", False),
        ("8.0.2", False),
        ("8.0.3", True),
        ("8", True),
        ("8.29.12", True),
        ("2025", True),
        ("2025.1.3", True),
    ],
)
def test_release_decides_the_required_keys(version, simplified):
    assert settings_cfg.simplified(version) is simplified
    assert settings_cfg.check(SIMPLE, JARS, version)["valid"] is simplified
    assert settings_cfg.check(CLASSIC, JARS, version)["valid"]


def test_last_line_must_end_with_lf():
    result = settings_cfg.check(CLASSIC.rstrip(b"\n"), JARS, "7.1")
    assert not result["valid"] and "line feed" in result["errors"][0]


def test_crlf_is_refused():
    result = settings_cfg.check(CLASSIC.replace(b"\n", b"\r\n"), JARS, "7.1")
    assert not result["valid"] and any("CR LF" in e for e in result["errors"])


def test_trailing_empty_line_and_unknown_key():
    result = settings_cfg.check(CLASSIC + b"COMMENT=x\n\n", JARS, "7.1")
    assert result["valid"] and result["warnings"] == ["line 8: unknown key 'COMMENT'"]


@pytest.mark.parametrize(
    "content, message",
    [
        (CLASSIC.replace(b"FETCHSIZE=100000", b"FETCHSIZE=lots"), "integer"),
        (CLASSIC.replace(b"NOSECURITY=YES", b"NOSECURITY=true"), "YES or NO"),
        (CLASSIC + b"PREFIX=jdbc:other:\n", "given twice"),
        (CLASSIC.replace(b"JAR=postgresql-42.7.4.jar", b"JAR=missing.jar"), "not in the driver directory"),
        (CLASSIC.replace(b"DRIVERMAIN=org.postgresql.Driver\n", b""), "DRIVERMAIN is missing"),
        (b"", "empty"),
        ("DRIVERNAME=\u00e9\n".encode("latin-1"), "UTF-8"),
    ],
)
def test_refusals(content, message):
    result = settings_cfg.check(content, JARS, "7.1")
    assert not result["valid"] and any(message in e for e in result["errors"]), result["errors"]


def test_simplified_format_needs_a_jar_in_the_directory():
    assert not settings_cfg.check(SIMPLE, {"settings.cfg"}, "8")["valid"]
    assert settings_cfg.check(SIMPLE, JARS, "8")["jars"] == ["postgresql-42.7.4.jar"]
