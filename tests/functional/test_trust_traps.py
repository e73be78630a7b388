"""The traps of issue 12: which JVM of which node reads which truststore.

On a real cluster every data node runs two JVMs that must trust the PostgreSQL server: the
adapter (CREATE / ALTER ... REFRESH|SET VIRTUAL SCHEMA; a Java UDF in the script-language
container, its JDK store or the %jvmoption store) and ExaLoader (every SELECT on a virtual table is
an IMPORT FROM JDBC; the node's own store, never %jvmoption). Any node may run either, so the lab
emulator checks every node's store. One test per trap:

- the CA only in the central (loader) stores: CREATE and REFRESH fail (E-VSPG-3, PKIX);
- the CA only in the script-language container stores: SELECT fails (ETL-5402, PKIX);
- one node's store without it: fails, naming that node and that store;
- the bucketfs trust mode alone (%jvmoption store in BucketFS, no node store): SELECT fails;
- that node's store given back: green again.

Each builds its own objects (TRAP_* names, BucketFS `trust-traps/`), and every node store file is
given back byte for byte (tests/conftest.py node_stores).
"""

import os
import subprocess

import pyexasol
import pytest

from lab_helpers import bucketfs_request as bucketfs
from lab_helpers import bucketfs_wait_synced, node_stores

JDBC_JAR = os.environ.get("LAB_PG_JDBC_JAR", "/usr/share/java/postgresql.jar")
BFS_DIR = "trust-traps"
DRIVER_DIR = "drivers/jdbc/trust-traps"


def connect(lab):
    e = lab["exasol"]
    return pyexasol.connect(
        dsn="%s/%s:%d" % (e["host"], e["fingerprint"], e["port"]),
        user=e["user"],
        password=e["password"],
        socket_timeout=120,
    )


def error_of(conn, statement):
    with pytest.raises(pyexasol.ExaQueryError) as caught:
        conn.execute(statement)
    return caught.value


@pytest.fixture(scope="module")
def traps(lab, tmp_path_factory):
    for section in ("exasol", "bucketfs", "postgres", "ca", "nodes"):
        if not lab.get(section):
            pytest.skip("lab.json has no %s section" % section)
    if tuple(int(p) for p in lab["exasol"]["version"].split(".")[:2]) < (7, 1):
        pytest.skip("the traps use a BucketFS-registered driver (Exasol 7.1 and later)")
    tmp = tmp_path_factory.mktemp("traps")
    with open(JDBC_JAR, "rb") as handle:
        driver = handle.read()
    store = str(tmp / "bucketfs-trust.jks")
    subprocess.run(
        [
            "keytool",
            "-importcert",
            "-noprompt",
            "-alias",
            "lab",
            "-file",
            lab["ca"]["root_pem"],
            "-keystore",
            store,
            "-storetype",
            "JKS",
            "-storepass:env",
            "STOREPASS",
        ],
        check=True,
        capture_output=True,
        env=dict(os.environ, STOREPASS="changeit"),
    )
    with open(store, "rb") as handle:
        jks = handle.read()
    paths = {
        "driver": bucketfs(lab, "PUT", BFS_DIR + "/postgresql.jar", driver),
        "adapter": bucketfs(
            lab,
            "PUT",
            BFS_DIR + "/virtual-schema-dist-12.0.0-postgresql-3.1.1.jar",
            b"placeholder: the emulator runs the adapter logic",
        ),
        "store": bucketfs(lab, "PUT", BFS_DIR + "/rds-ca.jks", jks),
    }
    bucketfs(lab, "PUT", DRIVER_DIR + "/postgresql.jar", driver)
    bucketfs(
        lab,
        "PUT",
        DRIVER_DIR + "/settings.cfg",
        b"DRIVERNAME=POSTGRESQL_TRAPS\nJAR=postgresql.jar\nDRIVERMAIN=org.postgresql.Driver\n"
        b"PREFIX=jdbc:postgresql:\nNOSECURITY=YES\nFETCHSIZE=100000\nINSERTSIZE=-1\n",
    )
    bucketfs_wait_synced(lab["bucketfs"])
    pg = lab["postgres"]
    url = "jdbc:postgresql://%s:%d/%s?ssl=true&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory" % (
        pg["host"],
        pg["port"],
        pg["database"],
    )
    script = (
        "CREATE OR REPLACE JAVA ADAPTER SCRIPT TRAP_ADAPTER.%s AS\n"
        "  %%scriptclass com.exasol.adapter.RequestDispatcher;\n  %%jar %s;\n  %%jar %s;\n%s/\n"
    )
    with connect(lab) as conn:
        conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS TRAP_VS CASCADE")
        conn.execute("CREATE SCHEMA IF NOT EXISTS TRAP_ADAPTER")
        conn.execute(
            "CREATE OR REPLACE CONNECTION TRAP_PG TO '%s' USER '%s' IDENTIFIED BY '%s'"
            % (url, pg["user"], pg["password"].replace("'", "''"))
        )
        conn.execute(script % ("NODES", paths["adapter"], paths["driver"], ""))
        conn.execute(
            script
            % (
                "BUCKETFS",
                paths["adapter"],
                paths["driver"],
                "  %%jvmoption -Djavax.net.ssl.trustStore=%s;\n" % paths["store"],
            )
        )
    yield {"lab": lab, "tmp": tmp}
    with connect(lab) as conn:
        conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS TRAP_VS CASCADE")
        conn.execute("DROP SCHEMA IF EXISTS TRAP_ADAPTER CASCADE")
        conn.execute("DROP CONNECTION IF EXISTS TRAP_PG")
    for path in (
        DRIVER_DIR + "/settings.cfg",
        DRIVER_DIR + "/postgresql.jar",
        BFS_DIR + "/postgresql.jar",
        BFS_DIR + "/virtual-schema-dist-12.0.0-postgresql-3.1.1.jar",
        BFS_DIR + "/rds-ca.jks",
    ):
        bucketfs(lab, "DELETE", path)
    bucketfs_wait_synced(lab["bucketfs"])


