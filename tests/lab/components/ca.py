"""The lab CA, shaped like Amazon RDS's: a self-signed root, an intermediate, server certificates.

Files live in state/ca/. The lab CA bundle (`bundle.pem`) puts several unrelated CA certificates
BEFORE the lab root and intermediate, so that a tool importing only the first certificate of a
PEM misses the lab root and fails visibly; like Amazon's global-bundle.pem it has no trailing
newline. Other components get server certificates from `issue(lab, name, dns_names, ips)`.
"""

import datetime
import hashlib
import ipaddress
import os
import shutil

from lab import LabError

# The endpoint name of the lab's Aurora cluster (writer); mapped to the lab PostgreSQL in /etc/hosts.
DEFAULT_ENDPOINT = "aurora-lab.cluster-lab.eu-central-1.rds.amazonaws.com"
ROOT_CN = "Lab RDS Root CA"
INTERMEDIATE_CN = "Lab RDS eu-central-1 Subordinate CA RSA2048 G1.A.1"
# Unrelated CAs placed before the lab root in the bundle: (common name, key type, expired?).
DECOYS = [
    ("Lab Decoy eu-west-1 Root CA RSA2048 G1", "rsa2048", False),
    ("Lab Decoy us-east-1 Root CA ECC384 G1", "ec384", False),
    ("Lab Decoy 2019 Root CA (expired)", "rsa2048", True),
    ("Lab Decoy ap-south-1 Root CA RSA4096 G1", "rsa4096", False),
]
FILES = ("root.pem", "root.key", "intermediate.pem", "intermediate.key", "bundle.pem", "wrong-ca.pem")
# The lab's stand-ins for the RDS CA identifiers (CACertificateIdentifier). The lab root above is the
# cluster's CA at creation (rds-ca-rsa2048-g1, the role's default); the other G1 CAs get a root of the
# real name pattern ("Amazon RDS <region> Root CA <KEY> G1" in global-bundle.pem) and an intermediate,
# in state/ca/g1/<identifier>/. Their roots are appended to the bundle, as AWS's bundle holds all
# three; `lab.py rotate-ca <identifier>` re-issues the PostgreSQL server certificate under one.
DEFAULT_CA_IDENTIFIER = "rds-ca-rsa2048-g1"
G1_CAS = {
    "rds-ca-rsa4096-g1": (
        "Lab RDS eu-central-1 Root CA RSA4096 G1",
        "rsa4096",
        "Lab RDS eu-central-1 Subordinate CA RSA4096 G1.A.1",
    ),
    "rds-ca-ecc384-g1": (
        "Lab RDS eu-central-1 Root CA ECC384 G1",
        "ec384",
        "Lab RDS eu-central-1 Subordinate CA ECC384 G1.A.1",
    ),
}


def endpoint_name(lab):
    return lab.setting("LAB_POSTGRES_HOST", DEFAULT_ENDPOINT)


def ca_dir(lab):
    return lab.path("ca")


