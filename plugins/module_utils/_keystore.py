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
per changed store instead of one per certificate. Entries a JKS cannot hold (a PKCS12
SecretKeyEntry) are copied from the old PKCS12 file into the new one by alias (one more keytool run
each); every keytool report is checked, and an entry that cannot be carried over fails the write
before the store is replaced.

Every copy of a store (conversions, the new file) lives in a hidden 0700 directory next to the store
(`.<store>.<random>.tmp`), never in $TMPDIR: copies may hold private keys. Leftovers of killed runs
are removed by the next run that holds the store directory's lock.

To list a store's entries (what rds_truststore_info does): `Store(path, "auto", password,
read_only=True, run_command=module.run_command).load().entries`, each an `Entry` (`alias`, `kind`, `trusted`, `sha256`, `der`);
`entry_summary(entry)` gives a plain dict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import glob
import hashlib
import os
import re
import shutil
import stat as stat_module
import struct
import tempfile
import time

JKS_MAGIC = 0xFEEDFEED
JCEKS_MAGIC = 0xCECECECE
JKS_WHITENER = b"Mighty Aphrodite"
TAG_PRIVATE_KEY = 1
TAG_TRUSTED_CERT = 2
TAG_KEPT_BY_KEYTOOL = -1  # a PKCS12 entry a JKS cannot hold: copied file to file by keytool, never parsed
PASSWORD_ENV = "VIRTUALIS_AURORA_STOREPASS"
NEW_STORE_MODE = 0o644
# keytool runs briefly: the C1 compiler and the serial GC start it about twice as fast.
KEYTOOL_JVM_OPTIONS = ("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto")
KEYTOOL_GLOBS = ("/usr/lib/jvm/*/bin/keytool", "/usr/java/*/bin/keytool", "/opt/*/bin/keytool")
IMPORT_SUMMARY_RE = re.compile(r"(\d+) entries successfully imported, (\d+) entries failed or cancelled")
NOT_IMPORTED_RE = re.compile(r"^Entry for alias (.+) not imported\.?$", re.MULTILINE)
PROBLEM_RE = re.compile(r"^Problem importing entry for alias (.+?): (.*)$", re.MULTILINE)
MAX_DELETES = 10  # removals from a store with keys done in place (one keytool run each) to keep keys' bytes
STALE_AGE = 600  # seconds: a temporary this old belongs to a killed run, not to one in progress
OLD_WORKDIR_PREFIX = "rds_truststore."  # 0.1.0 kept its conversions in $TMPDIR under this name


class KeystoreError(Exception):
    """A store that cannot be read or written; the message names the file and the fix."""


class Entry(object):
    """One keystore entry. Trusted certificates carry `der`; private keys of a JKS keep their raw
    bytes; entries only keytool can carry (TAG_KEPT_BY_KEYTOOL) carry keytool's `reason`."""

    __slots__ = ("alias", "timestamp", "tag", "der", "raw", "reason")

    def __init__(self, alias, timestamp, tag=TAG_TRUSTED_CERT, der=None, raw=None, reason=None):
        self.alias = alias
        self.timestamp = timestamp
        self.tag = tag
        self.der = der
        self.raw = raw
        self.reason = reason

    @property
    def trusted(self):
        return self.tag == TAG_TRUSTED_CERT

    @property
    def kind(self):
        """trustedCertEntry, PrivateKeyEntry, or other (kept by keytool, e.g. a SecretKeyEntry)."""
        return {TAG_TRUSTED_CERT: "trustedCertEntry", TAG_PRIVATE_KEY: "PrivateKeyEntry"}.get(self.tag, "other")

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
        chunk = self.data[self.pos : self.pos + count]
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
        raise KeystoreError(
            "%s: keystore integrity check failed: wrong store_password, or the file is corrupted" % path
        )
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
            entries.append(Entry(alias, timestamp, tag, raw=bytes(data[start : reader.pos])))
        else:
            raise KeystoreError("unknown entry tag %d for alias %r" % (tag, alias))
    if len(data) - reader.pos != 20:
        raise KeystoreError("%d unexpected bytes after the entries" % (len(data) - reader.pos - 20))
    return entries


def entry_summary(entry):
    """A plain dict for reports: alias, kind, sha256 (trusted certificates only)."""
    return {"alias": entry.alias, "kind": entry.kind, "sha256": entry.sha256}


def owned_alias(entry, prefix):
    """Whether `entry` is a trusted certificate this collection added under `prefix`: its alias is
    `<prefix>...-<first 8, 16 or 64 hex digits of its own SHA-256>` (see rds_truststore make_alias).
    A store's own entries that merely start with the prefix (`debian:` ones) are not."""
    if not entry.trusted or not prefix:
        return False
    alias = entry.alias.lower()
    return alias.startswith(prefix.lower()) and any(
        alias.endswith("-" + entry.sha256[:length]) for length in (8, 16, 64)
    )


def write_jks(entries, password):
    """A JKS (version 2) file holding `entries`, as bytes (entries only keytool can carry are left out)."""
    entries = [entry for entry in entries if entry.tag != TAG_KEPT_BY_KEYTOOL]
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
        raise KeystoreError(
            "truststore %s is a JCEKS keystore, which is not supported; convert it with "
            "keytool -importkeystore -deststoretype PKCS12" % path
        )
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
    raise KeystoreError(
        "PKCS12 stores need keytool, which was not found on PATH nor under /usr/lib/jvm; set the keytool option"
    )


class Keytool(object):
    """keytool with the store password in the environment (never on the command line).

    `run_command` is the module's AnsibleModule.run_command (tests pass a subprocess-based
    stand-in): it runs keytool with no standard input, the password and LC_ALL=C added to the
    environment, and umask 0077, so that what keytool writes is 0600."""

    def __init__(self, path, password, run_command):
        self.path = path
        self.password = password
        self.run_command = run_command
        self.runs = 0
        self.seconds = 0.0

    def run(self, *args):
        started = time.time()
        code, out, err = self.run_command(
            [self.path] + list(KEYTOOL_JVM_OPTIONS) + list(args),
            environ_update={"LC_ALL": "C", PASSWORD_ENV: self.password},
            umask=0o077,
            expand_user_and_vars=False,
        )
        self.runs += 1
        self.seconds += time.time() - started
        return code, err + out  # keytool reports progress on stderr, and its final "keytool error" on stdout

    def convert(self, src, src_type, dest, dest_type, alias=None):
        """keytool -importkeystore src -> dest (all entries, or the one `alias`, added to dest).

        Returns {alias: keytool's reason} of the entries keytool did not import: keytool exits 0
        when some entries "failed or cancelled", so its report is read, not only its exit code."""
        code, output = self.run(
            *(
                [
                    "-importkeystore",
                    "-noprompt",
                    "-srckeystore",
                    src,
                    "-srcstoretype",
                    src_type,
                    "-srcstorepass:env",
                    PASSWORD_ENV,
                    "-destkeystore",
                    dest,
                    "-deststoretype",
                    dest_type,
                    "-deststorepass:env",
                    PASSWORD_ENV,
                ]
                + (["-srcalias", alias] if alias is not None else [])
            )
        )
        if code != 0:
            if "password was incorrect" in output or "mac check failed" in output.lower():
                raise KeystoreError("%s: wrong store_password (keytool: keystore password was incorrect)" % src)
            if alias is not None:
                return {alias: _last_line(output)}
            raise KeystoreError("keytool could not convert %s: %s" % (src, _last_line(output)))
        return _not_imported(output)


def _last_line(output):
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _not_imported(output):
    """{alias: reason} of the entries an -importkeystore report says it did not import."""
    reasons = dict(PROBLEM_RE.findall(output))
    failed = {alias: reasons.get(alias, "not imported") for alias in NOT_IMPORTED_RE.findall(output)}
    summary = IMPORT_SUMMARY_RE.search(output)
    if summary and int(summary.group(2)) != len(failed):  # an alias keytool reported in another wording
        failed.setdefault(
            "?",
            "keytool reported %s entries failed or cancelled: %s"
            % (summary.group(2), " / ".join(reasons.values()) or output.strip()[-300:]),
        )
    return failed


# reading and writing stores ---------------------------------------------------------------------
class Store(object):
    """A truststore file: its type, its entries and what is needed to write it back.

    `read_only` (check mode, the info module): never remove other runs' leftovers, never write the
    cache. Writing is two-phase so that several stores can be all-or-nothing: `prepare()` builds
    the new file next to the store (every conversion done and checked), `commit()` renames it into
    place, `discard()` drops it; `save()` does both for one store."""

    def __init__(
        self,
        path,
        store_type,
        password,
        keytool_path=None,
        cache_dir=None,
        cache_read_only=False,
        read_only=None,
        run_command=None,
    ):
        self.path = path
        self.type = store_type
        self.password = password
        self.keytool_path = keytool_path
        self.run_command = run_command  # the module's run_command: needed for PKCS12 stores (keytool) only
        self.keytool = None
        self.read_only = cache_read_only if read_only is None else read_only
        self.cache = ConversionCache(cache_dir, cache_read_only or self.read_only) if cache_dir else None
        self.entries = []
        self.stat = None
        self.staged = None
        self.cached_digest = None

    @property
    def warnings(self):
        return list(self.cache.problems) if self.cache else []

    def load(self):
        try:
            self.stat = os.stat(self.path)
        except OSError as exc:
            raise KeystoreError("truststore %s: %s" % (self.path, exc.strerror))
        detected = detect_type(self.path)
        if self.type not in (None, "auto") and self.type != detected:
            raise KeystoreError(
                "%s is a %s file, but store_type=%s was given; nothing was changed. Use "
                "store_type=auto, or convert the store yourself (keytool -importkeystore "
                "-deststoretype %s) if that type is really wanted"
                % (self.path, detected.upper(), self.type, self.type.upper())
            )
        self.type = detected
        if not self.read_only:
            remove_stale_temporaries(self.path)
        if self.type == "jks":
            self.entries = read_jks(_read_file(self.path), self.password, self.path)
        else:
            self.keytool = self._keytool()
            self.entries = self._load_with_keytool()
        return self

    def _keytool(self):
        if self.run_command is None:
            raise KeystoreError(
                "%s is a PKCS12 store: reading or writing it needs keytool, and this Store was "
                "given no run_command to run it" % self.path
            )
        return Keytool(find_keytool(self.keytool_path), self.password, self.run_command)

    def _load_with_keytool(self):
        digest = _file_digest(self.path)
        cached = self.cache.get(digest, self.password) if self.cache else None
        if cached is not None:
            self.cached_digest = digest
            return cached
        return self._read_with_keytool(digest)

    def _verify_cached(self):
        """Before anything is written from a cache copy, check it against the store it mirrors
        (one keytool run): a copy that differs is removed, and the write refused."""
        digest, self.cached_digest = self.cached_digest, None
        actual = self._read_with_keytool(digest)
        if _identity(actual) != _identity(self.entries):
            self.cache.drop(digest)
            raise KeystoreError(
                "%s: the copy in cache_dir %s does not match the store (tampered with?); it was "
                "removed and nothing was changed; run again" % (self.path, self.cache.directory)
            )

    def _read_with_keytool(self, digest):
        workdir = make_workdir(self.path)
        try:
            converted = os.path.join(workdir, "store.jks")
            failed = self.keytool.convert(self.path, self.type.upper(), converted, "JKS")
            if "?" in failed:  # keytool skipped an entry it did not name: it could not be kept
                raise KeystoreError(
                    "%s: keytool could not read every entry (%s); nothing was changed" % (self.path, failed["?"])
                )
            data = _read_file(converted) if os.path.exists(converted) else None  # nothing for an empty store
            entries = read_jks(data, self.password, converted) if data else []
            kept = [Entry(alias, 0, TAG_KEPT_BY_KEYTOOL, reason=reason) for alias, reason in sorted(failed.items())]
            if self.cache and data and not kept and all(e.trusted for e in entries):
                self.cache.put(digest, data)  # certificates only: a copy with keys stays next to the store
            return entries + kept
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def start_new(self):
        """A store that does not exist yet: empty, written on save (JKS unless pkcs12 was asked)."""
        self.type = "pkcs12" if self.type == "pkcs12" else "jks"
        if self.type == "pkcs12":
            self.keytool = self._keytool()
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
            return (
                "directory %s of truststore %s is not writable (a temporary file is needed there "
                "for the atomic replace)" % (directory, self.path)
            )
        return None

    def write_refusal(self, entries):
        """Why `entries` cannot become this store, as far as it can be known before writing, or None."""
        if self.type == "pkcs12" and not entries:
            return "%s: refusing to write an empty PKCS12 store (keytool cannot create one)" % self.path
        return self.writable_error()

    def save(self, entries):
        """Replace the file atomically with one holding `entries`; owner, group and mode kept."""
        self.prepare(entries)
        self.commit()

    def prepare(self, entries):
        """Build the new store next to the old one, every conversion done and checked; nothing replaced."""
        self.discard()
        if self.type == "pkcs12" and not entries:
            raise KeystoreError(self.write_refusal(entries))
        if not self.read_only:
            remove_stale_temporaries(self.path)
        if self.type == "jks":
            fd, tmp = tempfile.mkstemp(
                prefix="." + os.path.basename(self.path) + ".",
                suffix=".tmp",
                dir=os.path.dirname(os.path.abspath(self.path)),
            )
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(write_jks(entries, self.password))
            except BaseException:
                _unlink_quietly(tmp)
                raise
            self.staged = (tmp, None, None, list(entries))
        else:
            self.staged = self._prepare_with_keytool(list(entries))

    def _prepare_with_keytool(self, entries):
        """The new PKCS12 store in a private directory next to the old one.

        Edited in place where that keeps every key entry byte for byte (keytool keeps the encrypted
        bytes of entries it does not touch): a copy of the old file, the new certificates imported
        into it, and, in a store with keys, up to MAX_DELETES removed certificates deleted one keytool
        run each. Otherwise (a store of certificates only, or many removals) rebuilt from a JKS, the
        entries a JKS cannot hold copied from the old file by alias: keys keep their key material,
        re-encrypted with the store password."""
        if self.cached_digest:
            self._verify_cached()
        workdir = make_workdir(self.path)
        try:
            fresh = os.path.join(workdir, "store")
            before, after = {id(e) for e in self.entries}, {id(e) for e in entries}
            removed = [e for e in self.entries if id(e) not in after]
            holds_keys = any(not e.trusted for e in self.entries)
            if self.stat is not None and (not removed or (holds_keys and len(removed) <= MAX_DELETES)):
                _write_private(fresh, _read_file(self.path))
                self._import_jks(workdir, [e for e in entries if id(e) not in before], fresh)
                for entry in removed:
                    self._delete(entry.alias, fresh)
            else:
                self._import_jks(workdir, [e for e in entries if e.tag != TAG_KEPT_BY_KEYTOOL], fresh)
                for entry in entries:
                    if entry.tag == TAG_KEPT_BY_KEYTOOL:  # straight from the old file, never through a JKS
                        self._copy_entry(entry, fresh)
            if not os.path.exists(fresh):
                raise KeystoreError("%s: keytool wrote no store" % self.path)
            cacheable = all(e.trusted for e in entries)
            return fresh, workdir, write_jks(entries, self.password) if cacheable else None, entries
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise

    def _import_jks(self, workdir, entries, dest):
        """Import `entries` (through a JKS) into dest, created if missing; any entry not imported fails."""
        if not entries:
            return
        source = os.path.join(workdir, "import.jks")
        _write_private(source, write_jks(entries, self.password))
        failed = self.keytool.convert(source, "JKS", dest, self.type.upper())
        _unlink_quietly(source)
        if failed:
            raise KeystoreError(
                "%s: keytool could not write %s; the store was not changed" % (self.path, _describe_failures(failed))
            )

    def _delete(self, alias, dest):
        code, output = self.keytool.run(
            "-delete",
            "-noprompt",
            "-alias",
            alias,
            "-keystore",
            dest,
            "-storetype",
            self.type.upper(),
            "-storepass:env",
            PASSWORD_ENV,
        )
        if code != 0:
            raise KeystoreError(
                "%s: keytool could not remove '%s' (%s); the store was not changed"
                % (self.path, alias, _last_line(output))
            )

    def _copy_entry(self, entry, dest):
        failed = self.keytool.convert(self.path, self.type.upper(), dest, self.type.upper(), entry.alias)
        if failed:
            raise KeystoreError(
                "%s: entry '%s' cannot be carried into the rewritten store (a JKS cannot hold "
                "it: %s; copying it failed: %s); the store was not changed"
                % (self.path, entry.alias, entry.reason, _describe_failures(failed))
            )

    def commit(self):
        """Rename the prepared store into place (owner, group, mode and SELinux label kept)."""
        tmp, workdir, cache_data, entries = self.staged
        try:
            digest = _file_digest(tmp) if cache_data and self.cache else None
            finish_replace(tmp, self.path, self.stat)
        finally:
            self.discard()
        if digest:
            self.cache.put(digest, cache_data)
        self.entries = entries

    def discard(self):
        """Drop a prepared store that was not committed (nothing if there is none)."""
        if self.staged:
            tmp, workdir = self.staged[:2]
            if workdir:
                shutil.rmtree(workdir, ignore_errors=True)
            else:
                _unlink_quietly(tmp)
        self.staged = None


def _identity(entries):
    return sorted((e.alias.lower(), e.tag, e.sha256 or "", e.raw or b"") for e in entries)


def _describe_failures(failed):
    return "; ".join("entry '%s': %s" % item for item in sorted(failed.items()))


def make_workdir(path):
    """A private (0700) directory next to the store for its copies: `.<store>.<random>.tmp`."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        return tempfile.mkdtemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise KeystoreError(
            "cannot create a temporary directory next to %s (copies of a store that may hold "
            "keys are kept nowhere else): %s" % (path, exc.strerror or exc)
        )


def _write_private(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


class ConversionCache(object):
    """JKS copies of keytool-backed stores that hold trusted certificates only, named by the SHA-256
    of the store file, so that a rerun on an unchanged PKCS12 store needs no JVM at all.

    Trusted only when safe: the directory must be the running user's own, not a symlink, and mode
    0700 (looser modes are tightened, another owner means no cache, with a warning). An entry is
    used only if it is a regular file of the running user, mode 0600, opens as a JKS with the store
    password, and holds trusted certificates only (the only kind ever written here; stores with
    private or secret keys are never cached). Anything else is ignored and removed.
    """

    MAX_AGE = 30 * 24 * 3600
    MAX_FILES = 64  # a node has a few PKCS12 stores; each change adds one entry

    def __init__(self, directory, read_only=False):
        self.directory = directory
        self.read_only = read_only  # check mode: use, never write
        self.problems = []
        self._safe = None

    def _path(self, digest):
        return os.path.join(self.directory, digest + ".jks")

    def safe(self):
        """Whether the directory may be used (tightening its mode when it is ours)."""
        if self._safe is None:
            self._safe = self._check_directory()
        return self._safe

    def _check_directory(self):
        try:
            info = os.lstat(self.directory)
        except OSError:
            return not self.read_only and self._create()
        if not stat_module.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            self.problems.append(
                "cache_dir %s is not used: it is %s, not a directory of uid %d"
                % (
                    self.directory,
                    "a symbolic link"
                    if stat_module.S_ISLNK(info.st_mode)
                    else "owned by uid %d" % info.st_uid
                    if stat_module.S_ISDIR(info.st_mode)
                    else "not a directory",
                    os.geteuid(),
                )
            )
            return False
        if info.st_mode & 0o077:
            if self.read_only:
                return False
            try:
                os.chmod(self.directory, 0o700)
            except OSError:
                return False
        return True

    def _create(self):
        try:
            parent = os.path.dirname(os.path.abspath(self.directory))
            if not os.path.isdir(parent):
                os.makedirs(parent)
            os.mkdir(self.directory, 0o700)
            return True
        except OSError:
            return False

    def get(self, digest, password):
        if not self.safe():
            return None
        path = self._path(digest)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                data = handle.read()
            if not stat_module.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
                raise KeystoreError("not a private file of this user")
            entries = read_jks(data, password, path)
            if not all(entry.trusted for entry in entries):
                raise KeystoreError("holds keys: never written by this cache")
            return entries
        except (IOError, OSError, KeystoreError):
            if not self.read_only:
                _unlink_quietly(path)
            return None

    def drop(self, digest):
        if not self.read_only:
            _unlink_quietly(self._path(digest))

    def put(self, digest, data):
        if self.read_only or not self.safe():
            return
        try:
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")  # mode 0600
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.rename(tmp, self._path(digest))
            self._prune()
        except (IOError, OSError):
            pass

    def _prune(self):
        """Drop entries older than MAX_AGE, all but the MAX_FILES newest, and any copy that holds
        keys (0.1.0 cached stores with private keys too)."""
        paths = [os.path.join(self.directory, name) for name in os.listdir(self.directory)]
        paths.sort(key=lambda path: os.lstat(path).st_mtime, reverse=True)
        limit = time.time() - self.MAX_AGE
        for index, path in enumerate(paths):
            if index >= self.MAX_FILES or os.lstat(path).st_mtime < limit or _holds_keys(path):
                _unlink_quietly(path)


def _holds_keys(path):
    """Whether a cached copy holds anything but trusted certificates (read without the password)."""
    try:
        return not all(entry.trusted for entry in _parse_jks(_read_file(path)))
    except (IOError, OSError, KeystoreError, struct.error, UnicodeDecodeError):
        return True


def _file_digest(path):
    return hashlib.sha256(_read_file(path)).hexdigest()


def _read_file(path):
    with open(path, "rb") as handle:
        return handle.read()


def atomic_write(path, data, stat):
    """Write data next to path, fsync, keep owner/group/mode, rename over path."""
    fd, tmp = tempfile.mkstemp(
        prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=os.path.dirname(os.path.abspath(path))
    )
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
_NO_LABEL = frozenset(
    getattr(errno, name) for name in ("ENODATA", "ENOTSUP", "EOPNOTSUPP", "ENOSYS") if hasattr(errno, name)
)


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
        raise KeystoreError(
            "cannot give the new %s the SELinux label %s of the store it replaces: %s"
            % (path, label.rstrip(b"\0").decode("ascii", "replace"), exc.strerror or exc)
        )


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


def remove_stale_temporaries(path, max_age=STALE_AGE):
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


def remove_old_workdirs(max_age=STALE_AGE, directory=None):
    """Remove the $TMPDIR/rds_truststore.* work directories that killed 0.1.0 runs left behind
    (copies of stores, private keys included); only this user's, only stale ones. Returns them."""
    directory = directory or tempfile.gettempdir()
    limit, removed = time.time() - max_age, []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        candidate = os.path.join(directory, name)
        try:
            info = os.lstat(candidate)
        except OSError:
            continue
        if (
            name.startswith(OLD_WORKDIR_PREFIX)
            and stat_module.S_ISDIR(info.st_mode)
            and info.st_uid == os.geteuid()
            and info.st_mtime < limit
        ):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


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
                    raise KeystoreError(
                        "another run of the module holds the lock on %s (waited %ds)" % (directory, timeout)
                    )
                time.sleep(0.05)
    return fds


# paths inside script-language containers (which paths those are: _discovery) -----------------
def resolve_in_root(path, root, max_links=40, strict=False):
    """Resolve symlinks of `path` as if `root` were `/` (like a chroot): absolute link targets and
    `..` never leave root. `path` must be inside root. Returns the resolved host path.

    With `strict`, a `..` that would climb above root is an error instead of staying at root (a
    link that points out of a tree scanned for stores is refused, not reinterpreted)."""
    root = os.path.abspath(root)
    pending = [p for p in os.path.relpath(os.path.abspath(path), root).split(os.sep) if p not in ("", ".")]
    if pending[:1] == [".."]:
        raise KeystoreError("%s is not inside %s" % (path, root))
    resolved = []
    hops = 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            elif strict:
                raise KeystoreError("%s leads out of %s (a symbolic link climbs above it)" % (path, root))
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
