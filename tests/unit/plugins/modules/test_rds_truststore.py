"""rds_truststore: what a user sees, on local store files (no lab needed)."""

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import Store
from ansible_collections.virtualis.aurora.plugins.modules import rds_truststore
from ansible_collections.virtualis.aurora.plugins.modules.rds_truststore import make_alias
from module_runner import run_module
from runners import run_command
from truststores import (
    FIXTURES,
    JavaStoreReader,
    add_keys,
    bundle,
    have_java,
    keytool,
    make_jks,
    make_node,
    pkcs12_from,
    pkcs12_key_bags,
    self_signed_pem,
)

pytestmark = pytest.mark.spawns  # every test here starts a process (ansible-playbook, a module, keytool, a JVM)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))


MODULE = os.path.join(ROOT, "plugins", "modules", "rds_truststore.py")
needs_java = pytest.mark.skipif(not have_java(), reason="needs keytool, javac and java")


def run(tmp_path, check=False, **args):
    return run_module("rds_truststore", tmp_path, check=check, **args)


def fingerprints(path, password="changeit"):
    return sorted(e.sha256 for e in Store(str(path), "auto", password, run_command=run_command).load().entries)


def warnings(result):
    """Warning texts (ansible-core 2.19 returns them as dicts with event.msg)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def read(path):
    with open(str(path), "rb") as handle:
        return handle.read()


@pytest.fixture()
def foreign(tmp_path):
    """A store that already holds two certificates that are not ours."""
    certs = [bundle_of(self_signed_pem("foreign %d" % i)[0], tmp_path, "f%d.pem" % i)[0] for i in range(2)]
    return make_jks(tmp_path / "foreign.jks", certs), certs


def bundle_of(pem, tmp_path, name="b.pem"):
    path = tmp_path / name
    path.write_text(pem)
    return bundle(str(path))


@pytest.fixture()
def rds_bundle_dir():
    """The real RDS bundles kept in the repository (tests/unit/fixtures/rds): never skipped."""
    return FIXTURES


@pytest.fixture()
def global_bundle(rds_bundle_dir):
    return os.path.join(rds_bundle_dir, "global-bundle.pem")


# adding, idempotence, check mode ----------------------------------------------------------------
def test_global_bundle_into_two_stores_then_no_change(tmp_path, global_bundle, foreign):
    store_a, old = foreign
    store_b = make_jks(tmp_path / "b.jks")
    before = read(store_a)
    checked = run(tmp_path, check=True, src=global_bundle, truststores=[store_a, store_b])
    assert checked["changed"] and [s["added"] for s in checked["stores"]] == [108, 108]
    assert read(store_a) == before
    first = run(tmp_path, src=global_bundle, truststores=[store_a, store_b])
    assert first["changed"] and [s["added"] for s in first["stores"]] == [108, 108]
    assert first["stores"][0]["jvm_starts"] == 0
    wanted = sorted(c.sha256 for c in bundle(global_bundle))
    assert fingerprints(store_b) == wanted
    assert fingerprints(store_a) == sorted(wanted + [c.sha256 for c in old])
    again = run(tmp_path, src=global_bundle, truststores=[store_a, store_b])
    assert not again["changed"] and [s["unchanged"] for s in again["stores"]] == [108, 108]
    assert not run(tmp_path, check=True, src=global_bundle, truststores=[store_a, store_b])["changed"]


def test_alias_is_readable_and_stable(tmp_path, global_bundle):
    cert = [c for c in bundle(global_bundle) if c.common_name == "Amazon RDS eu-central-1 Root CA RSA2048 G1"][0]
    assert make_alias("rds-", cert, {}) == "rds-amazon-rds-eu-central-1-root-ca-rsa2048-g1-" + cert.sha256[:8]
    assert make_alias(
        "rds-", cert, {"rds-amazon-rds-eu-central-1-root-ca-rsa2048-g1-" + cert.sha256[:8]: "x"}
    ).endswith(cert.sha256[:16])


def test_certificate_present_under_another_alias_is_not_added(tmp_path):
    pems = [self_signed_pem("dup %d" % i)[0] for i in range(2)]
    certs = bundle_of("".join(pems), tmp_path)
    store = make_jks(tmp_path / "s.jks", certs[:1])
    result = run(tmp_path, content="".join(pems + pems[:1]), truststores=[store])
    assert result["stores"][0]["added"] == 1 and result["stores"][0]["unchanged"] == 1
    assert result["certificates"] == {"bundle": 2, "used": 2}


def test_diff_names_aliases_and_fingerprints(tmp_path):
    certs = bundle_of(self_signed_pem("diffme")[0], tmp_path)
    store = make_jks(tmp_path / "s.jks")
    result = run(tmp_path, check=True, src=str(tmp_path / "b.pem"), truststores=[store])
    diff = result["diff"][0]
    assert diff["before"] == "" and diff["after"] == "rds-diffme-%s %s\n" % (certs[0].sha256[:8], certs[0].sha256)


# removing ------------------------------------------------------------------------------------
def test_purge_removes_only_our_rotated_certificates(tmp_path, rds_bundle_dir, foreign):
    store, old = foreign
    run(tmp_path, src=os.path.join(rds_bundle_dir, "global-bundle.pem"), truststores=[store])
    regional = os.path.join(rds_bundle_dir, "eu-central-1-bundle.pem")
    kept = run(tmp_path, src=regional, truststores=[store])
    assert not kept["changed"] and kept["stores"][0]["removed"] == 0
    purged = run(tmp_path, src=regional, truststores=[store], purge=True)
    assert purged["changed"] and purged["stores"][0]["removed"] == 105
    assert fingerprints(store) == sorted([c.sha256 for c in bundle(regional)] + [c.sha256 for c in old])
    assert not run(tmp_path, src=regional, truststores=[store], purge=True)["changed"]


def test_state_absent_removes_only_prefixed_bundle_certificates(tmp_path):
    pems = [self_signed_pem("absent %d" % i)[0] for i in range(2)]
    certs = bundle_of("".join(pems), tmp_path)
    store = make_jks(tmp_path / "s.jks", certs[1:])  # cert 1 under a foreign alias
    run(tmp_path, content="".join(pems), truststores=[store])
    result = run(tmp_path, content="".join(pems), truststores=[store], state="absent")
    assert result["stores"][0]["removed_aliases"] == ["rds-absent-0-" + certs[0].sha256[:8]]
    assert fingerprints(store) == [certs[1].sha256]
    assert not run(tmp_path, content="".join(pems), truststores=[store], state="absent")["changed"]


# expired and weak certificates ------------------------------------------------------------------
def test_expired_certificates_are_skipped_with_a_warning(tmp_path, rds_bundle_dir):
    combined = os.path.join(rds_bundle_dir, "rds-combined-ca-bundle.pem")
    store = make_jks(tmp_path / "s.jks")
    result = run(tmp_path, src=combined, truststores=[store])
    assert not result["changed"] and len(result["skipped_expired"]) == 30
    assert any("Skipped 30 expired" in w and "Amazon RDS Root 2019 CA" in w for w in warnings(result))
    forced = run(tmp_path, src=combined, truststores=[store], include_expired=True)
    assert forced["stores"][0]["added"] == 30


def test_weak_key_warning_names_rule_and_file(tmp_path):
    pem = self_signed_pem("weak one", key="rsa1024")[0]
    security = tmp_path / "java.security"
    security.write_text("jdk.certpath.disabledAlgorithms=MD2, MD5, RSA keySize < 2048\n")
    store = make_jks(tmp_path / "s.jks")
    result = run(tmp_path, content=pem, truststores=[store], java_security=str(security))
    assert result["weak_keys"][0]["rule"] == "RSA keySize < 2048"
    assert any("weak one (RSA 1024) would be rejected by 'RSA keySize < 2048'" in w for w in warnings(result))


# discovery -----------------------------------------------------------------------------------
def test_discover_resolves_symlinks_inside_the_container(tmp_path):
    certs = bundle_of(self_signed_pem("disco")[0], tmp_path)
    central, slc = make_node(tmp_path / "node")
    result = run(
        tmp_path,
        src=str(tmp_path / "b.pem"),
        truststores=[central],
        discover=True,
        discover_root=str(tmp_path / "node"),
    )
    assert result["discovered"] == [str(slc / "usr/lib/jvm/java-11-openjdk-amd64/lib/security/cacerts")]
    assert result["stores"][1]["resolved_path"] == str(slc / "etc/ssl/certs/java/cacerts")
    assert fingerprints(slc / "etc/ssl/certs/java/cacerts") == [certs[0].sha256]
    assert os.path.islink(result["discovered"][0])


def test_discover_every_default_pattern_and_the_jdk8_java_security(tmp_path):
    """Exasol 6 (JDK 8, jre/lib/security), Exasol 7 (JDK 11) and an SLC uploaded to BucketFS."""
    root = tmp_path / "node"
    jdk8 = (
        root
        / "usr/opt/EXASuite-6/EXAClusterOS-6.2.0/var/clients/packages/ScriptLanguages-2019/usr/lib/jvm/j8/jre/lib/security"
    )
    bucketfs = (
        root
        / "exa/data/bucketfs/bfsdefault/.dest/default/EXAClusterOS/ScriptLanguages-mine/usr/lib/jvm/j11/lib/security"
    )
    for directory in (jdk8, bucketfs):
        directory.mkdir(parents=True)
        make_jks(directory / "cacerts")
    (jdk8 / "java.security").write_text("jdk.certpath.disabledAlgorithms=MD5, RSA keySize < 4096\n")
    pem = self_signed_pem("pattern", key="rsa2048")[0]
    result = run(tmp_path, content=pem, discover=True, discover_root=str(root))
    assert result["discovered"] == sorted([str(bucketfs / "cacerts"), str(jdk8 / "cacerts")])
    assert [s["added"] for s in result["stores"]] == [1, 1]
    assert [(w["store"], w["java_security"]) for w in result["weak_keys"]] == [
        (str(jdk8 / "cacerts"), str(jdk8 / "java.security"))
    ]  # the container's own JDK, not the host's


def test_warns_that_update_ca_trust_would_drop_added_certificates(tmp_path, monkeypatch):
    class FakeModule:
        def __init__(self):
            self.warnings = []

        def warn(self, text):
            self.warnings.append(text)

    class FakeStore:
        path = listed_path = str(tmp_path / "extracted/java/cacerts")

    (tmp_path / "update-ca-trust").write_text("")
    monkeypatch.setattr(rds_truststore, "UPDATE_CA_TRUST", str(tmp_path / "update-ca-trust"))
    monkeypatch.setattr(rds_truststore, "EXTRACTED_DIR", str(tmp_path / "extracted") + "/")
    module = FakeModule()
    rds_truststore.warn_regenerated_stores(module, [(FakeStore(), ([], ["added"], [], 0))])
    rds_truststore.warn_regenerated_stores(module, [(FakeStore(), ([], [], [], 1))])  # nothing added: quiet
    assert len(module.warnings) == 1 and "central_method=anchors" in module.warnings[0]


def test_discover_required(tmp_path):
    store = make_jks(tmp_path / "s.jks")
    pem = self_signed_pem("x")[0]
    failed = run(tmp_path, content=pem, truststores=[store], discover=True, discover_root=str(tmp_path))
    assert failed["failed"] and "discover found no truststore under %s" % tmp_path in failed["msg"]
    ok = run(
        tmp_path, content=pem, truststores=[store], discover=True, discover_root=str(tmp_path), discover_required=False
    )
    assert ok["changed"] and ok["discovered"] == []


# bad input: clear error, every store byte-identical ---------------------------------------------
@pytest.fixture()
def two_stores(tmp_path):
    stores = [make_jks(tmp_path / "one.jks"), make_jks(tmp_path / "two.jks")]
    return stores, [read(p) for p in stores]


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("empty.pem", b"", "empty.pem is empty"),
        ("text.pem", b"not a certificate\n", "text.pem holds no PEM certificate"),
        ("der.cer", b"\x30\x82\x03\x00" + b"\x01" * 40, "der.cer looks like a binary DER certificate"),
    ],
)
def test_bad_bundle(tmp_path, two_stores, name, data, message):
    (tmp_path / name).write_bytes(data)
    result = run(tmp_path, src=str(tmp_path / name), truststores=two_stores[0])
    assert result["failed"] and message in result["msg"]
    assert [read(p) for p in two_stores[0]] == two_stores[1]


def test_truncated_bundle_names_the_certificate(tmp_path, two_stores):
    pem = self_signed_pem("first")[0] + self_signed_pem("second")[0]
    (tmp_path / "cut.pem").write_text(pem[:-200])
    result = run(tmp_path, src=str(tmp_path / "cut.pem"), truststores=two_stores[0])
    assert result["failed"] and "cut.pem: certificate #2" in result["msg"] and "truncated" in result["msg"]
    assert [read(p) for p in two_stores[0]] == two_stores[1]


def test_wrong_password_and_missing_store_change_nothing(tmp_path, two_stores):
    pem = self_signed_pem("pw")[0]
    stores, before = two_stores
    make_jks(stores[1], password="another-one")
    before[1] = read(stores[1])
    wrong = run(tmp_path, content=pem, truststores=stores)
    assert wrong["failed"] and "two.jks" in wrong["msg"] and "wrong store_password" in wrong["msg"]
    missing = run(tmp_path, content=pem, truststores=[stores[0], str(tmp_path / "missing.jks")])
    assert missing["failed"] and "missing.jks does not exist" in missing["msg"]
    assert [read(p) for p in stores] == before


def test_create_a_missing_store(tmp_path):
    pem = self_signed_pem("created")[0]
    store = str(tmp_path / "new.jks")
    refused = run(tmp_path, content=pem, truststores=[store])
    assert refused["failed"] and "new.jks does not exist (set create=true to create it)" in refused["msg"]
    checked = run(tmp_path, check=True, content=pem, truststores=[store], create=True)
    assert checked["changed"] and checked["stores"][0]["created"] and not os.path.exists(store)
    created = run(tmp_path, content=pem, truststores=[store], create=True)
    assert created["stores"][0]["created"] and created["stores"][0]["added"] == 1
    assert oct(os.stat(store).st_mode & 0o777) == "0o644" and len(fingerprints(store)) == 1
    assert not run(tmp_path, content=pem, truststores=[store], create=True)["changed"]


def test_read_only_store_fails_before_any_write(tmp_path, two_stores):
    stores, before = two_stores
    if subprocess.run(["chattr", "+i", stores[1]], capture_output=True, check=False).returncode != 0:
        pytest.skip("chattr +i not supported here")
    try:
        result = run(tmp_path, content=self_signed_pem("ro")[0], truststores=stores)
        checked = run(tmp_path, check=True, content=self_signed_pem("ro")[0], truststores=stores)
    finally:
        subprocess.run(["chattr", "-i", stores[1]], check=False)
    assert result["failed"] and "Nothing was changed: truststore %s is read-only" % stores[1] in result["msg"]
    assert checked["failed"] and checked["msg"] == result["msg"]  # check mode predicts the refusal
    assert [read(p) for p in stores] == before


def test_overlapping_runs_take_turns(tmp_path):
    store = make_jks(tmp_path / "s.jks")
    holder = os.open(str(tmp_path), os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another run is busy with this directory
    try:
        waited = run(tmp_path, content=self_signed_pem("lock")[0], truststores=[store], lock_timeout=1)
        checked = run(tmp_path, check=True, content=self_signed_pem("lock")[0], truststores=[store], lock_timeout=1)
    finally:
        os.close(holder)
    assert waited["failed"] and "another run of the module holds the lock on %s" % tmp_path in waited["msg"]
    assert checked["changed"]  # check mode only reads: no lock needed
    assert run(tmp_path, content=self_signed_pem("lock")[0], truststores=[store])["changed"]


def test_owner_mode_and_backup(tmp_path):
    store = make_jks(tmp_path / "s.jks")
    os.chown(store, 1234, 2345)
    os.chmod(store, 0o640)
    result = run(tmp_path, content=self_signed_pem("own")[0], truststores=[store], backup=True)
    info = os.stat(store)
    assert (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (1234, 2345, 0o640)
    assert read(result["stores"][0]["backup_file"]) == read(make_jks(tmp_path / "empty.jks"))


# PKCS12 ----------------------------------------------------------------------------------------
@needs_java
def test_pkcs12_store(tmp_path, global_bundle):
    seed = make_jks(tmp_path / "seed.jks", bundle(global_bundle)[:1])
    store = str(tmp_path / "central.p12")
    keytool(
        "-importkeystore",
        "-noprompt",
        "-srckeystore",
        seed,
        "-srcstorepass:env",
        "KS_PASS",
        "-destkeystore",
        store,
        "-deststoretype",
        "PKCS12",
        "-deststorepass:env",
        "KS_PASS",
    )
    cache = str(tmp_path / "cache")
    checked = run(tmp_path, check=True, src=global_bundle, truststores=[store], cache_dir=cache)
    assert checked["changed"] and not os.path.exists(cache)  # check mode writes no cache either
    first = run(tmp_path, src=global_bundle, truststores=[store], cache_dir=cache)
    assert first["stores"][0]["type"] == "pkcs12" and first["stores"][0]["added"] == 107
    assert first["stores"][0]["jvm_starts"] == 2  # one to read, one to write
    assert oct(os.stat(cache).st_mode & 0o777) == "0o700"
    again = run(tmp_path, src=global_bundle, truststores=[store], cache_dir=cache)
    assert not again["changed"] and again["stores"][0]["jvm_starts"] == 0  # cache hit: no JVM
    uncached = run(tmp_path, src=global_bundle, truststores=[store], cache_dir="")
    assert not uncached["changed"] and uncached["stores"][0]["jvm_starts"] == 1
    wrong = run(tmp_path, src=global_bundle, truststores=[store], cache_dir=cache, store_password="wrong-password")
    assert wrong["failed"] and "wrong store_password" in wrong["msg"]
    listed = JavaStoreReader(tmp_path).read([store])[store]
    assert sorted(listed.values()) == sorted(c.sha256 for c in bundle(global_bundle))


# the kill tests --------------------------------------------------------------------------------
BUNDLES = ("global-bundle.pem", "eu-central-1-bundle.pem")


def interrupted_writes(tmp_path, rds_bundle_dir, store, rounds, max_delay, each=None, **extra):
    """`rounds` module runs alternating the global and the regional bundle (purge), each killed
    at a random moment up to `max_delay` s; a copy of the store after each. (snapshots, outcomes)"""
    scratch = tmp_path / "module-tmp"  # what a killed run leaves in TMPDIR stays in the test's tree
    scratch.mkdir()
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".collections"), TMPDIR=str(scratch))
    rng, snapshots, outcomes = random.Random(4), [], {"killed": 0, "finished": 0}
    (tmp_path / "snap").mkdir()
    for index in range(rounds):
        args = tmp_path / ("args%d.json" % (index % 2))
        args.write_text(
            json.dumps(
                {
                    "ANSIBLE_MODULE_ARGS": dict(
                        extra, src=os.path.join(rds_bundle_dir, BUNDLES[index % 2]), truststores=[store], purge=True
                    )
                }
            )
        )
        proc = subprocess.Popen(
            [sys.executable, MODULE, str(args)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.0, max_delay))
        outcomes["finished" if proc.poll() is not None else "killed"] += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if each:
            each(index)
        snapshot = str(tmp_path / "snap" / ("%02d" % index))
        shutil.copy(store, snapshot)
        snapshots.append(snapshot)
    return snapshots, outcomes


def bundle_sets(rds_bundle_dir):
    return [frozenset(c.sha256 for c in bundle(os.path.join(rds_bundle_dir, name))) for name in BUNDLES]


def assert_old_or_new(tmp_path, snapshots, sets):
    listed = JavaStoreReader(tmp_path).read(snapshots)
    for snapshot in snapshots:
        assert isinstance(listed[snapshot], dict), listed[snapshot]
        assert frozenset(listed[snapshot].values()) in sets, "snapshot %s holds a mixed set" % snapshot


@needs_java
def test_killed_at_random_moments_the_store_is_always_old_or_new(tmp_path, rds_bundle_dir):
    """50 writes of a JKS store, each killed at a random moment: the store is always readable by
    the JVM and holds exactly one of the two sets."""
    sets = bundle_sets(rds_bundle_dir)
    store = make_jks(tmp_path / "cacerts", bundle(os.path.join(rds_bundle_dir, "eu-central-1-bundle.pem")), aliases={})
    run(tmp_path, src=os.path.join(rds_bundle_dir, "eu-central-1-bundle.pem"), truststores=[store], purge=True)

    def never_mixed(index):
        assert frozenset(fingerprints(store)) in sets, "store %d holds a mixed set" % index

    snapshots, outcomes = interrupted_writes(tmp_path, rds_bundle_dir, store, 50, 0.4, each=never_mixed)
    assert_old_or_new(tmp_path, snapshots, sets)
    assert outcomes["killed"] >= 5, outcomes  # the test really interrupted runs
    listed = keytool("-list", "-keystore", store, "-storepass:env", "KS_PASS")  # and keytool itself agrees
    assert listed.returncode == 0 and "Your keystore contains %d entries" % len(fingerprints(store)) in listed.stdout
    leftovers = [n for n in os.listdir(str(tmp_path)) if n.startswith(".cacerts.")]
    assert len(leftovers) <= outcomes["killed"]


@needs_java
def test_pkcs12_killed_at_random_moments_is_always_old_or_new(tmp_path, rds_bundle_dir):
    """The keytool path: 12 writes of a PKCS12 store (about a second each, two JVM starts), each
    killed at a random moment, also while keytool converts: the store is always one of the two sets."""
    sets = bundle_sets(rds_bundle_dir)
    regional = os.path.join(rds_bundle_dir, "eu-central-1-bundle.pem")
    seed = make_jks(tmp_path / "seed.jks", bundle(regional)[:1])
    store = str(tmp_path / "central.p12")
    keytool(
        "-importkeystore",
        "-noprompt",
        "-srckeystore",
        seed,
        "-srcstorepass:env",
        "KS_PASS",
        "-destkeystore",
        store,
        "-deststoretype",
        "PKCS12",
        "-deststorepass:env",
        "KS_PASS",
    )
    first = run(tmp_path, src=regional, truststores=[store], purge=True, cache_dir="")
    assert first["stores"][0]["type"] == "pkcs12", first
    started = time.time()
    run(tmp_path, src=os.path.join(rds_bundle_dir, BUNDLES[0]), truststores=[store], purge=True, cache_dir="")
    # The kill window follows what one write costs on this machine now: under load a write takes
    # longer than 2 s, and with a fixed window none finished (seen on a loaded 2-core machine).
    window = max(2.0, 2.0 * (time.time() - started))
    snapshots, outcomes = interrupted_writes(tmp_path, rds_bundle_dir, store, 12, window, cache_dir="")
    assert_old_or_new(tmp_path, snapshots + [store], sets)
    assert outcomes["killed"] >= 3 and outcomes["finished"] >= 1, outcomes
    leftovers = [n for n in os.listdir(str(tmp_path)) if n.startswith(".central.p12.")]
    assert len(leftovers) <= outcomes["killed"]  # the next write removes stale ones


# issue 11: nothing foreign lost, nothing written before it is checked -----------------------------
def key_entries(tmp_path, store):
    """{alias: (cert sha256, kind, key sha256)} of the store's key entries, read by a JVM."""
    listed = JavaStoreReader(tmp_path / "reader").read_entries([store])[store]
    assert isinstance(listed, dict), listed
    return {alias: fields for alias, fields in listed.items() if fields[1] != "trusted"}


