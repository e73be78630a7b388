"""Exasol connection, adapter script and virtual schema against the lab (issue 7).

What a user would notice: the virtual schema's tables are the sample schema's tables; a SELECT
through Exasol returns the rows PostgreSQL holds (read over verify-full with psycopg2);
EXA_DBA_CONNECTIONS holds the TLS URL; a truststore without the CA makes the adapter fail with
PKIX and the role says what to do; reruns report no change; check mode predicts the real run;
bad input is refused clearly and leaves nothing behind.

Needs lab.json sections exasol, bucketfs, postgres, ca, nodes. The trust for the adapter comes
from a truststore in BucketFS (trust mode bucketfs); Exasol's loader (the SELECT behind the role's
final query) reads every node's own store, which holds the lab CA for this module (and only that
store: the containers' stores do not), and the bucketfs mode without it is refused by that query.
Node stores are given back byte for byte afterwards.
"""

import json
import os
import time

import pytest

from lab_helpers import bucketfs_request, bucketfs_wait_synced, node_stores, run_playbook
from module_runner import run_module

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


JDBC_JAR = os.environ.get("LAB_PG_JDBC_JAR", "/usr/share/java/postgresql.jar")
ADAPTER_JAR = "virtual-schema-dist-12.0.0-postgresql-3.1.1.jar"
DRIVER_JAR = "postgresql-vs-objects-test.jar"
PLAYBOOK = os.path.join(ROOT, "playbooks", "virtual_schema.yml")


@pytest.fixture(scope="module")
def env(lab, tmp_path_factory):
    for section in ("exasol", "bucketfs", "postgres", "ca", "nodes"):
        if not lab.get(section):
            pytest.skip("lab.json has no %s section" % section)
    if not os.path.exists(JDBC_JAR):
        pytest.skip("PostgreSQL JDBC jar %s missing (set LAB_PG_JDBC_JAR)" % JDBC_JAR)
    with open(JDBC_JAR, "rb") as handle:
        driver = handle.read()
    jars = {
        "adapter": put(lab, "vs-objects-test/" + ADAPTER_JAR, b"placeholder: the emulator runs the adapter logic"),
        "driver": put(lab, "vs-objects-test/" + DRIVER_JAR, driver),
    }
    # Exasol 7.1+ loads the driver for the IMPORT behind a virtual table from drivers/jdbc
    put(lab, "drivers/jdbc/vs-objects-test/" + DRIVER_JAR, driver)
    put(
        lab,
        "drivers/jdbc/vs-objects-test/settings.cfg",
        (
            "DRIVERNAME=POSTGRESQL\nJAR=%s\nDRIVERMAIN=org.postgresql.Driver\nPREFIX=jdbc:postgresql:\n"
            "NOSECURITY=YES\nFETCHSIZE=100000\nINSERTSIZE=-1\n" % DRIVER_JAR
        ).encode(),
    )
    tmp = tmp_path_factory.mktemp("vs-objects")
    with node_stores(lab, tmp, loader=True, adapter=False):
        yield from _env(lab, jars, tmp)


def _env(lab, jars, tmp):
    for module, name in (
        ("exasol_virtual_schema", "AURORA"),
        ("exasol_virtual_schema", "AURORA_PKIX"),
        ("exasol_adapter_script", "JDBC_ADAPTER"),
        ("exasol_adapter_script", "UNTRUSTING_ADAPTER"),
        ("exasol_connection", "AURORA_CONNECTION"),
    ):  # a clean start, whatever ran before
        result = run_module(module, tmp, **dict(login(lab), name=name, state="absent"))
        assert not result.get("failed"), result
    yield {"lab": lab, "jars": jars, "tmp": tmp}
    for path in (
        "drivers/jdbc/vs-objects-test/settings.cfg",
        "drivers/jdbc/vs-objects-test/" + DRIVER_JAR,
        "vs-objects-test/" + ADAPTER_JAR,
        "vs-objects-test/" + DRIVER_JAR,
        "truststores/vs-objects-test.jks",
        "truststores/vs-objects-wrong.jks",
    ):
        bucketfs_request(lab, "DELETE", path)  # leave the lab's BucketFS as it was
    bucketfs_wait_synced(lab["bucketfs"])


