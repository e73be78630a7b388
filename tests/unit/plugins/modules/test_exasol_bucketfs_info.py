"""exasol_bucketfs_info run as Ansible runs it (a child process, JSON args) against a fake BucketFS."""

import pytest

from fake_bucketfs import FakeBucketFS
from module_runner import run_module as run_any

pytestmark = pytest.mark.spawns  # every test here starts a module process


def run_module(tmp_path, check=False, **args):
    args.setdefault("retries", 0)
    return run_any("exasol_bucketfs_info", tmp_path, check=check, **args)


@pytest.fixture
def fake(tmp_path):
    with FakeBucketFS(str(tmp_path / "bucket")) as server:
        server.put("drivers/jdbc/pg/postgresql-42.7.14.jar", b"new")
        server.put("drivers/jdbc/pg/postgresql-42.2.6.jar", b"old")
        server.put("drivers/jdbc/pg/settings.cfg", b"DRIVERNAME=POSTGRESQL\n")
        server.put("drivers/jdbc/pgx/other.jar", b"not below drivers/jdbc/pg")
        yield server


def test_lists_a_directory_and_reads_small_files_in_check_mode_too(fake, tmp_path):
    for check in (True, False):
        result = run_module(
            tmp_path,
            check=check,
            url=fake.url,
            password="rpw",
            user="r",
            directory="drivers/jdbc/pg/",
            read=["drivers/jdbc/pg/settings.cfg", "drivers/jdbc/pg/missing.cfg"],
        )
        assert not result["changed"] and not result.get("failed"), result
        assert result["files"] == [
            "drivers/jdbc/pg/postgresql-42.2.6.jar",
            "drivers/jdbc/pg/postgresql-42.7.14.jar",
            "drivers/jdbc/pg/settings.cfg",
        ]
        assert result["contents"] == {"drivers/jdbc/pg/settings.cfg": "DRIVERNAME=POSTGRESQL\n"}
    assert all(method == "GET" for method, _path, _size in fake.requests)


def test_whole_bucket_and_a_wrong_password(fake, tmp_path):
    result = run_module(tmp_path, url=fake.url, password="wpw")
    assert result["files"] == fake.listing() and result["contents"] == {}
    wrong = run_module(tmp_path, url=fake.url, password="nope-secret")
    assert wrong["failed"] and wrong["status"] == 401 and "nope-secret" not in str(wrong)


def test_refuses_a_large_file_and_a_path_outside_the_bucket(fake, tmp_path):
    fake.put("big.bin", b"x" * (64 * 1024 + 1))
    big = run_module(tmp_path, url=fake.url, password="wpw", read=["big.bin"])
    assert big["failed"] and "larger than 65536 bytes" in big["msg"]
    outside = run_module(tmp_path, url=fake.url, password="wpw", directory="drivers/../..")
    assert outside["failed"] and "directory" in outside["msg"] and fake.requests[-1][1] != "/default/.."