@needs_java
def test_pkcs12_secret_and_private_keys_survive_every_write(tmp_path, rds_bundle_dir, global_bundle):
    """Item 1: a SecretKeyEntry and a PrivateKeyEntry of a PKCS12 store survive an add and a purge
    (their decrypted key material compared), and keytool's 'failed or cancelled' is never ignored."""
    (tmp_path / "reader").mkdir()
    store = pkcs12_from(tmp_path / "cacerts.p12", bundle(global_bundle)[:1])
    add_keys(store, "PKCS12")
    keys, bags = key_entries(tmp_path, store), pkcs12_key_bags(store)
    assert sorted(keys) == ["mykey", "mysecret"] and keys["mysecret"][1] == "secret"
    assert sorted(bags) == ["pkcs8ShroudedKeyBag", "secretBag"]
    added = run(tmp_path, src=global_bundle, truststores=[store], purge=True, cache_dir="")
    assert added["changed"] and added["stores"][0]["added"] == 107, added
    assert key_entries(tmp_path, store) == keys
    assert pkcs12_key_bags(store) == bags  # only additions: the encrypted key bags byte for byte
    certs = bundle(global_bundle)
    few = "".join(c.pem() for c in certs[:100])  # 8 rotated out: deleted in place, one keytool run each
    trimmed = run(tmp_path, content=few, truststores=[store], purge=True, cache_dir="")
    assert trimmed["stores"][0]["removed"] == 8 and trimmed["stores"][0]["jvm_starts"] == 1 + 8, trimmed
    assert key_entries(tmp_path, store) == keys and pkcs12_key_bags(store) == bags
    regional = os.path.join(rds_bundle_dir, "eu-central-1-bundle.pem")
    ours = {c.sha256 for c in certs[1:100]} - {c.sha256 for c in bundle(regional)}
    purged = run(tmp_path, src=regional, truststores=[store], purge=True, cache_dir=str(tmp_path / "cache"))
    assert purged["stores"][0]["removed"] == len(ours) > 10, purged  # many removals: rebuilt
    assert key_entries(tmp_path, store) == keys  # the same keys, re-encrypted
    assert not os.listdir(str(tmp_path / "cache"))  # a store with keys is never copied into the cache
    assert not run(tmp_path, src=regional, truststores=[store], purge=True, cache_dir="")["changed"]


