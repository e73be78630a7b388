"""Small valid jars for tests and the lab (zipfile only; no JDK needed).

There is no real virtual-schema adapter jar offline, so the lab uses a STAND-IN: a valid jar named
like the real one (`virtual-schema-dist-<vs>-postgresql-<dialect>.jar`) whose manifest says plainly
that it is a lab stand-in. It is not the Exasol adapter and contains no adapter classes.
"""

import os
import zipfile

STANDIN_NOTE = "LAB STAND-IN, not the Exasol virtual-schema adapter"


def build_jar(path, manifest, entries=None):
    """Write a jar: META-INF/MANIFEST.MF (CRLF lines, as the JDK writes them) plus entries."""
    lines = ["Manifest-Version: 1.0"] + ["%s: %s" % item for item in manifest.items()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/MANIFEST.MF", "\r\n".join(lines) + "\r\n\r\n")
        for name, data in (entries or {}).items():
            archive.writestr(name, data)
    return path


def adapter_standin(directory, vs_version="12.0.0", dialect_version="3.0.0"):
    """The lab's stand-in for virtual-schema-dist-<vs>-postgresql-<dialect>.jar."""
    name = "virtual-schema-dist-%s-postgresql-%s.jar" % (vs_version, dialect_version)
    return build_jar(
        os.path.join(directory, name),
        {
            "Implementation-Title": STANDIN_NOTE,
            "Implementation-Version": "%s-postgresql-%s" % (vs_version, dialect_version),
        },
        {"README.txt": STANDIN_NOTE + "\n"},
    )


def old_postgresql_driver(directory, version="42.2.5"):
    """A jar whose manifest claims to be an old PostgreSQL JDBC driver (for refusal tests)."""
    return build_jar(
        os.path.join(directory, "postgresql-%s.jar" % version),
        {
            "Implementation-Title": "PostgreSQL JDBC Driver",
            "Implementation-Version": version,
            "Bundle-Version": version,
        },
    )
