"""_keystore: JKS in pure Python, PKCS12 through keytool, atomic replace, container paths."""

import errno
import os
import stat
import time

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils import _keystore
from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import (
    Entry,
    KeystoreError,
    Store,
    decode_utf,
    detect_type,
    encode_utf,
    read_jks,
    resolve_in_root,
    write_jks,
)
from ansible_collections.virtualis.aurora.plugins.module_utils._x509 import parse_pem_bundle
from runners import RecordingRunner, run_command
from truststores import JavaStoreReader, have_java, keytool, make_jks, self_signed_pem

needs_java = pytest.mark.skipif(not have_java(), reason="needs keytool, javac and java")


@pytest.fixture(scope="module")
def certs():
    return [parse_pem_bundle(self_signed_pem("ks %d" % i)[0], "t")[0] for i in range(3)]


@pytest.mark.parametrize("text", ["rds-abc", "", "nul\x00in", "ümlaut", "emoji \U0001f600"])
def test_modified_utf8_roundtrip(text):
    encoded = encode_utf(text)
    assert b"\x00" not in encoded[2:]
    assert decode_utf(encoded[2:]) == text


def test_jks_roundtrip_and_password(certs):
    data = write_jks([Entry("a", 1, der=c.der) for c in certs], "secret1")
    entries = read_jks(data, "secret1", "x.jks")
    assert [e.sha256 for e in entries] == [c.sha256 for c in certs]
    with pytest.raises(KeystoreError, match="x.jks: keystore integrity check failed: wrong store_password"):
        read_jks(data, "secret2", "x.jks")
    with pytest.raises(KeystoreError, match="x.jks is not a readable JKS keystore"):
        read_jks(data[:-40], "secret1", "x.jks")


@pytest.mark.spawns
@needs_java
def test_keytool_store_with_private_key_is_rewritten_byte_for_byte(tmp_path, certs):
    path = str(tmp_path / "k.jks")
    proc = keytool(
        "-genkeypair",
        "-alias",
        "mykey",
        "-keyalg",
        "EC",
        "-dname",
        "CN=me",
        "-keystore",
        path,
        "-storetype",
        "JKS",
        "-storepass:env",
        "KS_PASS",
        "-keypass:env",
        "KS_PASS",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    original = open(path, "rb").read()
    store = Store(path, "auto", "changeit").load()
    assert store.type == "jks" and [e.tag for e in store.entries] == [1]
    assert write_jks(store.entries, "changeit") == original
    store.save(store.entries + [Entry("rds-new", 1, der=certs[0].der)])
    listed = JavaStoreReader(tmp_path).read([path])[path]
    assert listed == {"mykey": listed["mykey"], "rds-new": certs[0].sha256}


@pytest.mark.spawns
@needs_java
def test_pkcs12_read_and_write_with_two_jvm_starts(tmp_path, certs):
    path = str(tmp_path / "t.p12")
    jks = make_jks(tmp_path / "seed.jks", certs[:1])
    proc = keytool(
        "-importkeystore",
        "-noprompt",
        "-srckeystore",
        jks,
        "-srcstorepass:env",
        "KS_PASS",
        "-destkeystore",
        path,
        "-deststoretype",
        "PKCS12",
        "-deststorepass:env",
        "KS_PASS",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    os.chmod(path, 0o640)
    runner = RecordingRunner()
    store = Store(path, "auto", "changeit", run_command=runner).load()
    assert store.type == "pkcs12" and [e.sha256 for e in store.entries] == [certs[0].sha256]
    store.save(store.entries + [Entry("rds-two", 1, der=certs[1].der)])
    assert store.keytool.runs == 2 and len(runner.calls) == 2
    for argv, options in runner.calls:  # the password only in keytool's environment, never on its command line
        assert not any("changeit" in arg for arg in argv) and "-storepass:env" not in argv
        assert options == {
            "environ_update": {"LC_ALL": "C", _keystore.PASSWORD_ENV: "changeit"},
            "umask": 0o077,
            "expand_user_and_vars": False,
        }
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert sorted(os.listdir(str(tmp_path))) == ["seed.jks", "t.p12"]
    listed = JavaStoreReader(tmp_path).read([path])[path]
    assert sorted(listed.values()) == sorted([certs[0].sha256, certs[1].sha256])
    with pytest.raises(KeystoreError, match="wrong store_password"):
        Store(path, "auto", "not-the-password", run_command=run_command).load()


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "is empty or truncated"),
        (b"\xce\xce\xce\xce" + b"\0" * 20, "JCEKS keystore, which is not supported"),
        (b"just text here", "is not a Java keystore"),
    ],
)
def test_detect_type_errors(tmp_path, content, message):
    path = tmp_path / "store"
    path.write_bytes(content)
    with pytest.raises(KeystoreError, match=message):
        detect_type(str(path))