@needs_java
def test_jks_private_key_entry_is_kept_byte_for_byte(tmp_path, global_bundle):
    store = make_jks(tmp_path / "cacerts")
    add_keys(store, "JKS", secret=False)
    raw = [e.raw for e in Store(store, "auto", "changeit", run_command=run_command).load().entries if not e.trusted]
    assert run(tmp_path, src=global_bundle, truststores=[store])["stores"][0]["added"] == 108
    assert [
        e.raw for e in Store(store, "auto", "changeit", run_command=run_command).load().entries if not e.trusted
    ] == raw


@pytest.mark.parametrize(
    "prefix,purge,state",
    [("", False, "present"), ("  ", True, "present"), ("debian:", True, "present"), ("debian:", False, "absent")],
)
def test_empty_or_foreign_alias_prefix_is_refused(tmp_path, prefix, purge, state):
    """Item 2: an empty prefix, or one that matches entries the module did not add, removes nothing."""
    certs = bundle_of(self_signed_pem("distro root")[0], tmp_path)
    store = make_jks(tmp_path / "cacerts", certs, aliases={certs[0].sha256: "debian:distro_root.pem"})
    before = read(store)
    pem = self_signed_pem("rds one")[0]
    for check in (True, False):
        result = run(
            tmp_path, check=check, content=pem, truststores=[store], alias_prefix=prefix, purge=purge, state=state
        )
        assert result.get("failed"), result
        assert (
            "alias_prefix must not be empty" in result["msg"]
            if not prefix.strip()
            else "also matches 1 entry of %s that this module did not add (debian:distro_root.pem)" % store
            in result["msg"]
        )
    assert read(store) == before


