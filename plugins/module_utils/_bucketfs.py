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
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import os
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.virtualis.aurora.plugins.module_utils._tls import client_context

try:
    from http.client import HTTPConnection, HTTPSConnection, HTTPException
    from urllib.parse import quote, urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported, keep sanity's import test calm
    HTTPConnection = HTTPSConnection = HTTPException = quote = urlsplit = None

CHUNK_SIZE = 4 * 1024 * 1024
TRANSIENT_STATUS = frozenset((500, 502, 503, 504))
STATUS_HINTS = {
    401: "wrong user or password for bucket {bucket} (BucketFS answered 401 Unauthorized)",
    403: "BucketFS refused user {user} in bucket {bucket} (403 Forbidden): wrong password, "
         "or a read-only user where writing needs user w and the write password",
    404: "bucket {bucket} does not exist on {url} (BucketFS answered 404 Not Found)",
}


def bucketfs_argument_spec():
    """The connection options every BucketFS module shares (doc fragment virtualis.aurora.bucketfs)."""
    return dict(
        url=dict(type="str", required=True),
        bucket=dict(type="str", default="default"),
        service=dict(type="str", default="bfsdefault"),
        user=dict(type="str", default="w"),
        password=dict(type="str", required=True, no_log=True),
        validate_certs=dict(type="bool", default=True),
        ca_cert=dict(type="path", aliases=["ca_path"]),
        timeout=dict(type="int", default=60),
        retries=dict(type="int", default=5),
    )


class BucketFSError(Exception):
    """A failure with a message a user can act on; ``status`` is the HTTP status or None."""

    def __init__(self, msg, status=None):
        super(BucketFSError, self).__init__(msg)
        self.status = status


class _Transient(Exception):
    """A failure worth retrying (connection trouble, 5xx)."""


def client_from_params(params, sleep=time.sleep):
    """A BucketFSClient from a module's params (bucketfs_argument_spec)."""
    return BucketFSClient(
        url=params["url"], bucket=params["bucket"], user=params["user"], password=params["password"],
        validate_certs=params["validate_certs"], ca_cert=params["ca_cert"], timeout=params["timeout"],
        retries=params["retries"], service=params["service"], sleep=sleep)


class BucketFSClient(object):
    """PUT/GET/DELETE/list against one bucket of one BucketFS service, with retries."""

    def __init__(self, url, bucket, user, password, validate_certs=True, ca_cert=None, timeout=60,
                 retries=5, service="bfsdefault", backoff=0.5, sleep=time.sleep):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BucketFSError("url must look like http(s)://HOST:PORT, got %r" % url)
        if parts.username or parts.password:
            raise BucketFSError("url must not carry credentials; use the user and password options")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.base_url = "%s://%s" % (parts.scheme, parts.netloc)
        self.bucket, self.user, self.service = bucket, user, service
        self.timeout, self.retries, self.backoff, self.sleep = timeout, retries, backoff, sleep
        token = base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
        self._auth = "Basic " + token
        self._ssl = None
        if self.scheme == "https":
            try:
                self._ssl = client_context(validate_certs, ca_cert)
            except ValueError as exc:
                raise BucketFSError(str(exc))
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
    def _connect(self):
        if self.scheme == "https":
            return HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self._ssl)
        return HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _start(self, method, path, length=None):
        conn = self._connect()
        conn.putrequest(method, self.object_path(path), skip_accept_encoding=True)
        conn.putheader("Authorization", self._auth)
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
        hint = STATUS_HINTS.get(status)
        if hint is None:
            detail = response.read(300).decode("utf-8", "replace").strip()
            hint = "BucketFS answered %d %s%s" % (status, response.reason, ": " + detail if detail else "")
        hint = hint.replace("{user}", self.user).replace("{bucket}", self.bucket).replace("{url}", self.base_url)
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

    # operations ----------------------------------------------------------------------------
    def list(self):
        """The paths in the bucket (GET /<bucket>, one per line)."""
        def action():
            conn = self._start("GET", "")
            try:
                response = conn.getresponse()
                body = response.read().decode("utf-8")
                self._check(response, "")
                return set(line.strip() for line in body.splitlines() if line.strip())
            finally:
                conn.close()
        return self._retry("Could not list bucket %s on %s" % (self.bucket, self.base_url), action)

    def exists(self, path):
        return path.lstrip("/") in self.list()

    def compare(self, path, src, full_hash=False):
        """Compare the remote file with a local one without uploading anything.

        Returns (state, remote_sha256) where state is "absent", "different" or "same".
        The remote body is streamed and compared chunk by chunk with the local file; a
        Content-Length that differs from the local size ends the check before any body byte
        is read. remote_sha256 is None unless the whole remote body was read.
        """
        local_size = os.path.getsize(src)

        def action():
            conn = self._start("GET", path)
            try:
                response = conn.getresponse()
                if self._check(response, path, missing_ok=True):
                    return "absent", None
                length = response.getheader("Content-Length")
                if length is not None and int(length) != local_size and not full_hash:
                    return "different", None
                return _compare_stream(response, src, full_hash)
            finally:
                conn.close()
        return self._retry("Could not read %s" % self.file_url(path), action)

    def upload(self, path, src):
        """PUT the local file src to path, streamed in CHUNK_SIZE pieces; returns its sha256."""
        size = os.path.getsize(src)

        def action():
            conn = self._start("PUT", path, length=size)
            try:
                digest = self._send_file(conn, src)
                response = conn.getresponse()
                response.read()
                self._check(response, path, ok=(200, 201, 204))
                return digest
            finally:
                conn.close()
        return self._retry("Could not upload %s to %s" % (src, self.file_url(path)), action)

    def _send_file(self, conn, src):
        """Send src and return its sha256, hashing in a helper thread while the body goes out.

        Plain HTTP sends with sendfile() (zero-copy) while the helper hashes its own read of the
        file; HTTPS sends CHUNK_SIZE pieces and the helper hashes each piece while it is sent.
        hashlib, sendfile and TLS writes all release the GIL, so on two cores the checksum costs
        little wall time; at most two chunks are in memory.
        """
        with ThreadPoolExecutor(max_workers=1) as helper, open(src, "rb") as handle:
            if self._ssl is None:
                hashing = helper.submit(sha256_file, src)
                self.bytes_sent += conn.sock.sendfile(handle)
                return hashing.result()
            digest, hashing = hashlib.sha256(), None
            for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
                if hashing is not None:
                    hashing.result()
                hashing = helper.submit(digest.update, chunk)
                conn.send(chunk)
                self.bytes_sent += len(chunk)
            if hashing is not None:
                hashing.result()
            return digest.hexdigest()

    def delete(self, path):
        def action():
            conn = self._start("DELETE", path)
            try:
                response = conn.getresponse()
                response.read()
                self._check(response, path, ok=(200, 204), missing_ok=True)
            finally:
                conn.close()
        return self._retry("Could not delete %s" % self.file_url(path), action)

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


def _compare_stream(response, src, full_hash):
    """Read response and the file src in lockstep; ("same"|"different", remote sha256 or None)."""
    remote, same = hashlib.sha256(), True
    with open(src, "rb") as handle:
        while True:
            chunk = response.read(CHUNK_SIZE)
            if not chunk:
                same = same and handle.read(1) == b""
                break
            remote.update(chunk)
            if same and handle.read(len(chunk)) != chunk:
                same = False
                if not full_hash:
                    return "different", None
    return ("same" if same else "different"), remote.hexdigest()


def sha256_file(path):
    """The sha256 of a local file, read in CHUNK_SIZE pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()
