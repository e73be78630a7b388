"""rds_truststore_info: what an operator sees, on local stores and a local PostgreSQL-style TLS server.

The server speaks PostgreSQL's prologue (it expects the 8-byte SSLRequest and answers 'S' or 'N')
and then TLS with a chain of a throwaway CA (root -> intermediate -> server), on 127.0.0.61
(a loopback address the lab does not use). No lab needed.
"""

import datetime
import json
import os
import socketserver
import ssl
import struct

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils._x509 import Certificate
from exasol_layouts import node_tree, nodes, slc_store
from loopback import LoopbackServer
from module_runner import run_module
from truststores import SLC, have_java, keytool, make_jks, make_node

pytestmark = pytest.mark.spawns  # every test here starts a process (ansible-playbook, a module, keytool, a JVM)

ADDRESS = "127.0.0.61"
SERVER_NAME = "db.info.test"
SSL_REQUEST = struct.pack("!II", 8, 80877103)
PASSWORD = "Info-Store-Pa55"
needs_java = pytest.mark.skipif(not have_java(), reason="needs keytool")


# certificates (controller side, with cryptography) ----------------------------------------------
def make_cert(name, issuer=None, days=365, ca=True, sans=()):
    """(cryptography certificate, key, x509.Certificate of this collection)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        import ipaddress

        names = [x509.IPAddress(ipaddress.ip_address(s)) if s[0].isdigit() else x509.DNSName(s) for s in sans]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    return cert, key, Certificate(cert.public_bytes(serialization.Encoding.DER))


def pem(cert):
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def key_pem(key):
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


@pytest.fixture(scope="module")
def pki():
    root = make_cert("Info Test Root CA", days=3650)
    intermediate = make_cert("Info Test Intermediate CA", issuer=root[:2], days=1825)
    server = make_cert(SERVER_NAME, issuer=intermediate[:2], days=10, ca=False, sans=(SERVER_NAME, ADDRESS))
    other = make_cert("Unrelated CA", days=3650)
    soon = make_cert("Expiring Soon CA", days=30)
    return dict(root=root, intermediate=intermediate, server=server, other=other, soon=soon)


# the server -----------------------------------------------------------------------------------
class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        owner = self.server.owner
        prologue = self.request.recv(8)
        owner.prologues.append(prologue)
        if prologue != SSL_REQUEST or owner.answer != b"S":
            self.request.sendall(owner.answer if prologue == SSL_REQUEST else b"E")
            return
        self.request.sendall(b"S")
        try:
            tls = owner.context.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError):
            owner.after_handshake.append(None)
            return
        tls.settimeout(3)
        received = b""
        try:
            while True:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                received += chunk
        except (ssl.SSLError, OSError):
            pass
        tls.close()
        owner.after_handshake.append(received)


class PostgresTlsServer(LoopbackServer):
    """Answers the SSLRequest with `answer`, then TLS with the server certificate and the intermediate."""

    def __init__(self, tmp_path, pki, answer=b"S"):
        chain = tmp_path / "server-chain.pem"
        chain.write_text(pem(pki["server"][0]) + pem(pki["intermediate"][0]))
        key = tmp_path / "server-key.pem"
        key.write_text(key_pem(pki["server"][1]))
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(chain), str(key))
        self.answer, self.prologues, self.after_handshake = answer, [], []
        self.server = socketserver.ThreadingTCPServer((ADDRESS, 0), _Handler)
        self.server.daemon_threads = True
        self.server.owner = self
        self.start_thread()


@pytest.fixture()
def server(tmp_path, pki):
    with PostgresTlsServer(tmp_path, pki) as running:
        yield running


def run(tmp_path, **args):
    args.setdefault("cache_dir", "")
    return run_module("rds_truststore_info", tmp_path, **args)


def endpoint(server, name=SERVER_NAME):
    return {"host": ADDRESS, "port": server.port, "server_hostname": name, "timeout": 5}


def store_of(tmp_path, name, *certs, **kwargs):
    return make_jks(tmp_path / name, [c[2] for c in certs], **kwargs)


def bundle_file(tmp_path, *certs):
    path = tmp_path / "bundle.pem"
    path.write_text("".join(pem(c[0]) for c in certs))
    return str(path)


# the handshake -------------------------------------------------------------------------------------
def test_store_with_the_root_trusts_the_server_and_sends_no_credentials(tmp_path, pki, server):
    store = store_of(tmp_path, "good.jks", pki["other"], pki["root"])
    result = run(tmp_path, truststores=[store], src=bundle_file(tmp_path, pki["root"]), endpoint=endpoint(server))
    entry = result["stores"][0]
    assert not result.get("failed") and result["changed"] is False
    assert entry["ok"] and entry["handshake"]["ok"] and entry["handshake"]["error"] is None
    assert entry["handshake"]["trust_anchors"] == 2
    chain = entry["handshake"]["server_chain"]
    assert chain[0]["subject"] == "CN=" + SERVER_NAME and chain[0]["sha256"] == pki["server"][2].sha256
    assert [c["sha256"] for c in chain] == [pki["server"][2].sha256, pki["intermediate"][2].sha256]
    assert server.prologues == [SSL_REQUEST]
    assert server.after_handshake == [b""], "nothing may follow the handshake: no startup packet, no password"
    assert result["summary"]["handshake_ok"] == 1 and result["summary"]["ok"] == 1


def test_store_holding_only_the_intermediate_is_trusted_like_the_jvm_does(tmp_path, pki, server):
    store = store_of(tmp_path, "intermediate.jks", pki["intermediate"])
    result = run(tmp_path, truststores=[store], endpoint=endpoint(server))
    assert result["stores"][0]["handshake"]["ok"], result["stores"][0]["handshake"]


def test_store_lacking_the_ca_fails_with_a_verify_error_and_names_what_it_lacks(tmp_path, pki, server):
    good = store_of(tmp_path, "good.jks", pki["root"])
    bad = store_of(tmp_path, "bad.jks", pki["other"])
    args = dict(truststores=[good, bad], src=bundle_file(tmp_path, pki["root"]), endpoint=endpoint(server))
    result = run(tmp_path, **args)
    assert not result.get("failed")
    entry = result["stores"][1]
    assert not entry["ok"] and not entry["handshake"]["ok"]
    assert entry["handshake"]["error_type"] == "verify"
    assert "unable to get local issuer certificate" in entry["handshake"]["error"]
    assert entry["missing"] == [{"subject": "CN=Info Test Root CA", "sha256": pki["root"][2].sha256}]
    assert entry["handshake"]["server_chain"][0]["sha256"] == pki["server"][2].sha256  # seen unverified
    assert result["summary"]["lacking"] == 1 and result["summary"]["handshake_failed"] == 1
    failed = run(tmp_path, fail_on_missing=True, **args)
    assert failed["failed"] and bad in failed["msg"] and good not in failed["msg"]
    assert "1 of 2 truststore(s)" in failed["msg"] and "Info Test Root CA" in failed["msg"]
    assert len(failed["stores"]) == 2 and failed["changed"] is False


def test_wrong_host_name_fails_the_handshake(tmp_path, pki, server):
    store = store_of(tmp_path, "good.jks", pki["root"])
    result = run(tmp_path, truststores=[store], endpoint=endpoint(server, "other.info.test"))
    handshake = result["stores"][0]["handshake"]
    assert not handshake["ok"] and handshake["error_type"] == "hostname"
    assert "other.info.test" in handshake["error"]
    by_address = run(tmp_path, truststores=[store], endpoint=dict(endpoint(server), server_hostname=None))
    assert by_address["stores"][0]["handshake"]["ok"]  # the certificate names 127.0.0.61 too


def test_server_without_tls_and_nothing_listening(tmp_path, pki):
    store = store_of(tmp_path, "good.jks", pki["root"])
    with PostgresTlsServer(tmp_path, pki, answer=b"N") as refusing:
        result = run(tmp_path, truststores=[store], endpoint=endpoint(refusing))
        port = refusing.port
    handshake = result["stores"][0]["handshake"]
    assert handshake["error_type"] == "refused" and "'N'" in handshake["error"]
    closed = run(tmp_path, truststores=[store], endpoint=dict(endpoint(refusing), port=port))
    assert closed["stores"][0]["handshake"]["error_type"] == "connect"


# expiry -----------------------------------------------------------------------------------------
def test_expiring_certificates_of_store_bundle_and_server_are_listed(tmp_path, pki, server):
    store = store_of(tmp_path, "soon.jks", pki["root"], pki["soon"], aliases={pki["soon"][2].sha256: "soon"})
    src = bundle_file(tmp_path, pki["root"], pki["soon"])
    result = run(tmp_path, truststores=[store], src=src, endpoint=endpoint(server), expiry_warning_days=60)
    entry = result["stores"][0]
    assert [(e["alias"], e["sha256"], e["expired"]) for e in entry["expiring"]] == [
        ("soon", pki["soon"][2].sha256, False)
    ]
    assert entry["expiring"][0]["days_left"] in (29, 30)
    assert [e["sha256"] for e in result["bundle"]["expiring"]] == [pki["soon"][2].sha256]
    assert [e["subject"] for e in entry["handshake"]["expiring"]] == ["CN=" + SERVER_NAME]
    assert result["summary"]["expiring"] == 2
    warned = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
    assert len(warned) == 2 and "CN=Expiring Soon CA of the bundle expires within 60 days" in warned[0]
    assert warned[1].startswith("CN=%s of the server's chain expires within 60 days" % SERVER_NAME)
    quiet = run(tmp_path, truststores=[store], src=src, expiry_warning_days=5)
    assert quiet["stores"][0]["expiring"] == [] and quiet["bundle"]["expiring"] == []


def test_expired_bundle_certificate_is_not_missing_unless_asked(tmp_path, pki):
    from truststores import self_signed_pem

    expired_pem = self_signed_pem("Old RDS CA", not_after_days_ago=5)[0]
    src = tmp_path / "old.pem"
    src.write_text(pem(pki["root"][0]) + expired_pem)
    store = store_of(tmp_path, "s.jks", pki["root"])
    result = run(tmp_path, truststores=[store], src=str(src))
    assert result["stores"][0]["missing"] == [] and result["stores"][0]["ok"]
    assert result["bundle"]["expired"] == 1 and result["bundle"]["expiring"][0]["expired"]
    strict = run(tmp_path, truststores=[store], src=str(src), include_expired=True)
    assert [m["subject"] for m in strict["stores"][0]["missing"]] == ["CN=Old RDS CA"]


# the bundle -------------------------------------------------------------------------------------
def test_stale_entries_are_ours_only(tmp_path, pki):
    rotated = "rds-rotated-out-" + pki["other"][2].sha256[:8]  # how rds_truststore names what it adds
    aliases = {pki["other"][2].sha256: rotated, pki["soon"][2].sha256: "rds-but-not-ours"}
    store = store_of(tmp_path, "s.jks", pki["root"], pki["other"], pki["soon"], aliases=aliases)
    result = run(tmp_path, truststores=[store], content=pem(pki["root"][0]))
    entry = result["stores"][0]
    assert entry["stale"] == [{"alias": rotated, "subject": "CN=Unrelated CA", "sha256": pki["other"][2].sha256}]
    assert entry["present"] == 1 and entry["entries"] == 3 and entry["trusted"] == 3


def test_real_rds_bundle(tmp_path, rds_bundle_dir):
    from truststores import bundle

    src = os.path.join(rds_bundle_dir, "global-bundle.pem")
    certs = bundle(src)
    full = make_jks(tmp_path / "full.jks", certs)
    partial = make_jks(tmp_path / "partial.jks", certs[:-3])
    result = run(tmp_path, truststores=[full, partial], src=src)
    assert [s["present"] for s in result["stores"]] == [len(certs), len(certs) - 3]
    assert result["stores"][0]["missing"] == []
    assert [m["sha256"] for m in result["stores"][1]["missing"]] == [c.sha256 for c in certs[-3:]]
    assert all(m["subject"].startswith("C=US, O=Amazon Web Services") for m in result["stores"][1]["missing"])


# stores -----------------------------------------------------------------------------------------
def make_p12(tmp_path, pki, with_key=False):
    """A PKCS12 store made by keytool: the root as a trusted entry (and a private key entry)."""
    cert = tmp_path / "root.pem"
    cert.write_text(pem(pki["root"][0]))
    p12 = tmp_path / "p12" / "store.p12"
    p12.parent.mkdir()
    made = keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "root",
        "-file",
        str(cert),
        "-keystore",
        str(p12),
        "-storetype",
        "PKCS12",
        "-storepass:env",
        "KS_PASS",
        password=PASSWORD,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    if with_key:
        made = keytool(
            "-genkeypair",
            "-alias",
            "client",
            "-keyalg",
            "EC",
            "-dname",
            "CN=client",
            "-keystore",
            str(p12),
            "-storetype",
            "PKCS12",
            "-storepass:env",
            "KS_PASS",
            password=PASSWORD,
        )
        assert made.returncode == 0, made.stdout + made.stderr
    return str(p12), str(cert)


@needs_java
def test_pkcs12_listed_by_keytool_writes_nothing_and_never_shows_the_password(tmp_path, pki, server):
    p12, cert = make_p12(tmp_path, pki, with_key=True)
    before = sorted(os.listdir(os.path.dirname(p12)))
    result = run(tmp_path, truststores=[p12], src=cert, store_password=PASSWORD, endpoint=endpoint(server))
    entry = result["stores"][0]
    assert entry["type"] == "pkcs12" and entry["entries"] == 2 and entry["trusted"] == 1
    assert entry["ok"] and entry["handshake"]["ok"] and entry["jvm_starts"] == 1
    assert sorted(os.listdir(os.path.dirname(p12))) == before
    assert PASSWORD not in json.dumps(result)
    assert result["invocation"]["module_args"]["store_password"] != PASSWORD
    wrong = run(tmp_path, truststores=[p12], src=cert, store_password="not-it")
    assert not wrong.get("failed") and "wrong store_password" in wrong["stores"][0]["error"]
    declared = run(tmp_path, truststores=[p12], store_password=PASSWORD, store_type="jks")
    assert "is a PKCS12 file, but store_type=jks" in declared["stores"][0]["error"]


@needs_java
def test_keytool_list_gets_the_password_on_stdin_only(tmp_path, pki):
    """The one keytool run of the reader, recorded: the password is its stdin (with the newline
    keytool reads up to), in neither its command line nor its environment."""
    from ansible_collections.virtualis.aurora.plugins.module_utils._truststore_reader import read_truststore
    from runners import RecordingRunner

    p12, dummy_cert = make_p12(tmp_path, pki)
    runner = RecordingRunner()
    store_type, entries, jvm_starts = read_truststore(p12, "auto", PASSWORD, runner)
    assert (store_type, jvm_starts, [e.sha256 for e in entries]) == ("pkcs12", 1, [pki["root"][2].sha256])
    [(argv, options)] = runner.calls
    assert not any(PASSWORD in arg for arg in argv) and "-list" in argv
    assert options == {
        "data": PASSWORD + "\n",
        "binary_data": True,
        "environ_update": {"LC_ALL": "C"},
        "expand_user_and_vars": False,
    }


@needs_java
def test_pkcs12_from_a_warm_rds_truststore_cache_needs_no_jvm(tmp_path, pki):
    import hashlib

    from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import Entry, write_jks

    p12, cert = make_p12(tmp_path, pki)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    with open(p12, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    copy = cache / (digest + ".jks")  # what rds_truststore leaves after reading or writing this store
    copy.write_bytes(write_jks([Entry("root", 0, der=pki["root"][2].der)], PASSWORD))
    copy.chmod(0o600)
    result = run(tmp_path, truststores=[p12], src=cert, store_password=PASSWORD, cache_dir=str(cache))
    assert result["stores"][0]["jvm_starts"] == 0 and result["stores"][0]["present"] == 1
    assert sorted(os.listdir(str(cache))) == [copy.name]


def test_unreadable_stores_are_entries_not_crashes(tmp_path, pki):
    good = store_of(tmp_path, "good.jks", pki["root"])
    locked = store_of(tmp_path, "other-password.jks", pki["root"], password="different")
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"not a keystore at all")
    paths = [good, str(tmp_path / "absent.jks"), locked, str(garbage)]
    result = run(tmp_path, truststores=paths, content=pem(pki["root"][0]))
    assert not result.get("failed")
    errors = [s["error"] for s in result["stores"]]
    assert errors[0] is None and "does not exist" in errors[1]
    assert "wrong store_password" in errors[2] and "not a Java keystore" in errors[3]
    assert result["summary"] == dict(
        stores=4, ok=1, unreadable=3, lacking=0, handshake_ok=0, handshake_failed=0, expiring=0
    )
    failed = run(tmp_path, truststores=paths, content=pem(pki["root"][0]), fail_on_missing=True)
    assert failed["failed"] and "absent.jks" in failed["msg"] and "garbage" in failed["msg"]


def test_exasol_2025_container_store_resolves_inside_its_container(tmp_path, pki):
    container = tmp_path / "opt/exasol/slc-9.3.0/standard-java-17"
    (container / "etc/ssl/certs/java").mkdir(parents=True)
    inside = store_of(tmp_path, str(container / "etc/ssl/certs/java/cacerts"), pki["root"])
    security = container / "usr/lib/jvm/java-17-openjdk-amd64/lib/security"
    security.mkdir(parents=True)
    (security / "cacerts").symlink_to("/etc/ssl/certs/java/cacerts")
    result = run(tmp_path, truststores=[str(security / "cacerts")], content=pem(pki["root"][0]))
    assert result["stores"][0]["resolved_path"] == inside and result["stores"][0]["ok"]


def test_container_store_resolves_inside_the_container_and_once(tmp_path, pki):
    central, container = make_node(tmp_path)
    inside = container / "etc/ssl/certs/java/cacerts"
    store_of(tmp_path, str(inside), pki["root"])
    listed = str(container / "usr/lib/jvm/java-11-openjdk-amd64/lib/security/cacerts")
    result = run(tmp_path, truststores=[listed, str(inside), central], content=pem(pki["root"][0]))
    assert [s["path"] for s in result["stores"]] == [listed, central]
    assert result["stores"][0]["resolved_path"] == str(inside) and result["stores"][0]["present"] == 1
    assert SLC in result["stores"][0]["resolved_path"]
    assert result["stores"][1]["missing"][0]["subject"] == "CN=Info Test Root CA"


def test_check_mode_is_the_same_and_changes_nothing(tmp_path, pki):
    store = store_of(tmp_path, "s.jks", pki["root"])
    before = open(store, "rb").read()
    args = dict(truststores=[store], content=pem(pki["other"][0]))
    normal, checked = (
        run(tmp_path, **args),
        run_module("rds_truststore_info", tmp_path, check=True, cache_dir="", **args),
    )
    for result in (normal, checked):
        for entry in result["stores"]:
            entry.pop("seconds")
    assert normal["stores"] == checked["stores"] and checked["changed"] is False
    assert open(store, "rb").read() == before


# discovery: one for both modules (6.x/7.x and 2025.x node trees, as the lab builds them) ------------
@pytest.mark.parametrize("kind", ["classic", "cos"])
def test_discover_finds_and_describes_the_stores_of_both_generations(tmp_path, pki, kind):
    """Item 5 of issue 14: after an update on 2025.x (a second runtime JDK), the new store is found and
    named as lacking the CA; the discovery, resolution and description are rds_truststore's own."""
    root = tmp_path / "node"
    stores = node_tree(root, kind, [pki["root"][2]], runtimes=("8.8.0", "8.9.1"))
    central = str(root) + nodes.CENTRAL
    listed = [central] if kind == "classic" else []
    args = dict(truststores=listed, discover=True, discover_root=str(root), content=pem(pki["root"][0]))
    result = run(tmp_path, **args)
    assert not result.get("failed"), result
    on_node = {s["path"][len(str(root)) :]: s for s in result["stores"]}
    assert sorted(on_node) == sorted(stores) and [s["path"] for s in result["stores"]] == listed + result["discovered"]
    for path, real in stores.items():
        assert on_node[path]["resolved_path"] == str(root) + real and on_node[path]["discovered"] is (
            path != nodes.CENTRAL
        )
    slc = on_node[slc_store(kind)]
    assert (slc["jvm"], slc["missing"][0]["subject"]) == ("adapter", "CN=Info Test Root CA")
    if kind == "classic":
        assert (slc["generation"], slc["version"]) == ("7.x", None)
        assert (on_node[nodes.CENTRAL]["jvm"], on_node[nodes.CENTRAL]["generation"], on_node[nodes.CENTRAL]["ok"]) == (
            "loader",
            None,
            True,
        )
    else:
        assert (slc["generation"], slc["version"]) == ("2025.x", "9.1.0-c4-6-standard-EXASOL-all")
        runtimes = [on_node["/opt/exasol/runtime-%s-jdk/lib/security/cacerts" % v] for v in ("8.8.0", "8.9.1")]
        assert [(s["jvm"], s["generation"], s["version"], s["ok"]) for s in runtimes] == [
            ("loader", "2025.x", "8.8.0", True),
            ("loader", "2025.x", "8.9.1", False),
        ]
    writer = run_module("rds_truststore", tmp_path, check=True, **args)
    assert writer["discovered"] == result["discovered"]
    assert writer["discovered_stores"] == [
        {k: s[k] for k in ("path", "jvm", "generation", "version")} for s in result["stores"] if s["discovered"]
    ]