CREATE = (
    "CREATE VIRTUAL SCHEMA TRAP_VS USING TRAP_ADAPTER.%s WITH CONNECTION_NAME = 'TRAP_PG' "
    "SCHEMA_NAME = 'public' TABLE_FILTER = 'customers'"
)
SELECT = "SELECT * FROM TRAP_VS.CUSTOMERS"


def fresh(conn):
    conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS TRAP_VS CASCADE")


def last_node(lab):
    """Not node 1: a lab that only looked at node 1 must not pass."""
    return lab["nodes"][-1]


def assert_adapter_pkix(error, *names):
    assert error.code == "22002", error
    assert "E-VSPG-3" in error.message and "PKIX path building failed" in error.message, error.message
    for name in names:
        assert name in error.message, error.message


def assert_loader_pkix(error, *names):
    assert error.code == "42636", error
    assert "ETL-5402" in error.message and "JDBC-Client-Error" in error.message, error.message
    assert "PKIX path building failed" in error.message, error.message
    for name in names:
        assert name in error.message, error.message


def test_ca_only_in_central_stores_fails_create_and_refresh(traps):
    lab, tmp = traps["lab"], traps["tmp"]
    with connect(lab) as conn:
        fresh(conn)
        with node_stores(lab, tmp, loader=True, adapter=False):
            error = error_of(conn, CREATE % "NODES")
        assert_adapter_pkix(error, *["%s adapter JVM" % n["name"] for n in lab["nodes"]])
        with node_stores(lab, tmp, loader=True, adapter=True):
            conn.execute(CREATE % "NODES")
        with node_stores(lab, tmp, loader=True, adapter=False):
            error = error_of(conn, "ALTER VIRTUAL SCHEMA TRAP_VS REFRESH")
            assert_adapter_pkix(error, "adapter JVM")
            error = error_of(conn, "ALTER VIRTUAL SCHEMA TRAP_VS SET TABLE_FILTER = 'customers,orders'")
            assert_adapter_pkix(error, "adapter JVM")
        fresh(conn)


