"""Aurora's data plane for the lab: a PostgreSQL 15 cluster of the lab's own.

Own data directory (state/postgres/data), run as the `postgres` OS user, listening on
127.0.0.10:5432 only, TLS with a server certificate from the lab CA (leaf + intermediate).
pg_hba: `local` (peer) for the lab's own admin work, `hostssl ... scram-sha-256` for everyone
else, no plain `host` line. The endpoint name is mapped to the address in /etc/hosts by a
marked block (added on up, removed on down).
"""

import hashlib
import os
import secrets
import shutil
import subprocess
import time

from components import ca
from lab import LabError

NAME = "postgres"
PG_BIN = "/usr/lib/postgresql/15/bin"
OS_USER = "postgres"
DATABASE = "aurora_tutorial_database"
MASTER = "master"
HOSTS_FILE = "/etc/hosts"
HOSTS_BEGIN = "# BEGIN virtualis.aurora lab (tests/lab/lab.py; removed by `make lab-down`)"
HOSTS_END = "# END virtualis.aurora lab"

# Aurora-only function the roles' smoke test calls; answers like Aurora: "<major>.<minor>.<patch>".
AURORA_VERSION_SQL = """
CREATE OR REPLACE FUNCTION public.aurora_version() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT split_part(current_setting('server_version'), ' ', 1) || '.0' $$;
"""

SAMPLE_SQL = """
SET ROLE master;
CREATE TABLE public.customers (
    customer_id   integer PRIMARY KEY,
    name          varchar(100) NOT NULL,
    email         text,
    country_code  char(2),
    is_active     boolean NOT NULL,
    signup_date   date,
    credit_limit  numeric(12,2),
    rating        real,
    updated_at    timestamp
);
INSERT INTO public.customers VALUES
 (1, 'Ada Lovelace',      'ada@example.com',     'GB', true,  '2019-07-24', 12000.50, 4.5, '2024-01-02 10:11:12'),
 (2, 'Grace Hopper',      'grace@example.com',   'US', true,  '2020-02-29', 99999.99, 5.0, '2024-02-03 11:12:13'),
 (3, 'Konrad Zuse',       'konrad@example.com',  'DE', false, '2018-12-31', 0.00,     3.25, NULL),
 (4, 'Edsger Dijkstra',   NULL,                  'NL', true,  NULL,         500.00,   NULL, '2023-12-31 23:59:59'),
 (5, 'Émilie du Châtelet','emilie@example.com',  'FR', true,  '2021-06-01', 1234.56,  4.0, '2024-06-01 00:00:00');

CREATE TABLE public.orders (
    order_id      bigint PRIMARY KEY,
    customer_id   integer NOT NULL REFERENCES public.customers(customer_id),
    ordered_at    timestamptz NOT NULL,
    quantity      smallint NOT NULL,
    amount        numeric(10,2) NOT NULL,
    weight_kg     double precision,
    status        varchar(20) NOT NULL,
    note          text
);
-- 2500 deterministic rows: enough for fetches that span several result-set chunks.
INSERT INTO public.orders
SELECT 1000000000000 + g,
       1 + g % 5,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '37 minutes',
       (1 + g % 7)::smallint,
       round((g * 1.37) % 1000, 2),
       CASE WHEN g % 10 = 0 THEN NULL ELSE g / 8.0 END,
       (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
       CASE WHEN g % 3 = 0 THEN 'note ' || g END
FROM generate_series(1, 2500) AS g;

CREATE TABLE public.type_samples (
    id            serial PRIMARY KEY,
    c_smallint    smallint,
    c_integer     integer,
    c_bigint      bigint,
    c_numeric     numeric(38,10),
    c_real        real,
    c_double      double precision,
    c_varchar     varchar(2000),
    c_char        char(10),
    c_text        text,
    c_boolean     boolean,
    c_date        date,
    c_timestamp   timestamp,
    c_timestamptz timestamptz
);
INSERT INTO public.type_samples (c_smallint, c_integer, c_bigint, c_numeric, c_real, c_double, c_varchar,
                                 c_char, c_text, c_boolean, c_date, c_timestamp, c_timestamptz) VALUES
 (-32768, -2147483648, -9223372036854775808, -1234567890123456789012345678.0123456789, -1.5, -1e300,
  'min', 'a', 'lowest values', false, '0001-01-01', '1900-01-01 00:00:00', '1970-01-01 00:00:00+00'),
 (32767, 2147483647, 9223372036854775807, 1234567890123456789012345678.0123456789, 3.25, 1e300,
  'max', 'z', 'highest values', true, '9999-12-31', '2099-12-31 23:59:59.999', '2038-01-19 03:14:07+00'),
 (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (0, 0, 0, 0, 0, 0, '', ' ', 'Unicode: äöü ß € 日本', true, '2024-02-29', '2024-02-29 12:00:00', now());

CREATE VIEW public.customer_totals AS
SELECT c.customer_id, c.name, count(o.order_id) AS order_count, sum(o.amount) AS total_amount
FROM public.customers c LEFT JOIN public.orders o USING (customer_id)
GROUP BY c.customer_id, c.name;
RESET ROLE;
ANALYZE;
"""


