"""Lab component: the Exasol database emulator (WebSocket API over TLS).

Settings (environment): LAB_EXASOL_HOST (127.0.0.20), LAB_EXASOL_PORT (8563),
LAB_EXASOL_VERSION (6.1 | 6.2 | 7.0 | 7.1 | 8 | 2025 | x.y.z; lab.py `exasol_release()`: default
exasol_emulator/versions.py DEFAULT, or what the state directory was made for).
State in <state>/exasol/: its own CA (ca.pem = exasol.ca_file), the server certificate signed
by it (IP SAN = the host, DNS SAN localhost; its SHA-256 is exasol.fingerprint, upper-case hex
as pyexasol compares it), the generated `sys` password, config.json (0600), catalog.json (the
persisted database objects) and the compiled adapter helper (java/VsHelper.class).
"""

import datetime
import hashlib
import ipaddress
import os
import secrets
import subprocess

from components.ca import crypto  # cryptography, imported lazily: lab-down must not need it
from lab import LabError

NAME = "exasol_db"
USER = "sys"


def _settings(lab):
    return {
        "host": lab.setting("LAB_EXASOL_HOST", "127.0.0.20"),
        "port": int(lab.setting("LAB_EXASOL_PORT", "8563")),
        # the same database behind a self-signed certificate, as a fresh Exasol installation has
        "self_signed_port": int(lab.setting("LAB_EXASOL_SELF_SIGNED_PORT", "8564")),
    }


def _write_private(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key():
    (rsa,) = crypto("rsa")
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key):
    (serialization,) = crypto("serialization")
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _builder(subject, issuer, public_key, days):
    """A certificate builder valid from yesterday for `days` days, with a random serial."""
    (x509,) = crypto("x509")
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
    )


def _name(common_name):
    x509, NameOID = crypto("x509", "NameOID")
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _server_names(host):
    (x509,) = crypto("x509")
    return x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")])


def _write_certificate(path, cert):
    (serialization,) = crypto("serialization")
    with open(path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))


def _fingerprint(cert_file):
    """Upper-case hex SHA-256 of the certificate's DER, as pyexasol compares it."""
    x509, serialization = crypto("x509", "serialization")
    with open(cert_file, "rb") as handle:
        der = x509.load_pem_x509_certificate(handle.read()).public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest().upper()