def test_ca_only_in_slc_stores_fails_select(traps):
    lab, tmp = traps["lab"], traps["tmp"]
    with connect(lab) as conn, node_stores(lab, tmp, loader=False, adapter=True):
        fresh(conn)
        conn.execute(CREATE % "NODES")
        error = error_of(conn, SELECT)
        assert_loader_pkix(error, *["%s ExaLoader" % n["name"] for n in lab["nodes"]])
        fresh(conn)


def test_one_node_missing_fails_naming_that_node(traps):
    lab, tmp = traps["lab"], traps["tmp"]
    node = last_node(lab)
    others = [n["name"] for n in lab["nodes"] if n["name"] != node["name"]]
    with connect(lab) as conn:
        fresh(conn)
        with node_stores(lab, tmp, missing=[(node["name"], "adapter")]):
            error = error_of(conn, CREATE % "NODES")
        assert_adapter_pkix(
            error, "%s adapter JVM (script-language container) %s" % (node["name"], node["adapter_truststores"][0])
        )
        assert not any("%s adapter JVM" % name in error.message for name in others), error.message
        with node_stores(lab, tmp, missing=[(node["name"], "loader")]):
            conn.execute(CREATE % "NODES")
            error = error_of(conn, SELECT)
        assert_loader_pkix(error, "%s ExaLoader %s" % (node["name"], node["loader_truststore"]))
        assert not any("%s ExaLoader" % name in error.message for name in others), error.message
        fresh(conn)


def test_bucketfs_trust_alone_fails_select(traps):
    """%jvmoption names a BucketFS store: the adapter is fine, ExaLoader never reads that store."""
    lab, tmp = traps["lab"], traps["tmp"]
    with connect(lab) as conn, node_stores(lab, tmp, loader=False, adapter=False):
        fresh(conn)
        conn.execute(CREATE % "BUCKETFS")
        conn.execute("ALTER VIRTUAL SCHEMA TRAP_VS REFRESH")
        error = error_of(conn, SELECT)
        assert_loader_pkix(error, "ExaLoader")
        assert "rds-ca.jks" not in error.message  # the loader names its own store, not the adapter's
        fresh(conn)


def test_node_store_restored_is_green_again(traps):
    lab, tmp = traps["lab"], traps["tmp"]
    node = last_node(lab)
    with connect(lab) as conn:
        fresh(conn)
        with node_stores(lab, tmp, missing=[(node["name"], "loader")]):
            conn.execute(CREATE % "NODES")
            assert_loader_pkix(error_of(conn, SELECT), node["name"])
        with node_stores(lab, tmp):  # the same store with the CA again
            conn.execute("ALTER VIRTUAL SCHEMA TRAP_VS REFRESH")
            rows = conn.execute(SELECT).fetchall()
        assert rows, "no rows through the virtual table"
        fresh(conn)


def test_lab_json_names_each_nodes_stores_as_node_paths(lab):
    """loader_truststore and adapter_truststores are paths as the node itself sees them (over SSH)."""
    import hashlib

    for node in lab["nodes"]:
        paths = [node["loader_truststore"]] + node["adapter_truststores"]
        done = subprocess.run(
            [
                "ssh",
                "-i",
                node["ssh_key"],
                "-p",
                str(node["port"]),
                "-o",
                "BatchMode=yes",
                "-o",
                "UserKnownHostsFile=%s" % node["known_hosts"],
                "-o",
                "StrictHostKeyChecking=yes",
                "%s@%s" % (node["user"], node["address"]),
                "sha256sum " + " ".join(paths),
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, (node["name"], done.stderr)
        seen = [line.split()[0] for line in done.stdout.splitlines()]
        with open(os.path.join(node["root"], node["loader_truststore"].lstrip("/")), "rb") as handle:
            assert seen[0] == hashlib.sha256(handle.read()).hexdigest(), node["name"]
        assert len(seen) == len(paths)
