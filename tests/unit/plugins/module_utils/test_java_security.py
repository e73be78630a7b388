"""_java_security: which keys a JDK's jdk.certpath.disabledAlgorithms would reject."""

from ansible_collections.virtualis.aurora.plugins.module_utils import _java_security
from ansible_collections.virtualis.aurora.plugins.module_utils._x509 import parse_pem_bundle
from truststores import self_signed_pem

JAVA_SECURITY = """# comment
jdk.certpath.disabledAlgorithms=MD2, MD5, SHA1 jdkCA & usage TLSServer, \\
    RSA keySize < 2048, DSA keySize < 1024, EC keySize < 224, \\
    SHA1 usage SignedJAR & denyAfter 2019-01-01
jdk.tls.disabledAlgorithms: SSLv3
"""


class FakeCert:
    def __init__(self, key_type, key_size, signature_algorithm, self_signed=True):
        self.key_type, self.key_size, self.signature_algorithm = key_type, key_size, signature_algorithm
        self.subject = [("CN", "x")]
        self.issuer = self.subject if self_signed else [("CN", "issuer")]


def test_rules_with_continuation_lines(tmp_path):
    path = tmp_path / "java.security"
    path.write_text(JAVA_SECURITY)
    rules = _java_security.disabled_rules(str(path))
    assert rules[:4] == ["MD2", "MD5", "SHA1 jdkCA & usage TLSServer", "RSA keySize < 2048"]
    assert len(rules) == 7


def test_rejected_by():
    rules = ["MD5", "SHA1 jdkCA & usage TLSServer", "RSA keySize < 2048", "EC keySize < 224"]
    assert _java_security.rejected_by(FakeCert("RSA", 1024, "SHA256withRSA"), rules) == "RSA keySize < 2048"
    assert _java_security.rejected_by(FakeCert("RSA", 2048, "SHA256withRSA"), rules) is None
    assert _java_security.rejected_by(FakeCert("EC", 384, "SHA384withECDSA"), rules) is None
    # a trust anchor's own signature is not checked; an intermediate's is
    assert _java_security.rejected_by(FakeCert("RSA", 2048, "MD5withRSA"), rules) is None
    assert _java_security.rejected_by(FakeCert("RSA", 2048, "MD5withRSA", self_signed=False), rules) == "MD5"
    assert _java_security.rejected_by(FakeCert("RSA", 2048, "SHA1withRSA", self_signed=False), rules) is None


def test_real_weak_key_and_jdk_lookup(tmp_path):
    cert = parse_pem_bundle(self_signed_pem("weak", key="rsa1024")[0], "w")[0]
    assert _java_security.rejected_by(cert, ["RSA keySize < 2048"]) == "RSA keySize < 2048"
    jdk = tmp_path / "jdk"
    (jdk / "conf/security").mkdir(parents=True)
    (jdk / "lib/security").mkdir(parents=True)
    (jdk / "conf/security/java.security").write_text(JAVA_SECURITY)
    found = _java_security.candidate_files(str(jdk / "lib/security/cacerts"))
    assert found == [str(jdk / "conf/security/java.security")]
