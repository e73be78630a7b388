"""Proof of the Exasol database emulator with clients nobody here wrote, against the running lab:

- pyexasol 3.x, the one in .venv (requirements-dev.txt: pyexasol>=1.0,<4);
- pyexasol 2.x, version range ``pyexasol>=2.4,<3`` (PYEXASOL2_REQUIREMENT), in its own virtualenv
  .venv-pyexasol2 that the fixture pyexasol2_python creates at test time when it is missing or
  does not hold a version in that range (needs PyPI once; reused as is afterwards).

The virtual schema tests read real rows from the lab PostgreSQL (schema exasol_emulator_test,
created here) through the PostgreSQL JDBC driver the tests put into the lab BucketFS.
"""

import base64
import concurrent.futures
import fcntl
import hashlib
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import pyexasol
import pytest

from lab_helpers import bucketfs_wait_synced, node_stores

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB_DIR = os.path.join(ROOT, "tests", "lab")
VENV2 = os.path.join(ROOT, ".venv-pyexasol2")
PG_SCHEMA = "exasol_emulator_test"
BFS_DIR = "exasol-emulator-test"
JDBC_JAR = os.environ.get("LAB_PG_JDBC_JAR", "/usr/share/java/postgresql.jar")
ROWS = 1500


# helpers ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def exa(lab):
    if "exasol" not in lab:
        pytest.fail("lab.json has no exasol section: is tests/lab/components/exasol_db.py up?")
    return lab["exasol"]


def dsn(exa, fingerprint=True):
    if fingerprint is True:
        fingerprint = exa["fingerprint"]
    if fingerprint:
        return "%s/%s:%d" % (exa["host"], fingerprint, exa["port"])
    return "%s:%d" % (exa["host"], exa["port"])


def connect(exa, **options):
    options.setdefault("dsn", dsn(exa))
    options.setdefault("user", exa["user"])
    options.setdefault("password", exa["password"])
    options.setdefault("socket_timeout", 120)
    if not downgrades(exa):  # releases before 6.1.9 refuse a too-high protocol version
        options.setdefault("protocol_version", highest_protocol(exa))
    return pyexasol.connect(**options)


def highest_protocol(exa):
    return 1 if release(exa) < (7, 0) else 2 if release(exa) < (7, 1) else 3


def downgrades(exa):
    return release(exa) >= (6, 2, 5) or (6, 1, 9) <= release(exa) < (6, 2)


def release(exa):
    return tuple(int(p) for p in exa["version"].split("."))


def rows(conn, query):
    return conn.execute(query).fetchall()


def fails(conn, query):
    with pytest.raises(pyexasol.ExaQueryError) as info:
        conn.execute(query)
    return info.value


# BucketFS and PostgreSQL set-up ------------------------------------------------------------
def bucket_file(lab, path):
    host_dir = lab["bucketfs"]["host_dir"]
    if not os.path.isabs(host_dir):
        host_dir = os.path.join(ROOT, host_dir)
    return os.path.join(
        host_dir, lab["bucketfs"].get("service", "bfsdefault"), ".dest", lab["bucketfs"].get("bucket", "default"), path
    )


UPLOADED = []


def remove_uploads(lab):
    """DELETE what the tests put into BucketFS (files under BFS_DIR, the test driver)."""
    bfs = lab["bucketfs"]
    while UPLOADED:
        path = UPLOADED.pop()
        if bfs.get("http_url"):
            url = "%s/%s/%s" % (bfs["http_url"].rstrip("/"), bfs.get("bucket", "default"), path)
            request = urllib.request.Request(url, method="DELETE")
            request.add_header(
                "Authorization", "Basic " + base64.b64encode(("w:%s" % bfs["write_password"]).encode()).decode()
            )
            try:
                urllib.request.urlopen(request, timeout=30).close()
            except OSError:
                pass
        elif os.path.isfile(bucket_file(lab, path)):
            os.unlink(bucket_file(lab, path))
    if bfs.get("http_url"):
        bucketfs_wait_synced(bfs)  # the next test (or Molecule) must not meet our deletes still queued


def upload(lab, path, data):
    """PUT into the lab BucketFS (as a user would), then wait until the file is published."""
    bfs = lab["bucketfs"]
    target = bucket_file(lab, path)
    UPLOADED.append(path)
    if bfs.get("http_url"):
        url = "%s/%s/%s" % (bfs["http_url"].rstrip("/"), bfs.get("bucket", "default"), path)
        request = urllib.request.Request(url, data=data, method="PUT")
        token = ("w:%s" % bfs["write_password"]).encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(token).decode())
        with urllib.request.urlopen(request, timeout=30) as reply:
            assert reply.status == 200
        bucketfs_wait_synced(bfs)  # a queued delete of the same path cannot remove it after the check below
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.isfile(target) and os.path.getsize(target) == len(data):
                return "/buckets/%s/%s/%s" % (bfs.get("service", "bfsdefault"), bfs.get("bucket", "default"), path)
            time.sleep(0.1)
        pytest.fail("BucketFS did not publish %s within 30s" % path)
    os.makedirs(os.path.dirname(target), exist_ok=True)  # lab without the BucketFS service
    with open(target, "wb") as handle:
        handle.write(data)
    return "/buckets/%s/%s/%s" % (bfs.get("service", "bfsdefault"), bfs.get("bucket", "default"), path)