def _certificates(directory, host):
    """CA + server certificate, created once (kept across restarts so pins stay valid)."""
    ca_file = os.path.join(directory, "ca.pem")
    cert_file = os.path.join(directory, "server.pem")
    key_file = os.path.join(directory, "server.key")
    if not all(os.path.exists(p) for p in (ca_file, cert_file, key_file)):
        x509, hashes = crypto("x509", "hashes")
        ca_key = _key()
        ca_name = _name("virtualis.aurora lab Exasol CA")
        ca = (
            _builder(ca_name, ca_name, ca_key.public_key(), 825)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        key = _key()
        cert = (
            _builder(_name(host), ca_name, key.public_key(), 397)
            .add_extension(_server_names(host), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(key_file, _pem_key(key))
        _write_certificate(cert_file, cert)
        _write_certificate(ca_file, ca)
    return ca_file, cert_file, key_file, _fingerprint(cert_file)


def _self_signed(directory, host):
    """A self-signed server certificate (what Exasol generates at installation), created once;
    (cert_file, key_file, fingerprint). Only fingerprint pinning can trust it."""
    cert_file = os.path.join(directory, "self-signed.pem")
    key_file = os.path.join(directory, "self-signed.key")
    if not (os.path.exists(cert_file) and os.path.exists(key_file)):
        (hashes,) = crypto("hashes")
        key = _key()
        name = _name("exacluster.local")
        cert = _builder(name, name, key.public_key(), 397).add_extension(_server_names(host), critical=False)
        _write_private(key_file, _pem_key(key))
        _write_certificate(cert_file, cert.sign(key, hashes.SHA256()))
    return cert_file, key_file, _fingerprint(cert_file)


def _password(directory):
    path = os.path.join(directory, "password")
    if not os.path.exists(path):
        _write_private(path, secrets.token_urlsafe(18).encode())
    with open(path) as handle:
        return handle.read().strip()


def _code_digest(package_dir):
    digest = hashlib.sha256()
    for base, _dirs, files in sorted(os.walk(package_dir)):
        for name in sorted(files):
            if name.endswith((".py", ".java")):
                with open(os.path.join(base, name), "rb") as handle:
                    digest.update(name.encode() + b"\0" + handle.read())
    return digest.hexdigest()


def _compile_helper(lab, directory):
    """javac the adapter helper into the state dir (again when the source is newer)."""
    source = os.path.join(lab.here, "exasol_emulator", "java", "VsHelper.java")
    out = os.path.join(directory, "java")
    target = os.path.join(out, "VsHelper.class")
    if not os.path.exists(target) or os.path.getmtime(target) < os.path.getmtime(source):
        javac = lab.require_program("javac", "openjdk-17-jdk-headless")
        os.makedirs(out, exist_ok=True)
        proc = subprocess.run([javac, "-nowarn", "-d", out, source], capture_output=True, text=True, check=False)
        if proc.returncode:
            raise LabError("exasol_db: javac %s failed: %s" % (source, proc.stderr.strip()))
    return out


def up(lab):
    cfg = _settings(lab)
    directory = lab.path("exasol")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    sys_path_pkg = os.path.join(lab.here, "exasol_emulator")
    release = lab.exasol_release()
    ca_file, cert_file, key_file, fingerprint = _certificates(directory, cfg["host"])
    self_cert, self_key, self_fingerprint = _self_signed(directory, cfg["host"])
    password = _password(directory)
    helper_dir = _compile_helper(lab, directory)
    config = {
        "host": cfg["host"],
        "port": cfg["port"],
        "user": USER,
        "password": password,
        "release": release,
        "cert_file": cert_file,
        "key_file": key_file,
        "self_signed": {"port": cfg["self_signed_port"], "cert_file": self_cert, "key_file": self_key},
        "catalog_file": os.path.join(directory, "catalog.json"),
        "adapter": {
            "helper_dir": helper_dir,
            "lab_json": lab.state_file,
            "bucketfs_host_dir": lab.path("bucketfs"),
            "repo_root": lab.root,
            "java": lab.require_program("java", "openjdk-17-jdk-headless"),
            "timeout": 60,
        },
        # a changed emulator (Python or Java) restarts it on the next lab-up, like a changed setting
        "code": _code_digest(sys_path_pkg),
    }
    config_file = os.path.join(directory, "config.json")
    changed = lab.write_config(config_file, config)
    if lab.alive(NAME) and changed:  # e.g. another LAB_EXASOL_VERSION: restart
        lab.stop(NAME)
    if not lab.alive(NAME):
        lab.require_free(cfg["host"], cfg["port"], "Exasol emulator")
        lab.require_free(cfg["host"], cfg["self_signed_port"], "Exasol emulator (self-signed)")
        lab.spawn(NAME, [lab.python, os.path.join(sys_path_pkg, "server.py"), "--config", config_file], cwd=lab.root)
    lab.wait_port(cfg["host"], cfg["port"], "Exasol emulator", timeout=30, name=NAME)
    lab.wait_port(cfg["host"], cfg["self_signed_port"], "Exasol emulator (self-signed)", timeout=30, name=NAME)
    return {
        "exasol": {
            "host": cfg["host"],
            "port": cfg["port"],
            "user": USER,
            "password": password,
            "fingerprint": fingerprint,
            "ca_file": ca_file,
            "self_signed_port": cfg["self_signed_port"],
            "self_signed_fingerprint": self_fingerprint,
            "version": release,
            "dsn": "%s:%d" % (cfg["host"], cfg["port"]),
            "catalog_file": config["catalog_file"],
        }
    }


def down(lab):
    """Stop the emulator and forget its database: the next lab-up makes a new PostgreSQL password,
    so connections stored in the old catalog would only fail (the lab's database lives as long as
    the lab)."""
    lab.stop(NAME)
    try:
        os.unlink(lab.path("exasol", "catalog.json"))
    except FileNotFoundError:
        pass


def status(lab):
    cfg = _settings(lab)
    state = "running pid %s" % lab.pid(NAME) if lab.alive(NAME) else "stopped"
    return "%s on wss://%s:%d (%s)" % (
        state,
        cfg["host"],
        cfg["port"],
        (lab.state.get("exasol") or {}).get("version", "-"),
    )
