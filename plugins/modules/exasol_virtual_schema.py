#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: exasol_virtual_schema
short_description: Manage an Exasol virtual schema on the PostgreSQL (Aurora) dialect
version_added: 0.1.0
description:
  - Creates, changes, refreshes or drops a C(VIRTUAL SCHEMA) that reads a PostgreSQL database
    (Amazon Aurora PostgreSQL, RDS) through a JAVA adapter script and a named connection.
  - Properties are compared with C(EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES) and changed with
    C(ALTER VIRTUAL SCHEMA ... SET K = 'v'); a property that is no longer wanted is removed with
    C(K = NULL) (see O(purge_properties)).
  - Exasol has no statement that changes the adapter script of a virtual schema; when
    O(adapter_schema)/O(adapter_script) differ from the current ones, the module drops the virtual
    schema (C(DROP VIRTUAL SCHEMA ... CASCADE)) and creates it again, in one transaction, and
    warns (privileges granted on the virtual schema are lost).
  - Property names the adapter documents are checked (and their values validated) before any SQL
    runs; the set depends on the adapter's major version (O(adapter_version)), read from the
    adapter script's C(%jar) file name (C(virtual-schema-dist-<vscjdbc>-postgresql-<version>.jar)).
    A name the module does not know is passed through with a warning; the adapter validates it
    itself and refuses what it does not support (C(E-VSCJDBC-13)).
  - Property names are plain identifiers (letters, digits, underscores); a name read from the
    database that is not one is refused, never written into SQL.
  - Returns the virtual tables (C(EXA_ALL_VIRTUAL_TABLES)) and, with O(probe_rows), a few rows of
    one of them, which proves the whole path (adapter JVM, JDBC driver, TLS trust, credentials).
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
      - O(refresh=true) refreshes the metadata on every run and reports a change.
options:
  name:
    description: Name of the virtual schema.
    type: str
    required: true
  state:
    description: V(present) creates or updates the virtual schema, V(absent) drops it with C(CASCADE).
    type: str
    choices: [present, absent]
    default: present
  adapter_schema:
    description: Schema of the adapter script.
    type: str
    default: ADAPTER
  adapter_script:
    description: Name of the adapter script (see M(virtualis.aurora.exasol_adapter_script)).
    type: str
    default: JDBC_ADAPTER
  properties:
    description:
      - Adapter properties, by name (case-insensitive). At least C(CONNECTION_NAME) is needed;
        C(SCHEMA_NAME) selects the PostgreSQL schema (usually V(public)).
      - "Known properties of adapter 3.x (virtual-schema-common-jdbc 12/13): C(CONNECTION_NAME),
        C(SCHEMA_NAME), C(CATALOG_NAME), C(TABLE_FILTER), C(EXCLUDED_CAPABILITIES),
        C(POSTGRESQL_IDENTIFIER_MAPPING) (V(CONVERT_TO_UPPER) or V(PRESERVE_ORIGINAL_CASE)),
        C(IGNORE_ERRORS) (V(POSTGRESQL_UPPERCASE_TABLES)), C(LOG_LEVEL) (a java.util.logging
        level), C(DEBUG_ADDRESS) (C(host:port)), C(MAX_TABLE_COUNT) (positive integer) and
        C(IMPORT_DATA_TYPES) (deprecated); C(SQL_DIALECT) only for the old all-dialect jars."
      - Adapter 4.x (virtual-schema-common-jdbc 14.0.2 and later) knows the same plus C(TELEMETRY)
        (V(true) or V(false)); set it with O(telemetry). C(TELEMETRY) on a 3.x adapter is refused
        (that adapter would refuse it with C(E-VSCJDBC-13)).
      - Any other name is passed through with a warning. C(CONNECTION_STRING), C(USERNAME) and
        C(PASSWORD) are refused; they would show credentials in
        C(EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES); use a connection (M(virtualis.aurora.exasol_connection)).
      - Values are strings; numbers and booleans are converted, a list (for C(TABLE_FILTER) or
        C(EXCLUDED_CAPABILITIES)) is joined with commas, V(null) removes the property.
    type: dict
    default: {}
  purge_properties:
    description:
      - Remove properties the virtual schema has but O(properties) does not name (C(K = NULL)).
      - Properties added by O(version_defaults) count as named.
    type: bool
    default: true
  adapter_version:
    description:
      - Version of the PostgreSQL virtual-schema adapter (C(postgresql-virtual-schema)), for the
        properties it knows; only the major version counts.
      - V(auto) reads it from the adapter script's C(%jar) line
        (C(virtual-schema-dist-14.0.5-postgresql-4.0.2.jar) is 4.x); when the name does not say,
        every property the module knows is accepted and O(telemetry) is not applied (with a warning).
    type: str
    default: auto
    version_added: 0.2.0
  telemetry:
    description:
      - Adapter 4.x sends anonymous feature-usage events to Exasol (C(telemetry-java)) unless the
        property C(TELEMETRY) is V(false). V(false) sets C(TELEMETRY=false), V(true) sets
        C(TELEMETRY=true); unset leaves the property to O(properties).
      - Ignored for a 3.x adapter, which has no telemetry.
    type: bool
    version_added: 0.2.0
  version_defaults:
    description:
      - Add what the Exasol version and the adapter jar need when O(properties) does not set it.
      - On Exasol up to 6.1.4, C(EXCLUDED_CAPABILITIES) with the join capabilities that these
        releases cannot push down (the list the virtual-schemas release notes give for Exasol
        before 6.1.2/6.0.15, and join push-down needs 6.2).
      - For an adapter script whose C(%jar) is an old all-dialect jar
        (C(virtualschema-jdbc-adapter-dist-*) or C(virtual-schema-dist-*-bundle-*)), C(SQL_DIALECT=POSTGRESQL).
    type: bool
    default: true
  refresh:
    description:
      - Run C(ALTER VIRTUAL SCHEMA ... REFRESH) so that tables added or changed in PostgreSQL show
        up. Reports a change. Not needed after a create or a property change (both read the metadata).
    type: bool
    default: false
  probe_rows:
    description:
      - After the change, read up to this many rows of one virtual table (O(probe_table), or the
        first table) and return them in RV(probe). V(0) reads nothing.
      - A trust failure (PKIX) is reported with the fix.
    type: int
    default: 0
  probe_table:
    description: Virtual table for O(probe_rows); default the first one by name.
    type: str
