"""The jars a deployment uploads to BucketFS: the real pgjdbc driver and the adapter stand-in.

The PostgreSQL JDBC driver is Debian's real pgjdbc (libpostgresql-jdbc-java). The virtual-schema
adapter cannot be downloaded here, so the lab builds a STAND-IN jar named like the real one
(tests/support/standin_jars.py); the Exasol emulator implements the adapter's logic itself and
only checks that every %jar exists in BucketFS.
"""

import os
import sys

from lab import LabError

NAME = "jars"
DEBIAN_DRIVER = "/usr/share/java/postgresql.jar"
# Stand-in name per node generation: adapter 3.x on 6.x/7.x, 4.x (Exasol 2025.1+ only,
# postgresql-virtual-schema changes_4.0.0.md) on 8 / 2025.x.
ADAPTER_VERSIONS = {"classic": ("12.0.0", "3.0.0"), "cos": ("14.0.5", "4.0.2")}


def _support():
    support = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "support")
    if support not in sys.path:
        sys.path.insert(0, support)
    import standin_jars  # pylint: disable=import-outside-toplevel

    return standin_jars


def up(lab):
    driver = os.path.realpath(DEBIAN_DRIVER)
    if not os.path.isfile(driver):
        raise LabError("%s is missing: install the Debian package libpostgresql-jdbc-java (`make apt`)" % DEBIAN_DRIVER)
    directory = lab.path("jars")
    os.makedirs(directory, exist_ok=True)
    standin_jars = _support()
    vs_version, dialect_version = ADAPTER_VERSIONS[lab.exasol_generation()]
    adapter = os.path.join(directory, "virtual-schema-dist-%s-postgresql-%s.jar" % (vs_version, dialect_version))
    if not os.path.exists(adapter):
        standin_jars.adapter_standin(directory, vs_version, dialect_version)
    return {"jars": {"driver_src": driver, "adapter_src": adapter, "adapter_is_standin": True}}


def down(lab):
    """Nothing runs; the files go with the state directory."""


def status(lab):
    jars = lab.state.get("jars")
    return "driver %s, adapter stand-in %s" % (jars["driver_src"], jars["adapter_src"]) if jars else "not built"
