#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: exasol_connection
short_description: Manage an Exasol CONNECTION to a PostgreSQL (Aurora) database
version_added: 0.1.0
description:
  - Creates, changes or drops a named Exasol C(CONNECTION) whose address is a PostgreSQL JDBC URL,
    the object a virtual schema's C(CONNECTION_NAME) property points to.
  - The URL is built from O(endpoint), O(port) and O(database) with
    C(ssl=true&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory), so the PostgreSQL JDBC driver
    encrypts and verifies the server against the Java truststore of the Exasol nodes; or it is
    given verbatim in O(url).
  - The current state is read from C(EXA_DBA_CONNECTIONS) (C(CONNECTION_STRING), C(USER_NAME)); a
    change is made with C(ALTER CONNECTION), which keeps the privileges granted on the connection.
  - Exasol never shows a stored password, so the module cannot tell whether it differs; see
    O(update_password).
author:
  - virtualis.aurora developers (@virtualis)
extends_documentation_fragment:
  - virtualis.aurora.exasol
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.check_mode
  - virtualis.aurora.attributes.diff_mode
  - virtualis.aurora.attributes.action_group_exasol
attributes:
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: partial
    details:
      - With O(update_password=always) and a O(password), every run sets the password again and
        reports a change.
options:
  name:
    description:
      - Name of the connection (see the notes for how names are folded and quoted).
    type: str
    required: true
  state:
    description: V(present) creates or updates the connection, V(absent) drops it.
    type: str
    choices: [present, absent]
    default: present
  url:
    description:
      - The connection address, verbatim (for example a JDBC URL with other parameters).
      - Mutually exclusive with O(endpoint).
    type: str
  endpoint:
    description:
      - Host name of the PostgreSQL server, for example the Aurora cluster endpoint
        C(mycluster.cluster-abc.eu-central-1.rds.amazonaws.com), or its IPv4 or IPv6 address
        (an IPv6 address with or without brackets; the URL gets the brackets).
      - Use the name the server certificate carries; the JDBC driver verifies it.
      - Nothing else is accepted - not C(host:port) (use O(port)), nor a path, query, fragment,
        user information or IPv6 zone index - so the URL always has the structure the module builds.
        Use O(url) for a URL of your own.
    type: str
  port:
    description: Port of the PostgreSQL server, between 1 and 65535.
    type: int
    default: 5432
  database:
    description: Database name in the URL. Required with O(endpoint).
    type: str
  url_parameters:
    description:
      - Query parameters of the JDBC URL built from O(endpoint), in this order.
      - The default makes the driver use TLS and check the server certificate against the JVM's
        default truststore (the node truststores, or the one named by the adapter's
        C(-Djavax.net.ssl.trustStore)).
    type: dict
    default:
      ssl: "true"
      sslfactory: org.postgresql.ssl.DefaultJavaSSLFactory
  user:
    description: PostgreSQL user stored in the connection.
    type: str
  password:
    description:
      - Password of O(user). Required when the connection is created or changed with a O(user).
      - Any characters work, quotes included.
    type: str
  update_password:
    description:
      - V(on_create) sets O(password) when the connection is created, or when the URL or user
        change (Exasol needs the password with them); otherwise a stored password is left alone,
        so a rerun reports no change.
      - V(always) sets O(password) on every run with C(ALTER CONNECTION) and reports a change each
        time, because Exasol never shows the stored password to compare it. Use it once to rotate
        a password.
    type: str
    choices: [always, on_create]
    default: on_create
notes:
  - O(login_user) needs C(CREATE CONNECTION) and C(ALTER ANY CONNECTION) or C(DROP ANY
    CONNECTION), and C(SELECT ANY DICTIONARY) to read C(EXA_DBA_CONNECTIONS).
  - The password is never returned, never shown in the diff and replaced by C(********) in
    RV(queries) and error messages.
seealso:
  - module: virtualis.aurora.exasol_virtual_schema
  - name: PostgreSQL dialect of Exasol virtual schemas
    description: The connection the adapter expects.
    link: https://github.com/exasol/postgresql-virtual-schema/blob/main/doc/user_guide/postgresql_user_guide.md