def address(lab):
    return lab.setting("LAB_POSTGRES_ADDRESS", "127.0.0.10"), int(lab.setting("LAB_POSTGRES_PORT", "5432"))


def _fallback_base(lab):
    digest = hashlib.sha256(os.path.abspath(lab.state_dir).encode()).hexdigest()[:10]
    return "/var/tmp/virtualis-aurora-lab-%s-postgres" % digest


def _base_dir(lab):
    """state/postgres, unless the `postgres` user cannot reach the state dir (a checkout under a
    0700 directory): then a directory of its own under /var/tmp, removed by lab-down all the same."""
    fallback = _fallback_base(lab)
    if os.path.isdir(fallback):
        return fallback
    if _as_postgres(["test", "-x", lab.state_dir]).returncode == 0:
        return lab.path("postgres")
    return fallback


def _dirs(lab):
    base = _base_dir(lab)
    return {
        "base": base,
        "data": os.path.join(base, "data"),
        "run": os.path.join(base, "run"),
        "tls": os.path.join(base, "tls"),
        "marker": os.path.join(base, "initialized"),
        "password": os.path.join(base, "master-password"),
    }


def _as_postgres(argv, **kwargs):
    import pwd

    entry = pwd.getpwnam(OS_USER)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": entry.pw_dir}
    return subprocess.run(
        argv,
        user=entry.pw_uid,
        group=entry.pw_gid,
        extra_groups=[],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
        **kwargs,
    )


def _owned_dir(path, uid, gid, mode=0o700):
    os.makedirs(path, exist_ok=True)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def _password(path):
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(24))
    with open(path) as handle:
        return handle.read().strip()


def _config(dirs, host, port):
    return "\n".join(
        [
            "# written by tests/lab/components/postgres.py",
            "listen_addresses = '%s'" % host,
            "port = %d" % port,
            "unix_socket_directories = '%s'" % dirs["run"],
            "ssl = on",
            "ssl_cert_file = '%s'" % os.path.join(dirs["tls"], "server-chain.pem"),
            "ssl_key_file = '%s'" % os.path.join(dirs["tls"], "server.key"),
            "ssl_min_protocol_version = 'TLSv1.2'",
            "password_encryption = 'scram-sha-256'",
            "max_connections = 60",
            "shared_buffers = 32MB",
            "fsync = off",  # a throw-away lab: no need to wait for the disk
            "synchronous_commit = off",
            "full_page_writes = off",
            "logging_collector = off",
            "log_connections = on",
            "",
        ]
    )


HBA = """# written by tests/lab/components/postgres.py: TLS only for TCP clients, never plain `host`
# TYPE   DATABASE  USER      ADDRESS       METHOD
local    all       postgres                peer
hostssl  all       all       127.0.0.0/8   scram-sha-256
"""


