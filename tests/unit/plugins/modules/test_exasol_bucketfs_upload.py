"""exasol_bucketfs_upload run as Ansible runs it (a child process, JSON args) against a fake BucketFS."""

import hashlib
import json
import os

import pytest

from fake_bucketfs import FakeBucketFS
from module_runner import run_module as run_any

pytestmark = pytest.mark.spawns  # every test here starts a process (ansible-playbook, a module, keytool, a JVM)


def run_module(tmp_path, check=False, diff=True, **args):
    args.setdefault("retries", 2)
    return run_any("exasol_bucketfs_upload", tmp_path, check=check, diff=diff, **args)


@pytest.fixture
def fake(tmp_path):
    with FakeBucketFS(str(tmp_path / "bucket")) as server:
        yield server


@pytest.fixture
def jar(tmp_path):
    path = tmp_path / "driver.jar"
    path.write_bytes(os.urandom(50000))
    return str(path)


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_check_real_check_real(fake, tmp_path, jar):
    """The amazon.aws pattern: check (changed), real (changed), check and real again (not changed)."""
    args = dict(url=fake.url, password="wpw", path="jars/driver.jar", src=jar)
    first = run_module(tmp_path, check=True, **args)
    assert first["changed"] and first["previous_state"] == "absent" and first["bytes_sent"] == 0
    assert fake.listing() == []
    real = run_module(tmp_path, **args)
    assert real["changed"] and real["bytes_sent"] == 50000 and real["sha256"] == sha(jar)
    assert real["udf_path"] == "/buckets/bfsdefault/default/jars/driver.jar"
    assert real["url"] == fake.url + "/default/jars/driver.jar"
    assert real["diff"]["before"]["present"] is False and real["diff"]["after"]["sha256"] == sha(jar)
    assert sha(fake.file("jars/driver.jar")) == sha(jar)
    for check in (True, False):
        again = run_module(tmp_path, check=check, **args)
        assert not again["changed"] and again["bytes_sent"] == 0 and again["previous_state"] == "same"
    assert [r for r in fake.requests if r[0] == "PUT"] == [("PUT", "/default/jars/driver.jar", 50000)]


def test_changed_content_is_uploaded_again(fake, tmp_path, jar):
    fake.put("jars/driver.jar", b"old content")
    result = run_module(tmp_path, url=fake.url, password="wpw", path="jars/driver.jar", src=jar)
    assert result["changed"] and result["previous_state"] == "different"
    assert result["diff"]["before"]["sha256"] == hashlib.sha256(b"old content").hexdigest()
    assert sha(fake.file("jars/driver.jar")) == sha(jar)


def test_absent(fake, tmp_path):
    fake.put("jars/old.jar", b"x")
    args = dict(url=fake.url, password="wpw", path="jars/old.jar", state="absent")
    assert run_module(tmp_path, check=True, **args)["changed"]
    assert fake.listing() == ["jars/old.jar"]
    assert run_module(tmp_path, **args)["changed"]
    assert fake.listing() == []
    assert not run_module(tmp_path, **args)["changed"]


def test_content_option(fake, tmp_path):
    args = dict(url=fake.url, password="wpw", path="drivers/jdbc/pg/settings.cfg", content="A=1\nB=2\n")
    assert run_module(tmp_path, **args)["changed"]
    assert open(fake.file("drivers/jdbc/pg/settings.cfg"), "rb").read() == b"A=1\nB=2\n"
    assert not run_module(tmp_path, **args)["changed"]


def test_checksum_mismatch_uploads_nothing(fake, tmp_path, jar):
    result = run_module(tmp_path, url=fake.url, password="wpw", path="a.jar", src=jar, checksum="sha256:" + "0" * 64)
    assert result["failed"] and "expected 0000" in result["msg"]
    assert fake.requests == []
    ok = run_module(tmp_path, url=fake.url, password="wpw", path="a.jar", src=jar, checksum="sha256:" + sha(jar))
    assert ok["changed"]


def test_missing_src(fake, tmp_path):
    result = run_module(tmp_path, url=fake.url, password="wpw", path="a.jar", src=str(tmp_path / "nope.jar"))
    assert result["failed"] and "nope.jar does not exist" in result["msg"]
    assert fake.requests == []


def test_wrong_password(fake, tmp_path, jar):
    result = run_module(tmp_path, url=fake.url, password="wrong-secret", path="a.jar", src=jar)
    assert result["failed"] and result["status"] == 401 and "wrong user or password" in result["msg"]
    assert "wrong-secret" not in json.dumps(result)
    assert fake.listing() == []


def test_500_retried_then_clear_error(fake, tmp_path, jar):
    fake.fail_next = 100
    result = run_module(tmp_path, url=fake.url, password="wpw", path="a.jar", src=jar, retries=1)
    assert result["failed"] and "gave up after 2 attempts: BucketFS answered 500" in result["msg"]
    assert fake.listing() == []


def test_bad_path(fake, tmp_path, jar):
    result = run_module(tmp_path, url=fake.url, password="wpw", path="jars/", src=jar)
    assert result["failed"] and "path must name a file" in result["msg"]