notes:
  - O(login_user) needs C(CREATE VIRTUAL SCHEMA), C(ALTER ANY VIRTUAL SCHEMA) (or ownership),
    C(DROP ANY VIRTUAL SCHEMA), C(EXECUTE) on the adapter script and C(ACCESS) on the connection.
  - An error from the adapter that shows the JVM does not trust the PostgreSQL certificate
    (C(PKIX), C(SSLHandshake)) is reported with the fix (the RDS CA is missing from the node
    truststores).
seealso:
  - name: telemetry-java app user guide
    description: What adapter 4.x collects and the C(TELEMETRY) property that disables it.
    link: https://github.com/exasol/telemetry-java/blob/main/doc/app-user-guide.md
  - module: virtualis.aurora.exasol_connection
  - module: virtualis.aurora.exasol_adapter_script
  - name: PostgreSQL dialect user guide
    description: Properties of the PostgreSQL dialect.
    link: https://github.com/exasol/postgresql-virtual-schema/blob/main/doc/user_guide/postgresql_user_guide.md
  - name: ALTER SCHEMA (Exasol SQL reference)
    description: SET and REFRESH of virtual schemas.
    link: https://docs.exasol.com/db/latest/sql/alter_schema.htm
"""

EXAMPLES = r"""
- name: Virtual schema on the public schema of Aurora, proven by reading three rows
  virtualis.aurora.exasol_virtual_schema:
    login_host: exasol.example.com
    login_user: sys
    login_password: "{{ vault_exasol_password }}"
    name: AURORA
    adapter_schema: ADAPTER
    adapter_script: JDBC_ADAPTER
    properties:
      CONNECTION_NAME: AURORA_CONNECTION
      SCHEMA_NAME: public
    telemetry: false  # adapter 4.x: no usage events leave the cluster
    probe_rows: 3
  register: aurora_vs

