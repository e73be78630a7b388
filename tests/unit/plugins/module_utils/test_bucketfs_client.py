"""BucketFSClient against a local fake BucketFS: streaming, comparison, retries, errors."""

import hashlib
import os

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils import _bucketfs, _http
from ansible_collections.virtualis.aurora.plugins.module_utils._bucketfs import (
    BucketFSClient,
    BucketFSError,
)
from fake_bucketfs import FakeBucketFS


@pytest.fixture
def fake(tmp_path):
    with FakeBucketFS(str(tmp_path / "bucket")) as server:
        yield server


def client(fake, password="wpw", **kw):
    kw.setdefault("sleep", lambda s: None)
    return BucketFSClient(fake.url, "default", "w", password, retries=kw.pop("retries", 3), **kw)


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_upload_streams_and_returns_sha(fake, tmp_path, monkeypatch):
    monkeypatch.setattr(_bucketfs, "CHUNK_SIZE", 1000)
    data = os.urandom(10500)
    src = write(tmp_path, "a.jar", data)
    bfs = client(fake)
    assert bfs.upload("jars/a.jar", src) == hashlib.sha256(data).hexdigest()
    assert open(fake.file("jars/a.jar"), "rb").read() == data
    assert bfs.bytes_sent == len(data)
    assert bfs.list() == {"jars/a.jar"}


def test_compare_states(fake, tmp_path, monkeypatch):
    monkeypatch.setattr(_bucketfs, "CHUNK_SIZE", 100)
    data = os.urandom(1000)
    src = write(tmp_path, "a", data)
    bfs = client(fake)
    assert bfs.compare("x", src) == ("absent", None)
    fake.put("x", data)
    assert bfs.compare("x", src) == ("same", hashlib.sha256(data).hexdigest())
    fake.put("x", data[:-1] + b"!")  # same size, last chunk differs
    assert bfs.compare("x", src)[0] == "different"
    fake.put("x", data + b"more")  # size differs: decided from Content-Length
    assert bfs.compare("x", src) == ("different", None)
    state, remote = bfs.compare("x", src, full_hash=True)
    assert (state, remote) == ("different", hashlib.sha256(data + b"more").hexdigest())
    assert bfs.bytes_sent == 0


def test_retries_5xx_then_succeeds(fake, tmp_path):
    slept = []
    fake.fail_next = 2
    src = write(tmp_path, "a", b"hello")
    bfs = client(fake, sleep=slept.append)
    bfs.upload("a", src)
    assert slept == [0.5, 1.0]
    assert open(fake.file("a"), "rb").read() == b"hello"


def test_gives_up_after_retries_with_clear_message(fake, tmp_path):
    fake.fail_next = 100
    src = write(tmp_path, "a", b"hello")
    with pytest.raises(BucketFSError, match=r"gave up after 4 attempts: BucketFS answered 500"):
        client(fake).upload("a", src)
    assert len(fake.requests) == 4
    assert not os.path.exists(fake.file("a"))


def test_dropped_connection_is_retried(fake, tmp_path):
    fake.drop_next = 1
    src = write(tmp_path, "a", b"hello")
    client(fake).upload("a", src)
    assert open(fake.file("a"), "rb").read() == b"hello"


def test_wrong_password_is_not_retried(fake, tmp_path):
    src = write(tmp_path, "a", b"hello")
    with pytest.raises(BucketFSError, match="wrong user or password for bucket default") as err:
        client(fake, password="nope").upload("a", src)
    assert err.value.status == 401
    assert len(fake.requests) == 1
    assert "nope" not in str(err.value)


def test_missing_bucket_is_404(fake, tmp_path):
    bfs = BucketFSClient(fake.url, "nosuch", "w", "wpw", sleep=lambda s: None)
    with pytest.raises(BucketFSError, match="bucket nosuch does not exist"):
        bfs.list()


def test_read_user_cannot_write(fake, tmp_path):
    src = write(tmp_path, "a", b"hello")
    bfs = BucketFSClient(fake.url, "default", "r", "rpw", sleep=lambda s: None)
    with pytest.raises(BucketFSError, match="403"):
        bfs.upload("a", src)


def test_server_down(tmp_path):
    src = write(tmp_path, "a", b"hello")
    bfs = BucketFSClient("http://127.0.0.1:1", "default", "w", "x", retries=2, sleep=lambda s: None)
    with pytest.raises(BucketFSError, match=r"Could not upload .* gave up after 3 attempts: .*refused"):
        bfs.upload("a", src)


