"""exasol_truststore against the lab nodes: stores filled, rerun converges, pgjdbc trusts the lab.

Needs the running lab (fixture `lab`) and a JDK (javac, java). Every node is reached over SSH as
Ansible would reach an Exasol data node; stores are then read back from the nodes' trees.
"""

import os
import re
import subprocess
import sys

import pytest

from ansible_collections.virtualis.aurora.plugins.modules.rds_truststore import resolve_store
from lab_helpers import run_playbook
from truststores import JavaStoreReader, bundle, have_java, write_lab_inventory

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


PLAYBOOK = os.path.join(ROOT, "playbooks", "truststore.yml")
PGJDBC = "/usr/share/java/postgresql.jar"
SSL_FACTORY = "org.postgresql.ssl.DefaultJavaSSLFactory"

pytestmark = pytest.mark.skipif(not have_java(), reason="needs javac, java and keytool")

CONNECT_JAVA = r"""
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Properties;

public class Connect {
    public static void main(String[] args) throws Exception {
        // secrets come from the environment, never from the command line
        System.setProperty("javax.net.ssl.trustStorePassword", System.getenv("TRUSTSTORE_PASSWORD"));
        Properties props = new Properties();
        props.setProperty("user", System.getenv("PGUSER"));
        props.setProperty("password", System.getenv("PGPASSWORD"));
        try (Connection conn = DriverManager.getConnection(args[0], props);
             ResultSet rs = conn.createStatement().executeQuery("SELECT version()")) {
            rs.next();
            System.out.println("CONNECTED " + rs.getString(1));
        } catch (Exception e) {
            System.out.println("FAILED " + e);
            Throwable cause = e.getCause();
            while (cause != null) { System.out.println("CAUSE " + cause); cause = cause.getCause(); }
            System.exit(2);
        }
    }
}
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("truststore_role")


@pytest.fixture(scope="module")
def inventory(lab, workdir):
    return write_lab_inventory(lab, workdir / "inventory.json")


@pytest.fixture(scope="module")
def reader(workdir):
    return JavaStoreReader(workdir)


def play(inventory, check=False, **extra):
    # the nodes share the host's /tmp: keep the PKCS12 conversion cache out of the host's /var/cache
    extra.setdefault("exasol_truststore_cache_dir", os.path.join(os.path.dirname(inventory), "cache"))
    proc = run_playbook(PLAYBOOK, "-i", inventory, extra_vars=extra, check=check, env={"ANSIBLE_FORKS": "64"})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return recap(proc.stdout)


@pytest.fixture(scope="module")
def lab_bundle_applied(lab, inventory):
    """The lab bundle in every node store, whichever tests ran (or were deselected) before."""
    play(
        inventory,
        exasol_truststore_bundle_url=lab["bundle_url"],
        exasol_truststore_bundle_checksum="sha256:" + lab["bundle_sha256"],
    )


def recap(output):
    """{host: changed count} from the PLAY RECAP."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", output, re.M)}


def host_stores(node):
    """Host paths of the node's central store and its SLC stores (symlinks resolved in the container)."""
    return [
        resolve_store(os.path.join(node["root"], path.lstrip("/")))[0]
        for path in [node["central_truststore"]] + node["slc_truststores"]
    ]


def lab_bundle(lab):
    certs = bundle(lab["ca"]["bundle_file"])
    return {c.sha256 for c in certs if not c.expired()}