def put(lab, path, data):
    """PUT a file into the lab BucketFS and wait until UDFs would see it; returns the UDF path."""
    bfs = lab["bucketfs"]
    bucketfs_request(lab, "PUT", path, data)
    bucketfs_wait_synced(bfs)  # a queued delete of the same path cannot remove it after the check below
    target = os.path.join(bfs["host_dir"], bfs["service"], ".dest", bfs["bucket"], path)
    deadline = time.time() + 30
    while not (os.path.isfile(target) and os.path.getsize(target) == len(data)):
        assert time.time() < deadline, "BucketFS did not publish %s" % path
        time.sleep(0.1)
    return "/buckets/%s/%s/%s" % (bfs["service"], bfs["bucket"], path)


def login(lab, **over):
    e = lab["exasol"]
    args = dict(
        login_host=e["host"],
        login_port=e["port"],
        login_user=e["user"],
        login_password=e["password"],
        ca_cert=e["ca_file"],
    )
    args.update(over)
    return args


def role_vars(env, **over):
    lab, pg, bfs = env["lab"], env["lab"]["postgres"], env["lab"]["bucketfs"]
    e = lab["exasol"]
    values = dict(
        exasol_virtual_schema_login_host=e["host"],
        exasol_virtual_schema_login_port=e["port"],
        exasol_virtual_schema_login_user=e["user"],
        exasol_virtual_schema_login_password=e["password"],
        exasol_virtual_schema_ca_cert=e["ca_file"],
        exasol_virtual_schema_pg_endpoint=pg["host"],
        exasol_virtual_schema_pg_port=pg["port"],
        exasol_virtual_schema_pg_database=pg["database"],
        exasol_virtual_schema_pg_user=pg["user"],
        exasol_virtual_schema_pg_password=pg["password"],
        exasol_virtual_schema_adapter_jar=env["jars"]["adapter"],
        exasol_virtual_schema_driver_jar=env["jars"]["driver"],
        exasol_virtual_schema_trust_mode="bucketfs",
        exasol_virtual_schema_bundle_src=lab["ca"]["bundle_file"],
        exasol_virtual_schema_truststore_cache_dir=str(env["tmp"] / "cache"),
        exasol_virtual_schema_bucketfs_password=bfs["write_password"],
        exasol_virtual_schema_truststore_path="truststores/vs-objects-test.jks",
    )
    if "http_url" in bfs:  # 6.x / 7.x: plain HTTP, as before
        values["exasol_virtual_schema_bucketfs_url"] = bfs["http_url"]
    else:  # 2025.x: HTTPS only
        values.update(
            exasol_virtual_schema_bucketfs_url=bfs["https_url"], exasol_virtual_schema_bucketfs_ca_cert=bfs["ca_file"]
        )
    values.update(over)
    path = env["tmp"] / ("vars-%d.json" % len(os.listdir(str(env["tmp"]))))
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle)
    return "@" + str(path)


def play(env, check=False, **over):
    proc = run_playbook(PLAYBOOK, "-e", role_vars(env, **over), check=check)
    recap = [line for line in proc.stdout.splitlines() if line.startswith("localhost")]
    return proc, (recap[-1] if recap else "")


def changed_count(recap):
    return int(recap.split("changed=")[1].split()[0])


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


def pg_rows(lab, sql):
    import psycopg2

    pg = lab["postgres"]
    conn = psycopg2.connect(
        host=pg["host"],
        port=pg["port"],
        dbname=pg["database"],
        user=pg["user"],
        password=pg["password"],
        sslmode="verify-full",
        sslrootcert=pg["ca_file"],
        connect_timeout=10,
    )
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


