#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: exasol_adapter_script
short_description: Manage the JAVA ADAPTER SCRIPT of an Exasol virtual schema
version_added: 0.1.0
description:
  - Creates, replaces or drops a C(JAVA ADAPTER SCRIPT) whose body is C(%scriptclass), optional
    C(%jvmoption) lines and one C(%jar) line per BucketFS jar (adapter and JDBC driver).
  - The current body is read from C(EXA_ALL_SCRIPTS.SCRIPT_TEXT). Exasol stores the creation text
    there with a header it writes itself (C(CREATE JAVA ADAPTER SCRIPT "NAME" AS), no schema, no
    C(OR REPLACE)) followed by the body as it was sent. The module drops that header and compares
    only the directives (C(%scriptclass), C(%jvmoption), C(%jar)), in order, with runs of
    whitespace collapsed; blank lines and comments do not count. C(CREATE OR REPLACE) runs only
    when the directives differ.
  - The statement ends with a line C(/) like in EXAplus; Exasol does not store it. It keeps the
    last directive's C(;), which pyexasol would otherwise trim from the end of the statement.
  - Optionally creates the schema that holds the script (O(create_schema)).
author:
  - virtualis.aurora developers (@virtualis)
extends_documentation_fragment:
  - virtualis.aurora.exasol
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.check_mode
  - virtualis.aurora.attributes.diff_mode
  - virtualis.aurora.attributes.idempotent
  - virtualis.aurora.attributes.action_group_exasol
options:
  schema:
    description: Schema of the script (a normal schema, not a virtual one).
    type: str
    default: ADAPTER
  name:
    description: Name of the script.
    type: str
    default: JDBC_ADAPTER
  state:
    description: V(present) creates or replaces the script, V(absent) drops it.
    type: str
    choices: [present, absent]
    default: present
  script_class:
    description:
      - Entry point of the adapter. C(com.exasol.adapter.RequestDispatcher) for every adapter
        since virtual-schemas 2.0; the old 1.x C(virtualschema-jdbc-adapter-dist) jars used
        C(com.exasol.adapter.jdbc.JdbcAdapter).
    type: str
    default: com.exasol.adapter.RequestDispatcher
  jars:
    description:
      - BucketFS paths of the jars as UDFs see them, C(/buckets/<service>/<bucket>/<path>.jar), of the virtual-schema adapter jar and of
        the PostgreSQL JDBC driver jar.
      - The order is kept (it is the class path order).
      - C(.), C(..) and empty path components are refused, so a jar cannot point outside C(/buckets).
    type: list
    elements: str
  jvm_options:
    description:
      - Options for the adapter's JVM, one C(%jvmoption) line each, for example
        C(-Djavax.net.ssl.trustStore=/buckets/bfsdefault/default/truststores/rds.jks).
      - Must not contain C(;) or line breaks (they would end the directive).
    type: list
    elements: str
    default: []
  create_schema:
    description: Create O(schema) when it does not exist.
    type: bool
    default: true
notes:
  - A script that exists under the name but is not a Java adapter script is never replaced; the
    module fails instead.
  - O(login_user) needs C(CREATE ANY SCRIPT) (or owns the schema), C(CREATE SCHEMA) with
    O(create_schema), and C(DROP ANY SCRIPT) for O(state=absent).
seealso:
  - module: virtualis.aurora.exasol_virtual_schema
  - name: CREATE SCRIPT (Exasol SQL reference)
    description: Adapter scripts and their directives.
    link: https://docs.exasol.com/db/latest/sql/create_script.htm
"""

EXAMPLES = r"""
- name: Adapter script with the PostgreSQL dialect and the JDBC driver
  virtualis.aurora.exasol_adapter_script:
    login_host: exasol.example.com
    login_user: sys
    login_password: "{{ vault_exasol_password }}"
    schema: ADAPTER
    name: JDBC_ADAPTER
    jars:
      - /buckets/bfsdefault/default/jars/virtual-schema-dist-12.0.0-postgresql-3.1.0.jar
      - /buckets/bfsdefault/default/jars/postgresql-42.7.4.jar