- name: Only two tables, with remote logging
  virtualis.aurora.exasol_virtual_schema:
    login_host: exasol.example.com
    login_user: sys
    login_password: "{{ vault_exasol_password }}"
    name: AURORA
    properties:
      CONNECTION_NAME: AURORA_CONNECTION
      SCHEMA_NAME: public
      TABLE_FILTER: [customers, orders]
      DEBUG_ADDRESS: 10.0.0.5:3000
      LOG_LEVEL: ALL

- name: Drop it
  virtualis.aurora.exasol_virtual_schema:
    login_host: exasol.example.com
    login_user: sys
    login_password: "{{ vault_exasol_password }}"
    name: AURORA
    state: absent
"""

RETURN = r"""
name:
  description: The virtual schema name as Exasol stores it.
  returned: always
  type: str
  sample: AURORA
properties:
  description: The properties the module wants (after version defaults).
  returned: always
  type: dict
  sample: {CONNECTION_NAME: AURORA_CONNECTION, SCHEMA_NAME: public}
adapter_major:
  description: Major version of the adapter the properties were checked for; null when unknown.
  returned: always
  type: int
  sample: 4
applied_defaults:
  description: Properties added by O(version_defaults) and O(telemetry).
  returned: always
  type: dict
  sample: {EXCLUDED_CAPABILITIES: "JOIN,JOIN_TYPE_INNER,JOIN_TYPE_LEFT_OUTER,JOIN_TYPE_RIGHT_OUTER,JOIN_TYPE_FULL_OUTER,JOIN_CONDITION_EQUI"}
exasol_version:
  description: Exasol version from C(EXA_METADATA).
  returned: always
  type: str
  sample: "7.1.26"
tables:
  description: Virtual tables after the run (C(EXA_ALL_VIRTUAL_TABLES)), sorted; empty in check mode for a new schema.
  returned: always
  type: list
  elements: str
  sample: [CUSTOMERS, ORDERS]
probe:
  description: Rows read with O(probe_rows), as a list of dicts keyed by column name.
  returned: when O(probe_rows) > 0 and the virtual schema has a table
  type: dict
  sample: {table: CUSTOMERS, rows: [{ID: 1, NAME: Alice}]}
