"""The lab's BucketFS emulator, proven with clients nobody here wrote: exasol-bucketfs and curl."""

import concurrent.futures
import hashlib
import io
import json
import os
import socket
import subprocess
import tarfile
import threading
import time
import urllib.request
import uuid

import pytest

from lab_helpers import bucketfs_context

bucketfs = pytest.importorskip("exasol.bucketfs")


@pytest.fixture(scope="module")
def bfs(lab):
    if "bucketfs" not in lab:
        pytest.skip("the lab has no bucketfs component")
    return lab["bucketfs"]


@pytest.fixture()
def prefix():
    """A fresh directory in the bucket per test, so tests never see each other's files."""
    return "pytest-%s" % uuid.uuid4().hex[:10]


def bucket(bfs, name="default", tls=True, user="w", password=None):
    """A bucket of the emulator: over HTTPS, or (tls=False) over the plain HTTP port where the
    generation has one (6.x/7.x; 2025.x answers HTTPS only, so there it is HTTPS too)."""
    conf = bfs["buckets"][name]
    password = password if password is not None else conf["write_password" if user == "w" else "read_password"]
    tls = tls or "http_url" not in bfs
    url = bfs["https_url"] if tls else bfs["http_url"]
    return bucketfs.Bucket(
        name=name,
        service=url,
        username=user,
        password=password,
        verify=bfs["ca_file"] if tls else True,
        service_name=bfs["service"],
    )


def plain_or_tls(bfs):
    """(base URL, curl TLS arguments): HTTP where the generation has it, else HTTPS with the lab CA."""
    if "http_url" in bfs:
        return bfs["http_url"], []
    return bfs["https_url"], ["--cacert", bfs["ca_file"]]


def wait_until(predicate, bfs, what, seconds=None):
    deadline = time.time() + (seconds or float(bfs.get("sync_delay", 0.5)) * 10 + 5)
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail("timed out waiting until %s" % what)


def dest(bfs, name, path):
    return os.path.join(bfs["host_dir"], bfs["service"], ".dest", name, path)