"""

EXAMPLES = r"""
- name: Connection to Aurora over TLS that verifies the server
  virtualis.aurora.exasol_connection:
    login_host: exasol.example.com
    login_user: sys
    login_password: "{{ vault_exasol_password }}"
    ca_cert: /etc/ssl/exasol-ca.pem
    name: AURORA_CONNECTION
    endpoint: aurora-1.cluster-abc.eu-central-1.rds.amazonaws.com
    database: aurora_tutorial_database
    user: master
    password: "{{ vault_aurora_password }}"

- name: Rotate the stored password once
  virtualis.aurora.exasol_connection:
    login_host: exasol.example.com
    login_user: sys
    login_password: "{{ vault_exasol_password }}"
    name: AURORA_CONNECTION
    endpoint: aurora-1.cluster-abc.eu-central-1.rds.amazonaws.com
    database: aurora_tutorial_database
    user: master
    password: "{{ vault_new_aurora_password }}"
    update_password: always

- name: Drop the connection
  virtualis.aurora.exasol_connection:
    login_host: exasol.example.com
    login_user: sys
    login_password: "{{ vault_exasol_password }}"
    name: AURORA_CONNECTION
    state: absent
"""

RETURN = r"""
name:
  description: The connection name as Exasol stores it.
  returned: always
  type: str
  sample: AURORA_CONNECTION
url:
  description: The connection address the module wants (V(null) for O(state=absent)).
  returned: always
  type: str
  sample: jdbc:postgresql://aurora-1.cluster-abc.eu-central-1.rds.amazonaws.com:5432/db?ssl=true&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory
queries:
  description: The statements run (or, in check mode, that would run), password replaced by C(********).
  returned: always
  type: list
  elements: str
  sample: ["CREATE CONNECTION \"AURORA_CONNECTION\" TO 'jdbc:postgresql://h:5432/db?ssl=true' USER 'master' IDENTIFIED BY '********'"]
diff:
  description: Connection before and after (C(url), C(user), C(password_set)); never the password.
  returned: when diff mode is on
  type: dict
  sample: {before: {}, after: {name: AURORA_CONNECTION, url: "jdbc:postgresql://h:5432/db", user: master, password_set: true}}
"""

import ipaddress
import re
from urllib.parse import quote, urlencode

from ansible_collections.virtualis.aurora.plugins.module_utils._exasol import (
    ExasolInputError,
    object_name,
    quote_ident,
    quote_literal,
)
from ansible_collections.virtualis.aurora.plugins.module_utils._exasol_object import ExasolObjectModule

DEFAULT_URL_PARAMETERS = {"ssl": "true", "sslfactory": "org.postgresql.ssl.DefaultJavaSSLFactory"}
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_ENDPOINT_HELP = (
    "endpoint must be a host name, an IPv4 address or an IPv6 address (the port goes into `port`, "
    "the database into `database`, further URL parameters into `url_parameters`), got %r"
)


def url_host(endpoint):
    """The host part of the URL for `endpoint`: a DNS name, an IPv4 address, or an IPv6 address
    (bracketed or not; written in brackets). Anything else - a port, a path, a query, user
    information, a zone index - is refused, so that the URL has the structure the module builds."""
    text = endpoint
    literal = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    if "%" in literal:
        raise ExasolInputError(_ENDPOINT_HELP % endpoint)
    if ":" in literal:
        try:
            address = ipaddress.IPv6Address(literal)
        except ValueError:
            raise ExasolInputError(_ENDPOINT_HELP % endpoint)
        # RFC 5952 section 5: an IPv4-mapped address keeps its dotted quad. Python 3.13 writes it so,
        # older Pythons in hex: spelled out here so that the URL, and idempotence, do not depend on it.
        if address.ipv4_mapped:
            return "[::ffff:%s]" % address.ipv4_mapped
        return "[%s]" % address.compressed
    if literal != text:
        raise ExasolInputError(_ENDPOINT_HELP % endpoint)
    labels = text[:-1].split(".") if text.endswith(".") else text.split(".")
    if len(text) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ExasolInputError(_ENDPOINT_HELP % endpoint)
    if all(label.isdigit() for label in labels):  # looks like an IPv4 address, so it must be one
        try:
            return str(ipaddress.IPv4Address(text))
        except ValueError:
            raise ExasolInputError("endpoint %r is not a valid IPv4 address" % endpoint)
    return text


def build_jdbc_url(endpoint, port, database, parameters):
    """jdbc:postgresql://HOST:PORT/DB?k=v&... with the database and parameter values escaped."""
    host = url_host(endpoint)
    if not 0 < port < 65536:
        raise ExasolInputError("port must be 1..65535, got %d" % port)
    if not database:
        raise ExasolInputError("database must not be empty")
    url = "jdbc:postgresql://%s:%d/%s" % (host, port, quote(database, safe=""))
    if parameters:
        url += "?" + urlencode([(str(k), str(v)) for k, v in parameters.items()], safe=".:/")
    return url


