"""The Exasol side of playbooks/teardown.yml (role exasol_teardown) against the lab.

A deployment of its own (names and BucketFS directories carry a random tag, so the lab's demo
objects are never touched) is built with drivers.yml and virtual_schema.yml (bucketfs trust mode,
so there is a truststore file to delete too), then torn down with `--tags exasol_teardown`:
check mode predicts and deletes nothing, the real run removes the virtual schema, the adapter
script, the connection, the three files and (asked for) the driver registration, a rerun and
check mode change nothing, and everything that is not the deployment's is as before. A
settings.cfg that registers another driver name is refused before anything is deleted. The node
truststores lose only our entries, only when asked, only on the nodes the run covers.
"""

import hashlib
import json
import os
import re
import ssl
import uuid

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import Store
from lab_helpers import ROOT, node_stores, run_playbook, store_files, tagged_bucket
from module_runner import run_module
from runners import run_command

PLAYBOOKS = os.path.join(ROOT, "playbooks")
JDBC_JAR = os.environ.get("LAB_PG_JDBC_JAR", "/usr/share/java/postgresql.jar")


@pytest.fixture(scope="module")
def tag():
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def bucket(lab, tag):
    """BucketFS client of the lab; removes whatever of the tag's files a failed test left."""
    yield from tagged_bucket(lab, tag)


@pytest.fixture(scope="module")
def variables(lab, tag, tmp_path_factory):
    """One vars file (0600) for drivers.yml, virtual_schema.yml and teardown.yml."""
    if not os.path.exists(JDBC_JAR):
        pytest.skip("PostgreSQL JDBC jar %s missing (set LAB_PG_JDBC_JAR)" % JDBC_JAR)
    tmp = tmp_path_factory.mktemp("teardown")
    e, pg, bfs = lab["exasol"], lab["postgres"], lab["bucketfs"]
    values = {
        "exasol_version": e["version"],  # the lab's generation decides settings.cfg and the adapter
        "exasol_jdbc_driver_driver_src": JDBC_JAR,
        "exasol_jdbc_driver_adapter_src": lab["jars"]["adapter_src"],
        "exasol_jdbc_driver_bucketfs_url": bfs["https_url"],
        "exasol_jdbc_driver_bucketfs_password": bfs["write_password"],
        "exasol_jdbc_driver_bucketfs_ca_cert": bfs["ca_file"],
        "exasol_jdbc_driver_jar_dir": "functional/%s/jars" % tag,
        "exasol_jdbc_driver_dir": "postgresql-%s" % tag,
        "exasol_jdbc_driver_name": "POSTGRESQL_%s" % tag.upper(),
        "exasol_jdbc_driver_driver_accept_advisories": ["CVE-2026-42198"],  # Debian's 42.5.5, our own server
        "exasol_virtual_schema_login_host": e["host"],
        "exasol_virtual_schema_login_port": e["port"],
        "exasol_virtual_schema_login_user": e["user"],
        "exasol_virtual_schema_login_password": e["password"],
        "exasol_virtual_schema_ca_cert": e["ca_file"],
        "exasol_virtual_schema_pg_endpoint": pg["host"],
        "exasol_virtual_schema_pg_port": pg["port"],
        "exasol_virtual_schema_pg_database": pg["database"],
        "exasol_virtual_schema_pg_user": pg["user"],
        "exasol_virtual_schema_pg_password": pg["password"],
        "exasol_virtual_schema_connection_name": "TD_%s_CONNECTION" % tag.upper(),
        "exasol_virtual_schema_adapter_schema": "TD_%s_ADAPTER" % tag.upper(),
        "exasol_virtual_schema_name": "TD_%s_VS" % tag.upper(),
        "exasol_virtual_schema_trust_mode": "bucketfs",
        "exasol_virtual_schema_bundle_src": lab["ca"]["bundle_file"],
        "exasol_virtual_schema_truststore_cache_dir": str(tmp / "cache"),
        "exasol_virtual_schema_bucketfs_url": bfs["https_url"],
        "exasol_virtual_schema_bucketfs_password": bfs["write_password"],
        "exasol_virtual_schema_bucketfs_ca_cert": bfs["ca_file"],
        "exasol_virtual_schema_truststore_path": "functional/%s/truststore.jks" % tag,
        # bucketfs trust covers the adapter only: the role proves the loader side with its final query
        "exasol_virtual_schema_verify": True,
    }
    path = tmp / "vars.json"
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle)
    return {"file": "@" + str(path), "values": values, "tag": tag}


def play(name, variables, *args, check=False):
    proc = run_playbook(os.path.join(PLAYBOOKS, name), "-e", variables["file"], *args, check=check)
    match = re.search(r"^localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", proc.stdout, re.M)
    return proc, (int(match.group(1)) if match else None)


def teardown(variables, *args, check=False):
    return play("teardown.yml", variables, "--tags", "exasol_teardown", *args, check=check)


