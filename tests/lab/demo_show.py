"""After `make demo`: show what Exasol now sees of Aurora, and how to go on from here."""

import json
import os
import sys

import pyexasol

HERE = os.path.dirname(os.path.abspath(__file__))
STATE = os.environ.get("LAB_STATE_DIR", os.path.join(HERE, "state"))
SCHEMA = os.environ.get("DEMO_VIRTUAL_SCHEMA", "AURORA")


def main():
    try:
        return show()
    except pyexasol.ExaError as exc:
        print(
            "Exasol could not read through the virtual schema: %s\n"
            "Run `make demo` (site.yml) again: it puts the trust and the objects back in place." % (exc,),
            file=sys.stderr,
        )
        return 1


def show():
    with open(os.path.join(STATE, "lab.json")) as handle:
        lab = json.load(handle)
    exa = lab["exasol"]
    conn = pyexasol.connect(
        dsn="%s:%s" % (exa["host"], exa["port"]),
        user=exa["user"],
        password=exa["password"],
        encryption=True,
        websocket_sslopt={"ca_certs": exa["ca_file"]},
    )
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT TABLE_NAME FROM EXA_ALL_VIRTUAL_TABLES WHERE TABLE_SCHEMA = {s} ORDER BY TABLE_NAME",
                {"s": SCHEMA},
            ).fetchall()
        ]
        print("\n%s\nVirtual schema %s reads Aurora's tables: %s" % (generation(lab), SCHEMA, ", ".join(tables)))
        for table in tables[:2]:
            stmt = conn.execute("SELECT * FROM %s.%s LIMIT 3" % (SCHEMA, conn.format.default_format_ident(table)))
            print("\nSELECT * FROM %s.%s LIMIT 3;" % (SCHEMA, table))
            print("  " + " | ".join(stmt.column_names()))
            for row in stmt.fetchall():
                print("  " + " | ".join("NULL" if value is None else str(value) for value in row))
    finally:
        conn.close()
    loader_store = lab["nodes"][0]["loader_truststore"]
    print(
        """
Explore:
  make lab-status                                  what runs where
  ansible -i inventory/lab exasol_nodes -m ansible.builtin.shell \\
    -a 'STOREPASS=changeit keytool -list -keystore %s -storepass:env STOREPASS | grep -c ^rds-'
                                                   RDS-bundle certificates in each node's loader store
  tests/lab/README.md, tests/lab/README_exasol.md  what the lab is and what it emulates
  psql "host=%s port=%s dbname=%s user=%s sslmode=verify-full sslrootcert=%s"
Again:  make demo   (a second run reports changed=0)
Other generation:  LAB_EXASOL_VERSION=%s make lab-reset demo
Stop:   make lab-down
"""
        % (
            loader_store,
            lab["postgres"]["host"],
            lab["postgres"]["port"],
            lab["postgres"]["database"],
            lab["postgres"]["user"],
            lab["postgres"]["ca_file"],
            "7.1.26" if "exaoperation" not in lab else "2025",
        )
    )
    return 0


def generation(lab):
    """One line: which Exasol generation this demo ran on (tests/lab LAB_EXASOL_VERSION)."""
    version = lab["exasol"]["version"]
    if "exaoperation" in lab:
        return "Exasol %s lab (6.x/7.x layout: central store, EXAoperation, BucketFS HTTP and HTTPS)" % version
    return (
        "Exasol %s lab (c4/COS layout: loader store under runtime-*-jdk, no EXAoperation, BucketFS HTTPS only)"
        % version
    )


if __name__ == "__main__":
    sys.exit(main())
