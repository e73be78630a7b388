"""End to end: playbooks/site.yml on the lab, the whole tutorial in one run.

First run at -vvv (everything Ansible can print, none of the lab's secrets in it), second run
changed=0, then Exasol reads through the virtual schema the rows PostgreSQL holds.
"""

import os
import re
import subprocess
import sys

import psycopg2
import pyexasol
import pytest

from lab_helpers import run_playbook

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RECAP = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap(output):
    """{host: (changed, unreachable, failed)} from a PLAY RECAP."""
    return {m.group(1): tuple(int(x) for x in m.groups()[1:]) for m in RECAP.finditer(output)}


def secrets(lab):
    """Every secret lab.json holds (the JDK's public default `changeit` is not one)."""
    found = [
        lab["aws"]["secret_access_key"],
        lab["postgres"]["password"],
        lab["exasol"]["password"],
        lab["bucketfs"]["write_password"],
        lab["bucketfs"]["read_password"],
        lab.get("exaoperation", {}).get("password"),
    ]  # 2025.x has no EXAoperation
    return [s for s in found if s]


@pytest.fixture(scope="module")
def first_run(lab):
    result = run_playbook("playbooks/site.yml", "-i", "inventory/lab", "-vvv")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result


def test_first_run_succeeds_on_every_host(first_run, lab):
    hosts = recap(first_run.stdout)
    assert set(hosts) == set(["localhost"] + [n["name"] for n in lab["nodes"]])
    assert all(unreachable == 0 and failed == 0 for _changed, unreachable, failed in hosts.values())


def test_no_secret_is_printed_at_vvv(first_run, lab):
    output = first_run.stdout + first_run.stderr
    leaked = [s[:4] + "..." for s in secrets(lab) if s in output]
    assert not leaked, "secrets printed by site.yml -vvv: %s" % leaked


def test_second_run_changes_nothing(first_run):
    result = run_playbook("playbooks/site.yml", "-i", "inventory/lab")
    assert result.returncode == 0, result.stdout[-6000:]
    changed = {host: counts[0] for host, counts in recap(result.stdout).items() if counts[0]}
    assert not changed, "second run of site.yml changed: %s\n%s" % (changed, result.stdout[-6000:])


def test_exasol_reads_what_postgresql_holds(first_run, lab):
    pg = lab["postgres"]
    with (
        psycopg2.connect(
            host=pg["host"],
            port=pg["port"],
            dbname=pg["database"],
            user=pg["user"],
            password=pg["password"],
            sslmode="verify-full",
            sslrootcert=pg["ca_file"],
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute("SELECT customer_id, name FROM public.customers ORDER BY customer_id")
        expected = [list(row) for row in cur.fetchall()]
    exa = lab["exasol"]
    conn = pyexasol.connect(
        dsn="%s:%s" % (exa["host"], exa["port"]),
        user=exa["user"],
        password=exa["password"],
        encryption=True,
        websocket_sslopt={"ca_certs": exa["ca_file"]},
    )
    try:
        rows = conn.execute("SELECT CUSTOMER_ID, NAME FROM AURORA.CUSTOMERS ORDER BY CUSTOMER_ID").fetchall()
        url = conn.execute(
            "SELECT CONNECTION_STRING FROM EXA_DBA_CONNECTIONS WHERE CONNECTION_NAME = 'AURORA_CONNECTION'"
        ).fetchval()
    finally:
        conn.close()
    assert [[int(r[0]), r[1]] for r in rows] == [[int(r[0]), r[1]] for r in expected]
    assert url == (
        "jdbc:postgresql://%s:%s/%s?ssl=true&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory"
        % (pg["host"], pg["port"], pg["database"])
    )


def test_demo_summary_shows_the_virtual_tables(first_run, lab):
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tests", "lab", "demo_show.py")], capture_output=True, text=True, check=True
    ).stdout
    assert "CUSTOMERS" in out and "ORDERS" in out
    assert not [s for s in secrets(lab) if s in out]