def connect(lab, node, workdir):
    """Run the real pgjdbc driver against the lab PostgreSQL, trusting only node's central store."""
    if not os.path.exists(os.path.join(str(workdir), "Connect.class")):
        (workdir / "Connect.java").write_text(CONNECT_JAVA)
        subprocess.run(["javac", "-d", str(workdir), str(workdir / "Connect.java")], check=True)
    pg = lab["postgres"]
    hosts = workdir / "hosts"  # the endpoint name without depending on /etc/hosts
    hosts.write_text("%s %s\n" % (pg["address"], pg["host"]))
    store = host_stores(node)[0]
    url = "jdbc:postgresql://%s:%d/%s?ssl=true&sslfactory=%s" % (pg["host"], pg["port"], pg["database"], SSL_FACTORY)
    env = dict(os.environ, PGUSER=pg["user"], PGPASSWORD=pg["password"], TRUSTSTORE_PASSWORD=node["store_password"])
    proc = subprocess.run(
        [
            "java",
            "-Djdk.net.hosts.file=%s" % hosts,
            "-Djavax.net.ssl.trustStore=%s" % store,
            "-Djavax.net.ssl.trustStoreType=%s" % node["truststore_type"],
            "-cp",
            "%s:%s" % (workdir, PGJDBC),
            "Connect",
            url,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return proc.stdout + proc.stderr


@pytest.mark.skipif(not os.path.exists(PGJDBC), reason="libpostgresql-jdbc-java is not installed")
def test_role_fills_every_store_and_pgjdbc_connects(lab, inventory, reader, workdir):
    node1 = lab["nodes"][0]
    source = {
        "exasol_truststore_bundle_url": lab["bundle_url"],
        "exasol_truststore_bundle_checksum": "sha256:" + lab["bundle_sha256"],
    }
    play(inventory, exasol_truststore_state="absent", **source)  # whatever ran before: start clean
    for node in lab["nodes"]:  # every node, not node 1 alone
        before = connect(lab, node, workdir)
        assert "FAILED" in before and "PKIX" in before, (node["name"], before)

    checked = play(inventory, check=True, **source)
    applied = play(inventory, **source)
    assert applied == checked and all(count >= 1 for count in applied.values()), (checked, applied)
    assert set(applied) == {n["name"] for n in lab["nodes"]}
    assert all(count == 0 for count in play(inventory, **source).values())
    assert all(count == 0 for count in play(inventory, check=True, **source).values())

    wanted = lab_bundle(lab)
    stores = [p for node in lab["nodes"] for p in host_stores(node)]
    listed = reader.read(stores, node1["store_password"])
    for path in stores:
        assert isinstance(listed[path], dict), listed[path]
        assert wanted <= set(listed[path].values()), path

    for node in lab["nodes"]:
        after = connect(lab, node, workdir)
        assert "CONNECTED PostgreSQL" in after, (node["name"], after)


def test_keytool_on_each_node_lists_the_bundle(lab, inventory, workdir, lab_bundle_applied):
    """`keytool -list` on every node (over SSH, as Ansible sees it) shows every bundle certificate.

    An SLC store that is an absolute symlink is listed where it resolves inside its container (what
    the adapter's JVM reads): followed from the node, the link would leave the container."""
    wanted = lab_bundle(lab)
    password_file = workdir / "storepass"  # the nodes share the host's /tmp; the file is 0600
    password_file.write_text(lab["nodes"][0]["store_password"])
    os.chmod(str(password_file), 0o600)
    stores = sorted(
        {p for node in lab["nodes"] for p in [node["central_truststore"]] + node["slc_truststores_resolved"]}
    )
    script = (
        'for s in %s; do [ -e "$s" ] || continue; keytool -J-XX:TieredStopAtLevel=1 -list -storepass:file %s '
        "-keystore \"$s\" | sed -n 's/^Certificate fingerprint (SHA-256): //p' | tr -d : | tr A-F a-f "
        '| sed "s|^|$s |"; done' % (" ".join(stores), password_file)
    )
    proc = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "ansible"),
            "exasol_nodes",
            "-i",
            inventory,
            "-f",
            "64",
            "-m",
            "ansible.builtin.shell",
            "-a",
            script,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg")),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    seen, host = {}, None
    for line in proc.stdout.splitlines():
        header = re.match(r"^(\S+) \| CHANGED \| rc=0", line)
        if header:
            host = header.group(1)
        elif host and " " in line:
            store, fingerprint = line.split(" ", 1)
            seen.setdefault((host, store), set()).add(fingerprint.strip())
    for node in lab["nodes"]:
        for store in [node["central_truststore"]] + node["slc_truststores_resolved"]:
            assert wanted <= seen.get((node["name"], store), set()), (node["name"], store)


def test_real_rds_global_bundle_on_every_node(lab, inventory, reader, rds_bundle_dir, lab_bundle_applied):
    """The 108-certificate global bundle under its own prefix, rerun converges, then removed again."""
    source = {
        "exasol_truststore_bundle_src": os.path.join(rds_bundle_dir, "global-bundle.pem"),
        "exasol_truststore_alias_prefix": "awsrds-",
    }
    assert all(count >= 1 for count in play(inventory, **source).values())
    assert all(count == 0 for count in play(inventory, **source).values())
    wanted = {c.sha256 for c in bundle(source["exasol_truststore_bundle_src"])}
    stores = [p for node in lab["nodes"] for p in host_stores(node)]
    listed = reader.read(stores, lab["nodes"][0]["store_password"])
    assert all(wanted <= set(listed[p].values()) for p in stores)
    play(inventory, exasol_truststore_state="absent", **source)
    listed = reader.read(stores, lab["nodes"][0]["store_password"])
    assert all(not [a for a in listed[p] if a.startswith("awsrds-")] for p in stores)
    assert all(lab_bundle(lab) <= set(listed[p].values()) for p in stores)  # the lab bundle stays


def test_corrupted_bundle_changes_no_node(lab, inventory, reader, workdir, rds_bundle_dir):
    """A bundle with one flipped character still parses but fails the signature check on the
    controller: the play fails before any node is touched."""
    text = open(os.path.join(rds_bundle_dir, "global-bundle.pem")).read()
    lines = text.split("\n")
    lines[10] = lines[10][:20] + ("A" if lines[10][20] != "A" else "B") + lines[10][21:]
    corrupted = workdir / "corrupted.pem"
    corrupted.write_text("\n".join(lines))
    stores = [p for node in lab["nodes"] for p in host_stores(node)]
    before = [open(p, "rb").read() for p in stores]
    extra = {"exasol_truststore_bundle_src": str(corrupted), "exasol_truststore_alias_prefix": "awsrds-"}
    proc = run_playbook(PLAYBOOK, "-i", inventory, extra_vars=extra)
    assert proc.returncode != 0
    assert "signature does not verify against its issuer" in proc.stdout + proc.stderr
    assert [open(p, "rb").read() for p in stores] == before


def test_serial_one_broken_node_does_not_stop_later_batches(lab, inventory, reader):
    """serial=1 over the lab nodes with a corrupt central store on the second one: the first and
    the third node are updated all the same, the bundle is verified once, and the play fails after
    the last batch naming the broken node (and only it)."""
    source = {
        "exasol_truststore_bundle_url": lab["bundle_url"],
        "exasol_truststore_bundle_checksum": "sha256:" + lab["bundle_sha256"],
    }
    play(inventory, exasol_truststore_state="absent", **source)  # a clean start: "updated" is visible
    nodes = lab["nodes"]
    broken = nodes[1]
    central = host_stores(broken)[0]
    original = open(central, "rb").read()
    try:
        with open(central, "wb") as handle:
            handle.write(b"this is not a keystore\n")
        extra = dict(
            source,
            exasol_truststore_serial=1,
            exasol_truststore_cache_dir=os.path.join(os.path.dirname(inventory), "cache"),
        )
        proc = run_playbook(PLAYBOOK, "-i", inventory, extra_vars=extra, env={"ANSIBLE_FORKS": "64"})
        out = proc.stdout
        assert proc.returncode != 0, out[-4000:]
        assert open(central, "rb").read() == b"this is not a keystore\n"  # left as it was
    finally:
        with open(central, "wb") as handle:
            handle.write(original)
    assert out.count("PLAY [RDS CA bundle") == len(nodes)  # one batch per node, every batch ran
    message = re.search(r"exasol_truststore failed on (\d+) node\(s\): (\S+) \(failed: ", out)
    assert message and message.groups() == ("1", broken["name"]), out[-4000:]
    assert len(re.findall(r"Verify every certificate.*\n(ok|changed): ", out)) == 1  # once, not per batch
    wanted = lab_bundle(lab)
    others = [node for node in nodes if node is not broken]
    for node in others:
        assert re.search(
            r"%s: %d stores \(\d+ discovered\), %d changed"
            % (re.escape(node["name"]), len(host_stores(node)), len(host_stores(node))),
            out,
        ), out[-4000:]
    stores = [p for node in others for p in host_stores(node)]
    listed = reader.read(stores, nodes[0]["store_password"])
    assert all(wanted <= set(listed[p].values()) for p in stores)
    recaps = play(inventory, **source)  # the node repaired, a rerun converges
    assert recaps[broken["name"]] >= 1 and all(recaps[node["name"]] == 0 for node in others), recaps