def test_discover_refuses_a_container_outside_the_root(tmp_path):
    """Item 3: a ScriptLanguages-* directory that is a symlink out of discover_root is refused, and the
    store it leads to is not written."""
    certs = bundle_of(self_signed_pem("escape")[0], tmp_path)
    root = tmp_path / "node"
    outside = tmp_path / "outside" / "ScriptLanguages-real"
    jdk = outside / "usr/lib/jvm/java-11/lib/security"
    jdk.mkdir(parents=True)
    make_jks(jdk / "cacerts")
    before = read(jdk / "cacerts")
    packages = root / "usr/opt/EXASuite-7/EXAClusterOS-7.1.26/var/clients/packages"
    packages.mkdir(parents=True)
    (packages / "ScriptLanguages-evil").symlink_to("../../../../../../../../outside/ScriptLanguages-real")
    for check in (True, False):
        result = run(tmp_path, check=check, src=str(tmp_path / "b.pem"), discover=True, discover_root=str(root))
        assert result.get("failed") and "is refused" in result["msg"] and "ScriptLanguages-evil" in result["msg"], (
            result
        )
    (packages / "ScriptLanguages-evil").unlink()
    (packages / "ScriptLanguages-evil").symlink_to(str(outside))  # absolute: a path of the node, not of the host
    result = run(tmp_path, src=str(tmp_path / "b.pem"), discover=True, discover_root=str(root))
    assert result.get("failed"), result
    assert read(jdk / "cacerts") == before and fingerprints(jdk / "cacerts") == []
    assert certs


