# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Java truststores (JKS in pure Python, PKCS12 through a constant number of keytool runs).

Node-side code: Python standard library only, Python 3.6+.

JKS layout (sun.security.provider.JavaKeyStore): magic 0xFEEDFEED, version 2, entry count, then
per entry a tag (1 private key, 2 trusted certificate), an alias in modified UTF-8, a timestamp in
ms and the payload; a SHA-1 over password (UTF-16BE) + "Mighty Aphrodite" + everything before it
closes the file. Private key entries are kept byte for byte; only trusted certificates are
interpreted. PKCS12 stores written by current JDKs are AES-encrypted, which the standard library
cannot do, so keytool converts them to a JKS once to read and once back to write: two JVM starts
per changed store instead of one per certificate.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import glob
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import time

JKS_MAGIC = 0xFEEDFEED
JCEKS_MAGIC = 0xCECECECE
JKS_WHITENER = b"Mighty Aphrodite"
TAG_PRIVATE_KEY = 1
TAG_TRUSTED_CERT = 2
PASSWORD_ENV = "VIRTUALIS_AURORA_STOREPASS"
NEW_STORE_MODE = 0o644
# keytool runs briefly: the C1 compiler and the serial GC start it about twice as fast.
KEYTOOL_JVM_OPTIONS = ("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto")
KEYTOOL_GLOBS = ("/usr/lib/jvm/*/bin/keytool", "/usr/java/*/bin/keytool", "/opt/*/bin/keytool")


class KeystoreError(Exception):
    """A store that cannot be read or written; the message names the file and the fix."""


class Entry(object):
    """One keystore entry. Trusted certificates carry `der`; others keep their raw bytes."""

    __slots__ = ("alias", "timestamp", "tag", "der", "raw")

    def __init__(self, alias, timestamp, tag=TAG_TRUSTED_CERT, der=None, raw=None):
        self.alias = alias
        self.timestamp = timestamp
        self.tag = tag
        self.der = der
        self.raw = raw

    @property
    def trusted(self):
        return self.tag == TAG_TRUSTED_CERT

    @property
    def sha256(self):
        return hashlib.sha256(self.der).hexdigest() if self.der is not None else None


# modified UTF-8 (java.io.DataOutput.writeUTF) -------------------------------------------------
def encode_utf(text):
    out = bytearray()
    units = text.encode("utf-16-be", "surrogatepass")
    for i in range(0, len(units), 2):
        unit = (units[i] << 8) | units[i + 1]
        if unit == 0:
            out += b"\xc0\x80"
        else:
            out += chr(unit).encode("utf-8", "surrogatepass")
    if len(out) > 0xFFFF:
        raise KeystoreError("alias too long: %r" % text)
    return struct.pack(">H", len(out)) + bytes(out)


def decode_utf(data):
    text = data.replace(b"\xc0\x80", b"\x00").decode("utf-8", "surrogatepass")
    return text.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "replace")


class _Reader(object):
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, count):
        if self.pos + count > len(self.data):
            raise KeystoreError("ends early at byte %d" % self.pos)
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def utf(self):
        return decode_utf(self.take(self.unpack(">H")))

    def blob(self):
        return self.take(self.unpack(">I"))


def _jks_digest(password, body):
    return hashlib.sha1(password.encode("utf-16-be") + JKS_WHITENER + body).digest()


def read_jks(data, password, path):
    """Entries of a JKS file; KeystoreError names the path on a bad file or a wrong password."""
    try:
        entries = _parse_jks(data)
    except (KeystoreError, struct.error, UnicodeDecodeError) as exc:
        raise KeystoreError("%s is not a readable JKS keystore (%s)" % (path, exc))
    if _jks_digest(password, data[:-20]) != data[-20:]:
        raise KeystoreError("%s: keystore integrity check failed: wrong store_password, or the file is "
                            "corrupted" % path)
    return entries


def _parse_jks(data):
    reader = _Reader(data)
    magic, version, count = struct.unpack(">III", reader.take(12))
    if magic != JKS_MAGIC or version not in (1, 2):
        raise KeystoreError("bad magic/version %08x/%d" % (magic, version))
    entries = []
    for dummy in range(count):
        start = reader.pos
        tag = reader.unpack(">I")
        alias = reader.utf()
        timestamp = reader.unpack(">q")
        if tag == TAG_TRUSTED_CERT:
            if version == 2:
                reader.utf()  # certificate type, "X.509"
            entries.append(Entry(alias, timestamp, tag, der=bytes(reader.blob())))
        elif tag == TAG_PRIVATE_KEY:
            reader.blob()
            for dummy_cert in range(reader.unpack(">I")):
                if version == 2:
                    reader.utf()
                reader.blob()
            entries.append(Entry(alias, timestamp, tag, raw=bytes(data[start:reader.pos])))
        else:
            raise KeystoreError("unknown entry tag %d for alias %r" % (tag, alias))
    if len(data) - reader.pos != 20:
        raise KeystoreError("%d unexpected bytes after the entries" % (len(data) - reader.pos - 20))
    return entries


