"""Role exasol_jdbc_driver (playbooks/drivers.yml) against the lab's BucketFS and EXAoperation emulators.

The driver is Debian's real PostgreSQL JDBC jar (libpostgresql-jdbc-java). The adapter is the lab's
STAND-IN jar of its generation (lab.json jars.adapter_src, tests/support/standin_jars.py): a valid jar
named like the real virtual-schema-dist-*-postgresql-*.jar, which is not available offline; it is not
the Exasol adapter. The role is told the lab's Exasol version (lab.json exasol.version); EXAoperation
exists on the 6.x/7.x lab only (marker exasol7: `make e2e` runs it on its 7.1 lab).
Every test uses its own jar directory, driver directory and driver name, and cleans up after itself.
"""

import json
import os
import re
import ssl
import urllib.request
import uuid
import xmlrpc.client

import pytest
import yaml

from lab_helpers import ROOT, run_playbook, tagged_bucket
from standin_jars import old_postgresql_driver

DRIVER = "/usr/share/java/postgresql-42.5.5.jar"
PLAYBOOK = os.path.join(ROOT, "playbooks", "drivers.yml")


@pytest.fixture
def driver_jar():
    found = DRIVER if os.path.exists(DRIVER) else "/usr/share/java/postgresql.jar"
    if not os.path.exists(found):
        pytest.skip("Debian's PostgreSQL JDBC driver is missing: apt-get install libpostgresql-jdbc-java")
    return found


@pytest.fixture
def tag():
    return uuid.uuid4().hex[:8]


@pytest.fixture
def bucket(lab, tag):
    """A BucketFS client for the lab; removes what the test left under its own directories."""
    yield from tagged_bucket(lab, tag)


def role_vars(lab, tag, driver_jar, **extra):
    bfs = lab["bucketfs"]
    variables = {
        "exasol_version": lab["exasol"]["version"],
        "exasol_jdbc_driver_driver_src": driver_jar,
        "exasol_jdbc_driver_adapter_src": lab["jars"]["adapter_src"],
        "exasol_jdbc_driver_bucketfs_url": bfs["https_url"],
        "exasol_jdbc_driver_bucketfs_password": bfs["write_password"],
        "exasol_jdbc_driver_bucketfs_ca_cert": bfs["ca_file"],
        "exasol_jdbc_driver_bucketfs_service": bfs["service"],
        "exasol_jdbc_driver_jar_dir": "functional/%s/jars" % tag,
        "exasol_jdbc_driver_dir": "postgresql-%s" % tag,
        "exasol_jdbc_driver_name": "POSTGRESQL_%s" % tag.upper(),
        "exasol_jdbc_driver_bucketfs_retries": 1,
        # Debian's 42.5.5 lies in CVE-2026-42198's range (a malicious server exhausts the client's CPU);
        # the lab's PostgreSQL is our own, so that one advisory is accepted (with a warning).
        "exasol_jdbc_driver_driver_accept_advisories": ["CVE-2026-42198"],
    }
    variables.update(extra)
    return variables


def run_role(tmp_path, variables, check=False):
    """ansible-playbook playbooks/drivers.yml with a 0600 vars file; returns (proc, changed count)."""
    path = tmp_path / ("vars-%s.yml" % uuid.uuid4().hex[:6])
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump(variables, handle)
    proc = run_playbook(PLAYBOOK, "-e", "@" + str(path), check=check)
    match = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", proc.stdout)
    return proc, int(match.group(1)) if match else None


def lab_json(url, ca_file=None):
    context = ssl.create_default_context(cafile=ca_file) if url.startswith("https") else None
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        return json.loads(response.read())


def host_file(lab, path):
    bfs = lab["bucketfs"]
    return os.path.join(bfs["host_dir"], bfs["service"], ".dest", bfs["bucket"], path)


def expected_settings_cfg(lab, name, jar_name):
    """settings.cfg as the role writes it for the lab's generation: the 7.1 one names the jar and the
    main class; from 8.0.3 on (2025.x) only DRIVERNAME, PREFIX, NOSECURITY, FETCHSIZE, INSERTSIZE."""
    classic = lab["nodes"][0]["layout"] == "classic"
    return (
        "DRIVERNAME=%s\n%sPREFIX=jdbc:postgresql:\nNOSECURITY=YES\nFETCHSIZE=100000\nINSERTSIZE=-1\n"
        % (name, "JAR=%s\nDRIVERMAIN=org.postgresql.Driver\n" % jar_name if classic else "")
    ).encode()


