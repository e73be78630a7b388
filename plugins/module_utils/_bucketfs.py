# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""BucketFS over HTTP(S): the connection options and a small streaming client.

Private to virtualis.aurora. Standard library only (http.client, ssl, hashlib): the request
body is sent in fixed-size chunks, the response body is read in fixed-size chunks, so memory
stays flat whatever the file's size. BucketFS speaks plain HTTP: PUT/GET/DELETE
``/<bucket>/<path>`` with basic auth (``w`` writes, ``r`` reads) and ``GET /<bucket>`` lists
the bucket, one path per line.

Paths inside a bucket are checked here (``bucket_path``), for every module that names a BucketFS
file: no ``.``/``..``/empty components, no control characters, nothing that a server decoding the
URL once more would turn into one (``%2e%2e``, ``%2f``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re
import socket
import ssl
import sys
import threading
import time
from http.client import HTTPException
from urllib.parse import quote, unquote

from ansible_collections.virtualis.aurora.plugins.module_utils._http import HttpServer, http_argument_spec

CHUNK_SIZE = 4 * 1024 * 1024
SIDECAR_SUFFIX = ".sha256"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SIDECAR_LINE = re.compile(r"^([0-9a-f]{64})  (\S[^\n]*)\n?$")
TRANSIENT_STATUS = frozenset((500, 502, 503, 504))
# 403 from BucketFS: the user exists (r or w) but its password or its right does not fit.
FORBIDDEN_HINT = "wrong password, or a read-only user where writing needs user w and the write password"


def bucketfs_argument_spec():
    """The connection options every BucketFS module shares (doc fragment virtualis.aurora.bucketfs)."""
    spec = http_argument_spec("w")
    spec.update(
        bucket=dict(type="str", default="default"),
        service=dict(type="str", default="bfsdefault"),
        retries=dict(type="int", default=5),
    )
    return spec


class BucketFSError(Exception):
    """A failure with a message a user can act on; ``status`` is the HTTP status or None."""

    def __init__(self, msg, status=None):
        super().__init__(msg)
        self.status = status


class _Transient(Exception):
    """A failure worth retrying (connection trouble, 5xx)."""


def unsafe_component(path):
    """The first component of path ("a/b/c") that could leave its directory, or None.

    Unsafe: empty, ``.`` or ``..``, and percent escapes that decode to ``.``, ``..``, a slash or a
    backslash (a server or proxy that decodes twice would see a traversal where this module sends
    a harmless name).
    """
    for part in path.split("/"):
        decoded = unquote(part)
        if part in ("", ".", "..") or decoded in (".", "..") or "/" in decoded or "\\" in decoded:
            return part
    return None


def bucket_path(path, what="path"):
    """The path of a file inside a bucket, leading slashes dropped; BucketFSError when it could escape.

    Refused: empty, a trailing slash, control characters and unsafe components (unsafe_component).
    """
    cleaned = (path or "").lstrip("/")
    if not cleaned or cleaned.endswith("/"):
        raise BucketFSError("%s must name a file inside the bucket, got %r" % (what, path))
    if _CONTROL.search(cleaned):
        raise BucketFSError("%s %r contains a control character" % (what, path))
    bad = unsafe_component(cleaned)
    if bad is not None:
        raise BucketFSError(
            "%s %r has a %r component: a BucketFS path must stay inside its bucket "
            "(no '.', '..', '//' or encoded slashes)" % (what, path, bad)
        )
    return cleaned


def _check_name(value, what):
    if not _NAME.match(value or ""):
        raise BucketFSError("%s must be a plain name (letters, digits, '_', '-', '.'), got %r" % (what, value))


def client_from_params(params, sleep=time.sleep):
    """A BucketFSClient from a module's params (bucketfs_argument_spec)."""
    return BucketFSClient(
        url=params["url"],
        bucket=params["bucket"],
        user=params["user"],
        password=params["password"],
        validate_certs=params["validate_certs"],
        ca_cert=params["ca_cert"],
        timeout=params["timeout"],
        retries=params["retries"],
        service=params["service"],
        sleep=sleep,
    )


class BucketFSClient:
    """PUT/GET/DELETE/list against one bucket of one BucketFS service, with retries."""

    def __init__(
        self,
        url,
        bucket,
        user,
        password,
        validate_certs=True,
        ca_cert=None,
        timeout=60,
        retries=5,
        service="bfsdefault",
        backoff=0.5,
        sleep=time.sleep,
    ):
        self._server = HttpServer(
            url,
            "BucketFS",
            user,
            password,
            validate_certs,
            ca_cert,
            timeout,
            error=BucketFSError,
            url_form="http(s)://HOST:PORT",
            exposed="the bucket password and the files",
        )
        parts = self._server.parts
        if parts.path.strip("/") or parts.query or parts.fragment:
            raise BucketFSError("url must not have a path (the bucket is an option), got %r" % url)
        _check_name(bucket, "bucket")
        _check_name(service, "service")
        self.base_url = self._server.base_url
        self.bucket, self.user, self.service = bucket, user, service
        self.timeout, self.retries, self.backoff, self.sleep = timeout, retries, backoff, sleep
        self.bytes_sent = 0

    # addresses ---------------------------------------------------------------------------
    def object_path(self, path=""):
        """The HTTP path of a file in the bucket (or of the bucket itself)."""
        suffix = "/" + quote(path.lstrip("/")) if path else ""
        return "/" + quote(self.bucket) + suffix

    def file_url(self, path):
        return self.base_url + self.object_path(path)

    def udf_path(self, path):
        return "/buckets/%s/%s/%s" % (self.service, self.bucket, path.lstrip("/"))

    # HTTP plumbing -------------------------------------------------------------------------
    def _start(self, method, path, length=None):
        conn = self._server.connect()
        conn.putrequest(method, self.object_path(path), skip_accept_encoding=True)
        conn.putheader("Authorization", self._server.authorization)
        if length is not None:
            conn.putheader("Content-Length", str(length))
        conn.endheaders()
        return conn

    def _check(self, response, path, ok=(200,), missing_ok=False):
        """Raise the right error for a response; True when it is a 404 the caller accepts."""
        status = response.status
        if status in ok:
            return False
        if status == 404 and missing_ok:
            return True
        if status in TRANSIENT_STATUS:
            raise _Transient("BucketFS answered %d %s" % (status, response.reason))
        if status in (401, 403, 404):
            hint = self._server.status_message(status, response.reason, "bucket %s" % self.bucket, FORBIDDEN_HINT)
        else:
            detail = response.read(300).decode("utf-8", "replace").strip()
            hint = "BucketFS answered %d %s%s" % (status, response.reason, ": " + detail if detail else "")
        raise BucketFSError("%s failed: %s" % (self.file_url(path), hint), status=status)

    def _retry(self, what, action):
        """Run action() until it does not raise _Transient/connection errors, with backoff."""
        delay, last = self.backoff, None
        for attempt in range(self.retries + 1):
            try:
                return action()
            except ssl.SSLError as exc:  # a certificate problem does not heal by retrying
                raise BucketFSError("%s: TLS failed: %s (wrong ca_cert?)" % (what, exc))
            except (_Transient, HTTPException, socket.timeout, OSError) as exc:
                last = exc
            if attempt < self.retries:
                self.sleep(delay)
                delay = min(delay * 2, 30)
        raise BucketFSError("%s: gave up after %d attempts: %s" % (what, self.retries + 1, last))

    def _exchange(self, what, method, path, handle, length=None, send=None):
        """One request, retried: send(conn) writes the body (its result is passed on as `sent`),
        handle(response, sent) reads the answer; the connection is closed whatever happens."""

        def action():
            conn = self._start(method, path, length=length)
            try:
                sent = send(conn) if send else None
                return handle(conn.getresponse(), sent)
            finally:
                conn.close()

        return self._retry(what, action)

    def _stored(self, response, path):
        """Read the answer to a PUT; raise unless the file was stored."""
        response.read()
        self._check(response, path, ok=(200, 201, 204))

    # operations ----------------------------------------------------------------------------
    def list(self):
        """The paths in the bucket (GET /<bucket>, one per line)."""

        def handle(response, _sent):
            body = response.read().decode("utf-8")
            self._check(response, "")
            return {line.strip() for line in body.splitlines() if line.strip()}

        return self._exchange("Could not list bucket %s on %s" % (self.bucket, self.base_url), "GET", "", handle)

    def exists(self, path):
        return path.lstrip("/") in self.list()

    def compare(self, path, src, full_hash=False):
        """Compare the remote file with a local one by content, without uploading anything.

        Returns (state, remote_sha256) where state is "absent", "different" or "same".
        The remote body is streamed and compared chunk by chunk with the local file; a
        Content-Length that differs from the local size ends the check before any body byte
        is read. remote_sha256 is None unless the whole remote body was read.
        """
        local_size = os.path.getsize(src)

        def handle(response, _sent):
            if self._check(response, path, missing_ok=True):
                return "absent", None
            length = response.getheader("Content-Length")
            if length is not None and int(length) != local_size and not full_hash:
                return "different", None
            return _compare_stream(response, src, full_hash)

        return self._exchange("Could not read %s" % self.file_url(path), "GET", path, handle)

    def remote_size(self, path):
        """The size of a remote file (its Content-Length) without reading its body; None when missing.

        BucketFS documents no HEAD request, so this is a GET whose connection is closed after the
        headers: the server stops sending when it notices, a few socket buffers later.
        """

        def handle(response, _sent):
            if self._check(response, path, missing_ok=True):
                return None
            length = response.getheader("Content-Length")
            if length is None:
                raise BucketFSError("%s: BucketFS sent no Content-Length" % self.file_url(path))
            return int(length)

        return self._exchange("Could not read %s" % self.file_url(path), "GET", path, handle)

    def read_sidecar(self, path):
        """The sha256 recorded in the sidecar of path (see sidecar_path), or None when none is usable.

        A sidecar that is too large, not one ``<sha256>  <name>`` line, or names another file is
        treated as missing, never trusted.
        """
        body = self.read_head(sidecar_path(path), 4097)
        if body is None or len(body) > 4096:
            return None
        match = _SIDECAR_LINE.match(body.decode("utf-8", "replace"))
        if not match or match.group(2) != path.lstrip("/").rsplit("/", 1)[-1]:
            return None
        return match.group(1)

    def read_head(self, path, size):
        """The first size bytes of a file (all of a shorter one); None when it is missing."""

        def handle(response, _sent):
            if self._check(response, path, missing_ok=True):
                return None
            return response.read(size)

        return self._exchange("Could not read %s" % self.file_url(path), "GET", path, handle)

    def write_sidecar(self, path, sha256):
        """PUT the sidecar of path: one line ``<sha256>  <file name>`` (the format of sha256sum)."""
        line = ("%s  %s\n" % (sha256, path.lstrip("/").rsplit("/", 1)[-1])).encode("utf-8")
        self._put_bytes(sidecar_path(path), line)

    def _put_bytes(self, path, data):
        return self._exchange(
            "Could not upload %s" % self.file_url(path),
            "PUT",
            path,
            lambda response, _sent: self._stored(response, path),
            length=len(data),
            send=lambda conn: conn.send(data),
        )

    def upload(self, path, src, sha256=None):
        """PUT the local file src to path, streamed; returns its sha256.

        When the caller already knows the sha256 (it checked O(checksum) or hashed the file to
        compare it), pass it: the file is then not hashed a second time.
        """
        size = os.path.getsize(src)

        def handle(response, digest):
            self._stored(response, path)
            return digest

        digest = self._exchange(
            "Could not upload %s to %s" % (src, self.file_url(path)),
            "PUT",
            path,
            handle,
            length=size,
            send=lambda conn: self._send_file(conn, src, size, sha256 is None),
        )
        return sha256 or digest

    def _send_file(self, conn, src, size, want_hash):
        """Send src (size bytes); its sha256 when want_hash, computed by a helper thread meanwhile.

        Plain HTTP sends with sendfile() (zero-copy: the file never enters Python, as with
        curl -T); HTTPS reads CHUNK_SIZE pieces into one reused buffer for the TLS writes. The
        helper hashes its own read of the file (from the page cache the sender fills) at the
        lowest CPU priority: on a busy machine the transfer goes first and the hash takes the
        cycles left over instead of slowing the upload down; what is left when the body is sent
        is hashed at normal priority. Memory holds two chunks at most.
        """
        hasher = _BackgroundHash(src) if want_hash else None
        try:
            sent = self._send_body(conn.sock, src, size)
            self.bytes_sent += sent
            _check_sent(src, sent, size)
        except BaseException:
            if hasher:
                hasher.cancel()
            raise
        return hasher.finish() if hasher else None

    def _send_body(self, sock, src, size):
        """Write size bytes of src to sock; the number written (less when src shrank)."""
        with open(src, "rb", buffering=0) as handle:
            if self._server.context is None:
                return sock.sendfile(handle, 0, size) if size else 0  # exactly Content-Length bytes
            view, sent = memoryview(bytearray(min(CHUNK_SIZE, max(size, 1)))), 0
            while sent < size:
                got = _fill(handle.readinto, view[: min(len(view), size - sent)])
                if not got:
                    break
                sock.sendall(view[:got])
                sent += got
            return sent

    def delete(self, path):
        def handle(response, _sent):
            response.read()
            self._check(response, path, ok=(200, 204), missing_ok=True)

        return self._exchange("Could not delete %s" % self.file_url(path), "DELETE", path, handle)

    def wait_visible(self, path, present=True, timeout=120):
        """Poll the listing until path is (or is no longer) listed; False on timeout.

        Polls after 0.1 s, then twice as long each time up to 2 s: quick for a small file, gentle
        with BucketFS while a large one spreads to the nodes.
        """
        deadline, interval = time.time() + timeout, 0.1
        while True:
            if (path.lstrip("/") in self.list()) == present:
                return True
            if time.time() >= deadline:
                return False
            self.sleep(min(interval, max(deadline - time.time(), 0)))
            interval = min(interval * 2, 2.0)


def sidecar_path(path):
    """Where the checksum of path is kept: next to it, ``<path>.sha256``."""
    return path.lstrip("/") + SIDECAR_SUFFIX


class _BackgroundHash:
    """sha256 of a file, computed by a thread at the lowest CPU priority until finish() is called.

    finish() takes over in the calling thread, at its normal priority, from where the helper got
    to: on an idle machine the helper is done by the time the upload is; on a busy one the hash
    does not starve at nice 19 after the transfer. One 4 MiB buffer per thread.
    """

    def __init__(self, path):
        self._path, self._digest, self._offset = path, hashlib.sha256(), 0
        self._stop, self._error = threading.Event(), None
        self._thread = threading.Thread(target=self._run)
        self._thread.daemon = True
        self._thread.start()

    def _run(self):
        _lower_priority()
        try:
            self._offset = _hash_from(self._path, self._digest, 0, self._stop)
        except BaseException as exc:  # handed to the caller by finish()
            self._error = exc

    def cancel(self):
        self._stop.set()

    def finish(self):
        self._stop.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        _hash_from(self._path, self._digest, self._offset)
        return self._digest.hexdigest()


def _hash_from(path, digest, offset, stop=None):
    """Feed path from offset to its end into digest (until stop is set); the offset reached."""
    view = memoryview(bytearray(CHUNK_SIZE))
    with open(path, "rb", buffering=0) as handle:
        handle.seek(offset)
        while stop is None or not stop.is_set():
            got = _fill(handle.readinto, view)
            if not got:
                break
            digest.update(view[:got])
            offset += got
    return offset


def _lower_priority():
    """nice 19 for the calling thread only (Linux threads have their own nice value)."""
    get_id = getattr(threading, "get_native_id", None)  # Python 3.8+
    if get_id is None or not sys.platform.startswith("linux"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, get_id(), 19)
    except OSError:
        pass


def _check_sent(src, sent, size):
    if sent != size:  # the file shrank while it was sent; BucketFS would wait for the rest
        raise BucketFSError(
            "%s changed while it was uploaded (%d of %d bytes sent); nothing was published" % (src, sent, size)
        )


def _fill(readinto, view):
    """readinto until view is full or the stream ends; the number of bytes read."""
    total = 0
    while total < len(view):
        got = readinto(view[total:])
        if not got:
            break
        total += got
    return total


def _compare_stream(response, src, full_hash):
    """Read response and the file src in lockstep; ("same"|"different", remote sha256 or None).

    Two buffers reused for the whole file: memory stays at two chunks whatever the size.
    """
    remote, same = hashlib.sha256(), True
    remote_buf, local_buf = bytearray(CHUNK_SIZE), bytearray(CHUNK_SIZE)
    remote_view, local_view = memoryview(remote_buf), memoryview(local_buf)
    with open(src, "rb", buffering=0) as handle:
        while True:
            got = _fill(response.readinto, remote_view)
            if not got:
                same = same and handle.read(1) == b""
                break
            remote.update(remote_view[:got])
            if same and not _equal(remote_buf, local_buf, got, _fill(handle.readinto, local_view[:got])):
                same = False
                if not full_hash:
                    return "different", None
    return ("same" if same else "different"), remote.hexdigest()


def _equal(remote_buf, local_buf, got, local_got):
    if local_got != got:
        return False
    if got == len(remote_buf):
        return remote_buf == local_buf  # bytearray == bytearray is one memcmp
    return remote_buf[:got] == local_buf[:got]


def sha256_file(path):
    """The sha256 of a local file, read in CHUNK_SIZE pieces into one reused buffer."""
    digest = hashlib.sha256()
    _hash_from(path, digest, 0)
    return digest.hexdigest()