@needs_java
def test_poisoned_cache_copy_never_reaches_the_store(tmp_path, global_bundle):
    """Item 4: a JKS planted in the cache under the store's hash is checked against the store before
    anything is written from it: the run is refused, the copy removed, the store unchanged."""
    certs = bundle(global_bundle)
    store = pkcs12_from(tmp_path / "cacerts.p12", certs[:1])
    cache = tmp_path / "cache"
    assert not run(tmp_path, content=certs[0].pem(), truststores=[store], cache_dir=str(cache))["changed"]
    (name,) = os.listdir(str(cache))
    evil = bundle_of(self_signed_pem("evil ca")[0], tmp_path, "evil.pem")[0]
    make_jks(cache / name, [certs[0], evil])
    os.chmod(str(cache / name), 0o600)
    before = read(store)
    result = run(tmp_path, content=certs[1].pem(), truststores=[store], cache_dir=str(cache))
    assert result.get("failed") and "does not match the store" in result["msg"], result
    assert read(store) == before and os.listdir(str(cache)) == []
    again = run(tmp_path, content=certs[1].pem(), truststores=[store], cache_dir=str(cache))
    assert again["changed"]
    assert sorted(JavaStoreReader(tmp_path).read([store])[store].values()) == sorted(c.sha256 for c in certs[:2])