def desired_url(params):
    if params["url"] is not None:
        if not params["url"].strip():
            raise ExasolInputError("url must not be empty")
        return params["url"]
    if not params["endpoint"] or not params["database"]:
        raise ExasolInputError("state=present needs url, or endpoint and database")
    parameters = params["url_parameters"]
    if parameters is None:
        parameters = DEFAULT_URL_PARAMETERS
    return build_jdbc_url(params["endpoint"], params["port"], params["database"], parameters)


def plan(name, current, url, user, password, update_password):
    """(verb or None, reasons): CREATE, ALTER or nothing; password-related rules included."""
    if current is None:
        return "CREATE", ["missing"]
    reasons = []
    if current["CONNECTION_STRING"] != url:
        reasons.append("url")
    if (current["USER_NAME"] or None) != (user or None):
        reasons.append("user")
    if password and update_password == "always":
        reasons.append("password")
    return ("ALTER" if reasons else None), reasons


def statement(verb, name, url, user, password):
    """(sql, display): the display has the password replaced."""
    head = "%s CONNECTION %s TO %s" % (verb, quote_ident(name), quote_literal(url))
    if user is None:
        return head, head
    tail = " USER %s IDENTIFIED BY " % quote_literal(user)
    return head + tail + quote_literal(password), head + tail + "'********'"


class ConnectionModule(ExasolObjectModule):
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        url=dict(type="str"),
        endpoint=dict(type="str"),
        port=dict(type="int", default=5432),
        database=dict(type="str"),
        url_parameters=dict(type="dict", default=dict(DEFAULT_URL_PARAMETERS)),
        user=dict(type="str"),
        password=dict(type="str", no_log=True),
        update_password=dict(type="str", default="on_create", choices=["always", "on_create"], no_log=False),
    )
    module_kwargs = dict(mutually_exclusive=[("url", "endpoint")])

    def secrets(self):
        return [self.params["password"]]

    def normalise(self):
        params = self.params
        self.name = object_name(params["name"], "connection")
        self.url = desired_url(params) if params["state"] == "present" else None
        if self.url is not None:
            quote_literal(self.url)
        self.user, self.password = params["user"], params["password"]
        if params["state"] == "present" and self.password and not self.user:
            raise ExasolInputError("password needs user: Exasol stores both or neither")

    def read(self):
        rows = self.session.query(
            "SELECT CONNECTION_NAME, CONNECTION_STRING, USER_NAME FROM EXA_DBA_CONNECTIONS "
            "WHERE CONNECTION_NAME = %s" % quote_literal(self.name),
            "EXA_DBA_CONNECTIONS",
        )
        return rows[0] if rows else None

    def plan(self, current):
        name, user, password = self.name, self.user, self.password
        if self.params["state"] == "absent":
            return [("DROP CONNECTION %s" % quote_ident(name),) * 2] if current is not None else []
        verb, reasons = plan(name, current, self.url, user, password, self.params["update_password"])
        if not verb:
            return []
        if user and not password:
            action = "create" if verb == "CREATE" else "change " + "/".join(reasons)
            self.session.fail(
                "connection %s: password is required to %s it with user %s (Exasol needs the "
                "password together with the user)" % (name, action, user)
            )
        if "password" in reasons:
            self.module.warn(
                "update_password=always: the password of connection %s is set on every run, "
                "so the task always reports a change" % name
            )
        return [statement(verb, name, self.url, user, password)]

    def result(self, current, statements):
        return dict(name=self.name, url=self.url)

    def diff(self, current, statements):
        before = (
            {}
            if current is None
            else {
                "name": self.name,
                "url": current["CONNECTION_STRING"],
                "user": current["USER_NAME"],
                "password_set": bool(current["USER_NAME"]),
            }
        )
        if self.params["state"] == "absent":
            return dict(before=before, after={})
        if current is not None and not statements:
            return dict(before=before, after=before)
        return dict(
            before=before,
            after={"name": self.name, "url": self.url, "user": self.user, "password_set": bool(self.user)},
        )


def main():
    ConnectionModule().run()


if __name__ == "__main__":
    main()