def test_bucketfs_registration_check_real_check_real(lab, tag, driver_jar, bucket, tmp_path):
    variables = role_vars(lab, tag, driver_jar)
    jar_name, reg_dir = os.path.basename(driver_jar), "drivers/jdbc/postgresql-%s" % tag
    stale = tmp_path / "postgresql-42.2.99.jar"  # an older driver left in the directory
    stale.write_bytes(b"PK\x03\x04 old")
    bucket.upload("%s/%s" % (reg_dir, stale.name), str(stale))
    assert bucket.wait_visible("%s/%s" % (reg_dir, stale.name), timeout=10)
    proc, changed = run_role(tmp_path, variables, check=True)
    # changed tasks: jars (1 loop), driver jar, settings.cfg, older jar removed
    assert proc.returncode == 0 and changed == 4, proc.stdout + proc.stderr
    assert [p for p in bucket.list() if tag in p] == ["%s/%s" % (reg_dir, stale.name)]
    output = ""
    for check, expected in ((False, 4), (True, 0), (False, 0)):
        proc, changed = run_role(tmp_path, variables, check=check)
        assert proc.returncode == 0 and changed == expected, proc.stdout + proc.stderr
        output += proc.stdout + proc.stderr
    assert variables["exasol_jdbc_driver_bucketfs_password"] not in output
    assert "CVE-2026-42198" in output  # the accepted advisory is still shown, as a warning (on stderr)
    with open(host_file(lab, "%s/settings.cfg" % reg_dir), "rb") as handle:
        assert handle.read() == expected_settings_cfg(lab, "POSTGRESQL_%s" % tag.upper(), jar_name)
    for path in (
        "functional/%s/jars/%s" % (tag, jar_name),
        "%s/%s" % (reg_dir, jar_name),
        "functional/%s/jars/%s" % (tag, os.path.basename(lab["jars"]["adapter_src"])),
    ):
        assert os.path.isfile(host_file(lab, path)), path
    bucket.wait_visible(reg_dir + "/settings.cfg")
    drivers = lab_json(lab["bucketfs"]["lab_endpoint"] + "jdbc-drivers", lab["bucketfs"]["ca_file"])["drivers"]
    ours = [d for d in drivers if d["dir"] == reg_dir]
    assert ours and ours[0]["registered"] and ours[0]["jars"] == [jar_name], ours
    assert not bucket.exists("%s/%s" % (reg_dir, stale.name))


@pytest.mark.exasol7
def test_exaoperation_registration(lab, tag, driver_jar, bucket, tmp_path):
    exa = lab["exaoperation"]
    variables = role_vars(
        lab,
        tag,
        driver_jar,
        exasol_version="7.0",
        exasol_jdbc_driver_exaoperation_url=exa["url"],
        exasol_jdbc_driver_exaoperation_user=exa["user"],
        exasol_jdbc_driver_exaoperation_password=exa["password"],
        exasol_jdbc_driver_exaoperation_ca_cert=exa["ca_file"],
    )
    name = variables["exasol_jdbc_driver_name"]
    try:
        for expected in (2, 0):  # the jars into BucketFS (1 loop) + the EXAoperation driver, then nothing
            proc, changed = run_role(tmp_path, variables)
            assert proc.returncode == 0 and changed == expected, proc.stdout + proc.stderr
        drivers = [d for d in lab_json(exa["lab_endpoint"], exa["ca_file"])["drivers"] if d["jdbc_name"] == name]
        assert len(drivers) == 1 and drivers[0]["jars"] == [os.path.basename(driver_jar)]
        assert drivers[0]["jdbc_prefix"] == "jdbc:postgresql:" and drivers[0]["disable_security_manager"] is True
        assert not [p for p in bucket.list() if p.startswith("drivers/jdbc/postgresql-%s" % tag)]
    finally:
        delete_exaoperation_driver(exa, name)


def delete_exaoperation_driver(exa, name):
    """Remove the test's driver from the EXAoperation emulator (XML-RPC deleteSubObject)."""
    for driver in lab_json(exa["lab_endpoint"], exa["ca_file"])["drivers"]:
        if driver["jdbc_name"] == name:
            transport = xmlrpc.client.SafeTransport(context=ssl.create_default_context(cafile=exa["ca_file"]))
            host = exa["url"].split("://", 1)[1]
            proxy = xmlrpc.client.ServerProxy(
                "https://%s:%s@%s" % (exa["user"], exa["password"], host), transport=transport
            )
            proxy.deleteSubObject(driver["id"])