def _initdb(lab, dirs, host, port):
    import pwd

    entry = pwd.getpwnam(OS_USER)
    _owned_dir(dirs["base"], 0, 0, 0o711)
    for key in ("data", "run", "tls"):
        _owned_dir(dirs[key], entry.pw_uid, entry.pw_gid)
    done = _as_postgres(
        [
            os.path.join(PG_BIN, "initdb"),
            "-D",
            dirs["data"],
            "-U",
            OS_USER,
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=peer",
            "--auth-host=reject",
            "--no-sync",
        ]
    )
    if done.returncode != 0:
        raise LabError("initdb failed: %s" % (done.stderr or done.stdout).strip())
    with open(os.path.join(dirs["data"], "postgresql.conf"), "a") as handle:
        handle.write("\n" + _config(dirs, host, port))
    with open(os.path.join(dirs["data"], "pg_hba.conf"), "w") as handle:
        handle.write(HBA)


def _install_tls(lab, dirs, chain=None, key=None):
    import pwd

    entry = pwd.getpwnam(OS_USER)
    for source, name in (
        (chain or lab.state["ca"]["server_chain"], "server-chain.pem"),
        (key or lab.state["ca"]["server_key"], "server.key"),
    ):
        target = os.path.join(dirs["tls"], name)
        shutil.copyfile(source, target)
        os.chown(target, entry.pw_uid, entry.pw_gid)
        os.chmod(target, 0o600)


def _psql(dirs, port, sql, database="postgres"):
    """Admin SQL over the unix socket as `postgres` (peer); SQL on stdin, never on the command line."""
    return _as_postgres(
        [
            "/usr/lib/postgresql/15/bin/psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            dirs["run"],
            "-p",
            str(port),
            "-d",
            database,
        ],
        input=sql,
    )


def _wait_ready(dirs, port, timeout=30):
    deadline = time.time() + timeout
    while True:
        done = _psql(dirs, port, "SELECT 1;")
        if done.returncode == 0:
            return
        if time.time() > deadline:
            raise LabError("PostgreSQL did not accept connections: %s" % done.stderr.strip())
        time.sleep(0.1)


def _populate(dirs, port, password):
    quoted = password.replace("'", "''")
    steps = [
        ("template1", AURORA_VERSION_SQL),
        (
            "postgres",
            "CREATE ROLE %s LOGIN PASSWORD '%s';\nCREATE DATABASE %s OWNER %s;\n%s"
            % (MASTER, quoted, DATABASE, MASTER, AURORA_VERSION_SQL),
        ),
        (DATABASE, "ALTER SCHEMA public OWNER TO %s;\n%s" % (MASTER, SAMPLE_SQL)),
    ]
    for database, sql in steps:
        done = _psql(dirs, port, sql, database)
        if done.returncode != 0:
            raise LabError("could not create the sample database (%s): %s" % (database, done.stderr.strip()))


# --- /etc/hosts -------------------------------------------------------------------------------
def hosts_block(lines, entries):
    """`lines` (of /etc/hosts) without our marked block, plus a fresh one for `entries` if any."""
    kept, inside = [], False
    for line in lines:
        if line.rstrip("\n") == HOSTS_BEGIN:
            inside = True
        elif inside and line.rstrip("\n") == HOSTS_END:
            inside = False
        elif not inside:
            kept.append(line if line.endswith("\n") else line + "\n")
    if entries:
        kept.append(HOSTS_BEGIN + "\n")
        kept.extend("%s %s\n" % (address, name) for address, name in entries)
        kept.append(HOSTS_END + "\n")
    return kept


def _update_hosts(entries):
    """Rewrite /etc/hosts in place (it may be a bind mount) only when our block changes."""
    try:
        with open(HOSTS_FILE) as handle:
            before = handle.readlines()
        after = hosts_block(before, entries)
        if after != before:
            with open(HOSTS_FILE, "w") as handle:
                handle.writelines(after)
        return True
    except OSError:
        return False


def _part(lab, password, hosts_mapped):
    host, port = address(lab)
    return {
        "postgres": {
            "host": ca.endpoint_name(lab),
            "address": host,
            "port": port,
            "database": DATABASE,
            "user": MASTER,
            "password": password,
            "ca_file": lab.state["ca"]["root_pem"],
            "hosts_file_mapped": hosts_mapped,
            "admin_socket_dir": _dirs(lab)["run"],
        }
    }


