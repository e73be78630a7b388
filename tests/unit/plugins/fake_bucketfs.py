"""A tiny in-process BucketFS for unit tests (documented protocol only, loopback only).

PUT/GET/DELETE /<bucket>/<path> with basic auth (w: read+write, r: read), GET /<bucket> lists
the paths, one per line; a file is sent in pieces, so a client that closes after the headers
gets (and `body_bytes_sent` counts) only what the socket buffers took. Knobs: `fail_next`
(answer that many requests with `fail_status`), `drop_next` (close that many connections without
an answer). It records every request.
"""

import base64
import os
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest

from loopback import LoopbackServer


@pytest.fixture
def fake_bucketfs(tmp_path):
    """A running FakeBucketFS with its files under tmp_path/bucket (import this name to use it)."""
    with FakeBucketFS(str(tmp_path / "bucket")) as server:
        yield server


class FakeBucketFS(LoopbackServer):
    def __init__(self, root, bucket="default", write_password="wpw", read_password="rpw", tls=None):
        self.root, self.bucket = root, bucket
        self.passwords = {"w": write_password, "r": read_password}
        self.fail_next, self.fail_status, self.drop_next = 0, 500, 0
        self.requests = []  # (method, path, body bytes received)
        self.body_bytes_sent = 0  # file bytes GETs got onto the wire (a client may hang up early)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        if tls:  # (certfile, keyfile): serve HTTPS
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.start_thread()
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)

    def file(self, path):
        return os.path.join(self.root, path)

    def put(self, path, data):
        os.makedirs(os.path.dirname(self.file(path)), exist_ok=True)
        with open(self.file(path), "wb") as handle:
            handle.write(data)

    def listing(self):
        found = []
        for top, _dirs, files in os.walk(self.root):
            found += [os.path.relpath(os.path.join(top, name), self.root) for name in files]
        return sorted(found)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _user(self):
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return None
                user, dummy, password = base64.b64decode(header[6:]).decode().partition(":")
                return user if fake.passwords.get(user) == password else None

            def _answer(self, status, body=b""):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _drain(self):
                left, got = int(self.headers.get("Content-Length") or 0), 0
                while left:
                    chunk = self.rfile.read(min(left, 1 << 20))
                    if not chunk:
                        break
                    left -= len(chunk)
                    got += len(chunk)
                return got

            def _route(self):
                parts = unquote(self.path).lstrip("/").split("/", 1)
                return parts[0], (parts[1] if len(parts) > 1 else "")

            def _pre(self, write):
                """Faults and auth; returns the path or None when already answered."""
                if fake.drop_next:
                    fake.drop_next -= 1
                    self._drain()
                    self.close_connection = True
                    self.connection.close()
                    return None
                if fake.fail_next:
                    fake.fail_next -= 1
                    fake.requests.append((self.command, self.path, self._drain()))
                    self._answer(fake.fail_status, b"injected failure")
                    return None
                user = self._user()
                if user is None or (write and user != "w"):
                    fake.requests.append((self.command, self.path, self._drain()))
                    self._answer(401 if user is None else 403)
                    return None
                bucket, path = self._route()
                if any(part in ("", ".", "..") for part in path.split("/")) and path:
                    fake.requests.append((self.command, self.path, self._drain()))
                    self._answer(400, b"invalid path in bucket")  # as BucketFS (and the lab's emulator)
                    return None
                if bucket != fake.bucket:
                    fake.requests.append((self.command, self.path, self._drain()))
                    self._answer(404)
                    return None
                return path

            def do_PUT(self):
                path = self._pre(write=True)
                if path is None:
                    return
                target = fake.file(path)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                left, got = int(self.headers["Content-Length"]), 0
                with open(target, "wb") as handle:
                    while left:
                        chunk = self.rfile.read(min(left, 1 << 20))
                        if not chunk:
                            break
                        handle.write(chunk)
                        left -= len(chunk)
                        got += len(chunk)
                fake.requests.append(("PUT", self.path, got))
                self._answer(200)

            def do_GET(self):
                path = self._pre(write=False)
                if path is None:
                    return
                fake.requests.append(("GET", self.path, 0))
                if not path:
                    self._answer(200, "".join(p + "\n" for p in fake.listing()).encode())
                elif not os.path.isfile(fake.file(path)):
                    self._answer(404)
                else:
                    self._stream(fake.file(path))

            def _stream(self, filename):
                """Send a file in 64 KiB pieces; a client that hangs up after the headers is normal."""
                sent = 0
                with open(filename, "rb") as handle:
                    self.send_response(200)
                    self.send_header("Content-Length", str(os.fstat(handle.fileno()).st_size))
                    self.end_headers()
                    try:
                        for block in iter(lambda: handle.read(1 << 16), b""):
                            self.wfile.write(block)
                            sent += len(block)
                    except (ConnectionError, ssl.SSLError):
                        self.close_connection = True
                fake.body_bytes_sent += sent

            def do_DELETE(self):
                path = self._pre(write=True)
                if path is None:
                    return
                fake.requests.append(("DELETE", self.path, 0))
                if os.path.isfile(fake.file(path)):
                    os.unlink(fake.file(path))
                self._answer(200)

        return Handler