def test_cache_directory_of_another_user_is_not_used(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    os.chown(str(cache), 1234, 1234)
    store = make_jks(tmp_path / "s.jks")
    from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import ConversionCache

    plain = ConversionCache(str(cache))
    assert plain.get("a" * 64, "changeit") is None and "owned by uid 1234" in plain.problems[0]
    assert store


@needs_java
def test_several_stores_are_all_or_nothing_and_check_mode_predicts(tmp_path):
    """Item 5: the second store cannot be written (state=absent would empty a PKCS12 store): check
    mode fails the same way, and the real run leaves the first store untouched."""
    pem = self_signed_pem("both")[0]
    p12 = str(tmp_path / "only-ours.p12")
    assert run(tmp_path, content=pem, truststores=[p12], create=True, store_type="pkcs12")["changed"]
    jks = make_jks(tmp_path / "a.jks", bundle_of(pem, tmp_path))
    run(tmp_path, content=pem, truststores=[jks])
    before = [read(jks), read(p12)]
    results = [
        run(tmp_path, check=check, content=pem, truststores=[jks, p12], state="absent") for check in (True, False)
    ]
    assert [r.get("failed") for r in results] == [True, True], results
    assert results[0]["msg"] == results[1]["msg"] and "refusing to write an empty PKCS12 store" in results[0]["msg"]
    assert [read(jks), read(p12)] == before


def test_every_alias_length_taken_fails(tmp_path):
    """Item 7: when the 8-, 16- and 64-digit aliases are all taken by other certificates, nothing is
    written (keytool would see one entry fewer and shadow a certificate)."""
    certs = bundle_of(
        self_signed_pem("taken")[0] + self_signed_pem("a")[0] + self_signed_pem("b")[0] + self_signed_pem("c")[0],
        tmp_path,
    )
    wanted = certs[0]
    aliases = {other.sha256: "rds-taken-" + wanted.sha256[:length] for other, length in zip(certs[1:], (8, 16, 64))}
    with pytest.raises(ValueError, match="already taken"):
        make_alias("rds-", wanted, {alias: fp for fp, alias in aliases.items()})
    store = make_jks(tmp_path / "s.jks", certs[1:], aliases=aliases)
    before = read(store)
    result = run(tmp_path, content=wanted.pem(), truststores=[store])
    assert result.get("failed") and "rds-taken-%s" % wanted.sha256 in result["msg"], result
    assert read(store) == before


def test_declared_store_type_must_match_the_file(tmp_path):
    """Item 8: store_type=pkcs12 on a JKS file is an error, not a silent conversion."""
    store = make_jks(tmp_path / "s.jks")
    before = read(store)
    result = run(tmp_path, content=self_signed_pem("typed")[0], truststores=[store], store_type="pkcs12")
    assert result.get("failed") and "is a JKS file, but store_type=pkcs12 was given" in result["msg"], result
    assert read(store) == before


@needs_java
def test_store_copies_stay_next_to_the_store_and_stale_ones_are_removed(tmp_path, global_bundle):
    """Item 9: every copy keytool reads or writes lies in a 0700 directory next to the store (never
    in TMPDIR); a killed run's copies (next to the store, and 0.1.0's in TMPDIR) are removed."""
    store_dir = tmp_path / "stores"
    store_dir.mkdir()
    store = pkcs12_from(store_dir / "cacerts.p12", bundle(global_bundle)[:1])
    add_keys(store, "PKCS12", secret=False)
    log = tmp_path / "keytool.log"
    wrapper = tmp_path / "keytool"
    wrapper.write_text(
        '#!/bin/sh\nfor a in "$@"; do case "$a" in /*) echo "$a $(stat -c %%a "$(dirname "$a")")" >> %s;; esac; done\n'
        'exec %s "$@"\n' % (log, shutil.which("keytool"))
    )
    wrapper.chmod(0o755)
    scratch = tmp_path / "tmpdir"
    scratch.mkdir()
    old_workdir = scratch / "rds_truststore.abc123"
    old_workdir.mkdir()
    (old_workdir / "store.jks").write_bytes(b"a 0.1.0 copy with private keys")
    stale = store_dir / ".cacerts.p12.killed.tmp"
    stale.mkdir()
    for path in (old_workdir, stale):
        os.utime(str(path), (1, 1))
    args = tmp_path / "args.json"
    args.write_text(
        json.dumps(
            {
                "ANSIBLE_MODULE_ARGS": dict(
                    src=global_bundle, truststores=[store], keytool=str(wrapper), cache_dir=str(tmp_path / "cache")
                )
            }
        )
    )
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".collections"), TMPDIR=str(scratch))
    proc = subprocess.run([sys.executable, MODULE, str(args)], env=env, capture_output=True, text=True, check=False)
    result = json.loads(proc.stdout)
    assert result["changed"] and result["stores"][0]["jvm_starts"] == 2, result
    used = [line.split() for line in log.read_text().splitlines() if not line.startswith(str(wrapper))]
    copies = [(path, mode) for path, mode in used if path != store and not path.startswith("/usr")]
    assert copies and all(os.path.dirname(os.path.dirname(p)) == str(store_dir) and m == "700" for p, m in copies), used
    assert sorted(os.listdir(str(store_dir))) == ["cacerts.p12"] and os.listdir(str(scratch)) == []
    assert not os.path.exists(str(tmp_path / "cache")) or os.listdir(str(tmp_path / "cache")) == []


