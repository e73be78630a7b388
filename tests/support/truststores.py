"""Test helpers for truststores: build stores, and read them back with a real JVM.

`JavaStoreReader` compiles a tiny class once and lists any number of stores in one JVM (what
`keytool -list` does, without one JVM per store), so tests stay fast.
"""

import os
import shutil
import subprocess

from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import Entry, write_jks
from ansible_collections.virtualis.aurora.plugins.module_utils._x509 import parse_pem_bundle

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LIST_STORES_JAVA = r"""
import java.io.File;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.util.Collections;

public class ListStores {
    public static void main(String[] args) throws Exception {
        char[] password = args[0].toCharArray();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (int i = 1; i < args.length; i++) {
            try {
                KeyStore store = KeyStore.getInstance(new File(args[i]), password);
                System.out.println("STORE\t" + args[i] + "\t" + store.getType());
                for (String alias : Collections.list(store.aliases())) {
                    Certificate cert = store.getCertificate(alias);
                    String kind = store.isKeyEntry(alias) ? "key" : "trusted";
                    String key = "-";
                    if (store.isKeyEntry(alias)) {  // the key material itself, decrypted
                        key = hex(sha, store.getKey(alias, password).getEncoded());
                        if (cert == null) kind = "secret";
                    }
                    String certHex = cert == null ? "-" : hex(sha, cert.getEncoded());
                    System.out.println(alias + "\t" + certHex + "\t" + kind + "\t" + key);
                }
            } catch (Exception e) {
                System.out.println("ERROR\t" + args[i] + "\t" + e);
            }
        }
    }

    static String hex(MessageDigest sha, byte[] data) {
        StringBuilder hex = new StringBuilder();
        for (byte b : sha.digest(data)) hex.append(String.format("%02x", b));
        return hex.toString();
    }
}
"""


def have_java():
    return bool(shutil.which("javac") and shutil.which("java") and shutil.which("keytool"))


class JavaStoreReader:
    """Lists stores with java.security.KeyStore; compile once per directory."""

    def __init__(self, workdir):
        self.workdir = str(workdir)
        source = os.path.join(self.workdir, "ListStores.java")
        with open(source, "w") as handle:
            handle.write(LIST_STORES_JAVA)
        subprocess.run(["javac", "-d", self.workdir, source], check=True, capture_output=True)

    def read(self, paths, password="changeit"):
        """{path: {alias: certificate sha256}} or {path: "ERROR ..."} for each store."""
        full = self.read_entries(paths, password)
        return {
            path: entries if isinstance(entries, str) else {alias: fields[0] for alias, fields in entries.items()}
            for path, entries in full.items()
        }

    def read_entries(self, paths, password="changeit"):
        """{path: {alias: (certificate sha256, kind, key sha256)}}: kind trusted, key or secret; the
        key's SHA-256 is over its decrypted encoding (so it survives re-encryption), "-" for none."""
        proc = subprocess.run(
            ["java", "-XX:TieredStopAtLevel=1", "-cp", self.workdir, "ListStores", password] + [str(p) for p in paths],
            capture_output=True,
            text=True,
            check=True,
        )
        result, current = {}, None
        for line in proc.stdout.splitlines():
            fields = line.split("\t")
            if fields[0] == "STORE":
                current = result[fields[1]] = {}
            elif fields[0] == "ERROR":
                result[fields[1]] = "ERROR " + fields[2]
            else:
                current[fields[0]] = tuple(fields[1:4])
        return result


FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "rds")  # real RDS bundles, kept in the repository


def bundle(path):
    with open(path, "rb") as handle:
        return parse_pem_bundle(handle.read(), path)


def make_jks(path, certificates=(), password="changeit", aliases=None):
    """A JKS store holding `certificates` (x509.Certificate) as trusted entries."""
    entries = [
        Entry((aliases or {}).get(c.sha256, "existing-%d" % i), 1700000000000, der=c.der)
        for i, c in enumerate(certificates)
    ]
    with open(str(path), "wb") as handle:
        handle.write(write_jks(entries, password))
    return str(path)


def pkcs12_from(path, certificates=(), password="changeit"):
    """A PKCS12 store (written by keytool, as a JDK does) holding `certificates` as trusted entries."""
    seed = make_jks(str(path) + ".seed.jks", certificates, password)
    proc = keytool(
        "-importkeystore",
        "-noprompt",
        "-srckeystore",
        seed,
        "-srcstorepass:env",
        "KS_PASS",
        "-destkeystore",
        str(path),
        "-deststoretype",
        "PKCS12",
        "-deststorepass:env",
        "KS_PASS",
        password=password,
    )
    os.unlink(seed)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return str(path)


