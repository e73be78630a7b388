"""exasol_exaoperation_jdbc_driver against a local fake EXAoperation."""

import pytest

from fake_exaoperation import FakeExaOperation
from module_runner import run_module

pytestmark = pytest.mark.spawns  # every test here starts a process (ansible-playbook, a module, keytool, a JVM)

MODULE = "exasol_exaoperation_jdbc_driver"


@pytest.fixture
def fake():
    with FakeExaOperation() as server:
        yield server


@pytest.fixture
def jar(tmp_path):
    path = tmp_path / "postgresql-42.7.4.jar"
    path.write_bytes(b"PK\x03\x04 not really a jar")
    return str(path)


def args(fake, jar, **extra):
    values = {"url": fake.url, "password": "secret", "name": "POSTGRESQL", "jars": [jar]}
    values.update(extra)  # not dict(dict(...), **extra): ansible-core 2.17's pylint takes that for a repeated keyword
    return values


def test_check_real_check_real(fake, tmp_path, jar):
    first = run_module(MODULE, tmp_path, check=True, **args(fake, jar))
    assert first["changed"] and fake.drivers == {}
    real = run_module(MODULE, tmp_path, **args(fake, jar))
    assert real["changed"] and real["driver_id"] == "jdbc_driver_1"
    assert real["diff"]["after"]["jars"] == ["postgresql-42.7.4.jar"]
    driver = fake.drivers["jdbc_driver_1"]
    assert driver["jdbc_name"] == "POSTGRESQL" and driver["jdbc_main"] == "org.postgresql.Driver"
    assert driver["jdbc_prefix"] == "jdbc:postgresql:" and driver["disable_security_manager"] is True
    for check in (True, False):
        again = run_module(MODULE, tmp_path, check=check, **args(fake, jar))
        assert not again["changed"] and again["driver_id"] == "jdbc_driver_1"
    assert len(fake.drivers) == 1


def test_new_jar_version_replaces_old(fake, tmp_path, jar):
    run_module(MODULE, tmp_path, **args(fake, jar))
    newer = tmp_path / "postgresql-42.7.5.jar"
    newer.write_bytes(b"PK\x03\x04 newer")
    result = run_module(MODULE, tmp_path, **args(fake, str(newer), comment="pg"))
    assert result["changed"] and result["diff"]["before"]["jars"] == ["postgresql-42.7.4.jar"]
    driver = fake.drivers["jdbc_driver_1"]
    assert [u.rsplit("/", 1)[1] for u in driver["jdbc_jars"]] == ["postgresql-42.7.5.jar"]
    assert driver["comment"] == "pg"


def test_failed_upload_leaves_nothing(fake, tmp_path, jar):
    fake.fail_upload = True
    result = run_module(MODULE, tmp_path, **args(fake, jar))
    assert result["failed"] and "disk full" in result["msg"] and "was removed again" in result["msg"]
    assert fake.drivers == {}


def test_wrong_password(fake, tmp_path, jar):
    result = run_module(MODULE, tmp_path, **args(fake, jar, password="nope-secret"))
    assert result["failed"] and "wrong user or password" in result["msg"]
    assert "nope-secret" not in str(result)


def test_missing_jar_and_bad_prefix(fake, tmp_path, jar):
    result = run_module(MODULE, tmp_path, **args(fake, str(tmp_path / "x.jar")))
    assert result["failed"] and "x.jar does not exist" in result["msg"] and fake.calls == []
    result = run_module(MODULE, tmp_path, **args(fake, jar, prefix="postgresql"))
    assert result["failed"] and "prefix must start with 'jdbc:'" in result["msg"]


def test_absent(fake, tmp_path, jar):
    run_module(MODULE, tmp_path, **args(fake, jar))
    gone = dict(url=fake.url, password="secret", name="POSTGRESQL", state="absent")
    assert run_module(MODULE, tmp_path, check=True, **gone)["changed"] and fake.drivers
    assert run_module(MODULE, tmp_path, **gone)["changed"] and fake.drivers == {}
    assert not run_module(MODULE, tmp_path, **gone)["changed"]


def test_server_down(tmp_path, jar):
    result = run_module(MODULE, tmp_path, url="https://127.0.0.1:1/cluster1", password="x", name="P", jars=[jar])
    assert result["failed"] and "could not reach https://127.0.0.1:1/cluster1" in result["msg"]


def test_driver_without_name_is_not_duplicated(fake, tmp_path, jar):
    fake.drivers["jdbc_driver_9"] = {"jdbc_jars": []}  # an EXAoperation that reports no names
    result = run_module(MODULE, tmp_path, **args(fake, jar))
    assert result["failed"] and "did not report the name of JDBC driver jdbc_driver_9" in result["msg"]
    assert list(fake.drivers) == ["jdbc_driver_9"]