def curl(*args, data=None):
    """curl's HTTP status code (a string) for a request; -sS: errors are visible, not fatal."""
    cmd = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}"] + list(args)
    done = subprocess.run(cmd, input=data, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode()


def creds(user, password):
    """curl reads the credentials from stdin (-K -), never from its command line."""
    return ('user = "%s:%s"\n' % (user, password)).encode()


def test_service_lists_its_buckets(bfs):
    service = bucketfs.Service(bfs["https_url"], verify=bfs["ca_file"], service_name=bfs["service"])
    assert {"default", "second"} <= set(service.buckets)


def test_upload_list_download_delete_with_exasol_bucketfs(bfs, prefix):
    bkt = bucket(bfs)
    path = prefix + "/jars/hello.jar"
    content = os.urandom(300_000)
    bkt.upload(path, content)
    wait_until(lambda: path in set(bkt.files), bfs, "the upload is listed")
    assert bucketfs.as_bytes(bkt.download(path)) == content
    with open(dest(bfs, "default", path), "rb") as handle:
        assert handle.read() == content
    assert bkt.udf_path == "/buckets/%s/default" % bfs["service"]
    bkt.delete(path)
    wait_until(lambda: path not in set(bkt.files), bfs, "the delete is synced")
    assert not os.path.exists(dest(bfs, "default", path))


def test_read_user_reads_write_user_reads(bfs, prefix):
    path = prefix + "/r.txt"
    bucket(bfs).upload(path, b"read me")
    reader = bucket(bfs, user="r")
    wait_until(lambda: path in set(reader.files), bfs, "the upload is listed for r")
    assert bucketfs.as_bytes(reader.download(path)) == b"read me"
    with pytest.raises(bucketfs.BucketFsError):
        reader.upload(prefix + "/not-allowed.txt", b"x")
    bucket(bfs).delete(path)


def test_upload_is_visible_only_after_the_sync_delay(bfs, prefix):
    if float(bfs.get("sync_delay", 0)) < 0.2:
        pytest.skip("sync delay too short to observe")
    delay = float(bfs["sync_delay"])
    bkt = bucket(bfs, tls=False)
    path = prefix + "/late.txt"
    started = time.monotonic()  # publication cannot happen before started + delay
    bkt.upload(path, b"not yet")

    def too_early(seen):
        # Seeing the file is only wrong while the delay has not passed: a test process stalled by a
        # loaded machine may look after the publisher has run, and that is not the emulator's fault.
        return seen and time.monotonic() - started < delay

    assert not too_early(path in set(bkt.files))
    assert not too_early(os.path.exists(dest(bfs, "default", path)))
    try:
        bucketfs.as_bytes(bkt.download(path))
        downloaded = True
    except bucketfs.BucketFsError:
        downloaded = False
    assert not too_early(downloaded)
    wait_until(lambda: path in set(bkt.files), bfs, "the upload is listed")
    assert os.path.exists(dest(bfs, "default", path))
    bkt.delete(path)


def test_status_codes_with_curl(bfs, prefix, tmp_path):
    conf = bfs["buckets"]["default"]
    base, tls = plain_or_tls(bfs)
    https = ["--cacert", bfs["ca_file"], bfs["https_url"]]
    payload = tmp_path / "payload.txt"
    payload.write_bytes(b"payload\n")
    url = "%s/default/%s/p.txt" % (base, prefix)
    # writes: wrong, missing, or read-only credentials are refused with 401
    assert curl(*tls, "-K", "-", "-T", str(payload), url, data=creds("w", "wrong")) == "401"
    assert curl(*tls, "-T", str(payload), url) == "401"
    assert curl(*tls, "-K", "-", "-T", str(payload), url, data=creds("r", conf["read_password"])) == "401"
    assert curl(*tls, "-K", "-", "-X", "DELETE", url, data=creds("w", "wrong")) == "401"
    assert curl(*tls, "-K", "-", "-T", str(payload), url, data=creds("w", conf["write_password"])) == "200"
    # reads of a private bucket: no credentials 401, wrong password 403 (as bucketfs-java's ITs see)
    assert curl(*tls, base + "/default") == "401"
    assert curl(*tls, "-K", "-", base + "/default", data=creds("r", "wrong")) == "403"
    assert curl("-K", "-", https[0], https[1], https[2] + "/default", data=creds("r", conf["read_password"])) == "200"
    # missing things
    assert (
        curl(*tls, "-K", "-", "%s/default/%s/missing.txt" % (base, prefix), data=creds("r", conf["read_password"]))
        == "404"
    )
    assert curl(*tls, base + "/no-such-bucket") == "404"
    # deleting what does not exist is not an error
    assert (
        curl(
            *tls,
            "-K",
            "-",
            "-X",
            "DELETE",
            "%s/default/%s/missing.txt" % (base, prefix),
            data=creds("w", conf["write_password"]),
        )
        == "200"
    )
    # the public bucket reads without a password, but never writes without one
    assert curl(*tls, base + "/second") == "200"
    assert curl(*tls, "-T", str(payload), "%s/second/%s/p.txt" % (base, prefix)) == "401"
    bucket(bfs).delete(prefix + "/p.txt")


def test_https_only_from_exasol_8_on(bfs, lab):
    """2025.x: bfsdefault answers HTTPS on 2581 and nothing on HTTP's 2580 (README_exasol.md, issue 13);
    6.x / 7.x answer both."""
    host = bfs["https_url"].split("//", 1)[1].rsplit(":", 1)[0]
    with socket.socket() as sock:
        sock.settimeout(2)
        http_open = sock.connect_ex((host, int(os.environ.get("LAB_BUCKETFS_HTTP_PORT", "2580")))) == 0
    cos = lab["nodes"][0]["layout"] == "cos"
    assert http_open is not cos and ("http_url" in bfs) is not cos


def test_large_streamed_upload_chunked_and_content_length(bfs, prefix, tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as handle:
        handle.write(os.urandom(32 << 20))
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    conf = bfs["buckets"]["default"]
    base = "%s/default/%s/" % (bfs["https_url"], prefix)
    auth = creds("w", conf["write_password"])
    started = time.time()
    assert curl("--cacert", bfs["ca_file"], "-K", "-", "-T", str(big), base + "length.bin", data=auth) == "200"
    # `-T -` streams stdin with Transfer-Encoding: chunked; credentials then come from a file
    netrc = tmp_path / "curl.cfg"
    netrc.write_bytes(auth)
    netrc.chmod(0o600)
    with open(big, "rb") as stdin:
        done = subprocess.run(
            [
                "curl",
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--cacert",
                bfs["ca_file"],
                "-K",
                str(netrc),
                "-T",
                "-",
                base + "chunked.bin",
            ],
            stdin=stdin,
            capture_output=True,
            timeout=60,
            check=False,
        )
    assert done.stdout.decode() == "200", done.stderr
    print("2 x 32 MiB over HTTPS in %.2fs" % (time.time() - started))
    bkt = bucket(bfs)
    wait_until(lambda: {prefix + "/length.bin", prefix + "/chunked.bin"} <= set(bkt.files), bfs, "both are listed")
    for name in ("length.bin", "chunked.bin"):
        got = hashlib.sha256()
        for chunk in bkt.download(prefix + "/" + name, chunk_size=1 << 20):
            got.update(chunk)
        assert got.hexdigest() == digest
        bkt.delete(prefix + "/" + name)


def make_tgz(members):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def test_archives_are_extracted_next_to_themselves(bfs, prefix):
    bkt = bucket(bfs)
    path = prefix + "/slc/ScriptLanguages-test.tar.gz"
    bkt.upload(path, make_tgz({"usr/lib/marker.txt": b"inside\n", "bin/tool": b"#!/bin/sh\n"}))
    extracted = dest(bfs, "default", prefix + "/slc/ScriptLanguages-test/usr/lib/marker.txt")
    # listed last: the emulator extracts first and then publishes the index entry
    wait_until(lambda: path in set(bkt.files), bfs, "the archive is listed")
    assert os.path.exists(extracted)
    with open(extracted, "rb") as handle:
        assert handle.read() == b"inside\n"
    assert path in set(bkt.files)  # the HTTP listing shows the archive, not its members
    assert not any(name.startswith(prefix + "/slc/ScriptLanguages-test/") for name in bkt.files)
    bkt.delete(path)
    wait_until(lambda: not os.path.exists(os.path.dirname(extracted)), bfs, "the extracted tree is removed")


def lab_drivers(bfs):
    with urllib.request.urlopen(
        bfs["lab_endpoint"] + "jdbc-drivers", timeout=10, context=bucketfs_context(bfs)
    ) as response:
        return json.load(response)


def settings(version_is_8, prefix="jdbc:postgresql:", trailing_lf=True, jar="postgresql-42.7.4.jar"):
    lines = ["DRIVERNAME=POSTGRESQL"]
    if not version_is_8:
        lines += ["JAR=%s" % jar, "DRIVERMAIN=org.postgresql.Driver"]
    lines += ["PREFIX=%s" % prefix, "NOSECURITY=YES", "FETCHSIZE=100000", "INSERTSIZE=-1"]
    return ("\n".join(lines) + ("\n" if trailing_lf else "")).encode()


def test_settings_cfg_is_checked_and_drivers_are_inspectable(bfs, prefix):
    bkt = bucket(bfs)
    doc = lab_drivers(bfs)
    modern = "JAR" not in doc["required_keys"]
    good, bad = "drivers/jdbc/%s-good" % prefix, "drivers/jdbc/%s-bad" % prefix
    for directory, trailing in ((good, True), (bad, False)):
        bkt.upload(directory + "/postgresql-42.7.4.jar", b"PK\x03\x04 not really a jar")
        bkt.upload(directory + "/settings.cfg", settings(modern, trailing_lf=trailing))
    wait_until(lambda: {good, bad} <= {d["dir"] for d in lab_drivers(bfs)["drivers"]}, bfs, "both drivers are seen")
    by_dir = {d["dir"]: d for d in lab_drivers(bfs)["drivers"]}
    assert by_dir[good]["registered"] and by_dir[good]["settings"]["DRIVERNAME"] == "POSTGRESQL"
    assert by_dir[good]["jars"] == ["postgresql-42.7.4.jar"]
    assert not by_dir[bad]["registered"]
    assert any("line feed" in error for error in by_dir[bad]["errors"])
    # the invalid file is kept, exactly as uploaded
    with open(dest(bfs, "default", bad + "/settings.cfg"), "rb") as handle:
        assert not handle.read().endswith(b"\n")
    with open(bfs["jdbc_drivers_file"]) as handle:
        assert {good, bad} <= {d["dir"] for d in json.load(handle)["drivers"]}
    for directory in (good, bad):
        bkt.delete(directory + "/settings.cfg")
        bkt.delete(directory + "/postgresql-42.7.4.jar")
    wait_until(lambda: not {good, bad} & {d["dir"] for d in lab_drivers(bfs)["drivers"]}, bfs, "drivers are gone")


def test_settings_cfg_missing_required_key_or_crlf_is_not_registered(bfs, prefix):
    bkt = bucket(bfs)
    cases = {
        "nofetch": b"DRIVERNAME=X\nJAR=x.jar\nDRIVERMAIN=a.B\nPREFIX=jdbc:x:\nINSERTSIZE=-1\n",
        "crlf": b"DRIVERNAME=X\r\nJAR=x.jar\r\nDRIVERMAIN=a.B\r\nPREFIX=jdbc:x:\r\nFETCHSIZE=100000\r\nINSERTSIZE=-1\r\n",
    }
    dirs = {}
    for case, content in cases.items():
        dirs[case] = "drivers/jdbc/%s-%s" % (prefix, case)
        bkt.upload(dirs[case] + "/x.jar", b"PK")
        bkt.upload(dirs[case] + "/settings.cfg", content)
    wait_until(lambda: set(dirs.values()) <= {d["dir"] for d in lab_drivers(bfs)["drivers"]}, bfs, "drivers seen")
    by_dir = {d["dir"]: d for d in lab_drivers(bfs)["drivers"]}
    assert not by_dir[dirs["nofetch"]]["registered"]
    assert any("FETCHSIZE" in e for e in by_dir[dirs["nofetch"]]["errors"])
    assert not by_dir[dirs["crlf"]]["registered"]
    assert any("CR LF" in e for e in by_dir[dirs["crlf"]]["errors"])
    for directory in dirs.values():
        bkt.delete(directory + "/settings.cfg")
        bkt.delete(directory + "/x.jar")


def test_fault_injection_is_off_by_default_and_can_be_armed(bfs, prefix):
    endpoint = bfs["lab_endpoint"] + "faults"
    context = bucketfs_context(bfs)
    with urllib.request.urlopen(endpoint, timeout=10, context=context) as response:
        assert json.load(response)["count"] == 0
    request = urllib.request.Request(
        endpoint, data=json.dumps({"count": 1, "status": 503, "methods": ["PUT"]}).encode(), method="POST"
    )
    urllib.request.urlopen(request, timeout=10, context=context).close()
    bkt = bucket(bfs, tls=False)
    try:
        with pytest.raises(bucketfs.BucketFsError):
            bkt.upload(prefix + "/flaky.txt", b"first try fails")
    finally:  # never leave an armed fault for the next test's PUT
        disarm = urllib.request.Request(endpoint, data=json.dumps({"count": 0}).encode(), method="POST")
        urllib.request.urlopen(disarm, timeout=10, context=context).close()
    bkt.upload(prefix + "/flaky.txt", b"second try works")
    wait_until(lambda: prefix + "/flaky.txt" in set(bkt.files), bfs, "the retry is listed")
    bkt.delete(prefix + "/flaky.txt")


def test_bucket_path_api(bfs, prefix):
    conf = bfs["buckets"]["default"]
    root = bucketfs.path.build_path(
        backend="onprem",
        url=bfs["https_url"],
        bucket_name="default",
        service_name=bfs["service"],
        username="w",
        password=conf["write_password"],
        verify=bfs["ca_file"],
    )
    target = root / prefix / "jars" / "adapter.jar"
    target.write(b"adapter bytes")
    wait_until(target.exists, bfs, "the BucketPath write is visible")
    assert target.is_file() and (root / prefix / "jars").is_dir()
    assert b"".join(target.read()) == b"adapter bytes"
    assert [p.name for p in (root / prefix / "jars").iterdir()] == ["adapter.jar"]
    assert str(target.as_udf_path()) == "/buckets/%s/default/%s/jars/adapter.jar" % (bfs["service"], prefix)
    target.rm()
    wait_until(lambda: not target.exists(), bfs, "the BucketPath delete is visible")


def test_parallel_uploads(bfs, prefix):
    bkt = bucket(bfs)
    blobs = {"%s/par/%d.bin" % (prefix, i): os.urandom(4 << 20) for i in range(8)}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda item: bucket(bfs).upload(*item), blobs.items()))
    wait_until(lambda: set(blobs) <= set(bkt.files), bfs, "all parallel uploads are listed")
    for path, blob in blobs.items():
        assert bucketfs.as_bytes(bkt.download(path)) == blob
        bkt.delete(path)