def add_keys(path, store_type, secret=True, password="changeit"):
    """A private key entry `mykey` (EC) and, with `secret`, a SecretKeyEntry `mysecret` (AES-256)."""
    commands = [["-genkeypair", "-alias", "mykey", "-keyalg", "EC", "-dname", "CN=me"]]
    if secret:
        commands.append(["-genseckey", "-alias", "mysecret", "-keyalg", "AES", "-keysize", "256"])
    for command in commands:
        proc = keytool(
            *(
                command
                + [
                    "-keystore",
                    str(path),
                    "-storetype",
                    store_type,
                    "-storepass:env",
                    "KS_PASS",
                    "-keypass:env",
                    "KS_PASS",
                ]
            ),
            password=password,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


KEY_BAGS = {
    "1.2.840.113549.1.12.10.1.2": "pkcs8ShroudedKeyBag",
    "1.2.840.113549.1.12.10.1.5": "secretBag",
    "1.2.840.113549.1.12.10.1.1": "keyBag",
}


def pkcs12_key_bags(path):
    """The key bags of a PKCS12 file as stored ({bag type: [encrypted bag value bytes]}): they sit in
    the unencrypted `data` parts of the file, so byte equality is checkable without the password."""
    from ansible_collections.virtualis.aurora.plugins.module_utils._x509 import decode_oid, der_children, der_read

    with open(str(path), "rb") as handle:
        pfx = der_read(handle.read())
    auth_safe = der_children(pfx.content)[1]
    safes = der_read(der_read(der_children(auth_safe.content)[1].content).content)
    bags = {}
    for info in der_children(safes.content):
        oid_item, explicit = der_children(info.content)[:2]
        if decode_oid(oid_item.content) != "1.2.840.113549.1.7.1":  # encryptedData: the certificates
            continue
        for bag in der_children(der_read(der_read(explicit.content).content).content):
            fields = der_children(bag.content)
            kind = KEY_BAGS.get(decode_oid(fields[0].content))
            if kind:
                bags.setdefault(kind, []).append(fields[1].content)
    return bags


def keytool(*args, password="changeit"):
    """keytool with the password in the environment; returns CompletedProcess."""
    env = dict(os.environ, KS_PASS=password)
    return subprocess.run(["keytool"] + list(args), capture_output=True, text=True, env=env, check=False)


def self_signed_pem(common_name, key="ec", days=365, not_after_days_ago=None, issuer=None, ca=True):
    """A PEM certificate made with `cryptography` (controller side): key 'ec', 'rsa1024', 'rsa2048'.

    With `issuer=(cert, key)` the certificate is signed by that CA instead of itself; `ca=False`
    makes a leaf (basicConstraints CA:FALSE). Returns
    (pem_text, cryptography certificate, private key)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    if key == "ec":
        private = ec.generate_private_key(ec.SECP384R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=int(key[3:]))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    if not_after_days_ago is not None:
        start, end = (
            now - datetime.timedelta(days=days + not_after_days_ago),
            now - datetime.timedelta(days=not_after_days_ago),
        )
    else:
        start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=days)
    issuer_cert, issuer_key = issuer if issuer else (None, private)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_cert.subject if issuer_cert else name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii"), cert, private


def write_lab_inventory(lab, path):
    """An Ansible inventory (JSON) with group exasol_nodes for the lab's nodes, reached and set up as
    inventory/lab does it (its host variables, and the variables of the lab's Exasol generation: on
    2025.x no central store); returns its path."""
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location(
        "lab_inventory", os.path.join(ROOT, "inventory", "lab", "lab_inventory.py")
    )
    inventory = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(inventory)
    hosts = {
        node["name"]: dict(inventory.host_vars(node), exasol_truststore_password=node["store_password"])
        for node in lab["nodes"]
    }
    with open(str(path), "w") as handle:
        json.dump({"exasol_nodes": {"hosts": hosts, "vars": inventory.generation_vars(lab)}}, handle)
    return str(path)


SLC = "usr/opt/EXASuite-7/EXAClusterOS-7.1.26/var/clients/packages/ScriptLanguages-release-standard-exasol-7.1.0-1.0.0"


def make_node(root, slc=True):
    """A node tree under `root` (pathlib): central JKS store, and an SLC whose cacerts is an
    absolute symlink (Debian style). Returns (central store path, SLC directory)."""
    central = root / "etc/pki/ca-trust/extracted/java/cacerts"
    central.parent.mkdir(parents=True)
    make_jks(central)
    container = root / SLC
    if slc:
        (container / "etc/ssl/certs/java").mkdir(parents=True)
        make_jks(container / "etc/ssl/certs/java/cacerts")
        (container / "usr/lib/jvm/java-11-openjdk-amd64/lib/security").mkdir(parents=True)
        (container / "usr/lib/jvm/java-11-openjdk-amd64/lib/security/cacerts").symlink_to("/etc/ssl/certs/java/cacerts")
    return str(central), container