def test_discover_required_and_a_listed_store_that_the_path_does_not_describe(tmp_path, pki):
    empty = tmp_path / "empty"
    empty.mkdir()
    other = store_of(tmp_path, "app.jks", pki["root"])
    failed = run(tmp_path, discover=True, discover_root=str(empty))
    assert failed["failed"] and "discover found no truststore under %s" % empty in failed["msg"]
    failed = run(tmp_path, discover=True, discover_root=str(empty), discover_required=False)
    assert failed["failed"] and "no truststore to audit" in failed["msg"]
    result = run(tmp_path, truststores=[other], discover=True, discover_root=str(empty), discover_required=False)
    assert result["discovered"] == [] and result["stores"][0]["ok"]
    assert [result["stores"][0][k] for k in ("jvm", "generation", "version", "discovered")] == [None, None, None, False]


def test_discovered_container_outside_the_root_is_an_error_entry(tmp_path, pki):
    """A ScriptLanguages-* directory that links out of discover_root is not read: its entry says why."""
    outside = tmp_path / "outside" / "ScriptLanguages-real"
    (outside / "usr/lib/jvm/java-11/lib/security").mkdir(parents=True)
    store_of(tmp_path, str(outside / "usr/lib/jvm/java-11/lib/security/cacerts"), pki["root"])
    packages = tmp_path / "node" / os.path.dirname(SLC)
    packages.mkdir(parents=True)
    (packages / "ScriptLanguages-evil").symlink_to("../../../../../../../../outside/ScriptLanguages-real")
    args = dict(discover=True, discover_root=str(tmp_path / "node"), content=pem(pki["root"][0]))
    result = run(tmp_path, **args)
    entry = result["stores"][0]
    assert not result.get("failed") and entry["discovered"] and entry["resolved_path"] is None
    assert "is refused" in entry["error"] and "ScriptLanguages-evil" in entry["error"] and not entry["ok"]
    assert result["summary"]["unreadable"] == 1
    failed = run(tmp_path, fail_on_missing=True, **args)
    assert failed["failed"] and "ScriptLanguages-evil" in failed["msg"]


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(src="/x.pem", content="y"), "mutually exclusive"),
        (dict(truststores=[]), "no truststore to audit: give truststores and/or discover=true"),
        (dict(expiry_warning_days=-1), "expiry_warning_days must be 0 or more"),
        (dict(endpoint={"host": "db", "port": 70000}), "between 1 and 65535"),
        (dict(endpoint={"port": 5432}), "host"),
        (dict(content="-----BEGIN CERTIFICATE-----\nAAAA\n"), "truncated"),
        (dict(src="/nonexistent/bundle.pem"), "Could not read the bundle /nonexistent/bundle.pem"),
    ],
)
def test_bad_input_fails_clearly(tmp_path, args, message):
    args.setdefault("truststores", [str(tmp_path / "any.jks")])
    result = run(tmp_path, **args)
    assert result["failed"] and message in result["msg"], result["msg"]