@pytest.fixture(scope="module")
def pg(lab):
    import psycopg2

    info = lab["postgres"]
    host = info["host"] if info.get("hosts_file_mapped", True) else info.get("address", info["host"])
    conn = psycopg2.connect(
        host=host,
        port=info["port"],
        dbname=info["database"],
        user=info["user"],
        password=info["password"],
        sslmode="verify-full",
        sslrootcert=info["ca_file"],
        connect_timeout=10,
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS %s CASCADE" % PG_SCHEMA)
        cur.execute("CREATE SCHEMA %s" % PG_SCHEMA)
        cur.execute(
            "CREATE TABLE %s.items (id int4 PRIMARY KEY, name varchar(40), note text, "
            "ok bool, price float8, created timestamp, big int8, small int2)" % PG_SCHEMA
        )
        cur.execute(
            "INSERT INTO %s.items SELECT g, 'item ' || g, CASE WHEN g %% 3 = 0 THEN NULL "
            "ELSE 'it''s ' || g END, g %% 2 = 0, g * 1.5, TIMESTAMP '2024-05-01 12:00:00' "
            "+ g * INTERVAL '1 second', g * 10000000000, g %% 100 FROM "
            "generate_series(1, %d) g" % (PG_SCHEMA, ROWS)
        )
        cur.execute('CREATE TABLE %s."MixedCase" (a int4)' % PG_SCHEMA)
        cur.execute("CREATE TABLE %s.other (x text)" % PG_SCHEMA)
    conn.close()
    return dict(info, jdbc_host=host)


def keytool_store(pem_file, directory):
    store = os.path.join(directory, "truststore.jks")
    subprocess.run(
        [
            "keytool",
            "-importcert",
            "-noprompt",
            "-alias",
            "lab",
            "-file",
            pem_file,
            "-keystore",
            store,
            "-storetype",
            "JKS",
            "-storepass",
            "changeit",
        ],
        check=True,
        capture_output=True,
    )
    with open(store, "rb") as handle:
        return handle.read()


def register_in_exaoperation(lab, jar):
    import urllib.parse
    import xmlrpc.client

    if "exaoperation" not in lab:
        pytest.skip(
            "Exasol %s needs EXAoperation for the JDBC driver; lab.json has no "
            "exaoperation section" % lab["exasol"]["version"]
        )
    exo = lab["exaoperation"]
    url = exo["url"].replace(
        "https://",
        "https://%s:%s@" % (urllib.parse.quote(exo["user"], safe=""), urllib.parse.quote(exo["password"], safe="")),
    )
    context = ssl.create_default_context(cafile=exo["ca_file"])
    cluster = xmlrpc.client.ServerProxy(url, context=context)
    for name in cluster.getAllJDBCDrivers():
        name = name[0] if isinstance(name, (list, tuple)) else name
        props = xmlrpc.client.ServerProxy("%s/%s" % (url, name), context=context).getProperties()
        if props.get("jdbc_name") == "EMU_PG_TEST":
            cluster.deleteSubObject(name)
    name = cluster.addJDBCDriver(
        {"jdbc_main": "org.postgresql.Driver", "jdbc_name": "EMU_PG_TEST", "jdbc_prefix": "jdbc:postgresql:"}
    )
    xmlrpc.client.ServerProxy("%s/%s" % (url, name), context=context).uploadFile(
        xmlrpc.client.Binary(jar), "postgresql.jar"
    )
    return lambda: cluster.deleteSubObject(name)


def create_pg_connection(name, pg):
    """CREATE OR REPLACE CONNECTION to the lab PostgreSQL, TLS verified by the JVM's truststore."""
    url = "jdbc:postgresql://%s:%d/%s?ssl=true&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory" % (
        pg["jdbc_host"],
        pg["port"],
        pg["database"],
    )
    return "CREATE OR REPLACE CONNECTION %s TO '%s' USER '%s' IDENTIFIED BY '%s'" % (
        name,
        url,
        pg["user"],
        pg["password"].replace("'", "''"),
    )


def adapter_script(name, paths, truststore=None):
    """CREATE OR REPLACE JAVA ADAPTER SCRIPT with the uploaded adapter and driver jars."""
    option = (
        ("  %%jvmoption -Djavax.net.ssl.trustStore=%s -Djavax.net.ssl.trustStorePassword=changeit;\n" % truststore)
        if truststore
        else ""
    )
    return (
        "CREATE OR REPLACE JAVA ADAPTER SCRIPT %s AS\n"
        "  %%scriptclass com.exasol.adapter.RequestDispatcher;\n"
        "  %%jar %s;\n  %%jar %s;\n%s/\n" % (name, paths["adapter"], paths["driver"], option)
    )


@pytest.fixture(scope="module")
def vs_setup(lab, exa, pg, tmp_path_factory):
    """Jars, truststores and a registered driver in BucketFS; connection + adapter scripts.

    For the module, every node's ExaLoader store trusts the lab CA (a SELECT on a virtual table
    needs it on every node) and no script-language container store does (so the adapter's trust
    comes from the %jvmoption store only); the node stores are given back afterwards.
    """
    if "bucketfs" not in lab:
        pytest.skip("lab.json has no bucketfs section (BucketFS component not up)")
    if not lab.get("nodes"):
        pytest.skip("lab.json has no nodes: no node's JVM could trust anything")
    with node_stores(lab, tmp_path_factory.mktemp("node-stores"), loader=True, adapter=False):
        yield from _vs_setup(lab, exa, pg)


def _vs_setup(lab, exa, pg):
    with open(JDBC_JAR, "rb") as handle:
        driver = handle.read()
    with tempfile.TemporaryDirectory() as tmp:
        trusted = keytool_store(pg["ca_file"], tmp)
        other_ca = os.path.join(tmp, "other.pem")
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                os.path.join(tmp, "k"),
                "-out",
                other_ca,
                "-days",
                "2",
                "-subj",
                "/CN=unrelated CA",
            ],
            check=True,
            capture_output=True,
        )
        os.unlink(os.path.join(tmp, "truststore.jks"))
        untrusted = keytool_store(other_ca, tmp)
    paths = {
        "driver": upload(lab, BFS_DIR + "/postgresql.jar", driver),
        "adapter": upload(
            lab,
            BFS_DIR + "/virtual-schema-dist-12.0.0-postgresql-3.1.1.jar",
            b"placeholder: the emulator runs the adapter's logic itself",
        ),
        "trusted": upload(lab, BFS_DIR + "/trusted.jks", trusted),
        "untrusted": upload(lab, BFS_DIR + "/untrusted.jks", untrusted),
    }
    if release(exa) >= (7, 1):  # ExaLoader's driver: BucketFS drivers/jdbc + settings.cfg
        upload(lab, "drivers/jdbc/exasol-emulator-test/postgresql.jar", driver)
        upload(
            lab,
            "drivers/jdbc/exasol-emulator-test/settings.cfg",
            b"DRIVERNAME=POSTGRES_EMULATOR_TEST\nJAR=postgresql.jar\nDRIVERMAIN=org.postgresql.Driver\n"
            b"PREFIX=jdbc:postgresql:\nNOSECURITY=YES\nFETCHSIZE=100000\nINSERTSIZE=-1\n",
        )
        unregister = None
    else:  # up to 7.0: registered in EXAoperation
        unregister = register_in_exaoperation(lab, driver)
    with connect(exa) as conn:
        conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS EMU_VS CASCADE")
        conn.execute("CREATE SCHEMA IF NOT EXISTS EMU_ADAPTER")
        conn.execute(create_pg_connection("EMU_PG", pg))
        conn.execute(adapter_script("EMU_ADAPTER.TRUSTING", paths, paths["trusted"]))
        conn.execute(adapter_script("EMU_ADAPTER.UNTRUSTING", paths, paths["untrusted"]))
        conn.execute(adapter_script("EMU_ADAPTER.NODE_TRUST", paths))
        conn.execute(
            adapter_script(
                "EMU_ADAPTER.MISSING_JAR", dict(paths, driver=paths["driver"].replace("postgresql.jar", "nope.jar"))
            )
        )
    yield dict(paths, pg=pg)
    with connect(exa) as conn:
        conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS EMU_VS CASCADE")
        conn.execute("DROP SCHEMA IF EXISTS EMU_ADAPTER CASCADE")
        conn.execute("DROP CONNECTION IF EXISTS EMU_PG")
    remove_uploads(lab)
    if unregister:
        unregister()