def test_driver_scans_never_race_deletes(bfs, prefix):
    """Regression: a scan listed a settings.cfg that a delete then removed, and dropped the connection.

    Readers poll the driver list while drivers are published and deleted; every answer must be a
    complete JSON document. Bounded: 12 publish/delete rounds, 4 readers.
    """
    bkt = bucket(bfs)
    modern = "JAR" not in lab_drivers(bfs)["required_keys"]
    running = threading.Event()
    running.set()
    failures, answers = [], [0]

    def reader():
        while running.is_set() and not failures:
            try:
                lab_drivers(bfs)
                answers[0] += 1
            except Exception as exc:  # any failure is the bug this test is about
                failures.append(repr(exc))
            time.sleep(0.005)  # leave the publisher and the uploads room on a loaded machine

    directories = ["drivers/jdbc/%s-%02d" % (prefix, n) for n in range(4)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        readers = [pool.submit(reader) for _reader in range(4)]
        try:
            for _round in range(3):
                for directory in directories:
                    bkt.upload(directory + "/postgresql-42.7.4.jar", b"PK\x03\x04 not really a jar")
                    bkt.upload(directory + "/settings.cfg", settings(modern))
                wait_until(
                    lambda: set(directories) <= {d["dir"] for d in lab_drivers(bfs)["drivers"]},
                    bfs,
                    "the drivers are seen",
                    seconds=30,
                )
                for directory in directories:
                    bkt.delete(directory + "/settings.cfg")
                    bkt.delete(directory + "/postgresql-42.7.4.jar")
                wait_until(
                    lambda: not set(directories) & {d["dir"] for d in lab_drivers(bfs)["drivers"]},
                    bfs,
                    "the drivers are gone",
                    seconds=30,
                )
        finally:
            running.clear()
            for future in readers:
                future.result()
    assert not failures, failures[:3]
    assert answers[0] > 0
