"""inventory/lab per Exasol generation (issue 13 item 2; no lab: a synthetic lab.json).

The lab inventory reads lab.json from LAB_STATE_DIR. On the 7.1 lab it resolves to what it always did;
on the 2025.x lab (lab.json `exasol.version` 2025.1.x, no `exaoperation` key, BucketFS HTTPS only) it
adds what a COS node needs. The variables are rendered by Ansible itself (`ansible` with the
controller-side debug action, which connects to no host).
"""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.spawns  # every test here starts a process (ansible-playbook, a module, keytool, a JVM)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
CENTRAL = "/etc/pki/ca-trust/extracted/java/cacerts"
SLC7 = (
    "/usr/opt/EXASuite-7/EXAClusterOS-7.1.26/var/clients/packages/ScriptLanguages-release-standard-"
    "exasol-7.1.0-1.0.0/usr/lib/jvm/java-11-openjdk-amd64/lib/security/cacerts"
)
RUNTIME = "/opt/exasol/runtime-8.8.0-jdk/lib/security/cacerts"
SLC2025 = (
    "/opt/exasol/slc-9.1.0-c4-6-standard-EXASOL-all/ScriptLanguages-standard-EXASOL-all-java-17/"
    "usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts"
)
JAR3 = "/lab/jars/virtual-schema-dist-12.0.0-postgresql-3.0.0.jar"
JAR4 = "/lab/jars/virtual-schema-dist-14.0.5-postgresql-4.0.2.jar"

# What the roles get from inventory/lab (group_vars plus the script's vars), rendered.
RENDERED = [
    "exasol_version",
    "exasol_jdbc_driver_driver_src",
    "exasol_jdbc_driver_adapter_src",
    "exasol_jdbc_driver_bucketfs_url",
    "exasol_jdbc_driver_bucketfs_password",
    "exasol_jdbc_driver_bucketfs_ca_cert",
    "exasol_jdbc_driver_exaoperation_url",
    "exasol_jdbc_driver_exaoperation_user",
    "exasol_jdbc_driver_exaoperation_password",
    "exasol_jdbc_driver_exaoperation_ca_cert",
    "exasol_jdbc_driver_driver_accept_advisories",
    "exasol_virtual_schema_bucketfs_ca_cert",
    "exasol_virtual_schema_login_host",
    "exasol_truststore_bundle_url",
    "trust_audit_bundle_url",
    "ansible_host",
    "ansible_port",
    "ansible_user",
]
# Set only on the 2025.x lab; on 7.1 the roles' defaults apply, as before.
GENERATION_VARS = [
    "exasol_truststore_central_store",
    "trust_audit_central_stores",
    "exasol_jdbc_driver_registration",
    "exasol_jdbc_driver_disable_security_manager",
    "exasol_virtual_schema_telemetry",
]


def node(index, generation):
    cos = generation == "cos"
    return {
        "name": "node%d" % index,
        "address": "127.0.1.%d" % index,
        "port": 2222,
        "user": "root",
        "ssh_key": "/lab/ssh/id_ed25519",
        "known_hosts": "/lab/ssh/known_hosts",
        "root": "/lab/node%d" % index,
        "central_truststore": RUNTIME if cos else CENTRAL,
        "loader_truststore": RUNTIME if cos else CENTRAL,
        "slc_truststores": [SLC2025 if cos else SLC7],
        "adapter_truststores": [SLC2025 if cos else SLC7],
        "store_password": "changeit",
        "truststore_type": "JKS",
        "layout": generation,
    }


def lab_json(version):
    """A lab.json as tests/lab/lab.py writes it for LAB_EXASOL_VERSION=<version> (the parts the inventory reads)."""
    cos = not version.startswith("7.")
    bucketfs = {
        "https_url": "https://127.0.0.20:2581",
        "ca_file": "/lab/ca/root.pem",
        "write_password": "w-secret",
        "read_password": "r-secret",
        "service": "bfsdefault",
        "bucket": "default",
        "host_dir": "/lab/bucketfs",
    }
    lab = {
        "aws": {
            "region": "eu-central-1",
            "endpoint_url": "http://127.0.0.10:5000",
            "access_key_id": "testing",
            "secret_access_key": "testing",
        },
        "postgres": {
            "host": "aurora.lab.internal",
            "port": 5432,
            "database": "aurora_tutorial_database",
            "user": "master",
            "password": "pg-secret",
        },
        "ca": {
            "bundle_file": "/lab/bundle/bundle.pem",
            "identifiers": {"rds-ca-rsa2048-g1": "CN=lab"},
            "dir": "/lab/ca",
            "rotate_command": ["lab.py", "rotate-ca"],
        },
        "bundle_url": "https://127.0.0.30:8443/global-bundle.pem",
        "bundle_sha256": "ab" * 32,
        "exasol": {
            "host": "127.0.0.20",
            "port": 8563,
            "user": "sys",
            "password": "exa-secret",
            "ca_file": "/lab/exasol/ca.pem",
            "version": "2025.1.3" if cos else "7.1.26",
        },
        "jars": {
            "driver_src": "/usr/share/java/postgresql.jar",
            "adapter_src": JAR4 if cos else JAR3,
            "adapter_is_standin": True,
        },
        "bucketfs": bucketfs,
        "nodes": [node(1, "cos" if cos else "classic"), node(2, "cos" if cos else "classic")],
    }
    if not cos:
        bucketfs["http_url"] = "http://127.0.0.20:2580"
        lab["exaoperation"] = {
            "url": "https://127.0.0.20:4443/cluster1",
            "user": "admin",
            "password": "eo-secret",
            "ca_file": "/lab/ca/root.pem",
        }
    return lab