- name: Same, trusting a truststore uploaded to BucketFS (clusters without root SSH)
  virtualis.aurora.exasol_adapter_script:
    login_host: exasol.example.com
    login_user: sys
    login_password: "{{ vault_exasol_password }}"
    jars:
      - /buckets/bfsdefault/default/jars/virtual-schema-dist-12.0.0-postgresql-3.1.0.jar
      - /buckets/bfsdefault/default/jars/postgresql-42.7.4.jar
    jvm_options:
      - -Djavax.net.ssl.trustStore=/buckets/bfsdefault/default/truststores/rds-ca.jks
      - -Djavax.net.ssl.trustStoreType=JKS
"""

RETURN = r"""
schema:
  description: Schema of the script as Exasol stores it.
  returned: always
  type: str
  sample: ADAPTER
name:
  description: Script name as Exasol stores it.
  returned: always
  type: str
  sample: JDBC_ADAPTER
body:
  description: The script body the module wants (empty for O(state=absent)).
  returned: always
  type: str
  sample: "\n%scriptclass com.exasol.adapter.RequestDispatcher;\n%jar /buckets/bfsdefault/default/jars/a.jar;\n"
queries:
  description: The statements run (or, in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: ["CREATE SCHEMA IF NOT EXISTS \"ADAPTER\""]
diff:
  description: Directives before and after, one per line.
  returned: when diff mode is on
  type: dict
  sample: {before: "", after: "%scriptclass com.exasol.adapter.RequestDispatcher;\n%jar /buckets/bfsdefault/default/jars/a.jar;\n"}
"""

import re

from ansible_collections.virtualis.aurora.plugins.module_utils._bucketfs import unsafe_component
from ansible_collections.virtualis.aurora.plugins.module_utils._exasol import (
    ExasolInputError,
    object_name,
    quote_ident,
    quote_literal,
)
from ansible_collections.virtualis.aurora.plugins.module_utils._exasol_object import ExasolObjectModule

_HEADER = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:JAVA\s+)?ADAPTER\s+SCRIPT\s+"
    r'(?:"(?:[^"]|"")*"|[^\s".]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[^\s".]+))?\s+AS\b',
    re.IGNORECASE,
)
_DIRECTIVE = re.compile(r"%(scriptclass|jvmoption|jar)\b([^;]*);", re.IGNORECASE)
_CLASS = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*$")
_JAR = re.compile(r"^/buckets/[^/\s;:]+/[^/\s;:]+/[^\s;:]+\.jar$")


def strip_header(text):
    """SCRIPT_TEXT without Exasol's `CREATE ... ADAPTER SCRIPT "NAME" AS` header (if present)."""
    match = _HEADER.match(text or "")
    return text[match.end() :] if match else (text or "")


def directives(body):
    """[(keyword, value)] in order; %jar a:b counts as two jars, whitespace runs as one space."""
    found = []
    for match in _DIRECTIVE.finditer(strip_header(body)):
        keyword, value = match.group(1).lower(), " ".join(match.group(2).split())
        if keyword == "jar":
            found.extend(("jar", part.strip()) for part in value.split(":") if part.strip())
        else:
            found.append((keyword, value))
    return found


def render(found):
    return "".join("%%%s %s;\n" % item for item in found)


def build_body(script_class, jvm_options, jars):
    """The body sent after AS: one directive per line; ExasolInputError for unsafe values."""
    if not _CLASS.match(script_class or ""):
        raise ExasolInputError("script_class must be a Java class name, got %r" % script_class)
    if not jars:
        raise ExasolInputError("state=present needs jars (the adapter and the JDBC driver)")
    for jar in jars:
        if not _JAR.match(jar):
            raise ExasolInputError(
                "jar %r must be a BucketFS path /buckets/<service>/<bucket>/<path>.jar without spaces, ':' or ';'" % jar
            )
        bad = unsafe_component(jar[len("/buckets/") :])  # the rules exasol_bucketfs_upload applies
        if bad is not None:
            raise ExasolInputError(
                "jar %r has a %r component: a jar must stay inside its bucket, "
                "/buckets/<service>/<bucket>/<path>.jar without '.', '..' or '//'" % (jar, bad)
            )
    for option in jvm_options:
        if not option.strip() or re.search(r"[;\r\n%]", option):
            raise ExasolInputError("jvm option %r must be non-empty and contain no ';', '%%' or line break" % option)
    lines = ["%%scriptclass %s;" % script_class]
    lines += ["%%jvmoption %s;" % option.strip() for option in jvm_options]
    lines += ["%%jar %s;" % jar for jar in jars]
    return "\n" + "\n".join(lines) + "\n"


def read_state(session, schema, name):
    """(schema row or None, script row or None)."""
    schemas = session.query(
        "SELECT SCHEMA_NAME, SCHEMA_IS_VIRTUAL FROM EXA_SCHEMAS WHERE SCHEMA_NAME = %s" % quote_literal(schema),
        "EXA_SCHEMAS",
    )
    scripts = session.query(
        "SELECT SCRIPT_TYPE, SCRIPT_LANGUAGE, SCRIPT_TEXT FROM EXA_ALL_SCRIPTS WHERE "
        "SCRIPT_SCHEMA = %s AND SCRIPT_NAME = %s" % (quote_literal(schema), quote_literal(name)),
        "EXA_ALL_SCRIPTS",
    )
    return (schemas[0] if schemas else None), (scripts[0] if scripts else None)


def plan_present(session, params, schema, name, body, schema_row, script):
    target = "%s.%s" % (quote_ident(schema), quote_ident(name))
    statements = []
    if schema_row is None:
        if not params["create_schema"]:
            session.fail("schema %s does not exist; create it or set create_schema=true" % schema)
        sql = "CREATE SCHEMA IF NOT EXISTS %s" % quote_ident(schema)
        statements.append((sql, sql))
    elif schema_row["SCHEMA_IS_VIRTUAL"]:
        session.fail("schema %s is a virtual schema; an adapter script needs a normal schema" % schema)
    if script is not None and (
        str(script["SCRIPT_TYPE"]).upper() != "ADAPTER" or str(script["SCRIPT_LANGUAGE"]).upper() != "JAVA"
    ):
        session.fail(
            "script %s exists as a %s %s script, not a JAVA ADAPTER script; it is not replaced"
            % (target, script["SCRIPT_LANGUAGE"], script["SCRIPT_TYPE"])
        )
    if current_directives(script) != render(directives(body)):
        # "/" ends the script as in EXAplus; Exasol drops it. Without it pyexasol would strip the
        # body's last ";" (it trims trailing semicolons) and the last %jar would be unterminated.
        sql = "CREATE OR REPLACE JAVA ADAPTER SCRIPT %s AS%s/" % (target, body)
        statements.append((sql, sql))
    return statements


def current_directives(script):
    return render(directives(script["SCRIPT_TEXT"])) if script else ""


class AdapterScriptModule(ExasolObjectModule):
    argument_spec = dict(
        schema=dict(type="str", default="ADAPTER"),
        name=dict(type="str", default="JDBC_ADAPTER"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        script_class=dict(type="str", default="com.exasol.adapter.RequestDispatcher"),
        jars=dict(type="list", elements="str"),
        jvm_options=dict(type="list", elements="str", default=[]),
        create_schema=dict(type="bool", default=True),
    )
    module_kwargs = dict(required_if=[("state", "present", ["jars"])])

    def normalise(self):
        params = self.params
        self.schema = object_name(params["schema"], "schema")
        self.name = object_name(params["name"], "script")
        self.body = (
            build_body(params["script_class"], params["jvm_options"], params["jars"])
            if params["state"] == "present"
            else ""
        )

    def read(self):
        return read_state(self.session, self.schema, self.name)

    def plan(self, current):
        schema_row, script = current
        if self.params["state"] == "present":
            return plan_present(self.session, self.params, self.schema, self.name, self.body, schema_row, script)
        sql = "DROP ADAPTER SCRIPT %s.%s" % (quote_ident(self.schema), quote_ident(self.name))
        return [(sql, sql)] if script else []

    def result(self, current, statements):
        return dict(schema=self.schema, name=self.name, body=self.body)

    def diff(self, current, statements):
        return dict(before=current_directives(current[1]), after=render(directives(self.body)))


def main():
    AdapterScriptModule().run()


if __name__ == "__main__":
    main()
