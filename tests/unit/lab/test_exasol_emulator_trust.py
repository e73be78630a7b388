"""Which file a node's JVM reads, as the lab Exasol emulator resolves it (issue 12; no lab).

A node sees its own tree under its mounts and the host elsewhere; absolute links resolve from the
node's / (or, inside a script-language container, from the container's /), never the host's.
"""

import json
import os

import pytest
from lab_exasol import adapter
from lab_exasol.sql import SqlError

SLC = "/usr/opt/EXASuite-7/EXAClusterOS-7.1.26/var/clients/packages/ScriptLanguages-standard-7.1"
JDK = "usr/lib/jvm/java-11/lib/security/cacerts"
CENTRAL = "/etc/pki/ca-trust/extracted/java/cacerts"


def write(path, text="x"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


@pytest.fixture
def node(tmp_path):
    root = str(tmp_path / "node1")
    write(root + CENTRAL, "central")
    os.makedirs(root + "/etc/ssl/certs/java")
    os.symlink(CENTRAL, root + "/etc/ssl/certs/java/cacerts")  # node-wide link, as on CentOS nodes
    write(root + SLC + "/etc/ssl/certs/java/cacerts", "container's own")
    os.makedirs(os.path.dirname(root + SLC + "/" + JDK))
    os.symlink("/etc/ssl/certs/java/cacerts", root + SLC + "/" + JDK)  # absolute, meant for the container
    return {
        "name": "node1",
        "root": root,
        "mounts": ["/etc/pki/ca-trust", "/usr/opt", "/exa", "/etc/ssl/certs/java"],
        "loader_truststore": CENTRAL,
        "adapter_truststores": [SLC + "/" + JDK],
        "store_password": "changeit",
    }


def read(path):
    with open(path) as handle:
        return handle.read()


def test_node_link_resolves_in_the_node_tree(node):
    path = adapter.node_host_path(
        node, adapter.resolve_view("/etc/ssl/certs/java/cacerts", lambda p: adapter.node_host_path(node, p))
    )
    assert path == node["root"] + CENTRAL and read(path) == "central"


def test_container_link_resolves_in_the_container_not_the_node(node):
    path = adapter.container_host_path(node, node["adapter_truststores"][0])
    assert path == node["root"] + SLC + "/etc/ssl/certs/java/cacerts" and read(path) == "container's own"


def test_path_outside_the_mounts_is_the_hosts(node):
    assert adapter.node_host_path(node, "/usr/lib/jvm/x/cacerts") == "/usr/lib/jvm/x/cacerts"


def test_link_loop_ends(node):
    os.makedirs(node["root"] + "/exa", exist_ok=True)
    os.symlink("/exa/b", node["root"] + "/exa/a")
    os.symlink("/exa/a", node["root"] + "/exa/b")
    assert adapter.resolve_view("/exa/a", lambda p: adapter.node_host_path(node, p)) in ("/exa/a", "/exa/b")


def test_every_node_and_both_jvms_are_named(node, tmp_path):
    second = dict(node, name="node2")
    lab_json = tmp_path / "lab.json"
    lab_json.write_text(json.dumps({"nodes": [node, second]}))
    emulator = adapter.Adapter(
        {"lab_json": str(lab_json), "bucketfs_host_dir": str(tmp_path / "bfs"), "repo_root": str(tmp_path)}
    )
    options = {"jvmoptions": []}
    assert [label.split()[0] for label, _path, _pw in emulator.adapter_stores(options)] == ["node1", "node2"]
    loader = emulator.loader_stores()
    assert [(label, path) for label, path, _pw in loader] == [
        ("node1 ExaLoader " + CENTRAL, node["root"] + CENTRAL),
        ("node2 ExaLoader " + CENTRAL, node["root"] + CENTRAL),
    ]
    options = {"jvmoptions": ["-Djavax.net.ssl.trustStore=/buckets/bfsdefault/default/t.jks"]}
    stores = emulator.adapter_stores(options)
    assert {path for _label, path, _pw in stores} == {
        str(tmp_path / "bfs" / "bfsdefault" / ".dest" / "default" / "t.jks")
    }
    assert emulator.loader_stores() == loader  # %jvmoption never reaches ExaLoader


def test_url_options_naming_client_files_are_refused():
    with pytest.raises(SqlError) as caught:
        adapter.refuse_host_file_options("jdbc:postgresql://h/d?sslmode=verify-full&SSLRootCert=/x.pem", 7)
    assert caught.value.code == "0A000" and "sslrootcert" in str(caught.value)
    adapter.refuse_host_file_options(
        "jdbc:postgresql://h/d?ssl=true&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory", 7
    )


URL_TLS = "jdbc:postgresql://h:5432/d?ssl=true&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory"


@pytest.mark.parametrize(
    "version,settings,refused",
    [
        ((2025, 1, 3), {}, True),
        ((2025, 1, 3), {"NOSECURITY": "NO"}, True),
        ((2025, 1, 3), {"NOSECURITY": "YES"}, False),
        ((8, 29, 12), {}, True),
        ((7, 1, 26), {}, False),
    ],
)
def test_loader_tls_needs_nosecurity_from_exasol_8(version, settings, refused):
    """Exasol 8 / 2025.x: ExaLoader's security manager denies a TLS handshake without NOSECURITY=YES."""
    connection = {"address": URL_TLS, "user": "u"}
    if refused:
        with pytest.raises(SqlError) as caught:
            adapter.Adapter.refuse_tls_under_security_manager(connection, settings, version, 3)
        assert (
            caught.value.code == "42636" and "ETL-5402" in str(caught.value) and "NOSECURITY=YES" in str(caught.value)
        )
    else:
        adapter.Adapter.refuse_tls_under_security_manager(connection, settings, version, 3)
    plain = {"address": "jdbc:postgresql://h:5432/d", "user": "u"}
    adapter.Adapter.refuse_tls_under_security_manager(plain, settings, version, 3)  # no TLS, nothing to deny


def test_settings_without_jar_use_every_jar_from_8_0_3(tmp_path):
    (tmp_path / "postgresql.jar").write_bytes(b"jar")
    (tmp_path / "settings.cfg").write_text("DRIVERNAME=P\nPREFIX=jdbc:postgresql:\n")
    assert adapter.Adapter.settings_jars(str(tmp_path), {"PREFIX": "jdbc:postgresql:"}, (2025, 1, 3)) == [
        str(tmp_path / "postgresql.jar")
    ]
    assert adapter.Adapter.settings_jars(str(tmp_path), {"PREFIX": "jdbc:postgresql:"}, (7, 1, 26)) is None