def run(args, state_dir, **kwargs):
    env = dict(
        os.environ,
        LAB_STATE_DIR=str(state_dir),
        ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_DEPRECATION_WARNINGS="0",
    )
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False, **kwargs)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def render(tmp_path, version, names):
    """{name: value} as Ansible resolves `names` for node1; an unset variable is reported as None."""
    (tmp_path / "lab.json").write_text(json.dumps(lab_json(version)))
    template = "{{ {%s} | to_json }}" % ", ".join("'%s': (%s | default(None))" % (name, name) for name in names)
    out = run(
        [
            os.path.join(BIN, "ansible"),
            "-i",
            "inventory/lab",
            "node1",
            "-m",
            "ansible.builtin.debug",
            "-a",
            "msg=" + template,
        ],
        tmp_path,
    )
    result = json.loads(out)["plays"][0]["tasks"][0]["hosts"]["node1"]["msg"]
    return json.loads(result) if isinstance(result, str) else result


def test_7_1_lab_resolves_as_before(tmp_path):
    values = render(tmp_path, "7.1.26", RENDERED + GENERATION_VARS)
    assert values == {
        "exasol_version": "7.1.26",
        "exasol_jdbc_driver_driver_src": "/usr/share/java/postgresql.jar",
        "exasol_jdbc_driver_adapter_src": JAR3,
        "exasol_jdbc_driver_bucketfs_url": "https://127.0.0.20:2581",
        "exasol_jdbc_driver_bucketfs_password": "w-secret",
        "exasol_jdbc_driver_bucketfs_ca_cert": "/lab/ca/root.pem",
        "exasol_jdbc_driver_exaoperation_url": "https://127.0.0.20:4443/cluster1",
        "exasol_jdbc_driver_exaoperation_user": "admin",
        "exasol_jdbc_driver_exaoperation_password": "eo-secret",
        "exasol_jdbc_driver_exaoperation_ca_cert": "/lab/ca/root.pem",
        "exasol_jdbc_driver_driver_accept_advisories": ["CVE-2026-42198"],
        "exasol_virtual_schema_bucketfs_ca_cert": "/lab/ca/root.pem",
        "exasol_virtual_schema_login_host": "127.0.0.20",
        "exasol_truststore_bundle_url": "https://127.0.0.30:8443/global-bundle.pem",
        "trust_audit_bundle_url": "https://127.0.0.30:8443/global-bundle.pem",
        "ansible_host": "127.0.1.1",
        "ansible_port": 2222,
        "ansible_user": "root",
        # not set by the inventory: the roles' defaults (central store, auto registration...) apply
        "exasol_truststore_central_store": None,
        "trust_audit_central_stores": None,
        "exasol_jdbc_driver_registration": None,
        "exasol_jdbc_driver_disable_security_manager": None,
        "exasol_virtual_schema_telemetry": None,
    }


def test_2025_lab_gets_the_cos_settings(tmp_path):
    values = render(tmp_path, "2025.1.3", RENDERED + GENERATION_VARS)
    assert values["exasol_version"] == "2025.1.3"
    # no EXAoperation: the driver is registered by settings.cfg, with NOSECURITY=YES for its TLS
    assert values["exasol_jdbc_driver_registration"] == "bucketfs"
    assert values["exasol_jdbc_driver_disable_security_manager"] is True
    assert [
        values[k]
        for k in (
            "exasol_jdbc_driver_exaoperation_url",
            "exasol_jdbc_driver_exaoperation_password",
            "exasol_jdbc_driver_exaoperation_ca_cert",
        )
    ] == ["", "", ""]
    # BucketFS over HTTPS only, verified with the CA lab.json names
    assert values["exasol_jdbc_driver_bucketfs_url"] == "https://127.0.0.20:2581"
    assert (
        values["exasol_jdbc_driver_bucketfs_ca_cert"]
        == values["exasol_virtual_schema_bucketfs_ca_cert"]
        == "/lab/ca/root.pem"
    )
    # the 4.x adapter stand-in, telemetry off
    assert values["exasol_jdbc_driver_adapter_src"] == JAR4
    assert values["exasol_virtual_schema_telemetry"] is False
    # COS nodes have no central store: the truststore role works on the discovered JDK stores only
    assert values["exasol_truststore_central_store"] == ""
    assert values["trust_audit_central_stores"] == []


@pytest.mark.parametrize("version", ["7.1.26", "2025.1.3"])
def test_ansible_inventory_lists_nodes_and_generation_vars(tmp_path, version):
    (tmp_path / "lab.json").write_text(json.dumps(lab_json(version)))
    listed = json.loads(run([os.path.join(BIN, "ansible-inventory"), "-i", "inventory/lab", "--list"], tmp_path))
    assert listed["exasol_nodes"]["hosts"] == ["node1", "node2"]
    assert listed["_meta"]["hostvars"]["node2"]["ansible_host"] == "127.0.1.2"
    hostvars = listed["_meta"]["hostvars"]["node1"]
    generation = {k: v for k, v in hostvars.items() if k in GENERATION_VARS}
    assert generation == (
        {
            "exasol_jdbc_driver_registration": "bucketfs",
            "exasol_jdbc_driver_disable_security_manager": True,
            "exasol_truststore_central_store": "",
            "trust_audit_central_stores": [],
            "exasol_virtual_schema_telemetry": False,
        }
        if version.startswith("2025")
        else {}
    )
    assert hostvars["lab"]["exasol"]["version"] == version
