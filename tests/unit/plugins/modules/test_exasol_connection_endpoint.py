"""exasol_connection: the endpoint is a host name, an IPv4 or an IPv6 address and nothing else
(issue 11 item 16); the port is its own option. 0.1.0 bracketed anything with a colon."""

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils._exasol import ExasolInputError
from ansible_collections.virtualis.aurora.plugins.modules import exasol_connection as conn

TLS = {"ssl": "true", "sslfactory": "org.postgresql.ssl.DefaultJavaSSLFactory"}


@pytest.mark.parametrize(
    "endpoint,host",
    [
        ("db.cluster-x.eu-central-1.rds.amazonaws.com", "db.cluster-x.eu-central-1.rds.amazonaws.com"),
        (
            "aurora-lab.cluster-lab.eu-central-1.rds.amazonaws.com.",
            "aurora-lab.cluster-lab.eu-central-1.rds.amazonaws.com.",
        ),
        ("localhost", "localhost"),
        ("1password-db.example", "1password-db.example"),
        ("10.0.0.1", "10.0.0.1"),
        ("::1", "[::1]"),
        ("[::1]", "[::1]"),
        ("2001:DB8:0:0:0:0:0:1", "[2001:db8::1]"),
        ("::ffff:192.0.2.1", "[::ffff:192.0.2.1]"),  # RFC 5952 5, on every Python
        ("::ffff:c000:201", "[::ffff:192.0.2.1]"),
    ],
)
def test_host_names_and_addresses_are_accepted(endpoint, host):
    assert conn.build_jdbc_url(endpoint, 6432, "d", {}) == "jdbc:postgresql://%s:6432/d" % host


@pytest.mark.parametrize(
    "endpoint",
    [
        "evil.example:6432/otherdb?sslfactory=org.postgresql.ssl.NonValidatingFactory#",  # the example
        "db.example:5432",  # host:port - the port is its own option
        "[::1]:5432",
        "db.example/otherdb",
        "db.example?ssl=false",
        "db.example#x",
        "user@db.example",
        "fe80::1%eth0",  # a zone index would need escaping in a URL
        "[fe80::1%25eth0]",
        "::1]",
        "[db.example]",
        "1.2.3",  # digits only but not an IPv4 address
        "999.1.1.1",
        "-db.example",
        "db_.example",
        "db..example",
        " db.example",
        "db.example\n",
        "a" * 64 + ".example",
        ".".join(["a" * 60] * 5),  # longer than 253
        "",
    ],
)
def test_anything_else_is_refused_with_a_clear_error(endpoint):
    with pytest.raises(
        ExasolInputError,
        match=r"endpoint .*(must be a host name, an IPv4 address or an IPv6 address|"
        r"is not a valid IPv4 address)",
    ):
        conn.build_jdbc_url(endpoint, 5432, "d", TLS)


def test_the_refusal_says_where_the_port_goes():
    with pytest.raises(ExasolInputError, match=r"the port goes into `port`"):
        conn.url_host("db.example:5432")


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_port_range(port):
    with pytest.raises(ExasolInputError, match="port must be 1..65535"):
        conn.build_jdbc_url("db.example", port, "d", TLS)


def test_database_and_parameters_cannot_change_the_structure():
    url = conn.build_jdbc_url("db.example", 5432, "x?sslfactory=evil#", {"a&b": "c#d"})
    assert url == "jdbc:postgresql://db.example:5432/x%3Fsslfactory%3Devil%23?a%26b=c%23d"
