"""The lab's first half works the way the roles will use it: AWS, Aurora's data plane, the CA
bundle over HTTP, and Exasol data nodes that are separate machines as far as files go."""

import concurrent.futures
import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.request
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable)
LAB_PY = os.path.join(ROOT, "tests", "lab", "lab.py")
STATE = os.environ.get("LAB_STATE_DIR", os.path.join(ROOT, "tests", "lab", "state"))


def ssh(node, command, known_hosts=None, timeout=60):
    """Run `command` on a lab node the way Ansible does: lab key, host key checked."""
    argv = [
        "ssh",
        "-p",
        str(node["port"]),
        "-i",
        node["ssh_key"],
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "UserKnownHostsFile=%s" % (known_hosts or node["known_hosts"]),
        "%s@%s" % (node["user"], node["address"]),
        command,
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def on_every_node(lab, command):
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip([n["name"] for n in lab["nodes"]], pool.map(lambda node: ssh(node, command), lab["nodes"])))


def psql(lab, sslrootcert, sql="SELECT 1", sslmode="verify-full", host=None):
    pg = lab["postgres"]
    dsn = "host=%s port=%d dbname=%s user=%s sslmode=%s sslrootcert=%s connect_timeout=10" % (
        host or pg["host"],
        pg["port"],
        pg["database"],
        pg["user"],
        sslmode,
        sslrootcert,
    )
    if not pg.get("hosts_file_mapped", True):  # /etc/hosts was read-only: resolve the name ourselves
        dsn += " hostaddr=%s" % pg["address"]
    env = dict(os.environ, PGPASSWORD=pg["password"])  # never on the command line
    return subprocess.run(
        ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", dsn, "-c", sql],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


def pidfiles():
    pid_dir = os.path.join(STATE, "pids")
    result = {}
    for entry in sorted(os.listdir(pid_dir)):
        with open(os.path.join(pid_dir, entry)) as handle:
            result[entry] = handle.read().strip()
    return result


# --- Exasol data nodes ---------------------------------------------------------------------------
def test_every_node_answers_ansible_ping(lab):
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
        PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
    )
    done = subprocess.run(
        [os.path.join(VENV_BIN, "ansible"), "-i", "inventory/lab", "exasol_nodes", "-m", "ansible.builtin.ping"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    answered = set(re.findall(r"^(\S+) \| SUCCESS", done.stdout, re.M))
    assert done.returncode == 0, done.stdout + done.stderr
    assert answered == {n["name"] for n in lab["nodes"]}


def test_inventory_checks_host_keys(lab):
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    done = subprocess.run(
        [os.path.join(ROOT, "inventory", "lab", "lab_inventory.py"), "--list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    hostvars = json.loads(done.stdout)["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(n["name"] for n in lab["nodes"])
    for node in lab["nodes"]:
        args = hostvars[node["name"]]["ansible_ssh_common_args"]
        assert "StrictHostKeyChecking=yes" in args and "UserKnownHostsFile=%s" % node["known_hosts"] in args


def test_unknown_host_key_is_refused(lab, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    done = ssh(lab["nodes"][0], "true", known_hosts=str(empty))
    assert done.returncode != 0
    assert "Host key verification failed" in done.stderr


def test_truststore_path_is_private_to_each_node(lab):
    if len(lab["nodes"]) < 2:
        pytest.skip("needs LAB_NODES >= 2")
    node1, node2 = lab["nodes"][:2]
    probe = os.path.join(os.path.dirname(node1["central_truststore"]), "probe-%s" % uuid.uuid4().hex)
    try:
        assert ssh(node1, "echo node1 > %s && cat %s" % (probe, probe)).stdout.strip() == "node1"
        seen = ssh(node2, "test -e %s && echo visible || echo absent" % probe)
        assert seen.stdout.strip() == "absent", seen.stderr
        assert os.path.exists(node1["root"] + probe)  # it lives in node1's private tree ...
        assert not os.path.exists(probe)  # ... not on the host
    finally:
        ssh(node1, "rm -f %s" % probe)


def test_nodes_have_their_truststores_java_and_python(lab):
    """keytool reads each central store in its format; python3 sees the SLC stores are JKS files."""
    command = (
        "keytool -list -keystore {store} -storepass:env LAB_PASS | sed -n 's/^Keystore type: //p' && "
        "python3 -c 'import sys; print(*[open(p, \"rb\").read(4).hex() for p in sys.argv[1:]])' {slcs}"
    )

    def check(node):
        return ssh(
            node,
            "LAB_PASS=%s; export LAB_PASS; " % node["store_password"]
            + command.format(store=node["central_truststore"], slcs=" ".join(node["slc_truststores_resolved"])),
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(check, lab["nodes"]))
    for node, done in zip(lab["nodes"], results):
        assert done.returncode == 0, (node["name"], done.stderr)
        assert done.stdout.split() == [node["truststore_type"]] + ["feedfeed"] * len(node["slc_truststores"])
    assert len(lab["nodes"]) < 2 or "PKCS12" in [n["truststore_type"] for n in lab["nodes"]]


def test_symlinked_slc_cacerts_resolves_inside_the_container(lab):
    linked = [n for n in lab["nodes"] if n["slc_truststores"] != n["slc_truststores_resolved"]]
    if not linked:
        pytest.skip("needs LAB_NODES >= 3")
    node = linked[0]
    link = node["root"] + node["slc_truststores"][0]
    assert os.readlink(link) == "/etc/ssl/certs/java/cacerts"  # absolute, like Ubuntu's JDK
    assert os.path.isfile(node["root"] + node["slc_truststores_resolved"][0])


def test_bucketfs_path_exists_on_every_node(lab):
    results = on_every_node(lab, "test -d /exa/data/bucketfs/bfsdefault/.dest/default && echo ok")
    assert {name: r.stdout.strip() for name, r in results.items()} == {n["name"]: "ok" for n in lab["nodes"]}


# --- Aurora's data plane -------------------------------------------------------------------------
def test_psql_verify_full_with_lab_root_connects(lab):
    done = psql(lab, lab["postgres"]["ca_file"], "SELECT aurora_version() <> '', count(*) FROM public.orders")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "t|2500"


def test_psql_verify_full_with_lab_bundle_connects(lab):
    done = psql(
        lab,
        lab["ca"]["bundle_file"],
        "SELECT current_user, ssl FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE pid = pg_backend_pid()",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "master|t"


def test_psql_with_wrong_ca_fails(lab):
    done = psql(lab, lab["ca"]["wrong_ca_file"])
    assert done.returncode != 0
    assert "certificate verify failed" in done.stderr


def test_first_certificate_of_the_bundle_alone_does_not_verify(lab, tmp_path):
    """What a tool that imports only the first certificate of the bundle ends up trusting."""
    with open(lab["ca"]["bundle_file"]) as handle:
        first = handle.read().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    (tmp_path / "first.pem").write_text(first)
    done = psql(lab, str(tmp_path / "first.pem"))
    assert done.returncode != 0
    assert "certificate verify failed" in done.stderr


JDBC_CHECK = """
import java.sql.*;
public class LabCheck {
  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection(args[0], args[1], System.getenv("LAB_PGPASSWORD"));
         ResultSet r = c.createStatement().executeQuery("SELECT count(*) FROM public.customers")) {
      r.next();
      System.out.println("rows=" + r.getLong(1));
    }
  }
}
"""


def test_java_truststore_with_lab_root_verifies_the_server_chain(lab, tmp_path):
    """pgjdbc's DefaultJavaSSLFactory (the tutorial's CONNECTION) accepts the lab chain (PKIX +
    hostname) once the lab root is in the truststore."""
    jar = "/usr/share/java/postgresql.jar"
    if not os.path.exists(jar):
        pytest.skip("%s missing: install libpostgresql-jdbc-java" % jar)
    store = str(tmp_path / "truststore.jks")
    env = dict(os.environ, LAB_STOREPASS="changeit", LAB_PGPASSWORD=lab["postgres"]["password"])
    subprocess.run(
        [
            "keytool",
            "-importcert",
            "-noprompt",
            "-alias",
            "lab-root",
            "-file",
            lab["postgres"]["ca_file"],
            "-keystore",
            store,
            "-storepass:env",
            "LAB_STOREPASS",
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    (tmp_path / "LabCheck.java").write_text(JDBC_CHECK)
    pg = lab["postgres"]
    url = "jdbc:postgresql://%s:%d/%s?ssl=true&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory" % (
        pg["host"],
        pg["port"],
        pg["database"],
    )
    done = subprocess.run(
        [
            "java",
            "-Djavax.net.ssl.trustStore=" + store,
            "-Djavax.net.ssl.trustStorePassword=changeit",
            "-cp",
            jar,
            str(tmp_path / "LabCheck.java"),
            url,
            pg["user"],
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip() == "rows=5", done.stderr


def test_psql_by_address_fails_hostname_check(lab):
    done = psql(lab, lab["postgres"]["ca_file"], host=lab["postgres"]["address"])
    assert done.returncode != 0
    assert "does not match host name" in done.stderr


def test_plain_tcp_is_refused(lab):
    done = psql(lab, lab["postgres"]["ca_file"], sslmode="disable")
    assert done.returncode != 0
    assert "no pg_hba.conf entry" in done.stderr


# --- the CA bundle over HTTP ---------------------------------------------------------------------
def test_bundle_url_serves_every_certificate(lab):
    with urllib.request.urlopen(lab["bundle_url"], timeout=10) as response:
        body = response.read()
    with open(lab["ca"]["bundle_file"], "rb") as handle:
        assert body == handle.read()
    assert body.count(b"-----BEGIN CERTIFICATE-----") == lab["ca"]["bundle_count"] >= 4
    assert hashlib.sha256(body).hexdigest() == lab["bundle_sha256"]


def test_bundle_puts_unrelated_cas_before_the_lab_root(lab):
    from cryptography import x509

    with open(lab["ca"]["bundle_file"], "rb") as handle:
        certs = x509.load_pem_x509_certificates(handle.read())
    with open(lab["ca"]["root_pem"], "rb") as handle:
        root = x509.load_pem_x509_certificate(handle.read())
    assert certs[0] != root
    assert root in certs and certs.index(root) >= 3


# --- AWS -----------------------------------------------------------------------------------------
def test_moto_answers_ec2_and_rds(lab):
    import boto3

    aws = lab["aws"]
    session = boto3.session.Session(
        aws_access_key_id=aws["access_key_id"],
        aws_secret_access_key=aws["secret_access_key"],
        region_name=aws["region"],
    )
    zones = session.client("ec2", endpoint_url=aws["endpoint_url"]).describe_availability_zones()
    assert len(zones["AvailabilityZones"]) >= 2
    assert "DBClusters" in session.client("rds", endpoint_url=aws["endpoint_url"]).describe_db_clusters()


# --- the lab as a whole --------------------------------------------------------------------------
def test_lab_up_on_a_running_lab_changes_nothing(lab):
    before = pidfiles()
    state = os.path.join(STATE, "lab.json")
    with open(state) as handle:
        lab_json = json.load(handle)
    done = subprocess.run([sys.executable, LAB_PY, "up"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert pidfiles() == before
    with open(state) as handle:
        assert json.load(handle) == lab_json