def test_missing_store(tmp_path):
    with pytest.raises(KeystoreError, match="truststore .*/nope: No such file"):
        Store(str(tmp_path / "nope"), "auto", "changeit").load()


def test_atomic_write_keeps_mode_and_cleans_up_on_failure(tmp_path, certs, monkeypatch):
    path = make_jks(tmp_path / "s.jks", certs[:1])
    os.chmod(path, 0o604)
    before = open(path, "rb").read()
    store = Store(path, "auto", "changeit").load()

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_keystore.os, "rename", crash)
    with pytest.raises(OSError):
        store.save(store.entries + [Entry("x", 1, der=certs[1].der)])
    assert open(path, "rb").read() == before and os.listdir(str(tmp_path)) == ["s.jks"]
    monkeypatch.undo()
    store.save(store.entries + [Entry("x", 1, der=certs[1].der)])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o604 and os.listdir(str(tmp_path)) == ["s.jks"]


def test_resolve_in_root_never_leaves_the_container(tmp_path):
    root = tmp_path / "ScriptLanguages-x"
    (root / "etc/ssl/certs/java").mkdir(parents=True)
    (root / "etc/ssl/certs/java/cacerts").write_bytes(b"x")
    (root / "usr/lib/jvm/jdk/lib/security").mkdir(parents=True)
    (root / "usr/lib/jvm/jdk/lib/security/cacerts").symlink_to("/etc/ssl/certs/java/cacerts")
    (root / "usr/lib/jvm/rel").symlink_to("../../../../../../../../etc")
    (root / "loop").symlink_to("loop")
    assert resolve_in_root(str(root / "usr/lib/jvm/jdk/lib/security/cacerts"), str(root)) == str(
        root / "etc/ssl/certs/java/cacerts"
    )
    assert resolve_in_root(str(root / "usr/lib/jvm/rel/passwd"), str(root)) == str(root / "etc/passwd")
    with pytest.raises(KeystoreError, match="too many symbolic links"):
        resolve_in_root(str(root / "loop"), str(root))


def test_stale_temporaries_of_killed_runs_are_removed(tmp_path, certs):
    path = make_jks(tmp_path / "cacerts", certs[:1])
    old_file, old_dir, fresh = (
        tmp_path / ".cacerts.abc.tmp",
        tmp_path / ".cacerts.def.tmp",
        tmp_path / ".cacerts.new.tmp",
    )
    old_file.write_bytes(b"x")
    old_dir.mkdir()
    fresh.write_bytes(b"y")
    (tmp_path / ".other.abc.tmp").write_bytes(b"z")
    for stale in (old_file, old_dir, tmp_path / ".other.abc.tmp"):
        os.utime(str(stale), (1, 1))
    store = Store(path, "auto", "changeit").load()
    store.save(store.entries + [Entry("x", 1, der=certs[1].der)])
    assert sorted(os.listdir(str(tmp_path))) == [".cacerts.new.tmp", ".other.abc.tmp", "cacerts"]


def test_conversion_cache_keeps_the_newest_entries(tmp_path, certs):
    cache = _keystore.ConversionCache(str(tmp_path / "cache"))
    data = write_jks([Entry("a", 1, der=certs[0].der)], "changeit")
    for index in range(cache.MAX_FILES + 3):
        cache.put("%064x" % index, data)
        recent = time.time() - 1000 + index
        os.utime(cache._path("%064x" % index), (recent, recent))
    cache.put("f" * 64, data)
    names = os.listdir(str(tmp_path / "cache"))
    assert len(names) == cache.MAX_FILES and "f" * 64 + ".jks" in names and "%064x.jks" % 0 not in names
    assert [e.sha256 for e in cache.get("f" * 64, "changeit")] == [certs[0].sha256]
    assert cache.get("f" * 64, "wrong-password") is None and cache.get("e" * 64, "changeit") is None
    read_only = _keystore.ConversionCache(str(tmp_path / "ro"), read_only=True)
    read_only.put("a" * 64, data)
    assert not os.path.exists(str(tmp_path / "ro"))


