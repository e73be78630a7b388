"""Server certificates for the lab's BucketFS and EXAoperation emulators.

A leaf certificate for an IP address (SAN IP + DNS) signed by the lab CA when the `ca` component
provides its key (lab.json `ca.root_pem` and a key file next to it), otherwise by a small CA of the
emulator's own, kept in its TLS directory. Either way the returned `ca_file` is what a client must
trust; nothing here disables verification.
"""

import datetime
import glob
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_NAMES = ("root.key", "root-key.pem", "root_key.pem", "ca.key", "ca-key.pem", "ca_key.pem")


def _write(path, data, mode=0o600):
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(path + ".tmp", path)


def _key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def lab_ca(lab):
    """(cert, key, pem_path) of the lab CA, or None while the ca component provides none."""
    ca = (lab.state or {}).get("ca") or {}
    pem = ca.get("root_pem")
    if not pem or not os.path.exists(pem):
        return None
    candidates = [ca.get("root_key")] if ca.get("root_key") else []
    candidates += [os.path.join(os.path.dirname(pem), name) for name in KEY_NAMES]
    candidates += sorted(glob.glob(os.path.join(os.path.dirname(pem), "*key*.pem")))
    with open(pem, "rb") as handle:
        cert = x509.load_pem_x509_certificate(handle.read())
    for path in candidates:
        if path and os.path.exists(path):
            try:
                with open(path, "rb") as handle:
                    key = serialization.load_pem_private_key(handle.read(), password=None)
            except (ValueError, TypeError):
                continue
            if key.public_key().public_numbers() == cert.public_key().public_numbers():
                return cert, key, pem
    return None


def _own_ca(tls_dir, name):
    cert_path, key_path = os.path.join(tls_dir, "own-ca.pem"), os.path.join(tls_dir, "own-ca.key")
    if os.path.exists(cert_path) and os.path.exists(key_path):
        with open(cert_path, "rb") as handle:
            cert = x509.load_pem_x509_certificate(handle.read())
        with open(key_path, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
        return cert, key, cert_path
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "virtualis.aurora lab %s CA" % name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(key_path, _key_pem(key))
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert, key, cert_path


def _from_ca_component(lab, name, address, dns_names):
    """A leaf (with the intermediate in its chain) from components/ca.py once the lab CA is up."""
    if not ((lab.state or {}).get("ca") or {}).get("root_pem"):
        return None
    try:
        from components import ca
    except ImportError:
        return None
    paths = ca.issue(lab, name.lower() + "-" + address, dns_names=list(dns_names), ip_addresses=[address])
    return {"cert_file": paths["chain"], "key_file": paths["key"], "ca_file": paths["ca_file"], "signer": "lab-ca"}


def server_cert(lab, tls_dir, name, address, dns_names=()):
    """Issue (or reuse) the server certificate; returns dict cert_file, key_file, ca_file, signer."""
    issued = _from_ca_component(lab, name, address, dns_names)
    if issued:
        return issued
    os.makedirs(tls_dir, mode=0o700, exist_ok=True)
    signer = lab_ca(lab)
    source = "lab-ca" if signer else "own-ca"
    ca_cert, ca_key, ca_file = signer or _own_ca(tls_dir, name)
    cert_file, key_file = os.path.join(tls_dir, "server.pem"), os.path.join(tls_dir, "server.key")
    if os.path.exists(cert_file) and os.path.exists(key_file):
        with open(cert_file, "rb") as handle:
            existing = x509.load_pem_x509_certificate(handle.read())
        if existing.issuer == ca_cert.subject and existing.not_valid_after_utc > datetime.datetime.now(
            datetime.timezone.utc
        ) + datetime.timedelta(days=1):
            try:
                existing.verify_directly_issued_by(ca_cert)
                return {"cert_file": cert_file, "key_file": key_file, "ca_file": ca_file, "signer": source}
            except (ValueError, TypeError, Exception):  # re-issue below
                pass
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    sans = [x509.IPAddress(ipaddress.ip_address(address))] + [x509.DNSName(n) for n in dns_names]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(key_file, _key_pem(key))
    _write(cert_file, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return {"cert_file": cert_file, "key_file": key_file, "ca_file": ca_file, "signer": source}
