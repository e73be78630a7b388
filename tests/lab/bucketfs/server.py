"""BucketFS emulator: the HTTP(S) interface of one Exasol BucketFS service.

Run: `python -m bucketfs.server CONFIG.json` (cwd/PYTHONPATH tests/lab); the lab component
components/bucketfs.py writes CONFIG (mode 0600: it holds the bucket passwords) and starts it.

Behaviour and the public sources it follows are listed in tests/lab/README_exasol.md ("BucketFS").
In short:
- `GET /` lists the buckets of the service, one per line (no password needed).
- `GET /<bucket>` (or `/<bucket>/`) lists the files of a bucket, one path per line.
- `GET /<bucket>/<path>` downloads, `PUT` uploads (write user `w`), `DELETE` deletes (`w`).
- Basic auth: user `r` with the read password or `w` with the write password may read; only `w`
  may write. A public bucket can be read without a password.
- An upload is staged, answered, and published only after the sync delay: before that it is neither
  listed, nor readable, nor present under `<host_dir>/<service>/.dest/<bucket>/`. Deletes likewise.
- `.tar.gz`, `.tgz`, `.tar` and `.zip` files are extracted on publication into a directory named
  like the archive without its extension, next to the archive.
- `drivers/jdbc/<dir>/settings.cfg` in the JDBC bucket is checked (settings_cfg.py); the result is
  written to `<state>/jdbc-drivers.json` and served at `GET /.lab/jdbc-drivers`.

Lab-only test equipment (not part of BucketFS; every path starts with `/.lab/`, a name no bucket
can have): `GET /.lab/jdbc-drivers`, `GET|POST /.lab/faults` (answer the next N requests with an
error status; also LAB_BUCKETFS_FAIL_REQUESTS / LAB_BUCKETFS_FAIL_STATUS at start), `GET /.lab/health`.
"""

import heapq
import http.server
import itertools
import json
import os
import shutil
import socket
import ssl
import sys
import tarfile
import threading
import time
import urllib.parse
import uuid
import zipfile

from tls_server import QuietTlsServerMixin, basic_credentials

from . import settings_cfg

CHUNK = 1 << 20  # 1 MiB reads and writes: the server must not be the bottleneck of an upload
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