# --- key and certificate helpers (cryptography is imported lazily: lab-down must not need it) -----
def crypto(*names):
    """The named cryptography modules, e.g. `ec, rsa = crypto("ec", "rsa")`."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError as exc:
        raise LabError("python 'cryptography' is missing (%s): run `make venv`" % exc)
    modules = dict(
        x509=x509,
        hashes=hashes,
        serialization=serialization,
        ec=ec,
        rsa=rsa,
        NameOID=NameOID,
        ExtendedKeyUsageOID=ExtendedKeyUsageOID,
    )
    return tuple(modules[name] for name in names)


def _new_key(kind):
    ec, rsa = crypto("ec", "rsa")
    if kind == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))


def _name(common_name, org="Virtualis Lab", unit="Lab RDS"):
    x509, NameOID = crypto("x509", "NameOID")
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "WA"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Seattle"),
        ]
    )


def _build(subject, key, issuer, issuer_key, days, ca=False, path_len=None, dns=(), ips=(), expired=False):
    """One certificate; CA certificates get keyCertSign, leaves serverAuth and their SANs."""
    x509, hashes, EKU = crypto("x509", "hashes", "ExtendedKeyUsageOID")
    now = datetime.datetime.now(datetime.timezone.utc)
    start = now - datetime.timedelta(days=3000 if expired else 1)
    end = now - datetime.timedelta(days=30) if expired else now + datetime.timedelta(days=days)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_len), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if ca:
        usage = dict(digital_signature=True, key_cert_sign=True, crl_sign=True, key_encipherment=False)
    else:
        usage = dict(digital_signature=True, key_cert_sign=False, crl_sign=False, key_encipherment=True)
        names = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False).add_extension(
            x509.ExtendedKeyUsage([EKU.SERVER_AUTH]), critical=False
        )
    builder = builder.add_extension(
        x509.KeyUsage(
            content_commitment=False,
            data_encipherment=False,
            key_agreement=False,
            encipher_only=False,
            decipher_only=False,
            **usage,
        ),
        critical=True,
    )
    return builder.sign(issuer_key, hashes.SHA384() if hasattr(issuer_key, "curve") else hashes.SHA256())


def _pem(cert):
    serialization = crypto("serialization")[0]
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path, data, mode=0o644):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _write_key(path, key):
    serialization = crypto("serialization")[0]
    _write(
        path,
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        0o600,
    )


def _load(path, key=False):
    x509, serialization = crypto("x509", "serialization")
    with open(path, "rb") as handle:
        data = handle.read()
    return serialization.load_pem_private_key(data, None) if key else x509.load_pem_x509_certificate(data)


# --- the CA ---------------------------------------------------------------------------------------
def _create(directory):
    root_key = _new_key("rsa2048")
    root_name = _name(ROOT_CN)
    root = _build(root_name, root_key, root_name, root_key, 3650, ca=True)
    inter_key = _new_key("rsa2048")
    inter = _build(_name(INTERMEDIATE_CN), inter_key, root_name, root_key, 1825, ca=True, path_len=0)
    decoys = []
    for common_name, kind, expired in DECOYS:
        key = _new_key(kind)
        name = _name(common_name, org="Lab Decoy Trust Services", unit="Not the lab")
        decoys.append(_pem(_build(name, key, name, key, 3650, ca=True, expired=expired)))
    _write_key(os.path.join(directory, "root.key"), root_key)
    _write_key(os.path.join(directory, "intermediate.key"), inter_key)
    _write(os.path.join(directory, "root.pem"), _pem(root))
    _write(os.path.join(directory, "intermediate.pem"), _pem(inter))
    _write(os.path.join(directory, "wrong-ca.pem"), decoys[0])
    # Like Amazon's global-bundle.pem: no trailing newline after the last certificate.
    _write(os.path.join(directory, "bundle.pem"), (b"".join(decoys) + _pem(root) + _pem(inter)).rstrip(b"\n"))


def issue(lab, name, dns_names=(), ip_addresses=()):
    """A server certificate from the lab intermediate (created once, then reused).

    Returns {cert, chain (leaf + intermediate), key, ca_file (lab root)} as absolute paths.
    """
    directory = ca_dir(lab)
    paths = {
        "cert": os.path.join(directory, name + ".pem"),
        "chain": os.path.join(directory, name + "-chain.pem"),
        "key": os.path.join(directory, name + ".key"),
        "ca_file": os.path.join(directory, "root.pem"),
    }
    return _issue_files(paths, directory, dns_names, ip_addresses)


def _issue_files(paths, signer_dir, dns_names=(), ip_addresses=()):
    """Write a leaf signed by the intermediate in `signer_dir` to `paths` (unless all exist)."""
    if all(os.path.exists(p) for p in paths.values()):
        return paths
    inter, inter_key = (
        _load(os.path.join(signer_dir, "intermediate.pem")),
        _load(os.path.join(signer_dir, "intermediate.key"), key=True),
    )
    key = _new_key("rsa2048")
    subject = _name((list(dns_names) + list(ip_addresses))[0])
    cert = _build(subject, key, inter.subject, inter_key, 397, dns=dns_names, ips=ip_addresses)
    _write_key(paths["key"], key)
    _write(paths["cert"], _pem(cert))
    _write(paths["chain"], _pem(cert) + _pem(inter))
    return paths


def _g1_dir(directory, identifier):
    return os.path.join(directory, "g1", identifier)


def _ensure_g1_cas(directory):
    """Create the missing G1 stand-ins (also in a lab started before they existed) and append their
    roots to the bundle; an existing CA and the bundle's order are kept."""
    for identifier, (root_cn, kind, inter_cn) in sorted(G1_CAS.items()):
        target = _g1_dir(directory, identifier)
        if os.path.exists(os.path.join(target, "intermediate.key")):
            continue
        os.makedirs(target, mode=0o755, exist_ok=True)
        root_key, inter_key = _new_key(kind), _new_key(kind)
        root_name = _name(root_cn)
        root = _build(root_name, root_key, root_name, root_key, 3650, ca=True)
        inter = _build(_name(inter_cn), inter_key, root_name, root_key, 1825, ca=True, path_len=0)
        _write_key(os.path.join(target, "root.key"), root_key)
        _write(os.path.join(target, "root.pem"), _pem(root))
        _write(os.path.join(target, "intermediate.pem"), _pem(inter))
        _write_key(os.path.join(target, "intermediate.key"), inter_key)  # written last: marks it complete
    bundle = os.path.join(directory, "bundle.pem")
    with open(bundle, "rb") as handle:
        data = handle.read()
    added = []
    for identifier in sorted(G1_CAS):
        with open(os.path.join(_g1_dir(directory, identifier), "root.pem"), "rb") as handle:
            root = handle.read()
        if root.strip() not in data:
            added.append(root)
    if added:
        _write(bundle, (data.rstrip(b"\n") + b"\n" + b"".join(added)).rstrip(b"\n"))