class FakeLabels:
    """os.getxattr/os.setxattr for security.selinux, as an SELinux node would answer."""

    def __init__(self, labels, refuse=False):
        self.labels, self.refuse, self.set_calls = labels, refuse, []

    def getxattr(self, target, name):
        assert name == "security.selinux"
        key = "fd" if isinstance(target, int) else os.path.basename(target)
        if key not in self.labels:
            raise OSError(errno.ENODATA, "No data available")
        return self.labels[key]

    def setxattr(self, target, name, value):
        assert isinstance(target, int) and name == "security.selinux"
        if self.refuse:
            raise OSError(errno.EPERM, "Operation not permitted")
        self.set_calls.append(value)


def test_replaced_store_keeps_its_selinux_label(tmp_path, certs, monkeypatch):
    path = make_jks(tmp_path / "cacerts", certs[:1])
    store = Store(path, "auto", "changeit").load()
    fake = FakeLabels({"cacerts": b"system_u:object_r:cert_t:s0\0", "fd": b"system_u:object_r:etc_t:s0\0"})
    monkeypatch.setattr(_keystore.os, "getxattr", fake.getxattr, raising=False)
    monkeypatch.setattr(_keystore.os, "setxattr", fake.setxattr, raising=False)
    store.save(store.entries + [Entry("x", 1, der=certs[1].der)])
    assert fake.set_calls == [b"system_u:object_r:cert_t:s0\0"]


def test_no_label_nothing_set(tmp_path, certs, monkeypatch):
    path = make_jks(tmp_path / "cacerts", certs[:1])
    store = Store(path, "auto", "changeit").load()
    fake = FakeLabels({})
    monkeypatch.setattr(_keystore.os, "getxattr", fake.getxattr, raising=False)
    monkeypatch.setattr(_keystore.os, "setxattr", fake.setxattr, raising=False)
    store.save(store.entries + [Entry("x", 1, der=certs[1].der)])
    assert fake.set_calls == [] and len(Store(path, "auto", "changeit").load().entries) == 2


def test_label_that_cannot_be_set_changes_nothing(tmp_path, certs, monkeypatch):
    path = make_jks(tmp_path / "cacerts", certs[:1])
    before = open(path, "rb").read()
    store = Store(path, "auto", "changeit").load()
    fake = FakeLabels({"cacerts": b"system_u:object_r:cert_t:s0\0"}, refuse=True)
    monkeypatch.setattr(_keystore.os, "getxattr", fake.getxattr, raising=False)
    monkeypatch.setattr(_keystore.os, "setxattr", fake.setxattr, raising=False)
    with pytest.raises(KeystoreError, match="SELinux label system_u:object_r:cert_t:s0 .*Operation not permitted"):
        store.save(store.entries + [Entry("x", 1, der=certs[1].der)])
    assert open(path, "rb").read() == before and os.listdir(str(tmp_path)) == ["cacerts"]


# issue 11 -------------------------------------------------------------------------------------
KEYTOOL_REPORT = """Importing keystore s.p12 to out.jks...
Problem importing entry for alias mysecret: java.security.KeyStoreException: Cannot store non-PrivateKeys.
Entry for alias mysecret not imported.
Entry for alias mykey successfully imported.
Import command completed:  145 entries successfully imported, 1 entries failed or cancelled
"""


def test_keytool_report_of_entries_not_imported_is_read():
    """Item 1: keytool exits 0 on "1 entries failed or cancelled"; the report names the alias."""
    assert _keystore._not_imported(KEYTOOL_REPORT) == {
        "mysecret": "java.security.KeyStoreException: Cannot store non-PrivateKeys."
    }
    unnamed = "Import command completed:  3 entries successfully imported, 2 entries failed or cancelled\n"
    assert list(_keystore._not_imported(unnamed)) == ["?"]
    assert (
        _keystore._not_imported(
            "Import command completed:  3 entries successfully imported, 0 entries failed or cancelled\n"
        )
        == {}
    )