def write_jks(entries, password):
    """A JKS (version 2) file holding `entries`, as bytes."""
    parts = [struct.pack(">III", JKS_MAGIC, 2, len(entries))]
    for entry in entries:
        if entry.raw is not None:
            parts.append(entry.raw)
            continue
        parts.append(struct.pack(">I", TAG_TRUSTED_CERT) + encode_utf(entry.alias))
        parts.append(struct.pack(">q", entry.timestamp) + encode_utf("X.509"))
        parts.append(struct.pack(">I", len(entry.der)) + entry.der)
    body = b"".join(parts)
    return body + _jks_digest(password, body)


# store type detection and keytool -------------------------------------------------------------
def detect_type(path):
    """'jks' or 'pkcs12' from the first bytes; KeystoreError for anything else."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except (IOError, OSError) as exc:
        raise KeystoreError("cannot read truststore %s: %s" % (path, exc.strerror or exc))
    if len(head) < 4:
        raise KeystoreError("truststore %s is empty or truncated (%d bytes)" % (path, len(head)))
    magic = struct.unpack(">I", head)[0]
    if magic == JKS_MAGIC:
        return "jks"
    if magic == JCEKS_MAGIC:
        raise KeystoreError("truststore %s is a JCEKS keystore, which is not supported; convert it with "
                            "keytool -importkeystore -deststoretype PKCS12" % path)
    if head[:1] == b"\x30":
        return "pkcs12"
    raise KeystoreError("%s is not a Java keystore (neither JKS nor PKCS12)" % path)


def find_keytool(explicit=None):
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise KeystoreError("keytool %s is not executable" % explicit)
        return explicit
    for directory in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep):
        candidate = os.path.join(directory, "keytool")
        if os.access(candidate, os.X_OK):
            return candidate
    for pattern in KEYTOOL_GLOBS:
        for candidate in sorted(glob.glob(pattern)):
            if os.access(candidate, os.X_OK):
                return candidate
    raise KeystoreError("PKCS12 stores need keytool, which was not found on PATH nor under "
                        "/usr/lib/jvm; set the keytool option")


class Keytool(object):
    """keytool with the store password in the environment (never on the command line)."""

    def __init__(self, path, password):
        self.path = path
        self.password = password
        self.runs = 0
        self.seconds = 0.0

    def run(self, *args):
        env = dict(os.environ, LC_ALL="C")
        env[PASSWORD_ENV] = self.password
        started = time.time()
        proc = subprocess.Popen([self.path] + list(KEYTOOL_JVM_OPTIONS) + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, universal_newlines=True)
        output = proc.communicate()[0]
        self.runs += 1
        self.seconds += time.time() - started
        return proc.returncode, output

    def convert(self, src, src_type, dest, dest_type):
        """keytool -importkeystore src -> dest (dest must not exist)."""
        code, output = self.run(
            "-importkeystore", "-noprompt", "-srckeystore", src, "-srcstoretype", src_type,
            "-srcstorepass:env", PASSWORD_ENV, "-destkeystore", dest, "-deststoretype", dest_type,
            "-deststorepass:env", PASSWORD_ENV)
        if code != 0:
            if "password was incorrect" in output or "mac check failed" in output.lower():
                raise KeystoreError("%s: wrong store_password (keytool: keystore password was incorrect)" % src)
            raise KeystoreError("keytool could not convert %s: %s" % (src, output.strip().splitlines()[-1:]))


# reading and writing stores ---------------------------------------------------------------------
class Store(object):
    """A truststore file: its type, its entries and what is needed to write it back."""

    def __init__(self, path, store_type, password, keytool_path=None, cache_dir=None, cache_read_only=False):
        self.path = path
        self.type = store_type
        self.password = password
        self.keytool_path = keytool_path
        self.keytool = None
        self.cache = ConversionCache(cache_dir, cache_read_only) if cache_dir else None
        self.entries = []
        self.stat = None

    def load(self):
        try:
            self.stat = os.stat(self.path)
        except OSError as exc:
            raise KeystoreError("truststore %s: %s" % (self.path, exc.strerror))
        if self.type in (None, "auto"):
            self.type = detect_type(self.path)
        if self.type == "jks":
            self.entries = read_jks(_read_file(self.path), self.password, self.path)
        else:
            self.keytool = Keytool(find_keytool(self.keytool_path), self.password)
            self.entries = self._load_with_keytool()
        return self

    def _load_with_keytool(self):
        digest = _file_digest(self.path)
        cached = self.cache.get(digest, self.password) if self.cache else None
        if cached is not None:
            return cached
        workdir = tempfile.mkdtemp(prefix="rds_truststore.")
        try:
            converted = os.path.join(workdir, "store.jks")
            self.keytool.convert(self.path, self.type.upper(), converted, "JKS")
            if not os.path.exists(converted):  # keytool writes nothing for an empty store
                return []
            data = _read_file(converted)
            entries = read_jks(data, self.password, converted)
            if self.cache:
                self.cache.put(digest, data)
            return entries
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def start_new(self):
        """A store that does not exist yet: empty, written on save (JKS unless pkcs12 was asked)."""
        self.type = "pkcs12" if self.type == "pkcs12" else "jks"
        if self.type == "pkcs12":
            self.keytool = Keytool(find_keytool(self.keytool_path), self.password)
        self.entries, self.stat = [], None
        return self

    def writable_error(self):
        """Why this store cannot be replaced, or None (checked before any store is written)."""
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            return "directory %s of truststore %s does not exist" % (directory, self.path)
        if self.stat is not None and not os.access(self.path, os.W_OK):
            return "truststore %s is read-only" % self.path
        if not os.access(directory, os.W_OK | os.X_OK):
            return "directory %s of truststore %s is not writable (a temporary file is needed there " \
                   "for the atomic replace)" % (directory, self.path)
        return None

    def save(self, entries):
        """Replace the file atomically with one holding `entries`; owner, group and mode kept."""
        remove_stale_temporaries(self.path)
        if self.type == "jks":
            atomic_write(self.path, write_jks(entries, self.password), self.stat)
        else:
            self._save_with_keytool(entries)
        self.entries = list(entries)

    def _save_with_keytool(self, entries):
        if not entries:
            raise KeystoreError("%s: refusing to write an empty PKCS12 store (keytool cannot create one)" % self.path)
        workdir = tempfile.mkdtemp(prefix="rds_truststore.")
        target_dir = tempfile.mkdtemp(prefix="." + os.path.basename(self.path) + ".", suffix=".tmp",
                                      dir=os.path.dirname(os.path.abspath(self.path)))
        try:
            source = os.path.join(workdir, "store.jks")
            data = write_jks(entries, self.password)
            with open(source, "wb") as handle:
                handle.write(data)
            fresh = os.path.join(target_dir, "store")
            self.keytool.convert(source, "JKS", fresh, self.type.upper())
            digest = _file_digest(fresh)
            finish_replace(fresh, self.path, self.stat)
            if self.cache:
                self.cache.put(digest, data)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            shutil.rmtree(target_dir, ignore_errors=True)


class ConversionCache(object):
    """JKS copies of keytool-backed stores, named by the SHA-256 of the store file.

    A rerun on an unchanged PKCS12 store then needs no JVM at all. Content-addressed, so an entry
    can never be stale; the JKS integrity check still verifies the password. The copy holds what
    the store holds (private keys stay protected by the store password) and lives in a 0700
    directory with 0600 files. Best effort: any I/O problem just means no cache.
    """

    MAX_AGE = 30 * 24 * 3600
    MAX_FILES = 64  # a node has a few PKCS12 stores; each change adds one entry

    def __init__(self, directory, read_only=False):
        self.directory = directory
        self.read_only = read_only  # check mode: use, never write

    def _path(self, digest):
        return os.path.join(self.directory, digest + ".jks")

    def get(self, digest, password):
        try:
            data = _read_file(self._path(digest))
            return read_jks(data, password, self._path(digest))
        except (IOError, OSError, KeystoreError):
            return None

    def put(self, digest, data):
        if self.read_only:
            return
        try:
            if not os.path.isdir(self.directory):
                os.makedirs(self.directory, 0o700)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.rename(tmp, self._path(digest))
            self._prune()
        except (IOError, OSError):
            pass

    def _prune(self):
        """Drop entries older than MAX_AGE, and all but the MAX_FILES newest."""
        paths = [os.path.join(self.directory, name) for name in os.listdir(self.directory)]
        paths.sort(key=lambda path: os.stat(path).st_mtime, reverse=True)
        limit = time.time() - self.MAX_AGE
        for index, path in enumerate(paths):
            if index >= self.MAX_FILES or os.stat(path).st_mtime < limit:
                _unlink_quietly(path)


def _file_digest(path):
    return hashlib.sha256(_read_file(path)).hexdigest()


def _read_file(path):
    with open(path, "rb") as handle:
        return handle.read()


def atomic_write(path, data, stat):
    """Write data next to path, fsync, keep owner/group/mode, rename over path."""
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        finish_replace(tmp, path, stat)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def finish_replace(tmp, path, stat):
    fd = os.open(tmp, os.O_RDONLY)
    try:
        if stat is None:  # a new store: certificates are public, like the JDK's own cacerts
            os.fchmod(fd, NEW_STORE_MODE)
        else:
            if (stat.st_uid, stat.st_gid) != (os.geteuid(), os.getegid()):
                os.fchown(fd, stat.st_uid, stat.st_gid)
            os.fchmod(fd, stat.st_mode & 0o7777)
            copy_security_label(path, fd)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    fsync_directory(os.path.dirname(os.path.abspath(path)))


SELINUX_XATTR = "security.selinux"
# no label to copy: no SELinux on the node, a file system without labels, or no such call here
_NO_LABEL = frozenset(getattr(errno, name) for name in ("ENODATA", "ENOTSUP", "EOPNOTSUPP", "ENOSYS")
                      if hasattr(errno, name))


def copy_security_label(path, fd):
    """Give the new store (open as fd) the SELinux label of the store it replaces.

    A file created next to the store gets the directory's default label, which is not always the
    store's (a relabelled cacerts, a store under an SLC's own tree). Nothing to do where the old file
    has no label. A label that cannot be set (a policy that forbids relabelling) fails the write
    before the rename, so the store is never replaced by a file the JVM may not be allowed to read.
    """
    if not hasattr(os, "getxattr"):  # not Linux
        return
    try:
        label = os.getxattr(path, SELINUX_XATTR)
    except OSError as exc:
        if exc.errno in _NO_LABEL:
            return
        raise
    try:
        if os.getxattr(fd, SELINUX_XATTR) == label:
            return
    except OSError as exc:
        if exc.errno not in _NO_LABEL:
            raise
    try:
        os.setxattr(fd, SELINUX_XATTR, label)
    except OSError as exc:
        raise KeystoreError("cannot give the new %s the SELinux label %s of the store it replaces: %s" % (
            path, label.rstrip(b"\0").decode("ascii", "replace"), exc.strerror or exc))


def fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot fsync a directory
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def remove_stale_temporaries(path, max_age=600):
    """Remove temporaries of earlier runs that were killed before their rename (older than
    max_age seconds, so that a run in progress is never disturbed)."""
    directory, prefix = os.path.dirname(os.path.abspath(path)), "." + os.path.basename(path) + "."
    limit = time.time() - max_age
    for name in os.listdir(directory):
        candidate = os.path.join(directory, name)
        if name.startswith(prefix) and name.endswith(".tmp") and os.lstat(candidate).st_mtime < limit:
            if os.path.isdir(candidate) and not os.path.islink(candidate):
                shutil.rmtree(candidate, ignore_errors=True)
            else:
                _unlink_quietly(candidate)


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def lock_directories(directories, timeout):
    """Exclusive flock on each store directory, in sorted order so that two runs cannot deadlock.

    Held until the process ends (the file descriptors are returned, and closed by the exit), so
    that overlapping runs on one store read, plan and write one after the other."""
    fds = []
    for directory in sorted(set(directories)):
        fd = os.open(directory, os.O_RDONLY)
        fds.append(fd)
        deadline = time.time() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.time() >= deadline:
                    for held in fds:
                        os.close(held)
                    raise KeystoreError("another run of the module holds the lock on %s (waited %ds)" % (
                        directory, timeout))
                time.sleep(0.05)
    return fds


# paths inside script-language containers -------------------------------------------------------
def resolve_in_root(path, root, max_links=40):
    """Resolve symlinks of `path` as if `root` were `/` (like a chroot): absolute link targets and
    `..` never leave root. `path` must be inside root. Returns the resolved host path."""
    root = os.path.abspath(root)
    pending = [p for p in os.path.relpath(os.path.abspath(path), root).split(os.sep) if p not in ("", ".")]
    resolved = []
    hops = 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        current = os.path.join(root, *(resolved + [part]))
        if not os.path.islink(current):
            resolved.append(part)
            continue
        hops += 1
        if hops > max_links:
            raise KeystoreError("too many symbolic links resolving %s inside %s" % (path, root))
        target = os.readlink(current)
        if target.startswith("/"):
            resolved = []
        pending = [p for p in target.split("/") if p not in ("", ".")] + pending
    return os.path.join(root, *resolved)