# a real PostgreSQL --------------------------------------------------------------------------------
PG_BIN = "/usr/lib/postgresql/15/bin"
PG_ADDRESS = "127.0.0.62"


def _postgres_user():
    import pwd

    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


needs_postgres = pytest.mark.skipif(
    not (os.path.exists(os.path.join(PG_BIN, "postgres")) and os.geteuid() == 0 and _postgres_user()),
    reason="needs PostgreSQL 15 binaries, root and a postgres OS user",
)


def _free_port(address):
    import socket

    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


@pytest.fixture()
def postgres(pki):
    """A PostgreSQL 15 of this test (own directory, 127.0.0.62, TLS with the throwaway chain); its log."""
    import shutil
    import subprocess
    import tempfile

    user = _postgres_user()
    base = tempfile.mkdtemp(prefix="rds_truststore_info-pg.")
    os.chown(base, user.pw_uid, user.pw_gid)
    files = {"chain.pem": pem(pki["server"][0]) + pem(pki["intermediate"][0]), "key.pem": key_pem(pki["server"][1])}
    for name, text in files.items():
        with open(os.path.join(base, name), "w") as handle:
            handle.write(text)
        os.chown(os.path.join(base, name), user.pw_uid, user.pw_gid)
        os.chmod(os.path.join(base, name), 0o600)

    def as_postgres(*argv):
        return subprocess.run(
            [os.path.join(PG_BIN, argv[0])] + list(argv[1:]),
            user=user.pw_uid,
            group=user.pw_gid,
            extra_groups=[],
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            cwd=base,
            capture_output=True,
            text=True,
            check=False,
        )

    data, port = os.path.join(base, "data"), _free_port(PG_ADDRESS)
    done = as_postgres("initdb", "-D", data, "-U", "postgres", "--auth-local=peer", "--auth-host=reject", "--no-sync")
    assert done.returncode == 0, done.stderr
    with open(os.path.join(data, "postgresql.conf"), "a") as handle:
        handle.write(
            "\nlisten_addresses = '%s'\nport = %d\nunix_socket_directories = '%s'\nssl = on\n"
            "ssl_cert_file = '%s/chain.pem'\nssl_key_file = '%s/key.pem'\nlog_connections = on\n"
            "fsync = off\n" % (PG_ADDRESS, port, base, base, base)
        )
    with open(os.path.join(data, "pg_hba.conf"), "w") as handle:
        handle.write("local all postgres peer\nhostssl all all 127.0.0.0/8 scram-sha-256\n")
    log = os.path.join(base, "server.log")
    done = as_postgres("pg_ctl", "-D", data, "-l", log, "-w", "-t", "30", "start")
    assert done.returncode == 0, done.stdout + done.stderr
    try:
        yield port, log
    finally:
        as_postgres("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@needs_postgres
def test_real_postgresql_handshake_without_login(tmp_path, pki, postgres):
    """PostgreSQL 15 answers the SSLRequest; its log shows connections and no login attempt at all
    (with log_connections it would log "connection authorized" or an authentication failure)."""
    port, log = postgres
    good = store_of(tmp_path, "good.jks", pki["root"])
    bad = store_of(tmp_path, "bad.jks", pki["other"])
    result = run(
        tmp_path, truststores=[good, bad], endpoint={"host": PG_ADDRESS, "port": port, "server_hostname": SERVER_NAME}
    )
    ok, failed = [s["handshake"] for s in result["stores"]]
    assert ok["ok"] and ok["server_chain"][0]["sha256"] == pki["server"][2].sha256, ok
    assert failed["error_type"] == "verify" and failed["server_chain"], failed
    with open(log) as handle:
        text = handle.read()
    assert text.count("connection received: host=") >= 3, text  # good, bad, and the look at the chain
    assert "connection authorized" not in text and "authentication" not in text, text
    assert "Connection reset" not in text and "could not accept SSL connection: tlsv1 alert unknown ca" in text


# keytool's listing --------------------------------------------------------------------------------
LISTING = """Keystore type: PKCS12
Keystore provider: SUN

Your keystore contains %d entries

Alias name: weird: alias
Creation date: Dec 2, 2026
Entry type: trustedCertEntry

%s

*******************************************


Alias name: client
Creation date: Dec 2, 2026
Entry type: PrivateKeyEntry
Certificate chain length: 1
Certificate[1]:
%s
"""


def test_keytool_listing_is_read_by_entry_type_and_must_add_up(pki):
    from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import KeystoreError
    from ansible_collections.virtualis.aurora.plugins.module_utils._truststore_reader import parse_listing

    root = pem(pki["root"][0]).strip()
    entries = parse_listing(LISTING % (2, root, root), "s.p12")
    assert [(e.alias, e.trusted, e.sha256) for e in entries] == [
        ("weird: alias", True, pki["root"][2].sha256),
        ("client", False, None),
    ]
    with pytest.raises(KeystoreError, match="keytool said 3"):
        parse_listing(LISTING % (3, root, root), "s.p12")
    with pytest.raises(KeystoreError, match="keytool said nothing"):
        parse_listing("Keystore type: PKCS12\n", "s.p12")
