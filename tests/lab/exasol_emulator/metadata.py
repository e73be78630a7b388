"""The WebSocket metadata commands getSchemas and getTables (protocol V2+, Exasol 7.0+).

Sources: exasol/websocket-api `docs/WebsocketAPIV2.md` ("Metadata-related commands", added in
7.0.0, EXASOL-2640), `docs/commands/getSchemasV2.md` and `getTablesV2.md` (result columns, their
order, the request fields); pyexasol `meta.py` (`execute_meta_nosql`, `schema_exists`,
`table_exists`, `view_exists`) and its test `test/integration/metadata_nosql_test.py` (a real
database also lists the system schemas SYS and EXA_STATISTICS). Column sizes are not documented:
they follow the emulator's EXA_SCHEMAS / EXA_ALL_TABLES columns (lab inference).
"""

from .sql import SqlError, like_to_regex

OWNER = "SYS"
NAME = {"type": "VARCHAR", "size": 128, "characterSet": "UTF8"}
COMMENT = {"type": "VARCHAR", "size": 2000, "characterSet": "UTF8"}
BOOL = {"type": "BOOLEAN"}
TABLE_TYPES = ("SYSTEM TABLE", "TABLE", "VIEW")
SYSTEM_SCHEMAS = ("EXA_STATISTICS", "SYS")
LIKE_ESCAPE = "\\"  # the session's defaultLikeEscapeCharacter

SCHEMA_COLUMNS = [("NAME", NAME), ("OWNER", NAME), ("IS_VIRTUAL", BOOL), ("COMMENT", COMMENT)]
TABLE_COLUMNS = [
    ("SCHEMA", NAME),
    ("NAME", NAME),
    ("OWNER", NAME),
    ("TABLE_TYPE", NAME),
    ("IS_VIRTUAL", BOOL),
    ("HAS_DISTRIBUTION_KEY", BOOL),
    ("HAS_PARTITION_KEY", BOOL),
    ("COMMENT", COMMENT),
]


def invalid(text):
    return SqlError("00000", text)


def fields(request, allowed):
    """The request's search fields; unknown ones are refused (stricter than documented)."""
    unknown = sorted(set(request) - {"command", "attributes"} - set(allowed))
    if unknown:
        raise invalid("%s: unknown request field(s) %s" % (request["command"], ", ".join(unknown)))
    return {name: request.get(name) for name in allowed}


def matcher(request, name):
    """A LIKE pattern field: null (or absent) matches all, "" matches nothing."""
    pattern = request[name]
    if pattern is None:
        return lambda value: True
    if not isinstance(pattern, str):
        raise invalid("invalid value for field %s: a string or null is expected" % name)
    if pattern == "":
        return lambda value: False
    regex = like_to_regex(pattern, LIKE_ESCAPE)
    return lambda value: bool(regex.match(value))


def get_schemas(catalog, request):
    """getSchemas: NAME, OWNER, IS_VIRTUAL, COMMENT ordered by NAME."""
    match = matcher(fields(request, ("schema",)), "schema")
    rows = [[name, OWNER, False, None] for name in SYSTEM_SCHEMAS]
    rows += [[name, OWNER, bool(obj.get("virtual")), None] for name, obj in catalog["schemas"].items()]
    return SCHEMA_COLUMNS, sorted((r for r in rows if match(r[0])), key=lambda r: r[0])


def table_types(request):
    types = request["tableTypes"]
    if types is None:
        return TABLE_TYPES
    if not isinstance(types, list) or not all(t in TABLE_TYPES for t in types):
        raise invalid(
            "invalid value for field tableTypes: a list of %s or null is expected"
            % ", ".join('"%s"' % t for t in TABLE_TYPES)
        )
    return types


def get_tables(catalog, system_tables, request):
    """getTables: the emulated system tables (SYS, "SYSTEM TABLE") and the virtual tables of
    virtual schemas ("TABLE", IS_VIRTUAL true); no physical tables or views exist here."""
    request = fields(request, ("schema", "table", "tableTypes"))
    schema_match, table_match = matcher(request, "schema"), matcher(request, "table")
    types = table_types(request)
    rows = [["SYS", name, OWNER, "SYSTEM TABLE", False, False, False, None] for name in system_tables]
    for schema, obj in catalog["schemas"].items():
        rows += [
            [schema, table["name"], OWNER, "TABLE", True, False, False, None]
            for table in obj.get("tables", [])
            if obj.get("virtual")
        ]
    rows = [r for r in rows if r[3] in types and schema_match(r[0]) and table_match(r[1])]
    return TABLE_COLUMNS, sorted(rows, key=lambda r: (r[3], r[0], r[1]))