def test_delete_and_wait_visible(fake, tmp_path):
    fake.put("d/x", b"1")
    bfs = client(fake)
    assert bfs.exists("/d/x")
    bfs.delete("d/x")
    bfs.delete("d/x")  # a missing file is not an error
    assert bfs.wait_visible("d/x", present=False, timeout=1)
    assert not bfs.wait_visible("d/x", present=True, timeout=0)


def test_addresses_and_url_checks():
    bfs = BucketFSClient("https://h:2581", "default", "w", "p", service="bfs1")
    assert bfs.file_url("/jars/a b.jar") == "https://h:2581/default/jars/a%20b.jar"
    assert bfs.udf_path("jars/a.jar") == "/buckets/bfs1/default/jars/a.jar"
    with pytest.raises(BucketFSError, match="must not carry credentials"):
        BucketFSClient("http://w:secret@h:2580", "default", "w", "p")
    with pytest.raises(BucketFSError, match="http\\(s\\)://HOST:PORT"):
        BucketFSClient("ftp://h", "default", "w", "p")


def self_signed(tmp_path):
    """A self-signed certificate for 127.0.0.1 (its own CA), written as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "fake bucketfs")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(certfile), str(keyfile)


def test_https_verified_upload_and_compare(tmp_path, monkeypatch):
    monkeypatch.setattr(_bucketfs, "CHUNK_SIZE", 1000)
    certfile, keyfile = self_signed(tmp_path)
    data = os.urandom(5500)
    src = write(tmp_path, "a.jar", data)
    with FakeBucketFS(str(tmp_path / "bucket"), tls=(certfile, keyfile)) as fake:
        bfs = BucketFSClient(fake.url, "default", "w", "wpw", ca_cert=certfile, sleep=lambda s: None)
        assert bfs.upload("a.jar", src) == hashlib.sha256(data).hexdigest()
        assert bfs.compare("a.jar", src)[0] == "same"
        unverified = BucketFSClient(fake.url, "default", "w", "wpw", sleep=lambda s: None)
        with pytest.raises(BucketFSError, match="TLS failed: .*certificate verify failed"):
            unverified.list()
        insecure = BucketFSClient(fake.url, "default", "w", "wpw", validate_certs=False, sleep=lambda s: None)
        assert insecure.list() == {"a.jar"}


def test_unreadable_ca_file(tmp_path):
    with pytest.raises(BucketFSError, match="Could not load CA certificates from"):
        BucketFSClient("https://127.0.0.1:1", "default", "w", "p", ca_cert=str(tmp_path / "none.pem"))


@pytest.mark.parametrize(
    "path",
    [
        "../etc/passwd",
        "jars/../../x.jar",
        "jars/./a.jar",
        "jars//a.jar",
        "/",
        "",
        "jars/",
        "jars/%2e%2e/x",
        "jars/%2E./x",
        "a%2fb/../c",
        "jars/a%2Fb.jar",
        "jars/a%5c..%5cb",
        "a\nb",
        "a\x00b",
    ],
)
def test_bucket_path_refuses_escapes(path):
    with pytest.raises(BucketFSError, match="path"):
        _bucketfs.bucket_path(path)


def test_bucket_path_accepts_plain_paths():
    assert _bucketfs.bucket_path("/jars/a b.jar") == "jars/a b.jar"
    assert _bucketfs.bucket_path("slc/x-1.0..tar.gz") == "slc/x-1.0..tar.gz"  # dots inside a name are fine
    assert _bucketfs.unsafe_component("a/..b/c.") is None


@pytest.mark.parametrize(
    "bucket, service",
    [("../x", "bfsdefault"), ("a/b", "bfsdefault"), ("default", ".."), ("", "bfsdefault"), ("default", "bfs/../x")],
)
def test_bucket_and_service_must_be_plain_names(bucket, service):
    with pytest.raises(BucketFSError, match="must be a plain name"):
        BucketFSClient("https://h:2581", bucket, "w", "p", service=service)


def test_url_with_a_path_is_refused():
    with pytest.raises(BucketFSError, match="must not have a path"):
        BucketFSClient("https://h:2581/default/../x", "default", "w", "p")
    BucketFSClient("https://h:2581/", "default", "w", "p")


def test_plain_http_warns_once_per_client(monkeypatch):
    warned = []
    monkeypatch.setattr(_http, "warn_plain_http", lambda *args: warned.append(args))
    BucketFSClient("https://h:2581", "default", "w", "p")
    assert warned == []
    BucketFSClient("http://h:2580", "default", "w", "p")
    assert warned == [("http://h:2580", "BucketFS", "the bucket password and the files")]


def test_plain_http_warning_reaches_the_module_result(module_warnings):
    BucketFSClient("https://h:2581", "default", "w", "p")
    assert not module_warnings()
    BucketFSClient("http://h:2580", "default", "w", "p")
    assert any("BucketFS url http://h:2580 is plain http" in m and "unencrypted" in m for m in module_warnings())


def test_sidecar_round_trip_and_distrust(fake, tmp_path):
    bfs = client(fake)
    assert bfs.read_sidecar("jars/a.jar") is None
    bfs.write_sidecar("/jars/a.jar", "ab" * 32)
    assert open(fake.file("jars/a.jar.sha256")).read() == "ab" * 32 + "  a.jar\n"  # sha256sum -c format
    assert bfs.read_sidecar("jars/a.jar") == "ab" * 32
    for body in (
        b"AB" * 32 + b"  a.jar\n",
        b"ab" * 32 + b"  b.jar\n",
        b"ab" * 31 + b"  a.jar\n",
        b"ab" * 32 + b"  a.jar\nmore\n",
        b"ab" * 32 + b"  a.jar\n" + b" " * 5000,
        b"",
    ):
        fake.put("jars/a.jar.sha256", body)
        assert bfs.read_sidecar("jars/a.jar") is None, body


def test_remote_size_reads_headers_only(fake, tmp_path):
    data = os.urandom(32 * 1024 * 1024)
    fake.put("big.bin", data)
    bfs = client(fake)
    assert bfs.remote_size("missing.bin") is None
    assert bfs.remote_size("big.bin") == len(data)
    assert fake.body_bytes_sent < len(data) // 2  # only what the socket buffers took before the hang-up


def test_known_sha256_is_not_computed_again(fake, tmp_path, monkeypatch):
    data = os.urandom(3000)
    src = write(tmp_path, "a", data)

    def no_hashing(*args):
        raise AssertionError("hashed again")

    monkeypatch.setattr(_bucketfs, "sha256_file", no_hashing)
    monkeypatch.setattr(_bucketfs.hashlib, "sha256", no_hashing)
    assert client(fake).upload("a", src, sha256="cd" * 32) == "cd" * 32
    assert open(fake.file("a"), "rb").read() == data


def test_http_upload_hashes_in_helper_and_sends_with_sendfile(fake, tmp_path, monkeypatch):
    data = os.urandom(100000)
    src = write(tmp_path, "a", data)
    calls = []
    real = _bucketfs.socket.socket.sendfile
    monkeypatch.setattr(_bucketfs.socket.socket, "sendfile", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    assert client(fake).upload("a", src) == hashlib.sha256(data).hexdigest()
    assert calls == [1]
    assert open(fake.file("a"), "rb").read() == data


@pytest.mark.parametrize("wait_first", [False, True])
def test_background_hash_is_right_whoever_finishes_it(tmp_path, monkeypatch, wait_first):
    monkeypatch.setattr(_bucketfs, "CHUNK_SIZE", 1000)
    data = os.urandom(25500)
    hasher = _bucketfs._BackgroundHash(write(tmp_path, "a", data))
    if wait_first:
        hasher._thread.join()  # the helper hashed it all
    assert hasher.finish() == hashlib.sha256(data).hexdigest()


def test_background_hash_error_reaches_the_caller(tmp_path):
    with pytest.raises(OSError):
        _bucketfs._BackgroundHash(str(tmp_path / "missing")).finish()


def test_empty_file_upload(fake, tmp_path):
    src = write(tmp_path, "empty", b"")
    assert client(fake).upload("e", src) == hashlib.sha256(b"").hexdigest()
    assert open(fake.file("e"), "rb").read() == b""


def test_background_hash_runs_at_lowest_priority_the_caller_does_not(tmp_path, monkeypatch):
    import threading

    seen = []
    real = _bucketfs._hash_from

    def spy(*args):
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return real(*args)

    monkeypatch.setattr(_bucketfs, "_hash_from", spy)
    _bucketfs._BackgroundHash(write(tmp_path, "a", b"x" * 100)).finish()
    assert seen == [19, os.getpriority(os.PRIO_PROCESS, 0)]  # the helper, then the caller's take-over