@pytest.fixture(scope="module")
def trusted(variables):
    """The lab CA in every node's stores, once: the loader reads every node's own store, whatever the
    adapter's trust mode (issue 12). No teardown here removes it (only the last test, on stores it
    gives back byte for byte), so a second truststore.yml per build would be a run for nothing."""
    proc, dummy = play("truststore.yml", variables)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def build(variables):
    for name in ("drivers.yml", "virtual_schema.yml"):
        proc, dummy = play(name, variables)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def exa(lab):
    import pyexasol

    e = lab["exasol"]
    return pyexasol.connect(
        dsn="%s:%d" % (e["host"], e["port"]),
        user=e["user"],
        password=e["password"],
        websocket_sslopt={"ca_certs": e["ca_file"]},
        fetch_dict=True,
    )


def catalog(lab):
    """Every schema, script and connection name Exasol shows."""
    with exa(lab) as conn:
        return {
            "schemas": sorted(r["SCHEMA_NAME"] for r in conn.execute("SELECT SCHEMA_NAME FROM EXA_SCHEMAS").fetchall()),
            "scripts": sorted(
                "%s.%s" % (r["SCRIPT_SCHEMA"], r["SCRIPT_NAME"])
                for r in conn.execute("SELECT SCRIPT_SCHEMA, SCRIPT_NAME FROM EXA_ALL_SCRIPTS").fetchall()
            ),
            "connections": sorted(
                r["CONNECTION_NAME"] for r in conn.execute("SELECT CONNECTION_NAME FROM EXA_DBA_CONNECTIONS").fetchall()
            ),
        }


def ours(variables):
    """What the deployment put into Exasol and BucketFS, by kind."""
    values, tag = variables["values"], variables["tag"]
    jars = "functional/%s/jars/" % tag
    return {
        "schema": values["exasol_virtual_schema_name"],
        "script": values["exasol_virtual_schema_adapter_schema"] + ".JDBC_ADAPTER",
        "connection": values["exasol_virtual_schema_connection_name"],
        "files": sorted(
            [
                jars + os.path.basename(JDBC_JAR),
                jars + os.path.basename(values["exasol_jdbc_driver_adapter_src"]),
                values["exasol_virtual_schema_truststore_path"],
            ]
        ),
        "registration": "drivers/jdbc/postgresql-%s/" % tag,
    }


def present(lab, bucket, variables):
    """Which of the deployment's objects and files exist now."""
    found, want = catalog(lab), ours(variables)
    listed = bucket.list()
    return {
        "schema": want["schema"] in found["schemas"],
        "script": want["script"] in found["scripts"],
        "connection": want["connection"] in found["connections"],
        "files": [f for f in want["files"] if f in listed],
        "registration": sorted(p for p in listed if p.startswith(want["registration"]) and not p.endswith(".sha256")),
    }


def others(lab, bucket, tag):
    """Everything that is not the deployment's: must be the same before and after the teardown."""
    found = catalog(lab)
    return {kind: [n for n in names if tag.upper() not in n] for kind, names in found.items()}, sorted(
        p for p in bucket.list() if tag not in p
    )


@pytest.mark.usefixtures("trusted")
def test_check_mode_then_real_then_nothing_left_to_do(lab, bucket, variables):
    build(variables)
    tag, password = variables["tag"], variables["values"]["exasol_virtual_schema_pg_password"]
    built = present(lab, bucket, variables)
    assert built["schema"] and built["script"] and built["connection"], built
    assert built["files"] == ours(variables)["files"] and len(built["registration"]) == 2, built
    untouched = others(lab, bucket, tag)
    registration = ("-e", "exasol_teardown_driver_registration=true")

    proc, changed = teardown(variables, *registration, check=True)
    # changed tasks: virtual schema, adapter script, connection, files (one loop), registration (one loop)
    assert proc.returncode == 0 and changed == 5, proc.stdout[-4000:]
    assert present(lab, bucket, variables) == built
    assert re.search(
        r"would remove virtual schema %s, adapter script" % ours(variables)["schema"], re.sub(r"\s+", " ", proc.stdout)
    ), proc.stdout[-3000:]

    proc, changed = teardown(variables, *registration)
    assert proc.returncode == 0 and changed == 5, proc.stdout[-4000:]
    bucket.wait_visible(ours(variables)["registration"] + "settings.cfg", present=False, timeout=30)
    assert present(lab, bucket, variables) == {
        "schema": False,
        "script": False,
        "connection": False,
        "files": [],
        "registration": [],
    }
    assert others(lab, bucket, tag) == untouched
    assert (
        password not in proc.stdout and variables["values"]["exasol_jdbc_driver_bucketfs_password"] not in proc.stdout
    )

    for check in (False, True):
        proc, changed = teardown(variables, *registration, check=check)
        assert proc.returncode == 0 and changed == 0, proc.stdout[-4000:]