queries:
  description: The statements run (or, in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: ["ALTER VIRTUAL SCHEMA \"AURORA\" SET LOG_LEVEL = 'INFO'"]
diff:
  description: Adapter and properties before and after.
  returned: when diff mode is on
  type: dict
  sample: {before: {adapter: ADAPTER.JDBC_ADAPTER, properties: {}}, after: {adapter: ADAPTER.JDBC_ADAPTER, properties: {LOG_LEVEL: INFO}}}
"""

import re

from ansible_collections.virtualis.aurora.plugins.module_utils._exasol import (
    ExasolInputError,
    object_name,
    quote_ident,
    quote_literal,
)
from ansible_collections.virtualis.aurora.plugins.module_utils._exasol_catalog import adapter_of
from ansible_collections.virtualis.aurora.plugins.module_utils._exasol_object import ExasolObjectModule

# virtual-schema-common-jdbc AbstractSqlDialect.COMMON_SUPPORTED_PROPERTIES plus what the PostgreSQL
# dialect adds (exasol/postgresql-virtual-schema doc/user_guide/postgresql_user_guide.md).
COMMON_PROPERTIES = frozenset(
    [
        "CONNECTION_NAME",
        "SCHEMA_NAME",
        "CATALOG_NAME",
        "TABLE_FILTER",
        "EXCLUDED_CAPABILITIES",
        "DEBUG_ADDRESS",
        "LOG_LEVEL",
        "MAX_TABLE_COUNT",
        "IMPORT_DATA_TYPES",
        "IGNORE_ERRORS",
        "POSTGRESQL_IDENTIFIER_MAPPING",
    ]
)
# Adapter 4.x uses virtual-schema-common-jdbc 14.0.2+, which accepts TELEMETRY (its changes_14.0.1.md
# fixed the E-VSCJDBC-13 refusal of it); 3.x and older use 13.x and refuse it.
FIRST_TELEMETRY_MAJOR = 4
LEGACY_PROPERTIES = frozenset(["SQL_DIALECT"])  # only the old all-dialect jars
ALL_KNOWN_PROPERTIES = COMMON_PROPERTIES | LEGACY_PROPERTIES | frozenset(["TELEMETRY"])
CREDENTIAL_PROPERTIES = frozenset(["CONNECTION_STRING", "USERNAME", "PASSWORD"])
CHOICES = {
    "POSTGRESQL_IDENTIFIER_MAPPING": ("CONVERT_TO_UPPER", "PRESERVE_ORIGINAL_CASE"),
    "LOG_LEVEL": ("OFF", "SEVERE", "WARNING", "INFO", "CONFIG", "FINE", "FINER", "FINEST", "ALL"),
    "IMPORT_DATA_TYPES": ("EXASOL_CALCULATED", "FROM_RESULT_SET"),
    "SQL_DIALECT": ("POSTGRESQL",),
    "TELEMETRY": ("TRUE", "FALSE"),  # the adapter reads anything but "true" as off; be explicit
}
# Join push-down arrived with Exasol 6.2; adapters with join support need Exasol 6.1.2/6.0.15 or
# these capabilities excluded (exasol/virtual-schemas release notes, PostgreSQL join push-down).
OLD_EXASOL_EXCLUDED_CAPABILITIES = (
    "JOIN,JOIN_TYPE_INNER,JOIN_TYPE_LEFT_OUTER,JOIN_TYPE_RIGHT_OUTER,JOIN_TYPE_FULL_OUTER,JOIN_CONDITION_EQUI"
)
LAST_EXASOL_NEEDING_EXCLUSION = (6, 1, 4)
# Adapter 4.x supports only the current Exasol release and the 2025.1 LTS line (changes_4.0.0.md).
FIRST_EXASOL_FOR_ADAPTER_4 = (2025, 1)
_LEGACY_JAR = re.compile(
    r"%jar\s+[^;]*(virtualschema-jdbc-adapter-dist-|virtual-schema-dist-[^/;]*-bundle-)", re.IGNORECASE
)
_ADAPTER_JAR = re.compile(r"%jar\s+[^;]*virtual-schema-dist-[0-9.]+-postgresql-(\d+)(?:\.\d+)*\.jar", re.IGNORECASE)
_PROPERTY_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def property_value(key, value):
    """A property value as Exasol stores it (a string), or None to remove the property."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item).strip() for item in value)
    return str(value)


def check_name(key, where="property"):
    """A property name goes into SQL unquoted, so it must be a plain identifier."""
    if not _PROPERTY_NAME.match(key):
        raise ExasolInputError(
            "%s name %r is not a plain identifier (letters, digits, underscores); "
            "it is refused rather than written into SQL" % (where, key)
        )


def validate_property(key, value):
    if key in CREDENTIAL_PROPERTIES:
        raise ExasolInputError(
            "property %s would store credentials in the virtual schema; put them in "
            "a connection and set CONNECTION_NAME" % key
        )
    check_name(key)
    if value is None:
        return
    if key in CHOICES and value.upper() not in CHOICES[key]:
        raise ExasolInputError("property %s must be one of %s, got %r" % (key, ", ".join(CHOICES[key]), value))
    if key == "MAX_TABLE_COUNT" and not (value.isdigit() and int(value) > 0):
        raise ExasolInputError("property MAX_TABLE_COUNT must be a positive integer, got %r" % value)
    if key == "DEBUG_ADDRESS" and not re.match(r"^[^\s:]+:\d{1,5}$", value):
        raise ExasolInputError("property DEBUG_ADDRESS must be host:port, got %r" % value)
    if key == "IGNORE_ERRORS" and any(
        item.strip().upper() != "POSTGRESQL_UPPERCASE_TABLES" for item in value.split(",") if item.strip()
    ):
        raise ExasolInputError("property IGNORE_ERRORS only knows POSTGRESQL_UPPERCASE_TABLES, got %r" % value)
    quote_literal(value)


def desired_properties(raw):
    """Upper-case names, string values; ExasolInputError before any SQL for a bad name or value."""
    wanted = {}
    for key, value in (raw or {}).items():
        name = str(key).strip().upper()
        if name in wanted:
            raise ExasolInputError("property %s is given twice" % name)
        wanted[name] = property_value(name, value)
        validate_property(name, wanted[name])
    if not wanted.get("CONNECTION_NAME"):
        raise ExasolInputError("properties must set CONNECTION_NAME (the connection to PostgreSQL)")
    return wanted


def adapter_major(setting, script_text):
    """The adapter's major version: from adapter_version, else from the %jar file name; None if unknown."""
    if setting and setting != "auto":
        match = re.match(r"^\s*(\d+)(?:\.\d+)*\s*$", str(setting))
        if not match:
            raise ExasolInputError("adapter_version must be auto or a version such as 4 or 4.0.2, got %r" % setting)
        return int(match.group(1))
    found = _ADAPTER_JAR.search(script_text or "")
    return int(found.group(1)) if found else None


def unknown_properties(wanted, major):
    """Names the adapter of this major version does not document; TELEMETRY on 3.x is an error."""
    if major is not None and major < FIRST_TELEMETRY_MAJOR and "TELEMETRY" in wanted:
        raise ExasolInputError(
            "property TELEMETRY needs adapter 4.x; the %d.x adapter refuses it "
            "(E-VSCJDBC-13); remove it (a %d.x adapter sends no telemetry)" % (major, major)
        )
    known = (
        ALL_KNOWN_PROPERTIES
        if major is None
        else COMMON_PROPERTIES
        | LEGACY_PROPERTIES
        | (frozenset(["TELEMETRY"]) if major >= FIRST_TELEMETRY_MAJOR else frozenset())
    )
    return sorted(key for key in wanted if key not in known)


def version_defaults(wanted, version, script_text):
    """Properties the Exasol version and the adapter jar need that `wanted` does not set."""
    added = {}
    if version and version <= LAST_EXASOL_NEEDING_EXCLUSION and "EXCLUDED_CAPABILITIES" not in wanted:
        added["EXCLUDED_CAPABILITIES"] = OLD_EXASOL_EXCLUDED_CAPABILITIES
    if script_text and _LEGACY_JAR.search(script_text) and "SQL_DIALECT" not in wanted:
        added["SQL_DIALECT"] = "POSTGRESQL"
    return added


def telemetry_default(module, wanted, major, telemetry):
    """{TELEMETRY: 'true'/'false'} when the option asks for it and the adapter has telemetry."""
    if telemetry is None:
        return {}
    value = "true" if telemetry else "false"
    if "TELEMETRY" in wanted:
        if (wanted["TELEMETRY"] or "").lower() != value:
            raise ExasolInputError(
                "telemetry=%s contradicts the property TELEMETRY=%r; set one of them" % (value, wanted["TELEMETRY"])
            )
        return {}
    if major is None:
        module.warn(
            "cannot tell the adapter version from the adapter script's %jar lines, so TELEMETRY is "
            "not set; set adapter_version (4.x adapters send usage events unless TELEMETRY=false)"
        )
        return {}
    return {"TELEMETRY": value} if major >= FIRST_TELEMETRY_MAJOR else {}


def property_changes(current, wanted, purge):
    """{name: value or None}: what ALTER ... SET must change, in name order."""
    changes = {}
    for key in sorted(wanted):
        if wanted[key] is None:
            if key in current:
                changes[key] = None
        elif current.get(key) != wanted[key]:
            changes[key] = wanted[key]
    if purge:
        for key in sorted(current):
            if key not in wanted:
                changes[key] = None
    return changes


def assignments(properties):
    """K = 'v' ... in name order; every name is checked, also those read from the database."""
    for key in properties:
        check_name(key)
    return " ".join(
        "%s = %s" % (key, "NULL" if value is None else quote_literal(value))
        for key, value in sorted(properties.items())
    )


def create_sql(name, adapter, properties):
    sql = "CREATE VIRTUAL SCHEMA %s USING %s.%s" % (quote_ident(name), quote_ident(adapter[0]), quote_ident(adapter[1]))
    present = {k: v for k, v in properties.items() if v is not None}
    return sql + (" WITH " + assignments(present) if present else "")


def read_state(session, name):
    """(schema row, virtual schema row or None, {property: value})."""
    literal = quote_literal(name)
    schemas = session.query(
        "SELECT SCHEMA_NAME, SCHEMA_IS_VIRTUAL FROM EXA_SCHEMAS WHERE SCHEMA_NAME = %s" % literal, "EXA_SCHEMAS"
    )
    if not schemas:
        return None, None, {}
    if not schemas[0]["SCHEMA_IS_VIRTUAL"]:
        session.fail("schema %s exists and is not a virtual schema; it is left alone" % name)
    rows = session.query(
        "SELECT * FROM EXA_ALL_VIRTUAL_SCHEMAS WHERE SCHEMA_NAME = %s" % literal, "EXA_ALL_VIRTUAL_SCHEMAS"
    )
    props = session.query(
        "SELECT PROPERTY_NAME, PROPERTY_VALUE FROM EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES WHERE SCHEMA_NAME = %s" % literal,
        "EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES",
    )
    return schemas[0], (rows[0] if rows else None), {p["PROPERTY_NAME"]: p["PROPERTY_VALUE"] for p in props}


def plan_present(module, session, name, adapter, wanted, current_row, current_props):
    """Statements (sql, display) for create / recreate / set, plus a refresh if asked."""
    target = quote_ident(name)
    if current_row is None:
        sql = create_sql(name, adapter, wanted)
        return [(sql, sql)]
    if tuple(adapter_of(current_row)) != tuple(adapter):
        module.warn(
            "virtual schema %s uses adapter %s.%s, not %s.%s; Exasol cannot change the adapter of "
            "a virtual schema, so it is dropped and created again (grants on it are lost)"
            % ((name,) + tuple(adapter_of(current_row)) + tuple(adapter))
        )
        drop = "DROP VIRTUAL SCHEMA %s CASCADE" % target
        sql = create_sql(name, adapter, wanted)
        return [(drop, drop), (sql, sql)]
    statements = []
    changes = property_changes(current_props, wanted, module.params["purge_properties"])
    if changes:
        try:
            sql = "ALTER VIRTUAL SCHEMA %s SET %s" % (target, assignments(changes))
        except ExasolInputError as exc:  # only a name read from EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES gets here
            session.fail(
                "virtual schema %s: %s (read from EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES); nothing was "
                "changed; remove it by hand or set purge_properties=false" % (name, exc)
            )
        statements.append((sql, sql))
    if module.params["refresh"]:
        sql = "ALTER VIRTUAL SCHEMA %s REFRESH" % target
        statements.append((sql, sql))
    return statements


def adapter_text(session, adapter):
    rows = session.query(
        "SELECT SCRIPT_TYPE, SCRIPT_TEXT FROM EXA_ALL_SCRIPTS WHERE SCRIPT_SCHEMA = %s AND "
        "SCRIPT_NAME = %s" % (quote_literal(adapter[0]), quote_literal(adapter[1])),
        "EXA_ALL_SCRIPTS",
    )
    if not rows:
        if session.module.check_mode:  # an earlier task of the same check run would create it
            session.module.warn("adapter script %s.%s does not exist (yet); the real run needs it" % adapter)
            return None
        session.fail(
            "adapter script %s.%s does not exist; create it first (virtualis.aurora.exasol_adapter_script)" % adapter
        )
    if str(rows[0]["SCRIPT_TYPE"]).upper() != "ADAPTER":
        session.fail("script %s.%s is not an adapter script" % adapter)
    return rows[0]["SCRIPT_TEXT"]


def plan_properties(module, session, wanted, version, script_text):
    """Check `wanted` against the adapter's version and add the defaults; returns (major, added)."""
    params = module.params
    try:
        major = adapter_major(params["adapter_version"], script_text)
        unknown = unknown_properties(wanted, major)
        added = version_defaults(wanted, version, script_text) if params["version_defaults"] else {}
        added.update(telemetry_default(module, wanted, major, params["telemetry"]))
    except ExasolInputError as exc:
        session.fail(str(exc))
    if unknown:
        module.warn(
            "properties %s are not documented for the %s adapter; they are passed on and the adapter "
            "validates them (E-VSCJDBC-13 names one it does not support)"
            % (", ".join(unknown), "%d.x" % major if major is not None else "PostgreSQL")
        )
    if major is not None and major >= 4 and version and version < FIRST_EXASOL_FOR_ADAPTER_4:
        module.warn(
            "adapter %d.x supports only Exasol 2025.1 and later (postgresql-virtual-schema "
            "changes_4.0.0.md); this database is %s" % (major, ".".join(str(v) for v in version))
        )
    return major, added


def probe(session, name, tables, table, limit):
    """{table, rows} read through the virtual schema (a trust failure fails with the fix)."""
    table = table or (tables[0] if tables else None)
    if table is None:
        return None
    rows = session.query(
        "SELECT * FROM %s.%s LIMIT %d" % (quote_ident(name), quote_ident(table), limit),
        "%s.%s through the virtual schema" % (name, table),
    )
    return {"table": table, "rows": rows}


class VirtualSchemaModule(ExasolObjectModule):
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        adapter_schema=dict(type="str", default="ADAPTER"),
        adapter_script=dict(type="str", default="JDBC_ADAPTER"),
        properties=dict(type="dict", default={}),
        purge_properties=dict(type="bool", default=True),
        version_defaults=dict(type="bool", default=True),
        refresh=dict(type="bool", default=False),
        probe_rows=dict(type="int", default=0),
        probe_table=dict(type="str"),
        adapter_version=dict(type="str", default="auto"),
        telemetry=dict(type="bool"),
    )

    def normalise(self):
        params = self.params
        self.name = object_name(params["name"], "virtual schema")
        self.adapter = (
            object_name(params["adapter_schema"], "adapter schema"),
            object_name(params["adapter_script"], "adapter script"),
        )
        self.wanted = desired_properties(params["properties"]) if params["state"] == "present" else {}
        self.probe_table = object_name(params["probe_table"], "probe table") if params["probe_table"] else None
        if params["probe_rows"] < 0:
            raise ExasolInputError("probe_rows must be 0 or more")
        self.applied, self.major = {}, None

    def read(self):
        version = self.session.version()
        schema_row, row, props = read_state(self.session, self.name)
        script_text = adapter_text(self.session, self.adapter) if self.params["state"] == "present" else None
        return dict(version=version, schema_row=schema_row, row=row, properties=props, script_text=script_text)

    def plan(self, current):
        if self.params["state"] == "absent":
            drop = "DROP VIRTUAL SCHEMA %s CASCADE" % quote_ident(self.name)
            return [(drop, drop)] if current["schema_row"] is not None else []
        self.major, self.applied = plan_properties(
            self.module, self.session, self.wanted, current["version"], current["script_text"]
        )
        self.wanted.update(self.applied)
        return plan_present(
            self.module, self.session, self.name, self.adapter, self.wanted, current["row"], current["properties"]
        )

    def result(self, current, statements):
        result = dict(
            name=self.name,
            exasol_version=".".join(str(v) for v in current["version"]),
            properties=self.properties(),
            applied_defaults=self.applied,
            adapter_major=self.major,
            tables=[],
        )
        exists_now = self.params["state"] == "present" and (current["row"] is not None or not self.module.check_mode)
        if exists_now:
            result["tables"] = [
                r["TABLE_NAME"]
                for r in self.session.query(
                    "SELECT TABLE_NAME FROM EXA_ALL_VIRTUAL_TABLES WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME"
                    % quote_literal(self.name),
                    "EXA_ALL_VIRTUAL_TABLES",
                )
            ]
            if self.params["probe_rows"]:
                found = probe(self.session, self.name, result["tables"], self.probe_table, self.params["probe_rows"])
                if found is not None:
                    result["probe"] = found
        return result

    def properties(self):
        return {k: v for k, v in self.wanted.items() if v is not None}

    def diff(self, current, statements):
        row = current["row"]
        before = {} if row is None else {"adapter": "%s.%s" % adapter_of(row), "properties": current["properties"]}
        after = (
            {}
            if self.params["state"] == "absent"
            else {"adapter": "%s.%s" % self.adapter, "properties": self.properties()}
        )
        return dict(before=before, after=after)


def main():
    VirtualSchemaModule().run()


if __name__ == "__main__":
    main()