def test_dangling_symlink_with_create_is_refused(tmp_path):
    """Item 10: the store would be created at the link's target, outside the directory named."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    named = tmp_path / "named"
    named.mkdir()
    (named / "cacerts").symlink_to(str(elsewhere / "cacerts"))
    for check in (True, False):
        result = run(
            tmp_path,
            check=check,
            content=self_signed_pem("dangling")[0],
            truststores=[str(named / "cacerts")],
            create=True,
        )
        assert result.get("failed") and "dangling symbolic link" in result["msg"], result
    assert os.listdir(str(elsewhere)) == []


def test_leaf_certificate_in_the_bundle_is_reported(tmp_path):
    """Item 11: a CA:FALSE certificate is imported (it is what the user asked) with a warning."""
    leaf = self_signed_pem("db.example.com", ca=False)[0]
    store = make_jks(tmp_path / "s.jks")
    result = run(tmp_path, content=self_signed_pem("a ca")[0] + leaf, truststores=[store])
    assert result["not_ca"] == ["db.example.com"] and result["stores"][0]["added"] == 2
    assert any(
        "1 certificate(s) of the bundle are not CA certificates" in w and "db.example.com" in w
        for w in warnings(result)
    )


# Exasol 2025.x discovery (issue 13) -----------------------------------------------------------------
def test_discover_exasol_2025_and_7_stores_and_their_jvms(tmp_path):
    """The 2025.x layout of tests/lab/README_exasol.md ("Exasol 2025.x generation"): loader stores of every /opt/exasol/runtime-*-jdk (and runtime-* of older
    8.x images), SLC stores under /opt/exasol/slc-*/<container>/ (absolute links resolved inside the
    container), and 7.x SLCs."""
    root = tmp_path / "node"
    central, slc7 = make_node(root)
    loaders = [root / ("opt/exasol/runtime-%s/lib/security" % v) for v in ("8.4.0", "8.8.0-jdk", "8.9.1-jdk")]
    for directory in loaders:
        directory.mkdir(parents=True)
        make_jks(directory / "cacerts")
    container = root / "opt/exasol/slc-9.3.0/ScriptLanguages-standard-EXASOL-8.0.0-java-17"
    (container / "etc/ssl/certs/java").mkdir(parents=True)
    make_jks(container / "etc/ssl/certs/java/cacerts")
    jvm = container / "usr/lib/jvm/java-17-openjdk-amd64/lib/security"
    jvm.mkdir(parents=True)
    (jvm / "cacerts").symlink_to("/etc/ssl/certs/java/cacerts")
    pem = self_signed_pem("twenty25")[0]
    result = run(tmp_path, content=pem, truststores=[central], discover=True, discover_root=str(root))
    slc7_store = str(slc7 / "usr/lib/jvm/java-11-openjdk-amd64/lib/security/cacerts")
    expected = sorted([str(d / "cacerts") for d in loaders] + [str(jvm / "cacerts"), slc7_store])
    assert result["discovered"] == expected
    described = {d["path"]: (d["jvm"], d["generation"], d["version"]) for d in result["discovered_stores"]}
    assert described == {
        str(loaders[0] / "cacerts"): ("loader", "2025.x", "8.4.0"),
        str(loaders[1] / "cacerts"): ("loader", "2025.x", "8.8.0"),
        str(loaders[2] / "cacerts"): ("loader", "2025.x", "8.9.1"),
        str(jvm / "cacerts"): ("adapter", "2025.x", "9.3.0"),
        slc7_store: ("adapter", "7.x", None),
    }
    resolved = {s["path"]: s["resolved_path"] for s in result["stores"]}
    assert resolved[str(jvm / "cacerts")] == str(container / "etc/ssl/certs/java/cacerts")
    assert [s["added"] for s in result["stores"]] == [1] * 6
    assert not run(tmp_path, content=pem, truststores=[central], discover=True, discover_root=str(root))["changed"]