@pytest.mark.spawns
@needs_java
def test_entry_keytool_cannot_carry_fails_before_the_store_is_replaced(tmp_path, certs, monkeypatch):
    """Item 1: a PKCS12 entry that neither a JKS nor a per-alias copy can carry fails the write with
    its alias and why; the store and its directory are left as they were."""
    path = str(tmp_path / "t.p12")
    jks = make_jks(tmp_path / "seed.jks", certs[:1])
    keytool(
        "-importkeystore",
        "-noprompt",
        "-srckeystore",
        jks,
        "-srcstorepass:env",
        "KS_PASS",
        "-destkeystore",
        path,
        "-deststoretype",
        "PKCS12",
        "-deststorepass:env",
        "KS_PASS",
    )
    os.unlink(jks)
    keytool(
        "-genseckey",
        "-alias",
        "mysecret",
        "-keyalg",
        "AES",
        "-keysize",
        "256",
        "-keystore",
        path,
        "-storetype",
        "PKCS12",
        "-storepass:env",
        "KS_PASS",
    )
    before = open(path, "rb").read()
    store = Store(path, "auto", "changeit", run_command=run_command).load()
    assert [(e.alias, e.kind) for e in store.entries if not e.trusted] == [("mysecret", "other")]
    real_convert = store.keytool.convert

    def refuse_alias(src, src_type, dest, dest_type, alias=None):
        if alias:
            return {alias: "key password differs"}
        return real_convert(src, src_type, dest, dest_type)

    monkeypatch.setattr(store.keytool, "convert", refuse_alias)
    monkeypatch.setattr(_keystore, "MAX_DELETES", 0)  # removing the certificate rebuilds the store
    with pytest.raises(KeystoreError, match="entry 'mysecret' cannot be carried .*key password differs.*not changed"):
        store.save([e for e in store.entries if not e.trusted] + [Entry("rds-x", 1, der=certs[1].der)])
    assert open(path, "rb").read() == before and os.listdir(str(tmp_path)) == ["t.p12"]


def test_cache_directory_is_tightened_and_foreign_copies_ignored(tmp_path, certs):
    """Item 4: a cache directory of ours with a loose mode is tightened to 0700; a copy that is not a
    private file of ours, or that holds keys, is not used (and removed)."""
    directory = tmp_path / "cache"
    directory.mkdir()
    os.chmod(str(directory), 0o755)
    cache = _keystore.ConversionCache(str(directory))
    data = write_jks([Entry("a", 1, der=certs[0].der)], "changeit")
    cache.put("a" * 64, data)
    assert stat.S_IMODE(os.stat(str(directory)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cache._path("a" * 64)).st_mode) == 0o600
    assert len(cache.get("a" * 64, "changeit")) == 1
    os.chmod(cache._path("a" * 64), 0o644)
    assert cache.get("a" * 64, "changeit") is None and not os.path.exists(cache._path("a" * 64))
    keyed = write_jks(
        [
            Entry(
                "k",
                1,
                tag=_keystore.TAG_PRIVATE_KEY,
                raw=b"\0\0\0\1" + encode_utf("k") + b"\0" * 8 + b"\0\0\0\0" + b"\0\0\0\0",
            )
        ],
        "changeit",
    )
    with open(cache._path("b" * 64), "wb") as handle:
        handle.write(keyed)
    os.chmod(cache._path("b" * 64), 0o600)
    assert cache.get("b" * 64, "changeit") is None
    os.symlink(str(directory), str(tmp_path / "link"))
    linked = _keystore.ConversionCache(str(tmp_path / "link"))
    assert linked.get("a" * 64, "changeit") is None and "symbolic link" in linked.problems[0]


def test_stale_workdirs_of_old_runs_in_tmpdir_are_removed(tmp_path):
    """Item 9: 0.1.0 left $TMPDIR/rds_truststore.*/store.jks (copies with private keys) behind."""
    old, fresh, other = tmp_path / "rds_truststore.x1", tmp_path / "rds_truststore.x2", tmp_path / "unrelated"
    for directory in (old, fresh, other):
        directory.mkdir()
        (directory / "store.jks").write_bytes(b"copy")
    for directory in (old, other):
        os.utime(str(directory), (1, 1))
    assert _keystore.remove_old_workdirs(directory=str(tmp_path)) == [str(old)]
    assert sorted(os.listdir(str(tmp_path))) == ["rds_truststore.x2", "unrelated"]


def test_discover_root_links_that_climb_out_are_refused(tmp_path):
    """Item 3: under discover_root, a `..` link above the root is an error, not silently clamped."""
    (tmp_path / "root/a").mkdir(parents=True)
    (tmp_path / "root/a/up").symlink_to("../../..")
    with pytest.raises(KeystoreError, match="leads out of"):
        resolve_in_root(str(tmp_path / "root/a/up/etc"), str(tmp_path / "root"), strict=True)
    assert resolve_in_root(str(tmp_path / "root/a/up/etc"), str(tmp_path / "root")) == str(tmp_path / "root/etc")