# connection and TLS --------------------------------------------------------------------------
def test_fingerprint_login_reports_the_emulated_release(exa):
    with connect(exa) as conn:
        assert conn.login_info["releaseVersion"] == exa["version"]
        assert conn.protocol_version() == highest_protocol(exa)
        assert rows(conn, "SELECT PARAM_VALUE FROM SYS.EXA_METADATA WHERE PARAM_NAME = 'databaseProductVersion'") == [
            (exa["version"],)
        ]
        assert conn.attr["autocommit"] is True  # pyexasol asks for it at login


def test_ca_file_verifies_the_server(exa):
    with connect(
        exa,
        dsn=dsn(exa, fingerprint=False),
        websocket_sslopt={"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": exa["ca_file"]},
    ) as conn:
        assert rows(conn, "SELECT PARAM_VALUE FROM EXA_METADATA WHERE PARAM_NAME = 'databaseMajorVersion'") == [
            (exa["version"].split(".")[0],)
        ]


def test_unverified_certificate_is_refused(exa):
    with pytest.raises(pyexasol.ExaConnectionFailedError) as info:
        connect(exa, dsn=dsn(exa, fingerprint=False), websocket_sslopt={"cert_reqs": ssl.CERT_REQUIRED})
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)


def test_wrong_fingerprint_is_refused(exa):
    wrong = "0" * 64
    with pytest.raises(pyexasol.ExaConnectionFailedError) as info:
        connect(exa, dsn=dsn(exa, fingerprint=wrong))
    assert "did not match" in str(info.value)


def test_self_signed_certificate_is_trusted_by_its_fingerprint_only(exa):
    """The same database behind a self-signed certificate, as a fresh Exasol installation serves."""
    if "self_signed_port" not in exa:
        pytest.fail("lab.json exasol has no self_signed_port: is the lab's exasol_db component current?")
    self_signed = dict(exa, port=exa["self_signed_port"], fingerprint=exa["self_signed_fingerprint"])
    assert self_signed["fingerprint"] != exa["fingerprint"]
    with connect(self_signed) as conn:
        assert conn.login_info["releaseVersion"] == exa["version"]
    with pytest.raises(pyexasol.ExaConnectionFailedError) as info:  # no CA vouches for it
        connect(
            self_signed,
            dsn=dsn(self_signed, fingerprint=False),
            websocket_sslopt={"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": exa["ca_file"]},
        )
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    with pytest.raises(pyexasol.ExaConnectionFailedError) as info:  # nor the other certificate's pin
        connect(self_signed, dsn=dsn(self_signed, fingerprint=exa["fingerprint"]))
    assert "did not match" in str(info.value)


def test_wrong_password_is_08004(exa):
    with pytest.raises(pyexasol.ExaAuthError) as info:
        connect(exa, password=exa["password"] + "x")
    assert info.value.code == "08004"
    assert "authentication failed" in info.value.message


@pytest.mark.parametrize("requested", [1, 2, 3])
def test_protocol_versions(exa, requested):
    highest = highest_protocol(exa)
    if requested > highest and not downgrades(exa):
        with pytest.raises(pyexasol.ExaRequestError) as info:
            connect(exa, protocol_version=requested)
        assert info.value.code == "08004"
        return
    with connect(exa, protocol_version=requested) as conn:
        assert conn.protocol_version() == min(requested, highest)
        conn.set_autocommit(False)
        assert conn.attr["autocommit"] is False


def test_compression(exa):
    with connect(exa, compression=True) as conn:
        assert conn.attr["compressionEnabled"] is True
        assert rows(conn, "SELECT PARAM_VALUE FROM EXA_METADATA WHERE PARAM_NAME = 'databaseProductVersion'") == [
            (exa["version"],)
        ]


# SQL surface ---------------------------------------------------------------------------------
def test_connections_schemas_scripts(exa):
    with connect(exa) as conn:
        conn.execute("DROP SCHEMA IF EXISTS EMU_S1 CASCADE")
        conn.execute("DROP CONNECTION IF EXISTS emu_c1")
        conn.execute('DROP CONNECTION IF EXISTS "emu_quoted"')
        conn.execute(
            "CREATE CONNECTION emu_c1 TO 'jdbc:postgresql://h:5432/d' USER 'master' IDENTIFIED BY 'it''s secret'"
        )
        conn.execute("CREATE CONNECTION \"emu_quoted\" TO 'ftp://x'")
        assert rows(
            conn,
            "SELECT CONNECTION_NAME, CONNECTION_STRING, USER_NAME FROM "
            "EXA_DBA_CONNECTIONS WHERE CONNECTION_NAME IN ('EMU_C1', 'emu_quoted') "
            "ORDER BY CONNECTION_NAME",
        ) == [("EMU_C1", "jdbc:postgresql://h:5432/d", "master"), ("emu_quoted", "ftp://x", None)]
        assert fails(conn, "CREATE CONNECTION emu_c1 TO 'y'").code == "42500"
        conn.execute("CREATE OR REPLACE CONNECTION emu_c1 TO 'z'")
        assert rows(
            conn, "SELECT CONNECTION_STRING FROM EXA_DBA_CONNECTIONS WHERE upper(CONNECTION_NAME) = 'EMU_C1'"
        ) == [("z",)]
        conn.execute("DROP CONNECTION emu_c1")
        conn.execute('DROP CONNECTION "emu_quoted"')
        assert fails(conn, "DROP CONNECTION emu_c1").code == "42000"
        conn.execute("DROP CONNECTION IF EXISTS emu_c1")

        conn.execute("CREATE SCHEMA emu_s1")
        assert conn.current_schema() == "EMU_S1"
        body = "\n  %scriptclass com.exasol.adapter.RequestDispatcher;\n  %jar /buckets/bfsdefault/default/jars/a.jar;"
        conn.execute("CREATE JAVA ADAPTER SCRIPT emu_s1.jdbc_adapter AS" + body + "\n/\n")
        assert fails(conn, "CREATE JAVA ADAPTER SCRIPT emu_s1.jdbc_adapter AS" + body + "\n/").code == "42500"
        conn.execute("CREATE OR REPLACE JAVA ADAPTER SCRIPT jdbc_adapter AS" + body + "\n/\n")
        assert rows(
            conn,
            "SELECT SCRIPT_SCHEMA, SCRIPT_NAME, SCRIPT_TYPE, SCRIPT_LANGUAGE, "
            "SCRIPT_TEXT FROM EXA_ALL_SCRIPTS WHERE SCRIPT_SCHEMA = 'EMU_S1' AND "
            "SCRIPT_TYPE = 'ADAPTER'",
        ) == [("EMU_S1", "JDBC_ADAPTER", "ADAPTER", "JAVA", 'CREATE JAVA ADAPTER SCRIPT "JDBC_ADAPTER" AS' + body)]
        assert rows(conn, "SELECT SCHEMA_NAME FROM EXA_ALL_SCHEMAS WHERE SCHEMA_NAME LIKE 'EMU\\_S%' ESCAPE '\\'") == [
            ("EMU_S1",)
        ]
        conn.open_schema("emu_s1")
        assert conn.current_schema() == "EMU_S1"
        assert fails(conn, "DROP SCHEMA emu_s1").code == "42000"  # not empty, no CASCADE
        conn.execute("DROP ADAPTER SCRIPT emu_s1.jdbc_adapter")
        conn.execute("DROP ADAPTER SCRIPT IF EXISTS emu_s1.jdbc_adapter")
        assert fails(conn, "DROP ADAPTER SCRIPT emu_s1.jdbc_adapter").code == "42000"
        conn.execute("DROP SCHEMA emu_s1")
        conn.execute("DROP SCHEMA IF EXISTS emu_s1")
        assert rows(conn, "SELECT COUNT(*) FROM EXA_ALL_SCHEMAS WHERE SCHEMA_NAME = 'EMU_S1'") == [(0,)]