def log(message):
    sys.stderr.write("%s bucketfs: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), message))
    sys.stderr.flush()


def archive_target(path):
    """`a/b.tar.gz` -> `a/b`; None for a file that is not extracted."""
    lower = path.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lower.endswith(suffix) and len(path.rsplit("/", 1)[-1]) > len(suffix):
            return path[: -len(suffix)]
    return None


class Store:
    """The files of one BucketFS service: staging, delayed publication, index, JDBC drivers."""

    def __init__(self, config):
        self.service = config["service"]
        self.buckets = config["buckets"]
        self.sync_delay = float(config.get("sync_delay", 0.5))
        self.version = str(config.get("exasol_version", "7.1"))
        self.jdbc_bucket = config.get("jdbc_bucket", "default")
        self.jdbc_dir = config.get("jdbc_dir", "drivers/jdbc").strip("/")
        self.service_dir = os.path.join(config["host_dir"], self.service)
        self.dest = os.path.join(self.service_dir, ".dest")
        self.state_dir = config["state_dir"]
        self.staging = os.path.join(self.state_dir, "staging")
        self.index_file = os.path.join(self.state_dir, "index.json")
        self.drivers_file = os.path.join(self.state_dir, "jdbc-drivers.json")
        for bucket in self.buckets:
            os.makedirs(os.path.join(self.dest, bucket), exist_ok=True)
        shutil.rmtree(self.staging, ignore_errors=True)  # uploads never published die with the process
        os.makedirs(self.staging, exist_ok=True)
        self.lock = threading.Lock()
        # Held while a published file changes on disk together with its index entry, and while the
        # drivers are scanned, so that a scan never sees an index entry whose file is already gone.
        # A re-entrant lock: the index lock above is only ever taken inside it, never around it.
        self.fs_lock = threading.RLock()
        self.index = self._load_index()
        self.queue = []
        self.pending = 0
        self.seq = itertools.count()
        self.wakeup = threading.Condition(self.lock)
        self.scan_drivers()
        threading.Thread(target=self._publisher, name="publisher", daemon=True).start()

    # index ---------------------------------------------------------------------------------
    def _load_index(self):
        try:
            with open(self.index_file) as handle:
                index = json.load(handle)
        except (FileNotFoundError, ValueError):
            index = {}
        for bucket in self.buckets:
            index.setdefault(bucket, {})
        return index

    def _save_index(self):
        tmp = self.index_file + ".tmp"
        with open(tmp, "w") as handle:
            json.dump(self.index, handle, indent=1, sort_keys=True)
        os.replace(tmp, self.index_file)

    def listing(self, bucket):
        with self.lock:
            return sorted(self.index[bucket])

    def published_file(self, bucket, path):
        with self.lock:
            if path not in self.index[bucket]:
                return None
        return os.path.join(self.dest, bucket, path)

    def conflict(self, bucket, path):
        """A path that a published file/directory makes impossible on a node's file system."""
        with self.lock:
            files = self.index[bucket]
            parts = path.split("/")
            for i in range(1, len(parts)):
                if "/".join(parts[:i]) in files:
                    return "%s is a file" % "/".join(parts[:i])
            prefix = path + "/"
            if any(name.startswith(prefix) for name in files):
                return "%s is a directory" % path
        return None

    # staging and publication ---------------------------------------------------------------
    def new_staging_file(self):
        return os.path.join(self.staging, uuid.uuid4().hex)

    def schedule(self, action, bucket, path, staged=None):
        with self.lock:
            due = time.monotonic() + self.sync_delay
            heapq.heappush(self.queue, (due, next(self.seq), action, bucket, path, staged))
            self.pending += 1
            self.wakeup.notify()

    def _publisher(self):
        while True:
            with self.lock:
                while not self.queue or self.queue[0][0] > time.monotonic():
                    timeout = None if not self.queue else max(0.0, self.queue[0][0] - time.monotonic())
                    self.wakeup.wait(timeout)
                action, bucket, path, staged = heapq.heappop(self.queue)[2:]
            try:
                if action == "put":
                    self._publish(bucket, path, staged)
                else:
                    self._unpublish(bucket, path)
            except Exception as exc:  # keep publishing the rest; the log says what went wrong
                log("publishing %s %s/%s failed: %r" % (action, bucket, path, exc))
            finally:
                with self.lock:
                    self.pending -= 1

    def _publish(self, bucket, path, staged):
        target = os.path.join(self.dest, bucket, path)
        with self.fs_lock:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.isdir(target):
                shutil.rmtree(target)
            os.replace(staged, target)
            entry = {"size": os.path.getsize(target), "published": time.time()}
            extracted = archive_target(path)
            if extracted:
                entry["extracted_to"] = extracted
                error = self._extract(target, os.path.join(self.dest, bucket, extracted))
                if error:
                    entry["extract_error"] = error
                    log("extracting %s/%s failed: %s" % (bucket, path, error))
            with self.lock:
                self.index[bucket][path] = entry
                self._save_index()
        log("published %s/%s (%d bytes)" % (bucket, path, entry["size"]))
        self._after_change(bucket, path)

    def _unpublish(self, bucket, path):
        # The files go first and the index entry last (the reverse of _publish), so that a client
        # which no longer sees the file listed also finds it gone from the node's file system.
        with self.fs_lock:
            with self.lock:
                entry = self.index[bucket].get(path)
            if entry is None:
                return
            target = os.path.join(self.dest, bucket, path)
            try:
                os.unlink(target)
            except FileNotFoundError:
                pass
            if entry.get("extracted_to"):
                shutil.rmtree(os.path.join(self.dest, bucket, entry["extracted_to"]), ignore_errors=True)
            self._prune_dirs(os.path.dirname(target), os.path.join(self.dest, bucket))
            with self.lock:
                self.index[bucket].pop(path, None)
                self._save_index()
        log("deleted %s/%s" % (bucket, path))
        self._after_change(bucket, path)

    @staticmethod
    def _prune_dirs(directory, stop):
        while directory.startswith(stop + os.sep):
            try:
                os.rmdir(directory)
            except OSError:
                return
            directory = os.path.dirname(directory)

    def _extract(self, archive, directory):
        work = directory + ".extracting-" + uuid.uuid4().hex[:8]
        os.makedirs(work)
        try:
            if archive.lower().endswith(".zip"):
                with zipfile.ZipFile(archive) as handle:
                    root = os.path.realpath(work)
                    for member in handle.namelist():
                        if not os.path.realpath(os.path.join(work, member)).startswith(root + os.sep):
                            raise ValueError("unsafe member %r" % member)
                    handle.extractall(work)
            else:
                with tarfile.open(archive) as handle:
                    handle.extractall(work, filter="data")
        except Exception as exc:
            shutil.rmtree(work, ignore_errors=True)
            return "%s: %s" % (type(exc).__name__, exc)
        if os.path.isdir(directory):
            shutil.rmtree(directory)
        os.replace(work, directory)
        return None

    def wait_idle(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if not self.pending:
                    return True
            time.sleep(0.02)
        return False

    # JDBC drivers ---------------------------------------------------------------------------
    def _after_change(self, bucket, path):
        if bucket == self.jdbc_bucket and path.startswith(self.jdbc_dir + "/"):
            self.scan_drivers()

    def scan_drivers(self):
        """Check every drivers/jdbc/<dir>/settings.cfg; write the result for tests to inspect.

        Scans run one at a time (the publisher and the lab endpoint both call this) and never while
        a file is being published or deleted, so the index and the files on disk agree.
        """
        with self.fs_lock:
            return self._scan_drivers()

    def _scan_drivers(self):
        with self.lock:
            files = list(self.index.get(self.jdbc_bucket, {}))
        base = self.jdbc_dir + "/"
        by_dir = {}
        for name in files:
            if name.startswith(base):
                directory, leaf = name.rsplit("/", 1)
                by_dir.setdefault(directory, []).append(leaf)
        drivers = []
        for directory, leaves in sorted(by_dir.items()):
            if "settings.cfg" not in leaves:
                continue
            cfg_path = directory + "/settings.cfg"
            with open(os.path.join(self.dest, self.jdbc_bucket, cfg_path), "rb") as handle:
                result = settings_cfg.check(handle.read(), set(leaves), self.version)
            result.update(
                {
                    "dir": directory,
                    "settings_path": cfg_path,
                    "udf_path": "/buckets/%s/%s/%s" % (self.service, self.jdbc_bucket, directory),
                    "registered": result["valid"],
                }
            )
            drivers.append(result)
        document = {
            "service": self.service,
            "bucket": self.jdbc_bucket,
            "version": self.version,
            "required_keys": list(settings_cfg.required_keys(self.version)),
            "drivers": drivers,
        }
        tmp = self.drivers_file + ".tmp"
        with open(tmp, "w") as handle:
            json.dump(document, handle, indent=2, sort_keys=True)
        os.replace(tmp, self.drivers_file)
        return document


class Faults:
    """Lab-only fault injection: answer the next `count` requests with `status`."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count, self.status, self.methods = 0, 500, None
        count = int(os.environ.get("LAB_BUCKETFS_FAIL_REQUESTS", "0") or 0)
        if count:
            self.set(count, int(os.environ.get("LAB_BUCKETFS_FAIL_STATUS", "500")), None)

    def set(self, count, status, methods):
        with self.lock:
            self.count, self.status = int(count), int(status)
            self.methods = set(methods) if methods else None

    def take(self, method):
        with self.lock:
            if self.count > 0 and (self.methods is None or method in self.methods):
                self.count -= 1
                return self.status
        return None

    def describe(self):
        with self.lock:
            return {
                "count": self.count,
                "status": self.status,
                "methods": sorted(self.methods) if self.methods else None,
            }


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # seconds a silent client may hold a connection
    server_version = "BucketFS-lab-emulator"
    sys_version = ""

    # plumbing --------------------------------------------------------------------------------
    def log_message(self, fmt, *args):  # never logs headers, so never a password
        log("%s %s" % (self.address_string(), fmt % args))

    def reply(self, status, body=b"", content_type="text/plain; charset=utf-8", close=False):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="BucketFS"')
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def split_path(self):
        """(bucket, path-in-bucket) from the URL; ('', '') for the service root."""
        raw = urllib.parse.urlsplit(self.path).path
        parts = urllib.parse.unquote(raw).split("/", 2)
        bucket = parts[1] if len(parts) > 1 else ""
        path = parts[2] if len(parts) > 2 else ""
        return bucket, path

    def access(self, bucket, write):
        """None when allowed, else the status to answer (see README_exasol.md for 401 vs 403)."""
        config = self.server.store.buckets[bucket]
        creds = basic_credentials(self.headers)
        if write:
            if creds == ("w", config["write_password"]):
                return None
            return 401
        if config.get("public"):
            return None
        if creds is None:
            return 401
        if creds in (("r", config["read_password"]), ("w", config["write_password"])):
            return None
        return 403

    def check_write(self):
        """Decide on a PUT/DELETE before its body is read; None to proceed, else (status, text)."""
        status = self.server.faults.take(self.command)
        if status:
            return status, "lab fault injection: answering %d\n" % status
        bucket, path = self.split_path()
        if bucket not in self.server.store.buckets:
            return 404, "bucket not found\n"
        denied = self.access(bucket, write=True)
        if denied:
            return denied, "write access denied\n"
        if not path or path.endswith("/") or any(part in ("", ".", "..") for part in path.split("/")):
            return 400, "invalid path in bucket: %r\n" % path
        return None

    def handle_expect_100(self):
        # Answer an upload's `Expect: 100-continue` only once it is known to be allowed.
        if self.command == "PUT":
            verdict = self.check_write()
            if verdict:
                self.reply(verdict[0], verdict[1], close=True)
                return False
            self._verdict_done = True
        return super().handle_expect_100()

    # methods ---------------------------------------------------------------------------------
    def do_GET(self):
        if self.path.startswith("/.lab/"):
            return self.lab_endpoint()
        status = self.server.faults.take("GET")
        if status:
            return self.reply(status, "lab fault injection: answering %d\n" % status)
        store = self.server.store
        bucket, path = self.split_path()
        if not bucket:
            return self.reply(200, "".join(name + "\n" for name in store.buckets))
        if bucket not in store.buckets:
            return self.reply(404, "bucket not found\n")
        denied = self.access(bucket, write=False)
        if denied:
            return self.reply(denied, "read access denied\n")
        if not path:
            return self.reply(200, "".join(name + "\n" for name in store.listing(bucket)))
        filename = store.published_file(bucket, path)
        if filename is None:
            return self.reply(404, "file not found\n")
        try:
            handle = open(filename, "rb")
        except FileNotFoundError:
            return self.reply(404, "file not found\n")
        with handle:
            size = os.fstat(handle.fileno()).st_size
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            while True:
                block = handle.read(CHUNK)
                if not block:
                    break
                self.wfile.write(block)

    def do_PUT(self):
        if getattr(self, "_verdict_done", False):
            self._verdict_done = False
        else:
            verdict = self.check_write()
            if verdict:
                return self.refuse_upload(*verdict)
        store = self.server.store
        bucket, path = self.split_path()
        conflict = store.conflict(bucket, path)
        if conflict:
            return self.refuse_upload(409, "lab limitation: %s\n" % conflict)
        staged = store.new_staging_file()
        try:
            received = self.receive_body(staged)
        except (TimeoutError, ValueError, ConnectionError, ssl.SSLError) as exc:
            try:
                os.unlink(staged)
            except FileNotFoundError:
                pass
            log("upload of %s/%s aborted: %s" % (bucket, path, exc))
            if isinstance(exc, ValueError):
                return self.reply(400, "%s\n" % exc, close=True)
            self.close_connection = True
            return None
        store.schedule("put", bucket, path, staged)
        self.log_message("received %s/%s: %d bytes", bucket, path, received)
        return self.reply(200)

    def refuse_upload(self, status, text):
        """Refuse a PUT whose body was sent anyway: drain a small body so the client reads the answer."""
        length = self.headers.get("Content-Length")
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        if length is not None and not chunked and int(length) <= 16 * CHUNK:
            left = int(length)
            while left:
                got = self.rfile.read(min(left, CHUNK))
                if not got:
                    break
                left -= len(got)
            return self.reply(status, text)
        return self.reply(status, text, close=True)

    def receive_body(self, filename):
        """Stream the request body (Content-Length or chunked) into filename; returns its size."""
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        rfile = self.rfile
        total = 0
        with open(filename, "wb", buffering=0) as out:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                while True:
                    line = rfile.readline(1024)
                    if not line:
                        raise ConnectionError("connection closed inside a chunked body")
                    size = int(line.split(b";", 1)[0].strip() or b"x", 16)
                    if size == 0:
                        while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                            pass
                        return total
                    total += self._copy(rfile, out, view, size)
                    if rfile.readline(1024).strip():
                        raise ValueError("malformed chunked body")
            length = self.headers.get("Content-Length")
            if length is None:
                raise ValueError("a PUT needs Content-Length or chunked Transfer-Encoding")
            return self._copy(rfile, out, view, int(length))

    @staticmethod
    def _copy(rfile, out, view, size):
        left = size
        while left:
            got = rfile.readinto(view[: min(left, len(view))])
            if not got:
                raise ConnectionError("connection closed after %d of %d bytes" % (size - left, size))
            out.write(view[:got])
            left -= got
        return size

    def do_DELETE(self):
        verdict = self.check_write()
        if verdict:
            return self.refuse_upload(*verdict)
        bucket, path = self.split_path()
        # Deleting a path that does not exist is not an error (exasol-bucketfs documents it). The
        # delete is queued after any upload of the same path still waiting for its sync.
        self.server.store.schedule("delete", bucket, path)
        return self.reply(200)

    def do_POST(self):
        if self.path.startswith("/.lab/"):
            return self.lab_endpoint()
        return self.reply(405, "method not allowed\n", close=True)

    # lab-only endpoints ------------------------------------------------------------------------
    def lab_endpoint(self):
        try:
            return self._lab_endpoint()
        except Exception as exc:  # a lab bug answers 500 with its name, never a silently dropped connection
            log("lab endpoint %s %s failed: %r" % (self.command, self.path, exc))
            return self.reply(500, "lab endpoint failed: %r\n" % exc, close=True)

    def _lab_endpoint(self):
        path = urllib.parse.urlsplit(self.path).path
        store = self.server.store
        if path == "/.lab/health" and self.command == "GET":
            return self.reply(200, json.dumps({"ok": True, "pending": store.pending}), "application/json")
        if path == "/.lab/jdbc-drivers" and self.command == "GET":
            return self.reply(200, json.dumps(store.scan_drivers(), indent=2), "application/json")
        if path == "/.lab/faults":
            if self.command == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    spec = json.loads(self.rfile.read(length) or b"{}")
                    self.server.faults.set(spec.get("count", 1), spec.get("status", 500), spec.get("methods"))
                except (ValueError, TypeError, AttributeError) as exc:
                    return self.reply(400, "bad fault spec: %s\n" % exc)
            return self.reply(200, json.dumps(self.server.faults.describe()), "application/json")
        if path == "/.lab/wait-synced" and self.command == "GET":
            idle = store.wait_idle(30)
            return self.reply(200 if idle else 504, json.dumps({"synced": idle}), "application/json")
        return self.reply(404, "unknown lab endpoint\n")


class Server(QuietTlsServerMixin, http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    log_line = staticmethod(log)

    def __init__(self, address, store, faults, context=None):
        self.store, self.faults, self.context = store, faults, context
        super().__init__(address, Handler)

    def get_request(self):
        sock, addr = super().get_request()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        return self.wrap(sock), addr


def main(argv):
    with open(argv[1]) as handle:
        config = json.load(handle)
    store = Store(config)
    faults = Faults()
    servers = []
    if config.get("http_port"):  # Exasol 2025.x: HTTPS only (no http_port in the config)
        servers.append(Server((config["address"], int(config["http_port"])), store, faults))
    if config.get("https_port"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(config["cert_file"], config["key_file"])
        servers.append(Server((config["address"], int(config["https_port"])), store, faults, context))
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    log(
        "service %s on %s:%s (http) and :%s (https), buckets %s, sync delay %.2fs"
        % (
            store.service,
            config["address"],
            config.get("http_port"),
            config.get("https_port"),
            ", ".join(store.buckets),
            store.sync_delay,
        )
    )
    servers[0].serve_forever()


if __name__ == "__main__":
    main(sys.argv)