@pytest.mark.usefixtures("trusted")
def test_registration_is_kept_unless_asked_and_a_foreign_one_is_refused(lab, bucket, variables, tmp_path):
    build(variables)
    want = ours(variables)
    proc, changed = teardown(variables)
    assert proc.returncode == 0 and changed == 4, proc.stdout[-4000:]
    assert present(lab, bucket, variables)["registration"], "the registration went without being asked"
    assert "driver registration kept" in re.sub(r"\s+", " ", proc.stdout)

    build(variables)
    foreign = tmp_path / "settings.cfg"
    foreign.write_text("DRIVERNAME=SOMEONE_ELSE\nPREFIX=jdbc:postgresql:\nFETCHSIZE=100000\nINSERTSIZE=-1\n")
    bucket.upload(want["registration"] + "settings.cfg", str(foreign))
    before = present(lab, bucket, variables)
    proc, dummy = teardown(variables, "-e", "exasol_teardown_driver_registration=true")
    assert proc.returncode != 0
    assert re.search(
        r"does not register driver POSTGRESQL_%s \(DRIVERNAME=SOMEONE_ELSE\).*nothing was deleted"
        % variables["tag"].upper(),
        re.sub(r"\s+", " ", proc.stdout),
    ), proc.stdout[-3000:]
    assert present(lab, bucket, variables) == before
    proc, dummy = teardown(variables)  # the objects and files go; the foreign registration is the bucket fixture's
    assert proc.returncode == 0, proc.stdout[-3000:]


@pytest.mark.usefixtures("trusted")
def test_another_virtual_schema_on_our_script_stops_the_teardown_before_any_drop(lab, bucket, variables, tmp_path):
    """Exasol would refuse DROP SCRIPT half-way (after our virtual schema is gone) and would drop a
    connection that another virtual schema still names: preflight refuses both, nothing is deleted."""
    build(variables)
    values, e = variables["values"], lab["exasol"]
    login = dict(
        login_host=e["host"],
        login_port=e["port"],
        login_user=e["user"],
        login_password=e["password"],
        ca_cert=e["ca_file"],
    )
    other = "TD_%s_OTHER" % variables["tag"].upper()
    created = run_module(
        "exasol_virtual_schema",
        tmp_path,
        **dict(
            login,
            name=other,
            adapter_schema=values["exasol_virtual_schema_adapter_schema"],
            adapter_script="JDBC_ADAPTER",
            properties={"CONNECTION_NAME": values["exasol_virtual_schema_connection_name"], "SCHEMA_NAME": "public"},
        ),
    )
    assert created.get("changed") and not created.get("failed"), created
    try:
        before = present(lab, bucket, variables)
        proc, dummy = teardown(variables)
        assert proc.returncode != 0
        output = re.sub(r"\s+", " ", proc.stdout)
        assert re.search(
            r"virtual schema\(s\) %s use adapter script .*virtual schema\(s\) %s name connection .*"
            r"nothing was deleted" % (other, other),
            output,
        ), proc.stdout[-3000:]
        assert present(lab, bucket, variables) == before
    finally:
        dropped = run_module("exasol_virtual_schema", tmp_path, **dict(login, name=other, state="absent"))
        assert not dropped.get("failed"), dropped
    proc, changed = teardown(variables)
    assert proc.returncode == 0 and changed == 4, proc.stdout[-3000:]


def bundle_fingerprints(lab):
    with open(lab["ca"]["bundle_file"]) as handle:
        pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", handle.read(), re.S)
    return {hashlib.sha256(ssl.PEM_cert_to_DER_cert(p)).hexdigest() for p in pems}


def entries(lab, host_file):
    store = Store(host_file, "auto", lab["nodes"][0]["store_password"], run_command=run_command).load()
    return sorted((e.alias, e.sha256) for e in store.entries)


def test_truststores_lose_only_our_entries_only_when_asked(lab, variables, tmp_path):
    """--limit to one node: that node's stores lose the bundle's certificates under the rds- prefix
    and keep every other entry; the other nodes are not touched. Restored byte for byte after."""
    first = lab["nodes"][0]["name"]
    fingerprints = bundle_fingerprints(lab)
    with node_stores(lab, tmp_path, loader=True, adapter=True):
        files = {kind: store_files(lab, kind) for kind in ("loader", "adapter")}
        every = [host for kind in files for _name, _path, host in files[kind]]
        before = {host: entries(lab, host) for host in every}
        proc, dummy = teardown(variables, "--limit", "localhost,%s" % first)
        assert proc.returncode == 0 and {h: entries(lab, h) for h in every} == before, proc.stdout[-3000:]

        # the same bundle for the role and for the expectation below
        same_bundle = json.dumps(
            {
                "exasol_teardown_truststores": True,
                "exasol_truststore_bundle_src": lab["ca"]["bundle_file"],
                "exasol_truststore_bundle_checksum": "",
            }
        )
        proc, dummy = teardown(variables, "--limit", "localhost,%s" % first, "-e", same_bundle)
        assert proc.returncode == 0, proc.stdout[-4000:]
        for kind in files:
            for name, path, host in files[kind]:
                after = entries(lab, host)
                if name != first:
                    assert after == before[host], (name, path)
                    continue
                expected = [e for e in before[host] if not (e[0].startswith("rds-") and e[1] in fingerprints)]
                assert after == expected and len(expected) < len(before[host]), (name, path)
