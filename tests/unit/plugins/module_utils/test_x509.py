"""_x509: PEM bundles and the minimal DER reader (stdlib only, Python 3.6+)."""

import base64
import collections
import hashlib
import os
import subprocess

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils._x509 import (
    CertificateError,
    leaf_certificates,
    parse_pem_bundle,
)
from truststores import self_signed_pem

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))


PY36 = "/root/.pyenv/versions/3.6.15/bin/python"
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "rds")


@pytest.fixture()
def rds_bundle_dir():
    """The real RDS bundles kept in the repository: these tests never skip for want of them."""
    return FIXTURES


NODE_SIDE = ["_x509.py", "_keystore.py", "_java_security.py"]


def test_global_bundle(rds_bundle_dir):
    with open(os.path.join(rds_bundle_dir, "global-bundle.pem"), "rb") as handle:
        certs = parse_pem_bundle(handle.read(), "global-bundle.pem")
    assert len(certs) == 108
    assert collections.Counter(c.key_text for c in certs) == {"RSA 2048": 36, "RSA 4096": 36, "EC 384": 36}
    assert not [c for c in certs if c.expired()]
    first = certs[0]
    assert first.common_name == "Amazon RDS sa-east-1 Root CA RSA2048 G1"
    assert first.sha256 == hashlib.sha256(first.der).hexdigest()
    assert first.subject == first.issuer and first.signature_algorithm == "SHA256withRSA"
    assert first.not_after.year == 2061


def test_combined_bundle_is_all_expired(rds_bundle_dir):
    with open(os.path.join(rds_bundle_dir, "rds-combined-ca-bundle.pem")) as handle:
        certs = parse_pem_bundle(handle.read(), "combined")
    assert len(certs) == 30 and all(c.expired() for c in certs)


def test_pem_roundtrip_and_text_between_blocks():
    pem = self_signed_pem("roundtrip", key="rsa2048")[0]
    certs = parse_pem_bundle("# comment\n" + pem + "\nsome text\n" + pem, "x.pem")
    assert len(certs) == 2 and certs[0].pem() == pem
    assert certs[0].key_text == "RSA 2048" and certs[0].common_name == "roundtrip"


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "bundle.pem is empty"),
        (b"   \n", "bundle.pem is empty"),
        (b"hello, I am not PEM\n", "bundle.pem holds no PEM certificate"),
        (b"\x30\x82\x01\x00rest", "bundle.pem looks like a binary DER certificate"),
    ],
)
def test_not_a_bundle(data, message):
    with pytest.raises(CertificateError, match=message):
        parse_pem_bundle(data, "bundle.pem")


def test_truncated_bundle_names_the_certificate():
    pem = self_signed_pem("good")[0]
    truncated = pem + pem[: len(pem) // 2]
    with pytest.raises(CertificateError, match=r"bundle.pem: certificate #2 \(line \d+\) is truncated"):
        parse_pem_bundle(truncated, "bundle.pem")


def test_cut_body_and_bad_base64():
    pem = self_signed_pem("good")[0]
    lines = pem.splitlines()
    cut = "\n".join(lines[:3] + lines[-1:]) + "\n"
    with pytest.raises(CertificateError, match=r"certificate #1 .*does not parse as an X.509 certificate"):
        parse_pem_bundle(cut, "b.pem")
    with pytest.raises(CertificateError, match=r"certificate #2 .*invalid base64"):
        parse_pem_bundle(pem + pem.replace(lines[2], lines[2][:10] + "!!" + lines[2][12:]), "b.pem")


def test_other_block_types_are_refused():
    key_block = "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n" % base64.b64encode(b"x" * 30).decode()
    with pytest.raises(CertificateError, match="'PRIVATE KEY' block"):
        parse_pem_bundle(self_signed_pem("a")[0] + key_block, "b.pem")


@pytest.mark.spawns
@pytest.mark.skipif(not os.path.exists(PY36), reason="no Python 3.6 at %s" % PY36)
def test_node_side_code_runs_on_python36(tmp_path):
    """The node-side helpers compile and parse a bundle under Python 3.6."""
    utils = os.path.join(ROOT, "plugins", "module_utils")
    pem = tmp_path / "b.pem"
    pem.write_text(self_signed_pem("py36", key="rsa2048")[0] + self_signed_pem("py36 ec")[0])
    script = (
        "import sys; sys.path.insert(0, %r); import _x509, _keystore, _java_security; "
        "certs = _x509.parse_pem_bundle(open(%r, 'rb').read(), 'b'); "
        "entries = [_keystore.Entry('a%%d' %% i, 0, der=c.der) for i, c in enumerate(certs)]; "
        "data = _keystore.write_jks(entries, 'changeit'); "
        "print(len(_keystore.read_jks(data, 'changeit', 'x')), certs[1].key_text)" % (utils, str(pem))
    )
    proc = subprocess.run([PY36, "-c", script], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["2", "EC", "384"]
    module = os.path.join(ROOT, "plugins", "modules", "rds_truststore.py")
    compiled = subprocess.run(
        [PY36, "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())", module],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr  # the module's own syntax is 3.6 too


class CountingText(str):
    """A bundle text that counts how many characters str.count() scans (line numbers in messages)."""

    scanned = 0

    def count(self, sub, start=0, end=None):
        end = len(self) if end is None else end
        CountingText.scanned += max(0, end - start)
        return str.count(self, sub, start, end)


def test_bundle_parsing_is_linear():
    """Issue 11 item 6: 0.1.0 counted newlines from the start of the bundle for every block, so a
    bundle of n certificates scanned n*n/2 certificates' worth of text (16 MB: 46 s). Now each
    character is scanned once; tests/bench/bench_bundle_parse.py has the timings."""
    text = self_signed_pem("linear")[0] * 200
    CountingText.scanned = 0
    assert len(parse_pem_bundle(CountingText(text), "big.pem")) == 200
    assert CountingText.scanned <= len(text)


def test_mismatched_end_line_is_named():
    """Issue 11 item 11: BEGIN CERTIFICATE closed by another END line is reported as such."""
    pem = self_signed_pem("mismatch")[0].replace("END CERTIFICATE", "END PRIVATE KEY")
    with pytest.raises(
        CertificateError,
        match=r"certificate #1 \(line 1\): -----BEGIN CERTIFICATE----- is closed by "
        r"-----END PRIVATE KEY-----",
    ):
        parse_pem_bundle(pem, "b.pem")


def test_leaf_certificates_are_recognised(rds_bundle_dir):
    """Issue 11 item 11: basicConstraints CA:FALSE is a leaf; every RDS root is a CA."""
    leaf = parse_pem_bundle(self_signed_pem("db.example.com", ca=False)[0], "leaf.pem")
    assert leaf[0].is_ca is False and leaf_certificates(leaf) == leaf
    with open(os.path.join(rds_bundle_dir, "global-bundle.pem"), "rb") as handle:
        roots = parse_pem_bundle(handle.read(), "global-bundle.pem")
    assert all(c.is_ca for c in roots) and leaf_certificates(roots) == []