def ca_identifiers():
    """{CA identifier: common name of its lab root}, for lab.json and the inventory."""
    names = {identifier: spec[0] for identifier, spec in G1_CAS.items()}
    names[DEFAULT_CA_IDENTIFIER] = ROOT_CN
    return names


def server_certificate(lab, identifier):
    """The endpoint's server certificate under the lab CA standing for `identifier` (issued once)."""
    if identifier == DEFAULT_CA_IDENTIFIER:
        return issue(lab, "server", dns_names=[endpoint_name(lab)])
    if identifier not in G1_CAS:
        raise LabError("unknown CA identifier %r; the lab has %s" % (identifier, ", ".join(sorted(ca_identifiers()))))
    source = _g1_dir(ca_dir(lab), identifier)
    name = "server-" + identifier
    directory = ca_dir(lab)
    paths = {
        "cert": os.path.join(directory, name + ".pem"),
        "chain": os.path.join(directory, name + "-chain.pem"),
        "key": os.path.join(directory, name + ".key"),
        "ca_file": os.path.join(source, "root.pem"),
    }
    return _issue_files(paths, source, [endpoint_name(lab)])


def sha256_file(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def count_certificates(data):
    """How many PEM certificates a bundle holds (bytes or str)."""
    if isinstance(data, bytes):
        data = data.decode("ascii", "replace")
    return data.count("-----BEGIN CERTIFICATE-----")


def up(lab):
    directory = ca_dir(lab)
    present = [f for f in FILES if os.path.exists(os.path.join(directory, f))]
    if present and len(present) != len(FILES):
        raise LabError(
            "the lab CA in %s is incomplete (half-started lab): run `make lab-down`, then `make lab-up`" % directory
        )
    if not present:
        os.makedirs(directory, mode=0o755, exist_ok=True)
        _create(directory)
    _ensure_g1_cas(directory)
    server = issue(lab, "server", dns_names=[endpoint_name(lab)])
    bundle = os.path.join(directory, "bundle.pem")
    with open(bundle, "rb") as handle:
        count = count_certificates(handle.read())
    return {
        "ca": {
            "dir": directory,
            "root_pem": os.path.join(directory, "root.pem"),
            "intermediate_pem": os.path.join(directory, "intermediate.pem"),
            "bundle_file": bundle,
            "bundle_count": count,
            "bundle_sha256": sha256_file(bundle),
            "wrong_ca_file": os.path.join(directory, "wrong-ca.pem"),
            "server_cert": server["cert"],
            "server_chain": server["chain"],
            "server_key": server["key"],
            "root_subject": "CN=" + ROOT_CN,
            "identifiers": ca_identifiers(),
            "g1_roots": {i: os.path.join(_g1_dir(directory, i), "root.pem") for i in sorted(G1_CAS)},
            # + <identifier>: what AWS does when the instance's CACertificateIdentifier changes (lab.py rotate-ca)
            "rotate_command": [lab.python, os.path.join(lab.here, "lab.py"), "rotate-ca"],
        }
    }


def down(lab):
    shutil.rmtree(ca_dir(lab), ignore_errors=True)


def status(lab):
    root = os.path.join(ca_dir(lab), "root.pem")
    return "root %s" % root if os.path.exists(root) else "absent"
