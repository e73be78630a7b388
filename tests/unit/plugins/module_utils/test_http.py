"""The HTTP helper both BucketFS and EXAoperation clients use: URL checks, TLS, auth, status messages."""

import ssl

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils._http import HttpServer, status_message


class Refused(Exception):
    pass


def test_status_messages_say_what_to_fix():
    assert (
        status_message("S", 401, "Unauthorized", "bucket b", "w")
        == "wrong user or password for bucket b (S answered 401 Unauthorized)"
    )
    assert (
        status_message("S", 403, "Forbidden", "bucket b", "r", "use user w")
        == "S refused user r for bucket b (403 Forbidden): use user w"
    )
    assert (
        status_message("S", 404, "Not Found", "bucket b", "w") == "bucket b does not exist (S answered 404 Not Found)"
    )
    assert status_message("S", 418, "Teapot", "bucket b", "w") == "S answered 418 Teapot to bucket b"


@pytest.mark.parametrize(
    "url, text",
    [
        ("ftp://h", "must look like https://HOST"),
        ("https://", "must look like https://HOST"),
        ("https://u:p@h", "must not carry credentials"),
    ],
)
def test_bad_urls_raise_the_clients_error(url, text):
    with pytest.raises(Refused, match=text):
        HttpServer(url, "S", "u", "p", error=Refused)


def test_https_verifies_unless_told_not_to_and_auth_is_a_header(module_warnings):
    server = HttpServer("https://h:2581", "S", "w", "pw")
    assert server.context.verify_mode == ssl.CERT_REQUIRED and server.context.check_hostname
    assert server.authorization == "Basic dzpwdw=="  # base64("w:pw")
    assert HttpServer("https://h", "S", "w", "pw", validate_certs=False).context.verify_mode == ssl.CERT_NONE
    conn = server.connect()
    assert (conn.host, conn.port, conn.timeout) == ("h", 2581, 60)
    assert not module_warnings()


def test_plain_http_warns_and_connects_without_tls(module_warnings):
    server = HttpServer("http://h:2580", "S", "w", "pw", exposed="the password")
    assert server.context is None and type(server.connect()).__name__ == "HTTPConnection"
    assert any("S url http://h:2580 is plain http: the password go" in m for m in module_warnings())


def test_unreadable_ca_cert_is_named(tmp_path):
    with pytest.raises(Refused, match="Could not load CA certificates from .*missing.pem"):
        HttpServer("https://h", "S", "w", "pw", ca_cert=str(tmp_path / "missing.pem"), error=Refused)