@pytest.mark.parametrize("case", ["old_driver", "advisory_driver", "not_a_jar", "missing_file"])
def test_bad_jars_are_refused(lab, tag, driver_jar, bucket, tmp_path, case):
    if case == "old_driver":
        jar, expected = old_postgresql_driver(str(tmp_path), "42.2.5"), "inside the affected range of CVE-2022-21724"
    elif case == "advisory_driver":  # CVE-2026-54291 is not in the accepted list of role_vars
        jar, expected = old_postgresql_driver(str(tmp_path), "42.7.11"), "CVE-2026-54291 (GHSA-j92g-9f8w-j867)"
    elif case == "not_a_jar":
        jar = str(tmp_path / "postgresql-42.7.4.jar")
        with open(jar, "w") as handle:
            handle.write("<html>404 Not Found</html>\n")
        expected = "is not a jar: it does not start with the zip signature"
    else:
        jar, expected = str(tmp_path / "nope.jar"), "nope.jar does not exist"
    proc = run_role(tmp_path, role_vars(lab, tag, jar))[0]
    assert proc.returncode != 0 and expected in proc.stdout, proc.stdout
    assert not [p for p in bucket.list() if tag in p]


def test_exaoperation_is_refused_on_2025(lab, tag, driver_jar, bucket, tmp_path):
    """Exasol 8.x / 2025.x have no EXAoperation: asking for it fails before anything is uploaded."""
    variables = role_vars(
        lab, tag, driver_jar, exasol_version="2025.1.3", exasol_jdbc_driver_registration="exaoperation"
    )
    proc = run_role(tmp_path, variables)[0]
    assert proc.returncode != 0 and "has no EXAoperation" in proc.stdout, proc.stdout
    assert not [p for p in bucket.list() if tag in p]


def test_wrong_password_changes_nothing(lab, tag, driver_jar, bucket, tmp_path):
    variables = role_vars(lab, tag, driver_jar, exasol_jdbc_driver_bucketfs_password="not-the-password")
    proc = run_role(tmp_path, variables)[0]
    assert proc.returncode != 0 and "wrong password" in proc.stdout, proc.stdout
    assert "not-the-password" not in proc.stdout
    assert not [p for p in bucket.list() if tag in p]


def test_failed_settings_cfg_rolls_back(lab, tag, driver_jar, bucket, tmp_path):
    """settings.cfg cannot be written (a directory of that name blocks it): the jar this run put into
    drivers/jdbc/<dir>/ is deleted again, so no half-registered driver is left."""
    reg_dir = "drivers/jdbc/postgresql-%s" % tag
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    bucket.upload(reg_dir + "/settings.cfg/blocker", str(blocker))
    assert bucket.wait_visible(reg_dir + "/settings.cfg/blocker", timeout=10)
    proc = run_role(tmp_path, role_vars(lab, tag, driver_jar))[0]
    assert proc.returncode != 0 and "failed and was rolled back" in proc.stdout, proc.stdout
    assert bucket.wait_visible("%s/%s" % (reg_dir, os.path.basename(driver_jar)), present=False, timeout=10)
    assert [p for p in bucket.list() if p.startswith(reg_dir)] == [reg_dir + "/settings.cfg/blocker"]


@pytest.fixture
def jar_server(tmp_path):
    """A loopback HTTP server for the test's jars (stands in for the driver's download site)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    served = tmp_path / "site"
    served.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield served, "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_download_once_with_checksum(lab, tag, driver_jar, bucket, tmp_path, jar_server):
    import hashlib
    import shutil

    served, base = jar_server
    shutil.copy(driver_jar, str(served / "postgresql-42.5.5.jar"))
    with open(driver_jar, "rb") as handle:
        good = hashlib.sha256(handle.read()).hexdigest()
    cache = tmp_path / "cache"
    wrong = role_vars(
        lab,
        tag,
        driver_jar,
        exasol_jdbc_driver_driver_src="",
        exasol_jdbc_driver_driver_url=base + "/postgresql-42.5.5.jar",
        exasol_jdbc_driver_driver_sha256="0" * 64,
        exasol_jdbc_driver_cache_dir=str(cache),
    )
    proc = run_role(tmp_path, wrong)[0]
    assert proc.returncode != 0 and "did not match 0000000000" in proc.stdout, proc.stdout
    assert not [p for p in bucket.list() if tag in p]
    right = dict(wrong, exasol_jdbc_driver_driver_sha256=good)
    proc, changed = run_role(tmp_path, right)
    assert proc.returncode == 0 and changed == 4, proc.stdout  # download, jars, driver jar, settings.cfg
    assert (cache / "postgresql-42.5.5.jar").is_file()
    os.unlink(str(served / "postgresql-42.5.5.jar"))  # a rerun must not need the site any more
    proc, changed = run_role(tmp_path, right)
    assert proc.returncode == 0 and changed == 0, proc.stdout