def test_transactions(exa):
    count = "SELECT COUNT(*) FROM EXA_DBA_CONNECTIONS WHERE CONNECTION_NAME = 'EMU_TX'"
    with connect(exa) as observer, connect(exa, autocommit=False) as conn:
        observer.execute("DROP CONNECTION IF EXISTS EMU_TX")
        conn.execute("CREATE CONNECTION EMU_TX TO 'one'")
        assert rows(conn, count) == [(1,)] and rows(observer, count) == [(0,)]
        conn.rollback()
        assert rows(conn, count) == [(0,)]
        conn.execute("CREATE CONNECTION EMU_TX TO 'one'")
        conn.execute("ALTER CONNECTION EMU_TX TO 'two' USER 'u' IDENTIFIED BY 'p'")
        conn.commit()
        assert rows(
            observer, "SELECT CONNECTION_STRING, USER_NAME FROM EXA_DBA_CONNECTIONS WHERE CONNECTION_NAME = 'EMU_TX'"
        ) == [("two", "u")]
        conn.execute("DROP CONNECTION EMU_TX")
        conn.commit()
        assert rows(observer, count) == [(0,)]


@pytest.mark.parametrize(
    "statement,code",
    [
        ("SELEC * FROM EXA_METADATA", "42000"),
        ("CREATE CONNECTION x TO", "42000"),
        ("SELECT NOPE FROM EXA_METADATA", "42000"),
        ("SELECT * FROM SYS.EXA_NO_SUCH_TABLE", "42000"),
        ("OPEN SCHEMA emu_no_such_schema", "42000"),
        ("DROP VIRTUAL SCHEMA emu_no_such_vs", "42000"),
        ("CREATE TABLE t (a INT)", "0A000"),
        ("INSERT INTO t VALUES (1)", "0A000"),
        ("SELECT a FROM EXA_METADATA JOIN EXA_ALL_SCRIPTS ON 1 = 1", "0A000"),
        ("CREATE PYTHON3 SCALAR SCRIPT s.f() RETURNS INT AS\nreturn 1\n/", "0A000"),
    ],
)
def test_errors_have_exasol_sql_codes(exa, statement, code):
    with connect(exa) as conn:
        assert fails(conn, statement).code == code


# virtual schemas -----------------------------------------------------------------------------
def create_vs(conn, adapter, extra=""):
    conn.execute(
        "CREATE VIRTUAL SCHEMA EMU_VS USING EMU_ADAPTER.%s WITH CONNECTION_NAME = "
        "'EMU_PG' SCHEMA_NAME = '%s' %s" % (adapter, PG_SCHEMA, extra)
    )