def up(lab):
    host, port = address(lab)
    lab.require_program(os.path.join(PG_BIN, "postgres"), "postgresql-15")
    lab.require_program(os.path.join(PG_BIN, "psql"), "postgresql-client-15")
    dirs = _dirs(lab)
    mapped = _update_hosts([(host, ca.endpoint_name(lab))])
    if not mapped:
        print(
            "lab up: postgres: %s is not writable; resolve %s yourself (e.g. psql "
            "`hostaddr=%s`), see tests/lab/README.md" % (HOSTS_FILE, ca.endpoint_name(lab), host)
        )
    if lab.alive(NAME):
        return _part(lab, _password(dirs["password"]), mapped)
    if lab.stale(NAME):
        raise LabError(
            "PostgreSQL (pid %d) died; the lab is half-started: run `make lab-down`, then `make lab-up`" % lab.pid(NAME)
        )
    if os.path.exists(dirs["data"]) and not os.path.exists(dirs["marker"]):
        raise LabError(
            "%s exists but was never fully set up (half-started lab): run `make lab-down`, "
            "then `make lab-up`" % dirs["data"]
        )
    lab.require_free(host, port, "PostgreSQL")
    fresh = not os.path.exists(dirs["marker"])
    if fresh:
        _initdb(lab, dirs, host, port)
    password = _password(dirs["password"])
    _install_tls(lab, dirs)
    lab.spawn(
        NAME,
        [os.path.join(PG_BIN, "postgres"), "-D", dirs["data"]],
        user=OS_USER,
        env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"},
        cwd="/",
    )
    lab.wait_port(host, port, "PostgreSQL", timeout=30, name=NAME)
    _wait_ready(dirs, port)
    if fresh:
        _populate(dirs, port, password)
        open(dirs["marker"], "w").close()
    return _part(lab, password, mapped)


def down(lab):
    pid = lab.pid(NAME)
    if pid is not None and lab.alive(NAME):
        import signal

        os.kill(pid, signal.SIGINT)  # "fast" shutdown: ends sessions, then exits
        deadline = time.time() + 10
        while time.time() < deadline and lab.alive(NAME):
            time.sleep(0.05)
    lab.stop(NAME)
    host, port = address(lab)
    if not lab.port_open(host, port):  # else another lab's PostgreSQL still answers to the name
        _update_hosts([])
    for base in (lab.path("postgres"), _fallback_base(lab)):
        shutil.rmtree(base, ignore_errors=True)


def _served_certificate(lab):
    """SHA-256 of the certificate PostgreSQL presents now (SSLRequest, then an unverified handshake)."""
    import socket
    import ssl

    host, port = address(lab)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"\x00\x00\x00\x08\x04\xd2\x16\x2f")  # SSLRequest
        if sock.recv(1) != b"S":
            raise LabError("PostgreSQL on %s:%d refused TLS" % (host, port))
        with context.wrap_socket(sock, server_hostname=ca.endpoint_name(lab)) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def rotate_ca(lab, identifier):
    """What AWS does when an instance's CACertificateIdentifier changes: serve a server certificate
    issued under that CA's root (the lab's stand-in, components/ca.py), reloaded without a restart
    (PostgreSQL re-reads its SSL files on SIGHUP). Returns the chain file and its root."""
    if not lab.alive(NAME):
        raise LabError("PostgreSQL is not running: run `make lab-up` first")
    paths = ca.server_certificate(lab, identifier)
    _install_tls(lab, _dirs(lab), paths["chain"], paths["key"])
    import signal

    os.kill(lab.pid(NAME), signal.SIGHUP)
    with open(paths["cert"], "rb") as handle:
        from ssl import PEM_cert_to_DER_cert

        wanted = hashlib.sha256(PEM_cert_to_DER_cert(handle.read().decode("ascii"))).hexdigest()
    deadline = time.time() + 10
    while _served_certificate(lab) != wanted:
        if time.time() > deadline:
            raise LabError(
                "PostgreSQL still presents its old certificate after SIGHUP (see %s)"
                % os.path.join(lab.log_dir, NAME + ".log")
            )
        time.sleep(0.1)
    return {"ca_identifier": identifier, "server_chain": paths["chain"], "ca_file": paths["ca_file"]}


def status(lab):
    host, port = address(lab)
    if lab.alive(NAME):
        return "pid %d, %s:%d (%s), TLS only" % (lab.pid(NAME), host, port, ca.endpoint_name(lab))
    return "stopped"
