"""plugins/module_utils/_exasol.py: names, literals, redaction, DSN/TLS options, version parsing."""

import ssl

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils import _exasol as ex

FP = "AB" * 32


@pytest.mark.parametrize(
    "name,stored",
    [
        ("adapter", "ADAPTER"),
        ("Jdbc_Adapter1", "JDBC_ADAPTER1"),
        ("my schema", "my schema"),
        ('we"ird', 'we"ird'),
        ("a.b", "a.b"),
        ("x;DROP SCHEMA y", "x;DROP SCHEMA y"),
        ("_x", "_x"),
    ],
)
def test_object_name_folds_regular_identifiers_only(name, stored):
    assert ex.object_name(name) == stored


@pytest.mark.parametrize("bad", ["", "x" * 129, "a\nb", "a\x00b", None])
def test_object_name_refuses_what_cannot_be_a_name(bad):
    with pytest.raises(ex.ExasolInputError):
        ex.object_name(bad)


def test_quote_ident_doubles_quotes_so_dots_and_semicolons_stay_inside():
    assert ex.quote_ident('we"ird') == '"we""ird"'
    assert ex.quote_ident("a.b;c") == '"a.b;c"'


def test_quote_literal_doubles_single_quotes_and_refuses_nul():
    assert ex.quote_literal("it's") == "'it''s'"
    assert ex.quote_literal("x'; DROP SCHEMA s CASCADE; --") == "'x''; DROP SCHEMA s CASCADE; --'"
    with pytest.raises(ex.ExasolInputError):
        ex.quote_literal("a\x00")


def test_redact_hides_raw_and_escaped_secret():
    text = "IDENTIFIED BY 'pa''ss' failed for pa'ss"
    assert ex.redact(text, ["pa'ss"]) == "IDENTIFIED BY '********' failed for ********"


def test_trust_hint_only_for_tls_trust_errors():
    pkix = (
        "VM error: E-VSPG-3 ... Caused by: javax.net.ssl.SSLHandshakeException: PKIX path building "
        "failed: unable to find valid certification path to requested target"
    )
    assert ex.trust_failure(pkix)
    assert "exasol_truststore" in ex.with_trust_hint(pkix)
    assert ex.with_trust_hint("object X not found") == "object X not found"


def params(**over):
    base = dict(
        login_host="exa.example.com",
        login_port=8563,
        login_user="sys",
        login_password="p",
        validate_certs=True,
        ca_cert=None,
        certificate_fingerprint=None,
        connect_timeout=10,
        query_timeout=300,
    )
    base.update(over)
    return base


def test_dsn_plain_and_with_fingerprint_for_every_host():
    assert ex.build_dsn(params()) == "exa.example.com:8563"
    fp = ":".join(FP.lower()[i : i + 2] for i in range(0, 64, 2))
    assert ex.build_dsn(params(login_host="n1, n2", certificate_fingerprint=fp)) == "n1/%s:8563,n2/%s:8563" % (FP, FP)
    assert ex.build_dsn(params(login_host="10.0.0.11..13")) == "10.0.0.11..13:8563"


@pytest.mark.parametrize("host", ["h:8563", "u@h", "h/FP", "a b", ""])
def test_dsn_refuses_port_credentials_or_fingerprint_in_host(host):
    with pytest.raises(ex.ExasolInputError):
        ex.build_dsn(params(login_host=host))


def test_fingerprint_must_be_sha256():
    with pytest.raises(ex.ExasolInputError):
        ex.build_dsn(params(certificate_fingerprint="abc"))


def test_tls_options_verify_by_default_and_use_the_ca_file():
    assert ex.ssl_options(params()) == {"cert_reqs": ssl.CERT_REQUIRED}
    assert ex.ssl_options(params(ca_cert="/ca.pem")) == {"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": "/ca.pem"}
    assert ex.ssl_options(params(validate_certs=False, certificate_fingerprint=FP)) == {"cert_reqs": ssl.CERT_NONE}
    kwargs = ex.connect_kwargs(params(ca_cert="/ca.pem"))
    assert kwargs["encryption"] is True and kwargs["autocommit"] is False


def test_connect_errors_name_the_fix():
    mismatch = "Provided fingerprint [A] did not match server fingerprint [B]"
    assert "certificate_fingerprint" in ex.connect_error_message("h:1", mismatch)
    assert "ca_cert" in ex.connect_error_message("h:1", "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")


@pytest.mark.parametrize(
    "text,version",
    [("7.1.26", (7, 1, 26)), ("6.1.4", (6, 1, 4)), ("8.29.12-rc1", (8, 29, 12)), ("2025.1.3", (2025, 1, 3))],
)
def test_parse_version(text, version):
    assert ex.parse_version(text) == version


def test_protocol_steps_down_only_for_a_refused_protocol_version(monkeypatch):
    tried = []

    def fake_connect(protocol_version, **kwargs):
        tried.append(protocol_version)
        if protocol_version > 1:
            raise ex.pyexasol.ExaRequestError(
                None, "08004", "unsupported WebSocket protocol version %d" % protocol_version
            )
        return "connection"

    monkeypatch.setattr(ex.pyexasol, "connect", fake_connect)
    assert ex.connect_any_protocol({}) == "connection" and tried == [3, 2, 1]

    def refuse_login(protocol_version, **kwargs):
        raise ex.pyexasol.ExaAuthError(None, "08004", "Connection exception - authentication failed.")

    monkeypatch.setattr(ex.pyexasol, "connect", refuse_login)
    with pytest.raises(ex.pyexasol.ExaAuthError):
        ex.connect_any_protocol({})


def test_hints_for_trust_and_driver_failures():
    assert "exasol_jdbc_driver" in ex.with_trust_hint(
        "ETL-5402: JDBC-Client-Error: No suitable driver found for jdbc:x"
    )