# the role: create, prove, rerun -----------------------------------------------------------------
@pytest.fixture(scope="module")
def created(env):
    proc, recap = play(env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc, recap


def test_virtual_tables_are_the_sample_schema_tables(env, created):
    expected = sorted(
        name.upper()
        for (name,) in pg_rows(
            env["lab"], "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    )
    with exa(env["lab"]) as conn:
        tables = [
            r["TABLE_NAME"]
            for r in conn.execute(
                "SELECT TABLE_NAME FROM EXA_ALL_VIRTUAL_TABLES WHERE TABLE_SCHEMA = 'AURORA' ORDER BY TABLE_NAME"
            )
        ]
    assert tables == expected
    assert "read 3 row(s) from CUSTOMERS" in created[0].stdout


def test_select_through_exasol_returns_the_postgres_rows(env, created):
    expected = pg_rows(
        env["lab"], "SELECT customer_id, name, email, is_active FROM public.customers ORDER BY customer_id"
    )
    with exa(env["lab"]) as conn:
        got = conn.execute(
            "SELECT CUSTOMER_ID, NAME, EMAIL, IS_ACTIVE FROM AURORA.CUSTOMERS ORDER BY CUSTOMER_ID"
        ).fetchall()
    assert [(r["CUSTOMER_ID"], r["NAME"], r["EMAIL"], r["IS_ACTIVE"]) for r in got] == [tuple(r) for r in expected]


def test_connection_holds_the_tls_url(env, created):
    pg = env["lab"]["postgres"]
    with exa(env["lab"]) as conn:
        row = conn.execute(
            "SELECT CONNECTION_STRING, USER_NAME FROM EXA_DBA_CONNECTIONS WHERE CONNECTION_NAME = 'AURORA_CONNECTION'"
        ).fetchone()
    assert row["CONNECTION_STRING"] == (
        "jdbc:postgresql://%s:%d/%s?ssl=true&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory"
        % (pg["host"], pg["port"], pg["database"])
    )
    assert row["USER_NAME"] == pg["user"]


def test_adapter_script_names_the_bucketfs_truststore(env, created):
    with exa(env["lab"]) as conn:
        text = conn.execute(
            "SELECT SCRIPT_TEXT FROM EXA_ALL_SCRIPTS WHERE SCRIPT_SCHEMA = 'ADAPTER' AND SCRIPT_NAME = 'JDBC_ADAPTER'"
        ).fetchone()["SCRIPT_TEXT"]
    assert "%scriptclass com.exasol.adapter.RequestDispatcher;" in text
    assert "%%jar %s;" % env["jars"]["driver"] in text
    assert "-Djavax.net.ssl.trustStore=/buckets/bfsdefault/default/truststores/vs-objects-test.jks;" in text
    assert "trustStorePassword" not in text  # a truststore needs no password; none is published


def test_rerun_and_check_mode_report_no_change(env, created):
    proc, recap = play(env)
    assert proc.returncode == 0 and changed_count(recap) == 0, recap + proc.stdout[-2000:]
    proc, recap = play(env, check=True)
    assert proc.returncode == 0 and changed_count(recap) == 0, recap + proc.stdout[-2000:]


def test_truststore_without_the_ca_fails_with_pkix_and_the_role_says_why(env, created):
    proc = play(
        env,
        exasol_virtual_schema_bundle_src=env["lab"]["ca"]["wrong_ca_file"],
        exasol_virtual_schema_truststore_path="truststores/vs-objects-wrong.jks",
        exasol_virtual_schema_truststore_cache_dir=str(env["tmp"] / "wrong"),
        exasol_virtual_schema_adapter_script="UNTRUSTING_ADAPTER",
        exasol_virtual_schema_name="AURORA_PKIX",
    )[0]
    assert proc.returncode != 0
    assert "RDS CA is not in the node truststores" in proc.stdout
    assert "exasol_truststore" in proc.stdout and "PKIX" in proc.stdout
    assert env["lab"]["postgres"]["password"] not in proc.stdout + proc.stderr
    with exa(env["lab"]) as conn:  # nothing half-created
        assert conn.execute("SELECT SCHEMA_NAME FROM EXA_SCHEMAS WHERE SCHEMA_NAME = 'AURORA_PKIX'").fetchall() == []


def drop(env, names):
    for module, name in (
        ("exasol_virtual_schema", names["exasol_virtual_schema_name"]),
        ("exasol_adapter_script", names["exasol_virtual_schema_adapter_script"]),
        ("exasol_connection", names["exasol_virtual_schema_connection_name"]),
    ):
        run_module(module, env["tmp"], **dict(login(env["lab"]), name=name, state="absent"))


def test_node_trust_mode_works_or_names_the_missing_ca(env, created):
    """trust mode nodes: the adapter's JVM trusts exactly the container stores of every node."""
    lab = env["lab"]
    names = dict(
        exasol_virtual_schema_trust_mode="nodes",
        exasol_virtual_schema_adapter_script="NODE_TRUST_ADAPTER",
        exasol_virtual_schema_name="AURORA_NODES",
        exasol_virtual_schema_connection_name="AURORA_NODES_CONNECTION",
    )
    last = lab["nodes"][-1]["name"]
    with node_stores(lab, env["tmp"], loader=True, adapter=True):
        proc = play(env, **names)[0]
        assert proc.returncode == 0, proc.stdout[-2000:]
        drop(env, names)
    # one node's container store without the RDS CA: the adapter fails with PKIX, the role says why
    with node_stores(lab, env["tmp"], loader=True, adapter=True, missing=[(last, "adapter")]):
        proc = play(env, **names)[0]
    assert proc.returncode != 0 and "RDS CA is not in the node truststores" in proc.stdout, proc.stdout[-2000:]
    assert "PKIX" in proc.stdout and "%s adapter JVM" % last in proc.stdout
    with exa(lab) as conn:
        text = conn.execute(
            "SELECT SCRIPT_TEXT FROM EXA_ALL_SCRIPTS WHERE SCRIPT_NAME = 'NODE_TRUST_ADAPTER'"
        ).fetchone()
    assert "trustStore" not in text["SCRIPT_TEXT"]
    drop(env, names)


def test_bucketfs_mode_alone_is_refused_by_the_final_query(env, created):
    """The adapter trusts BucketFS, the loader only its node store: without it the SELECT fails, the
    role fails and says so, and it refuses to run at all without that final query."""
    lab = env["lab"]
    names = dict(
        exasol_virtual_schema_adapter_script="BFS_ONLY_ADAPTER",
        exasol_virtual_schema_name="AURORA_BFS_ONLY",
        exasol_virtual_schema_connection_name="AURORA_BFS_ONLY_CONNECTION",
    )
    with node_stores(lab, env["tmp"], loader=False, adapter=False):
        proc = play(env, **names)[0]
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "Exasol's loader" in proc.stdout and "ETL-5402" in proc.stdout and "PKIX" in proc.stdout
    assert "The virtual schema is not proven" in proc.stdout
    assert lab["postgres"]["password"] not in proc.stdout + proc.stderr
    drop(env, names)
    proc = play(env, exasol_virtual_schema_verify=False, **names)[0]
    assert proc.returncode != 0 and "only the role's final query" in proc.stdout, proc.stdout[-2000:]
    assert not _exists(lab, "AURORA_BFS_ONLY")


# the modules: four runs, bad input ------------------------------------------------------------------
def four_runs(tmp_path, module, args):
    results = [run_module(module, tmp_path, check=check, **args) for check in (True, False, True, False)]
    for result in results:
        assert not result.get("failed"), result
    assert [r["changed"] for r in results] == [True, True, False, False], [r.get("queries") for r in results]
    return results


def test_modules_check_mode_predicts_the_real_run(env, created, tmp_path):
    lab = env["lab"]
    pg = lab["postgres"]
    four_runs(
        tmp_path,
        "exasol_connection",
        dict(
            login(lab),
            name="vs_test_conn",
            endpoint=pg["host"],
            database=pg["database"],
            user=pg["user"],
            password="it's 'quoted'",
        ),
    )
    four_runs(
        tmp_path,
        "exasol_virtual_schema",
        dict(
            login(lab),
            name="AURORA",
            properties={
                "CONNECTION_NAME": "AURORA_CONNECTION",
                "SCHEMA_NAME": "public",
                "TABLE_FILTER": ["customers", "orders"],
            },
        ),
    )
    result = run_module(
        "exasol_virtual_schema",
        tmp_path,
        **dict(login(lab), name="AURORA", properties={"CONNECTION_NAME": "AURORA_CONNECTION", "SCHEMA_NAME": "public"}),
    )
    assert result["changed"] and result["queries"] == ['ALTER VIRTUAL SCHEMA "AURORA" SET TABLE_FILTER = NULL']
    assert result["tables"] == ["CUSTOMERS", "CUSTOMER_TOTALS", "ORDERS", "TYPE_SAMPLES"]
    result = run_module(
        "exasol_connection",
        tmp_path,
        **dict(
            login(lab),
            name="vs_test_conn",
            endpoint=pg["host"],
            database=pg["database"],
            port=6543,
            user=pg["user"],
            password="x",
        ),
    )
    assert result["changed"] and result["queries"][0].startswith('ALTER CONNECTION "VS_TEST_CONN" TO')
    with exa(lab) as conn:
        assert (
            ":6543/"
            in conn.execute(
                "SELECT CONNECTION_STRING FROM EXA_DBA_CONNECTIONS WHERE CONNECTION_NAME = 'VS_TEST_CONN'"
            ).fetchone()["CONNECTION_STRING"]
        )
    result = run_module("exasol_connection", tmp_path, **dict(login(lab), name="vs_test_conn", state="absent"))
    assert result["changed"] and result["queries"] == ['DROP CONNECTION "VS_TEST_CONN"']


def test_quoted_names_and_password_with_quote(env, tmp_path):
    lab = env["lab"]
    name = 'vs "odd"; name.with dot'
    args = dict(login(lab), name=name, url="jdbc:postgresql://h:5432/d?ssl=true", user="u", password="p'w\"d;--")
    result = run_module("exasol_connection", tmp_path, **args)
    assert result["changed"] and result["name"] == name
    assert "p'w" not in json.dumps(result) and "IDENTIFIED BY '********'" in result["queries"][0]
    assert run_module("exasol_connection", tmp_path, **args)["changed"] is False
    with exa(lab) as conn:
        assert conn.execute(
            "SELECT CONNECTION_NAME FROM EXA_DBA_CONNECTIONS WHERE CONNECTION_NAME = '%s'" % name.replace("'", "''")
        ).fetchall() == [{"CONNECTION_NAME": name}]
    assert run_module("exasol_connection", tmp_path, **dict(login(lab), name=name, state="absent"))["changed"]


def test_unknown_property_is_left_to_the_adapter(env, created, tmp_path):
    """Issue 13: a property the module does not know is passed on with a warning; the adapter
    refuses it (E-VSCJDBC-13) and nothing is created."""
    lab = env["lab"]
    result = run_module(
        "exasol_virtual_schema",
        tmp_path,
        **dict(
            login(lab), name="AURORA_TYPO", properties={"CONNECTION_NAME": "AURORA_CONNECTION", "TABEL_FILTER": "t"}
        ),
    )
    assert result["failed"] and "E-VSCJDBC-13" in result["msg"] and "TABEL_FILTER" in result["msg"], result
    assert not _exists(lab, "AURORA_TYPO")


def test_wrong_password_and_wrong_fingerprint_are_explained(env, tmp_path):
    lab = env["lab"]
    result = run_module(
        "exasol_connection", tmp_path, **dict(login(lab, login_password="wrong"), name="C", state="absent")
    )
    assert result["failed"] and "refused the login of user" in result["msg"]
    result = run_module(
        "exasol_connection",
        tmp_path,
        **dict(login(lab, certificate_fingerprint="00" * 32, validate_certs=False), name="C", state="absent"),
    )
    assert result["failed"] and "certificate_fingerprint" in result["msg"]
    result = run_module(
        "exasol_connection", tmp_path, **dict(login(lab, ca_cert=lab["ca"]["wrong_ca_file"]), name="C", state="absent")
    )
    assert result["failed"] and "Could not verify the TLS certificate" in result["msg"]


def test_absent_removes_all_three(env, created, tmp_path):
    lab = env["lab"]
    for module, args in (
        ("exasol_virtual_schema", dict(name="AURORA", state="absent")),
        ("exasol_adapter_script", dict(name="JDBC_ADAPTER", state="absent")),
        ("exasol_connection", dict(name="AURORA_CONNECTION", state="absent")),
    ):
        result = run_module(module, tmp_path, **dict(login(lab), **args))
        assert result["changed"] and not result.get("failed"), result
    with exa(lab) as conn:
        assert conn.execute("SELECT SCHEMA_NAME FROM EXA_SCHEMAS WHERE SCHEMA_NAME = 'AURORA'").fetchall() == []
        assert (
            conn.execute("SELECT SCRIPT_NAME FROM EXA_ALL_SCRIPTS WHERE SCRIPT_NAME = 'JDBC_ADAPTER'").fetchall() == []
        )
        assert (
            conn.execute(
                "SELECT CONNECTION_NAME FROM EXA_DBA_CONNECTIONS WHERE CONNECTION_NAME = 'AURORA_CONNECTION'"
            ).fetchall()
            == []
        )


def test_check_mode_on_an_empty_system_predicts_and_creates_nothing(env, created, tmp_path):
    for module, name in (
        ("exasol_virtual_schema", "AURORA"),
        ("exasol_adapter_script", "JDBC_ADAPTER"),
        ("exasol_connection", "AURORA_CONNECTION"),
    ):
        run_module(module, tmp_path, **dict(login(env["lab"]), name=name, state="absent"))
    proc, recap = play(env, check=True)
    assert proc.returncode == 0 and changed_count(recap) >= 3, recap + proc.stdout[-2000:]
    assert not _exists(env["lab"], "AURORA")
    real, real_recap = play(env)
    assert real.returncode == 0 and changed_count(real_recap) == changed_count(recap), (recap, real_recap)
    for module, name in (
        ("exasol_virtual_schema", "AURORA"),
        ("exasol_adapter_script", "JDBC_ADAPTER"),
        ("exasol_connection", "AURORA_CONNECTION"),
    ):
        assert run_module(module, tmp_path, **dict(login(env["lab"]), name=name, state="absent"))["changed"]


def _exists(lab, schema):
    with exa(lab) as conn:
        return bool(conn.execute("SELECT SCHEMA_NAME FROM EXA_SCHEMAS WHERE SCHEMA_NAME = '%s'" % schema).fetchall())