def test_virtual_schema_end_to_end(exa, vs_setup):
    with connect(exa) as conn:
        conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS EMU_VS CASCADE")
        error = fails(
            conn,
            "CREATE VIRTUAL SCHEMA EMU_VS USING EMU_ADAPTER.TRUSTING WITH "
            "CONNECTION_NAME = 'EMU_PG' SCHEMA_NAME = '%s'" % PG_SCHEMA,
        )
        assert error.code == "22002" and "E-VSPG-6" in error.message  # "MixedCase" needs a switch
        create_vs(
            conn,
            "TRUSTING",
            "IGNORE_ERRORS = 'POSTGRESQL_UPPERCASE_TABLES' EXCLUDED_CAPABILITIES = 'LIMIT' LOG_LEVEL = 'INFO'",
        )
        conn.execute("CREATE VIRTUAL SCHEMA IF NOT EXISTS EMU_VS USING EMU_ADAPTER.TRUSTING")
        assert rows(
            conn, "SELECT TABLE_NAME FROM EXA_ALL_VIRTUAL_TABLES WHERE TABLE_SCHEMA = 'EMU_VS' ORDER BY TABLE_NAME"
        ) == [("ITEMS",), ("OTHER",)]
        assert rows(
            conn,
            "SELECT COLUMN_NAME, COLUMN_TYPE FROM EXA_ALL_COLUMNS WHERE "
            "COLUMN_SCHEMA = 'EMU_VS' AND COLUMN_TABLE = 'ITEMS' ORDER BY "
            "COLUMN_ORDINAL_POSITION",
        ) == [
            ("ID", "DECIMAL(10,0)"),
            ("NAME", "VARCHAR(40) UTF8"),
            ("NOTE", "VARCHAR(2000000) UTF8"),
            ("OK", "BOOLEAN"),
            ("PRICE", "DOUBLE"),
            ("CREATED", "TIMESTAMP"),
            ("BIG", "DECIMAL(19,0)"),
            ("SMALL", "DECIMAL(5,0)"),
        ]
        assert rows(conn, "SELECT COUNT(*) FROM EXA_ALL_VIRTUAL_COLUMNS WHERE COLUMN_SCHEMA = 'EMU_VS'") == [(9,)]
        props = dict(
            rows(
                conn,
                "SELECT PROPERTY_NAME, PROPERTY_VALUE FROM "
                "EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES WHERE SCHEMA_NAME = 'EMU_VS'",
            )
        )
        assert props == {
            "CONNECTION_NAME": "EMU_PG",
            "SCHEMA_NAME": PG_SCHEMA,
            "IGNORE_ERRORS": "POSTGRESQL_UPPERCASE_TABLES",
            "EXCLUDED_CAPABILITIES": "LIMIT",
            "LOG_LEVEL": "INFO",
        }
        vs = conn.execute("SELECT * FROM EXA_ALL_VIRTUAL_SCHEMAS WHERE SCHEMA_NAME = 'EMU_VS'")
        record = dict(zip(vs.column_names(), vs.fetchone()))
        if release(exa) >= (8,):
            assert (record["ADAPTER_SCRIPT_SCHEMA"], record["ADAPTER_SCRIPT_NAME"]) == ("EMU_ADAPTER", "TRUSTING")
        else:
            assert record["ADAPTER_SCRIPT"] == "EMU_ADAPTER.TRUSTING"

        assert rows(
            conn, "SELECT id, name, note, ok, price, created, big FROM EMU_VS.items WHERE id IN (2, 3) ORDER BY id"
        ) == [
            (2, "item 2", "it's 2", True, 3.0, "2024-05-01 12:00:02.000000", 20000000000),
            (3, "item 3", None, False, 4.5, "2024-05-01 12:00:03.000000", 30000000000),
        ]
        assert rows(conn, "SELECT COUNT(*) FROM EMU_VS.ITEMS WHERE note IS NULL") == [(ROWS // 3,)]
        assert len(rows(conn, "SELECT * FROM EMU_VS.items LIMIT 7")) == 7
        assert fails(conn, 'SELECT * FROM EMU_VS."MixedCase"').code == "42000"

        conn.execute("ALTER VIRTUAL SCHEMA EMU_VS SET TABLE_FILTER = 'other'")
        assert rows(conn, "SELECT TABLE_NAME FROM EXA_ALL_VIRTUAL_TABLES WHERE TABLE_SCHEMA = 'EMU_VS'") == [("OTHER",)]
        conn.execute("ALTER VIRTUAL SCHEMA EMU_VS SET TABLE_FILTER = NULL")
        conn.execute("ALTER VIRTUAL SCHEMA EMU_VS REFRESH")
        conn.execute("ALTER VIRTUAL SCHEMA EMU_VS REFRESH TABLES items")
        assert rows(conn, "SELECT COUNT(*) FROM EXA_ALL_VIRTUAL_TABLES WHERE TABLE_SCHEMA = 'EMU_VS'") == [(2,)]
        error = fails(conn, "ALTER VIRTUAL SCHEMA EMU_VS SET NO_SUCH_PROPERTY = 'x'")
        assert error.code == "22002" and "E-VSCJDBC-13" in error.message
        error = fails(conn, "ALTER VIRTUAL SCHEMA EMU_VS SET MAX_TABLE_COUNT = '1'")
        assert error.code == "22002" and "E-VSCJDBC-42" in error.message
        conn.execute("DROP VIRTUAL SCHEMA EMU_VS CASCADE")
        assert rows(conn, "SELECT COUNT(*) FROM EXA_ALL_VIRTUAL_SCHEMAS WHERE SCHEMA_NAME = 'EMU_VS'") == [(0,)]
        assert fails(conn, "SELECT * FROM EMU_VS.items").code == "42000"


def test_more_than_1000_rows_are_fetched_in_chunks(exa, vs_setup):
    with connect(exa, fetch_size_bytes=20000) as conn:
        conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS EMU_VS CASCADE")
        create_vs(conn, "TRUSTING", "TABLE_FILTER = 'items'")
        statement = conn.execute("SELECT id FROM EMU_VS.items ORDER BY id")
        assert statement.result_set_handle is not None  # >= 1000 rows: handle, no inline data
        assert [r[0] for r in statement.fetchall()] == list(range(1, ROWS + 1))
        assert statement.result_set_handle is None  # pyexasol closed it (closeResultSet)
        small = conn.execute("SELECT id FROM EMU_VS.items LIMIT 999")
        assert small.result_set_handle is None and len(small.fetchall()) == 999
        assert fails(conn, "DROP VIRTUAL SCHEMA EMU_VS").code == "42000"  # RESTRICT: not empty
        conn.execute("DROP VIRTUAL SCHEMA EMU_VS CASCADE")


def test_untrusted_postgres_certificate_fails_with_pkix(exa, vs_setup):
    with connect(exa) as conn:
        conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS EMU_VS CASCADE")
        error = fails(
            conn,
            "CREATE VIRTUAL SCHEMA EMU_VS USING EMU_ADAPTER.UNTRUSTING WITH "
            "CONNECTION_NAME = 'EMU_PG' SCHEMA_NAME = '%s' TABLE_FILTER = 'items'" % PG_SCHEMA,
        )
        assert error.code == "22002"
        assert "E-VSPG-3" in error.message and "PKIX path building failed" in error.message
        assert rows(conn, "SELECT COUNT(*) FROM EXA_ALL_SCHEMAS WHERE SCHEMA_NAME = 'EMU_VS'") == [(0,)]


def test_without_jvmoption_every_nodes_container_store_decides(lab, exa, vs_setup, tmp_path):
    """Without %jvmoption the adapter trusts its script-language container's JDK store, on every
    node: all of them with the lab CA works, one without it fails naming that node and store."""
    statement = (
        "CREATE VIRTUAL SCHEMA EMU_VS USING EMU_ADAPTER.NODE_TRUST WITH CONNECTION_NAME"
        " = 'EMU_PG' SCHEMA_NAME = '%s' TABLE_FILTER = 'items'" % PG_SCHEMA
    )
    last = lab["nodes"][-1]
    with connect(exa) as conn:
        conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS EMU_VS CASCADE")
        with node_stores(lab, tmp_path, loader=True, adapter=True):
            conn.execute(statement)
            assert rows(conn, "SELECT COUNT(*) FROM EMU_VS.ITEMS") == [(ROWS,)]
            conn.execute("DROP VIRTUAL SCHEMA EMU_VS CASCADE")
        with node_stores(lab, tmp_path, loader=True, adapter=True, missing=[(last["name"], "adapter")]):
            error = fails(conn, statement)
        assert error.code == "22002" and "E-VSPG-3" in error.message and "PKIX" in error.message
        assert (
            "%s adapter JVM (script-language container) %s" % (last["name"], last["adapter_truststores"][0])
            in error.message
        )
        assert rows(conn, "SELECT COUNT(*) FROM EXA_ALL_SCHEMAS WHERE SCHEMA_NAME = 'EMU_VS'") == [(0,)]


def test_loader_ignores_jvmoption_and_reads_every_nodes_store(lab, exa, vs_setup, tmp_path):
    """SELECT = IMPORT FROM JDBC by ExaLoader: the %jvmoption store does not help it."""
    with connect(exa) as conn:
        conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS EMU_VS CASCADE")
        create_vs(conn, "TRUSTING", "TABLE_FILTER = 'items'")
        with node_stores(lab, tmp_path, loader=False, adapter=False):
            error = fails(conn, "SELECT * FROM EMU_VS.ITEMS WHERE id = 1")
        assert error.code == "42636" and "ETL-5402" in error.message and "PKIX" in error.message
        for node in lab["nodes"]:
            assert "%s ExaLoader %s" % (node["name"], node["loader_truststore"]) in error.message
        assert rows(conn, "SELECT id FROM EMU_VS.ITEMS WHERE id = 1") == [(1,)]  # loader stores back
        conn.execute("DROP VIRTUAL SCHEMA EMU_VS CASCADE")


def test_url_options_naming_client_files_are_refused(exa, vs_setup):
    """sslrootcert & co. would be read on the lab host, not in a node's tree: not emulated."""
    with connect(exa) as conn:
        conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS EMU_VS CASCADE")
        conn.execute(
            "CREATE OR REPLACE CONNECTION EMU_PG_ROOTCERT TO 'jdbc:postgresql://%s:%d/%s?"
            "sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt' USER 'u' "
            "IDENTIFIED BY 'p'" % (vs_setup["pg"]["jdbc_host"], vs_setup["pg"]["port"], vs_setup["pg"]["database"])
        )
        error = fails(
            conn,
            "CREATE VIRTUAL SCHEMA EMU_VS USING EMU_ADAPTER.TRUSTING WITH "
            "CONNECTION_NAME = 'EMU_PG_ROOTCERT' SCHEMA_NAME = '%s'" % PG_SCHEMA,
        )
        assert error.code == "0A000" and "sslrootcert" in error.message
        conn.execute("DROP CONNECTION EMU_PG_ROOTCERT")


def test_adapter_errors(exa, vs_setup):
    with connect(exa) as conn:
        conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS EMU_VS CASCADE")
        error = fails(
            conn,
            "CREATE VIRTUAL SCHEMA EMU_VS USING EMU_ADAPTER.MISSING_JAR WITH "
            "CONNECTION_NAME = 'EMU_PG' SCHEMA_NAME = 'public'",
        )
        assert error.code == "22002" and "Java VM cannot find '/buckets/" in error.message
        error = fails(
            conn,
            "CREATE VIRTUAL SCHEMA EMU_VS USING EMU_ADAPTER.TRUSTING WITH "
            "CONNECTION_NAME = 'EMU_PG' SQL_DIALECT = 'POSTGRESQL'",
        )
        assert error.code == "22002" and "E-VSCJDBC-13" in error.message
        error = fails(conn, "CREATE VIRTUAL SCHEMA EMU_VS USING EMU_ADAPTER.TRUSTING WITH SCHEMA_NAME = 'public'")
        assert error.code == "22002" and "E-VSCJDBC-14" in error.message
        error = fails(
            conn,
            "CREATE VIRTUAL SCHEMA EMU_VS USING EMU_ADAPTER.TRUSTING WITH "
            "CONNECTION_NAME = 'EMU_PG' POSTGRESQL_IDENTIFIER_MAPPING = 'LOWER'",
        )
        assert error.code == "22002" and "E-VSPG-4" in error.message
        error = fails(
            conn, "CREATE VIRTUAL SCHEMA EMU_VS USING EMU_ADAPTER.NO_SUCH_SCRIPT WITH CONNECTION_NAME = 'EMU_PG'"
        )
        assert error.code == "42000" and "not found" in error.message
        conn.execute(
            "CREATE VIRTUAL SCHEMA EMU_VS USING EMU_ADAPTER.TRUSTING WITH CONNECTION_NAME "
            "= 'EMU_PG' SCHEMA_NAME = '%s' POSTGRESQL_IDENTIFIER_MAPPING = "
            "'PRESERVE_ORIGINAL_CASE'" % PG_SCHEMA
        )
        assert rows(conn, 'SELECT COUNT(*) FROM EMU_VS."MixedCase"') == [(0,)]
        assert rows(conn, 'SELECT "id" FROM EMU_VS."items" WHERE "id" = 5') == [(5,)]
        conn.execute("DROP VIRTUAL SCHEMA EMU_VS CASCADE")
        # without FORCE the adapter is called on DROP: its jars must still be there
        conn.execute(
            "CREATE OR REPLACE JAVA ADAPTER SCRIPT EMU_ADAPTER.SHORT_LIVED AS\n"
            "  %%scriptclass com.exasol.adapter.RequestDispatcher;\n  %%jar %s;\n"
            "  %%jar %s;\n  %%jvmoption -Djavax.net.ssl.trustStore=%s;\n/\n"
            % (vs_setup["adapter"], vs_setup["driver"], vs_setup["trusted"])
        )
        conn.execute(
            "CREATE VIRTUAL SCHEMA EMU_VS USING EMU_ADAPTER.SHORT_LIVED WITH "
            "CONNECTION_NAME = 'EMU_PG' SCHEMA_NAME = '%s' TABLE_FILTER = 'other'" % PG_SCHEMA
        )
        conn.execute(
            "CREATE OR REPLACE JAVA ADAPTER SCRIPT EMU_ADAPTER.SHORT_LIVED AS\n"
            "  %%scriptclass com.exasol.adapter.RequestDispatcher;\n"
            "  %%jar /buckets/bfsdefault/default/%s/gone.jar;\n/\n" % BFS_DIR
        )
        error = fails(conn, "DROP VIRTUAL SCHEMA EMU_VS CASCADE")
        assert error.code == "22002" and "Java VM cannot find" in error.message
        conn.execute("DROP FORCE VIRTUAL SCHEMA EMU_VS CASCADE")
        conn.execute("DROP ADAPTER SCRIPT EMU_ADAPTER.SHORT_LIVED")


def test_catalog_survives_a_restart(lab, exa, monkeypatch):
    import lab as labmod  # tests/lab, on the path by pytest.ini
    from components import exasol_db

    with connect(exa) as conn:
        conn.execute("CREATE OR REPLACE CONNECTION EMU_RESTART TO 'kept'")
    for name, value in (
        ("LAB_EXASOL_VERSION", exa["version"]),
        ("LAB_EXASOL_HOST", exa["host"]),
        ("LAB_EXASOL_PORT", str(exa["port"])),
    ):
        monkeypatch.setenv(name, value)  # restart with the settings it runs with
    handle = labmod.Lab(os.environ.get("LAB_STATE_DIR", os.path.join(LAB_DIR, "state")))
    handle.stop(exasol_db.NAME)  # the database process restarts; `lab down` would forget the catalog
    exasol_db.up(handle)
    with connect(exa) as conn:
        assert rows(
            conn, "SELECT CONNECTION_STRING FROM EXA_DBA_CONNECTIONS WHERE CONNECTION_NAME = 'EMU_RESTART'"
        ) == [("kept",)]
        conn.execute("DROP CONNECTION EMU_RESTART")


# pyexasol 2.x --------------------------------------------------------------------------------
PYEXASOL2_REQUIREMENT = "pyexasol>=2.4,<3"
PYEXASOL2_SCRIPT = r"""
import json, ssl, sys
import pyexasol
assert pyexasol.__version__.startswith("2."), pyexasol.__version__
exa = json.load(sys.stdin)
out = {"version": pyexasol.__version__, "errors": {}}
pv, vs, adapter = exa["protocol_version"], exa["vs"], exa["adapter_name"]
fp = "%s/%s:%d" % (exa["host"], exa["fingerprint"], exa["port"])


def error(c, key, query):
    try:
        c.execute(query)
    except pyexasol.ExaQueryError as e:
        out["errors"][key] = [e.code, e.message]
    else:
        out["errors"][key] = ["no error", query]


def rows(c, query):
    return [list(r) for r in c.execute(query).fetchall()]


def trace(c):  # records the WebSocket commands this pyexasol sends (fetch, closeResultSet)
    sent, req = [], c.req
    c.req = lambda request: sent.append(request["command"]) or req(request)
    return sent


with pyexasol.connect(dsn=fp, user=exa["user"], password=exa["password"], protocol_version=pv) as c:
    out["release"] = c.login_info["releaseVersion"]
    c.execute("CREATE OR REPLACE CONNECTION PYEXA2_CONN TO 'x' USER 'u' IDENTIFIED BY 'p'")
    out["conn"] = rows(c, "SELECT CONNECTION_STRING FROM EXA_DBA_CONNECTIONS WHERE "
                          "CONNECTION_NAME = 'PYEXA2_CONN'")
    c.execute("DROP CONNECTION PYEXA2_CONN")
    c.execute("DROP CONNECTION IF EXISTS PYEXA2_CONN")
    error(c, "syntax", "SELEC 1")
    c.execute(exa["pg_connection"])
    c.execute("CREATE SCHEMA PYEXA2_ADAPTER")
    out["schema_opened"] = c.current_schema()
    c.execute("CREATE OR REPLACE SCHEMA PYEXA2_ADAPTER")
    error(c, "schema_exists", "CREATE SCHEMA PYEXA2_ADAPTER")
    c.execute(exa["script"].replace("CREATE OR REPLACE", "CREATE", 1))
    error(c, "script_exists", exa["script"].replace("CREATE OR REPLACE", "CREATE", 1))
    c.execute(exa["script"])
    out["scripts"] = rows(c, "SELECT SCRIPT_NAME, SCRIPT_TYPE, SCRIPT_LANGUAGE FROM "
                             "EXA_ALL_SCRIPTS WHERE SCRIPT_SCHEMA = 'PYEXA2_ADAPTER'")
    c.execute("CREATE VIRTUAL SCHEMA %s USING %s WITH CONNECTION_NAME = 'PYEXA2_PG' SCHEMA_NAME "
              "= '%s' TABLE_FILTER = 'items' LOG_LEVEL = 'INFO'" % (vs, adapter, exa["pg_schema"]))
    c.execute("CREATE VIRTUAL SCHEMA IF NOT EXISTS %s USING %s" % (vs, adapter))

    # a second session, verified by the CA file, sees the catalog and reads the virtual table
    with pyexasol.connect(dsn="%s:%d" % (exa["host"], exa["port"]), user=exa["user"],
                          password=exa["password"], protocol_version=pv, fetch_size_bytes=4000,
                          websocket_sslopt={"cert_reqs": ssl.CERT_REQUIRED,
                                            "ca_certs": exa["ca_file"]}) as ca:
        out["ca"] = rows(ca, "SELECT PARAM_VALUE FROM SYS.EXA_METADATA WHERE PARAM_NAME = "
                             "'databaseProductVersion'")
        st = ca.execute("SELECT * FROM EXA_ALL_VIRTUAL_SCHEMAS WHERE SCHEMA_NAME = '%s'" % vs)
        out["vs_record"] = dict(zip(st.column_names(), st.fetchone()))
        out["props"] = rows(ca, "SELECT PROPERTY_NAME, PROPERTY_VALUE FROM "
                                "EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES WHERE SCHEMA_NAME = '%s' "
                                "ORDER BY PROPERTY_NAME" % vs)
        out["tables"] = rows(ca, "SELECT TABLE_NAME FROM EXA_ALL_VIRTUAL_TABLES WHERE "
                                 "TABLE_SCHEMA = '%s'" % vs)
        out["columns"] = rows(ca, "SELECT COLUMN_NAME FROM EXA_ALL_VIRTUAL_COLUMNS WHERE "
                                  "COLUMN_SCHEMA = '%s' AND COLUMN_TABLE = 'ITEMS'" % vs)
        out["two_rows"] = rows(ca, "SELECT id, name, note FROM %s.items WHERE id IN (2, 3) "
                                   "ORDER BY id" % vs)
        sent = trace(ca)
        st = ca.execute("SELECT id FROM %s.items ORDER BY id" % vs)
        out["handle_opened"] = st.result_set_handle is not None
        out["ids"] = [r[0] for r in st.fetchall()]
        out["handle_closed"] = st.result_set_handle is None
        out["commands"] = sent[:]
        del sent[:]
        out["limited"] = len(ca.execute("SELECT id FROM %s.items LIMIT 999" % vs).fetchall())
        out["limited_commands"] = sent[:]

    c.execute("ALTER VIRTUAL SCHEMA %s SET TABLE_FILTER = 'other'" % vs)
    out["filtered"] = rows(c, "SELECT TABLE_NAME FROM EXA_ALL_VIRTUAL_TABLES WHERE "
                              "TABLE_SCHEMA = '%s'" % vs)
    c.execute("ALTER VIRTUAL SCHEMA %s SET TABLE_FILTER = 'items,other'" % vs)
    c.execute("ALTER VIRTUAL SCHEMA %s REFRESH" % vs)
    out["refreshed"] = rows(c, "SELECT TABLE_NAME FROM EXA_ALL_VIRTUAL_TABLES WHERE "
                               "TABLE_SCHEMA = '%s' ORDER BY TABLE_NAME" % vs)
    error(c, "bad_property", "ALTER VIRTUAL SCHEMA %s SET NO_SUCH_PROPERTY = 'x'" % vs)
    error(c, "vs_not_empty", "DROP VIRTUAL SCHEMA %s" % vs)
    c.execute("DROP VIRTUAL SCHEMA %s CASCADE" % vs)
    c.execute("DROP VIRTUAL SCHEMA IF EXISTS %s CASCADE" % vs)
    error(c, "vs_gone", "SELECT * FROM %s.items" % vs)
    error(c, "schema_not_empty", "DROP SCHEMA PYEXA2_ADAPTER")
    c.execute("DROP ADAPTER SCRIPT %s" % adapter)
    c.execute("DROP ADAPTER SCRIPT IF EXISTS %s" % adapter)
    c.execute(exa["script"])
    c.execute("DROP SCHEMA PYEXA2_ADAPTER CASCADE")
    c.execute("DROP SCHEMA IF EXISTS PYEXA2_ADAPTER CASCADE")
    c.execute("DROP CONNECTION PYEXA2_PG")
    out["left"] = rows(c, "SELECT COUNT(*) FROM EXA_ALL_SCHEMAS WHERE SCHEMA_NAME LIKE 'PYEXA2%'")
    out["left"] += rows(c, "SELECT COUNT(*) FROM EXA_DBA_CONNECTIONS WHERE CONNECTION_NAME LIKE "
                           "'PYEXA2%'")
try:
    pyexasol.connect(dsn=fp, user=exa["user"], password="wrong", protocol_version=pv)
except pyexasol.ExaAuthError as e:
    out["auth"] = e.code
try:
    pyexasol.connect(dsn="%s/%s:%d" % (exa["host"], "A" * 64, exa["port"]), user=exa["user"],
                     password=exa["password"], protocol_version=pv)
except pyexasol.ExaConnectionFailedError as e:
    out["fingerprint"] = "did not match" in str(e)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def pyexasol2_python():
    """The Python of .venv-pyexasol2, (re)installed only when it lacks a PYEXASOL2_REQUIREMENT."""
    python = os.path.join(VENV2, "bin", "python")
    probe = [
        python,
        "-c",
        "import sys, pyexasol; v = tuple(int(p) for p in pyexasol.__version__."
        "split('.')[:2]); sys.exit(not (2, 4) <= v < (3,))",
    ]

    def usable():
        return os.path.exists(python) and not subprocess.run(probe, capture_output=True, check=False).returncode

    lock_file = os.path.join(
        tempfile.gettempdir(), "venv-pyexasol2-%s.lock" % hashlib.sha256(VENV2.encode()).hexdigest()[:16]
    )
    with open(lock_file, "w") as lock:  # two pytest runs of this checkout: one installs, one waits
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not usable():
            if not os.path.exists(python):  # --clear: a half-made venv from an interrupted run
                subprocess.run([shutil.which("python3") or sys.executable, "-m", "venv", "--clear", VENV2], check=True)
            subprocess.run(
                [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", PYEXASOL2_REQUIREMENT],
                check=True,
                timeout=300,
            )
            assert usable(), "%s holds no %s after pip install" % (VENV2, PYEXASOL2_REQUIREMENT)
    return python


def drop_pyexa2_objects(exa):
    with connect(exa) as conn:
        conn.execute("DROP FORCE VIRTUAL SCHEMA IF EXISTS PYEXA2_VS CASCADE")
        conn.execute("DROP SCHEMA IF EXISTS PYEXA2_ADAPTER CASCADE")
        for name in ("PYEXA2_PG", "PYEXA2_CONN"):
            conn.execute("DROP CONNECTION IF EXISTS %s" % name)


def test_pyexasol_2x(exa, vs_setup, pyexasol2_python):
    """Every statement kind of the tests above, and the error cases, through pyexasol 2.x."""
    adapter = "PYEXA2_ADAPTER.JDBC_ADAPTER"
    request = dict(
        exa,
        protocol_version=3 if downgrades(exa) else highest_protocol(exa),
        vs="PYEXA2_VS",
        adapter_name=adapter,
        pg_schema=PG_SCHEMA,
        pg_connection=create_pg_connection("PYEXA2_PG", vs_setup["pg"]).replace("CREATE OR REPLACE", "CREATE", 1),
        script=adapter_script(adapter, vs_setup, vs_setup["trusted"]),
    )
    drop_pyexa2_objects(exa)
    started = time.perf_counter()
    try:  # secrets on stdin, never on the command line
        proc = subprocess.run(
            [pyexasol2_python, "-c", PYEXASOL2_SCRIPT],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        drop_pyexa2_objects(exa)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["version"].startswith("2.") and out["release"] == exa["version"]
    assert out["conn"] == [["x"]] and out["ca"] == [[exa["version"]]]
    assert out["schema_opened"] == "PYEXA2_ADAPTER"
    assert out["scripts"] == [["JDBC_ADAPTER", "ADAPTER", "JAVA"]]
    if release(exa) >= (8,):
        assert [out["vs_record"][k] for k in ("ADAPTER_SCRIPT_SCHEMA", "ADAPTER_SCRIPT_NAME")] == [
            "PYEXA2_ADAPTER",
            "JDBC_ADAPTER",
        ]
    else:
        assert out["vs_record"]["ADAPTER_SCRIPT"] == adapter
    assert out["props"] == [
        ["CONNECTION_NAME", "PYEXA2_PG"],
        ["LOG_LEVEL", "INFO"],
        ["SCHEMA_NAME", PG_SCHEMA],
        ["TABLE_FILTER", "items"],
    ]
    assert out["tables"] == [["ITEMS"]]
    assert out["columns"] == [[c] for c in ("ID", "NAME", "NOTE", "OK", "PRICE", "CREATED", "BIG", "SMALL")]
    assert out["two_rows"] == [[2, "item 2", "it's 2"], [3, "item 3", None]]
    assert out["handle_opened"] and out["handle_closed"]  # > 1000 rows: handle, then closed
    assert out["ids"] == list(range(1, ROWS + 1))
    assert out["commands"][0] == "execute" and out["commands"][-1] == "closeResultSet"
    assert out["commands"].count("fetch") >= 2, out["commands"]  # ~10 kB in 4000-byte chunks
    assert out["limited"] == 999 and out["limited_commands"] == ["execute"]  # inline, no handle
    assert out["filtered"] == [["OTHER"]] and out["refreshed"] == [["ITEMS"], ["OTHER"]]
    codes = {key: value[0] for key, value in out["errors"].items()}
    assert codes == {
        "syntax": "42000",
        "schema_exists": "42500",
        "script_exists": "42500",
        "bad_property": "22002",
        "vs_not_empty": "42000",
        "vs_gone": "42000",
        "schema_not_empty": "42000",
    }, out["errors"]
    assert "E-VSCJDBC-13" in out["errors"]["bad_property"][1]
    assert out["left"] == [[0], [0]]
    assert out["auth"] == "08004" and out["fingerprint"] is True
    assert time.perf_counter() - started < 30


# load ----------------------------------------------------------------------------------------
CLIENTS, STATEMENTS = 8, 500


def test_load_8_clients_500_statements(exa):
    """8 sessions in parallel, 500 statements each, reads and writes: no error, no lost session."""
    barrier = threading.Barrier(CLIENTS)

    def client(number):
        latencies = []
        with connect(exa) as conn:
            session = conn.session_id()
            barrier.wait(timeout=60)
            name = "EMU_LOAD_%d" % number
            for i in range(STATEMENTS):
                step = i % 5
                started = time.perf_counter()
                if step == 0:
                    conn.execute("CREATE OR REPLACE CONNECTION %s TO 'v%d'" % (name, i))
                elif step == 1:
                    got = rows(
                        conn, "SELECT CONNECTION_STRING FROM EXA_DBA_CONNECTIONS WHERE CONNECTION_NAME = '%s'" % name
                    )
                    assert got == [("v%d" % (i - 1),)], got
                elif step == 2:
                    assert rows(
                        conn, "SELECT PARAM_VALUE FROM SYS.EXA_METADATA WHERE PARAM_NAME = 'databaseProductVersion'"
                    ) == [(exa["version"],)]
                elif step == 3:
                    rows(conn, "SELECT SCRIPT_NAME FROM EXA_ALL_SCRIPTS ORDER BY SCRIPT_NAME")
                else:
                    rows(conn, "SELECT COUNT(*) FROM EXA_ALL_SCHEMAS")
                latencies.append(time.perf_counter() - started)
            assert conn.session_id() == session
            conn.execute("DROP CONNECTION %s" % name)
        return session, latencies

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS), timeout=600))
    elapsed = time.perf_counter() - started
    sessions = {r[0] for r in results}
    latencies = sorted(x for r in results for x in r[1])
    assert len(sessions) == CLIENTS and len(latencies) == CLIENTS * STATEMENTS
    figures = {
        "clients": CLIENTS,
        "statements": len(latencies),
        "seconds": round(elapsed, 2),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
    }
    print("exasol emulator load check: %s" % json.dumps(figures))
    assert elapsed < 300
