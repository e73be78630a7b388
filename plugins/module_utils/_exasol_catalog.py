# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading Exasol's virtual-schema catalog: which adapter script and connection each one uses.

Private to virtualis.aurora. EXA_ALL_VIRTUAL_SCHEMAS names the adapter script in two columns
(ADAPTER_SCRIPT_SCHEMA, ADAPTER_SCRIPT_NAME) on Exasol 8 and in one (ADAPTER_SCRIPT, written
SCHEMA.SCRIPT with delimited identifiers where needed) before; both are read here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.virtualis.aurora.plugins.module_utils._exasol import quote_literal


def _split_qualified(text):
    """("SCHEMA", "SCRIPT") from SCHEMA.SCRIPT, "Sch.ema"."Scr""ipt" or a mix; (None, text) if no dot."""
    parts, current, quoted, i = [], [], False, 0
    while i < len(text):
        char = text[i]
        if char == '"' and quoted and text[i + 1 : i + 2] == '"':
            current.append('"')
            i += 1
        elif char == '"':
            quoted = not quoted
        elif char == "." and not quoted and not parts:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    if not parts:
        return (None, text)
    return (parts[0], "".join(current))


def adapter_of(row):
    """(schema, script) of one EXA_ALL_VIRTUAL_SCHEMAS row."""
    if row.get("ADAPTER_SCRIPT_NAME"):
        return (row.get("ADAPTER_SCRIPT_SCHEMA"), row["ADAPTER_SCRIPT_NAME"])
    return _split_qualified(row.get("ADAPTER_SCRIPT") or "")


def virtual_schemas(session, name=None):
    """[{name, adapter_schema, adapter_script, connection}] by name; only CONNECTION_NAME of the
    properties is read, never a property that could hold a credential."""
    where = " WHERE SCHEMA_NAME = %s" % quote_literal(name) if name else ""
    rows = session.query("SELECT * FROM EXA_ALL_VIRTUAL_SCHEMAS" + where, "EXA_ALL_VIRTUAL_SCHEMAS")
    props = session.query(
        "SELECT SCHEMA_NAME, PROPERTY_VALUE FROM EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES "
        "WHERE PROPERTY_NAME = 'CONNECTION_NAME'",
        "EXA_ALL_VIRTUAL_SCHEMA_PROPERTIES",
    )
    connections = {p["SCHEMA_NAME"]: p["PROPERTY_VALUE"] for p in props}
    found = []
    for row in rows:
        schema, script = adapter_of(row)
        found.append(
            {
                "name": row["SCHEMA_NAME"],
                "adapter_schema": schema,
                "adapter_script": script,
                "connection": connections.get(row["SCHEMA_NAME"]),
            }
        )
    return sorted(found, key=lambda item: item["name"])
