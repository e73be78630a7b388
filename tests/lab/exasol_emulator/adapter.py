"""The virtual schema adapter, emulated with real parts.

What a data node does when Exasol calls a JAVA ADAPTER SCRIPT (docs.exasol.com "Virtual Schemas",
"Adapter Script"; exasol/virtual-schema-common-jdbc; exasol/postgresql-virtual-schema):
the UDF framework parses the script options (%scriptclass, %jar, %jvmoption), every %jar must
exist in BucketFS, then the adapter validates the properties, looks up the CONNECTION, opens it
through the PostgreSQL JDBC driver taken from those jars and reads the remote metadata.
The JDBC part runs in a real JVM (java/VsHelper.java) with the truststore a data node's JVM
uses: node 1's central truststore, or the one named by `%jvmoption -Djavax.net.ssl.trustStore=`.
"""
import base64
import json
import os
import re
import subprocess
import tempfile

from .sql import SqlError

VM_ERROR = "22002"
BUCKET_PREFIX = re.compile(r"^/buckets/([^/]+)/([^/]+)/(.+)$")

# AbstractSqlDialect.COMMON_SUPPORTED_PROPERTIES + PostgreSQLSqlDialect's own set
# (virtual-schema-common-jdbc, postgresql-virtual-schema)
SUPPORTED_PROPERTIES = {
    "CONNECTION_NAME", "TABLE_FILTER", "EXCLUDED_CAPABILITIES", "DEBUG_ADDRESS", "LOG_LEVEL",
    "IMPORT_DATA_TYPES", "MAX_TABLE_COUNT", "CATALOG_NAME", "SCHEMA_NAME", "IGNORE_ERRORS",
    "POSTGRESQL_IDENTIFIER_MAPPING",
}
IDENTIFIER_MAPPINGS = ("CONVERT_TO_UPPER", "PRESERVE_ORIGINAL_CASE")
UPPERCASE_SWITCH = "POSTGRESQL_UPPERCASE_TABLES"
VARCHAR_MAX = 2000000


class AdapterError(SqlError):
    """A failure inside the adapter script: Exasol reports it as `VM error:` with 22002."""

    def __init__(self, text):
        super().__init__(VM_ERROR, "VM error: " + text)


def vm_error(session_id, *lines):
    return AdapterError("\n".join(lines) + "\n(Session: %d)" % session_id)


def parse_script_options(body, session_id):
    """%scriptclass / %jar / %jvmoption lines of a Java script, as the UDF framework reads them."""
    options = {"scriptclass": None, "jars": [], "jvmoptions": []}
    for keyword in ("scriptclass", "jar", "jvmoption"):
        for match in re.finditer(r"%" + keyword + r"\b(.*)", body):
            rest = match.group(1)
            if ";" not in rest:
                raise vm_error(session_id, "F-UDF-CL-SL-JAVA-1000:",
                               "End of %%%s statement not found" % keyword)
            value = rest.split(";", 1)[0].strip()
            if keyword == "scriptclass":
                options["scriptclass"] = value
            elif keyword == "jar":
                options["jars"].extend(part.strip() for part in value.split(":") if part.strip())
            else:
                options["jvmoptions"].extend(value.split())
    return options


def bucket_path(host_dir, path):
    """/buckets/<service>/<bucket>/<path> -> <host_dir>/<service>/.dest/<bucket>/<path>."""
    match = BUCKET_PREFIX.match(path)
    if not match:
        return None
    return os.path.join(host_dir, match.group(1), ".dest", match.group(2), match.group(3))


def validate_properties(props):
    """The adapter's property validators, in the order of AbstractSqlDialect's chain."""
    for key in props:
        if key not in SUPPORTED_PROPERTIES:
            raise AdapterError("com.exasol.adapter.dialects.PropertyValidationException: "
                               "E-VSCJDBC-13: This dialect does not support property '%s'. "
                               "Please, do not set this property." % key)
    if not props.get("CONNECTION_NAME"):
        raise AdapterError("com.exasol.adapter.dialects.PropertyValidationException: "
                           "E-VSCJDBC-14: Please specify a connection using the property "
                           "'CONNECTION_NAME'.")
    debug = props.get("DEBUG_ADDRESS")
    if debug:
        port = debug.rsplit(":", 1)[1] if ":" in debug else ""
        if not port.isdigit():
            raise AdapterError("com.exasol.adapter.dialects.PropertyValidationException: "
                               "E-VSCJDBC-39: Invalid parameter value. The port number in "
                               "DEBUG_ADDRESS must be an integer.")
    max_tables = props.get("MAX_TABLE_COUNT")
    if max_tables is not None and (not max_tables.isdigit() or int(max_tables) == 0):
        raise AdapterError("com.exasol.adapter.dialects.PropertyValidationException: "
                           "E-VSCJDBC-43: Invalid parameter value. The adapter property "
                           "'MAX_TABLE_COUNT' if present, must be a positive integer greater "
                           "than 0.")
    mapping = props.get("POSTGRESQL_IDENTIFIER_MAPPING")
    if mapping is not None and mapping not in IDENTIFIER_MAPPINGS:
        raise AdapterError("com.exasol.adapter.dialects.PropertyValidationException: "
                           "E-VSPG-4: Value for 'POSTGRESQL_IDENTIFIER_MAPPING' must be one of "
                           "[%s]." % ", ".join(IDENTIFIER_MAPPINGS))
    ignore = props.get("IGNORE_ERRORS")
    if ignore:
        for item in ignore.split(","):
            if item.strip() and item.strip().upper() != UPPERCASE_SWITCH:
                raise AdapterError("com.exasol.adapter.dialects.PropertyValidationException: "
                                   "E-VSPG-5: Unknown error identifier in list of ignored errors "
                                   "('IGNORE_ERRORS'). Pick one of: '%s'" % UPPERCASE_SWITCH)


def map_type(column):
    """PostgreSQL -> Exasol type as the PostgreSQL dialect's user guide tabulates it."""
    name = (column.get("typeName") or "").lower()
    size = column.get("size") or 0

    def utf8(length):
        return {"type": "VARCHAR", "size": length, "characterSet": "UTF8"}

    if name in ("int2", "smallserial"):
        return {"type": "DECIMAL", "precision": 5, "scale": 0}
    if name in ("int4", "serial", "oid"):
        return {"type": "DECIMAL", "precision": 10, "scale": 0}
    if name in ("int8", "bigserial"):
        return {"type": "DECIMAL", "precision": 19, "scale": 0}
    if name in ("float4", "float8", "money"):
        return {"type": "DOUBLE"}
    if name == "bool" or name == "bit" and size <= 1:
        return {"type": "BOOLEAN"}
    if name == "varbit":
        return utf8(5)
    if name == "varchar":
        return utf8(size if 0 < size <= VARCHAR_MAX else VARCHAR_MAX)
    if name in ("bpchar", "char"):
        if 0 < size <= 2000:
            return {"type": "CHAR", "size": size, "characterSet": "UTF8"}
        return utf8(size if 0 < size <= VARCHAR_MAX else VARCHAR_MAX)
    if name == "date":
        return {"type": "DATE", "size": 4}
    if name in ("timestamp", "timestamptz"):
        return {"type": "TIMESTAMP", "size": 8, "withLocalTimeZone": False}
    # text, numeric, json(b), uuid, bytea, time(tz), interval, xml, geometric, network, tsvector...
    return utf8(VARCHAR_MAX)


def type_text(data_type):
    kind = data_type["type"]
    if kind == "DECIMAL":
        return "DECIMAL(%d,%d)" % (data_type["precision"], data_type["scale"])
    if kind in ("VARCHAR", "CHAR"):
        return "%s(%d) %s" % (kind, data_type["size"], data_type.get("characterSet", "UTF8"))
    return kind


class Adapter:
    """Runs the adapter's job for CREATE / ALTER ... REFRESH|SET / SELECT on virtual tables."""

    def __init__(self, config):
        self.config = config  # dict: helper_dir, lab_json, bucketfs_host_dir, java, timeout

    # environment of a data node ---------------------------------------------------------
    def lab_state(self):
        try:
            with open(self.config["lab_json"]) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def host_dir(self):
        state = self.lab_state()
        host_dir = (state.get("bucketfs") or {}).get("host_dir") or self.config["bucketfs_host_dir"]
        if not os.path.isabs(host_dir):
            host_dir = os.path.join(self.config["repo_root"], host_dir)
        return host_dir

    def truststore(self, options):
        """(path, type, password) the adapter JVM trusts."""
        store = store_type = store_password = None
        for option in options["jvmoptions"]:
            if option.startswith("-Djavax.net.ssl.trustStore="):
                store = option.split("=", 1)[1]
            elif option.startswith("-Djavax.net.ssl.trustStoreType="):
                store_type = option.split("=", 1)[1]
            elif option.startswith("-Djavax.net.ssl.trustStorePassword="):
                store_password = option.split("=", 1)[1]
        if store:
            mapped = bucket_path(self.host_dir(), store)
            if mapped:
                return mapped, store_type, store_password
        nodes = self.lab_state().get("nodes") or []
        if not nodes:
            return (store, store_type, store_password) if store else (None, None, None)
        # The adapter's JVM runs on a data node: a node path is read in node 1's own tree, never
        # the host's (the lab's nodes each see their own /etc, /usr/opt, ... through bind mounts).
        node = nodes[0]
        if store:
            return os.path.join(node["root"], store.lstrip("/")), store_type, store_password
        central = node.get("central_truststore", "/etc/pki/ca-trust/extracted/java/cacerts")
        path = os.path.join(node["root"], central.lstrip("/"))
        return path, node.get("truststore_type"), node.get("store_password")

    # steps --------------------------------------------------------------------------------
    def prepare(self, script, session_id):
        """Script options + every %jar resolved on the BucketFS host dir (else Exasol's error)."""
        options = parse_script_options(script["body"], session_id)
        host_dir = self.host_dir()
        jars = []
        for jar in options["jars"]:
            local = bucket_path(host_dir, jar)
            if local is None or not os.path.isfile(local):
                raise vm_error(session_id, "F-UDF-CL-LIB-1125:", "F-UDF-CL-SL-JAVA-1000:",
                               "F-UDF-CL-SL-JAVA-1061:",
                               "Java VM cannot find '%s': No such file or directory" % jar)
            jars.append(local)
        if options["scriptclass"] is None:
            raise vm_error(session_id, "F-UDF-CL-SL-JAVA-1000:",
                           "F-UDF-CL-SL-JAVA-1003: The script class is not specified: "
                           "%scriptclass is missing")
        options["local_jars"] = jars
        return options

    def run_helper(self, options, request):
        store, store_type, store_password = self.truststore(options)
        lines = dict(request)
        lines["jar"] = options["local_jars"]
        if store:
            lines["trustStore"] = store
        if store_type:
            lines["trustStoreType"] = store_type
        if store_password:
            lines["trustStorePassword"] = store_password
        payload = []
        for key, value in lines.items():
            for item in value if isinstance(value, list) else [value]:
                if item is not None:
                    payload.append("%s=%s" % (key, base64.b64encode(item.encode()).decode()))
        with tempfile.TemporaryDirectory(prefix="vs-home-") as home:
            argv = [self.config.get("java", "java"), "-Duser.home=" + home, "-Duser.timezone=UTC",
                    "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", self.config["helper_dir"],
                    "VsHelper"]
            try:
                proc = subprocess.run(argv, input="\n".join(payload) + "\n", capture_output=True,
                                      text=True, timeout=self.config.get("timeout", 60), cwd=home, check=False)
            except subprocess.TimeoutExpired:
                raise AdapterError("F-UDF-CL-SL-JAVA-1000: adapter call timed out")
        try:
            return json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise AdapterError("F-UDF-CL-SL-JAVA-1000: adapter JVM failed: %s"
                               % (proc.stderr.strip()[-2000:] or "no output"))

    def read_metadata(self, script, props, connection, session_id, only_tables=None):
        """CREATE / REFRESH / SET: validated properties -> mapped tables and columns."""
        options = self.prepare(script, session_id)
        validate_properties(props)
        if connection is None:
            raise AdapterError("F-UDF-CL-SL-JAVA-1000: F-UDF-CL-SL-JAVA-1026: "
                               "com.exasol.ExaConnectionAccessException: E-UDF-CL-SL-JAVA-1108: "
                               "connection '%s' does not exist" % props["CONNECTION_NAME"])
        result = self.run_helper(options, {
            "mode": "metadata", "url": connection["address"], "user": connection.get("user"),
            "password": connection.get("password"), "catalog": props.get("CATALOG_NAME"),
            "schema": props.get("SCHEMA_NAME")})
        if not result.get("ok"):
            cause = result.get("message")
            text = ("com.exasol.adapter.jdbc.RemoteMetadataReaderException: E-VSPG-3: Unable to "
                    "create PostgreSQL remote metadata reader. Caused by: '%s'\nCaused by: %s: %s\n%s"
                    % (cause, result.get("exception"), cause, result.get("causes", "")))
            raise AdapterError(text.rstrip())
        filter_list = [t.strip() for t in (props.get("TABLE_FILTER") or "").split(",") if t.strip()]
        mapping = props.get("POSTGRESQL_IDENTIFIER_MAPPING") or "CONVERT_TO_UPPER"
        ignore_upper = UPPERCASE_SWITCH in (props.get("IGNORE_ERRORS") or "").upper()
        tables = []
        for table in result["tables"]:
            if filter_list and table["name"] not in filter_list:
                continue
            if mapping == "CONVERT_TO_UPPER" and table["name"] != table["name"].lower():
                if ignore_upper:
                    continue
                raise AdapterError("com.exasol.adapter.jdbc.RemoteMetadataReaderException: "
                                   "E-VSPG-6: Table '%s' cannot be used in virtual schema. Set "
                                   "property 'IGNORE_ERRORS' to '%s' to enforce schema creation."
                                   % (table["name"], UPPERCASE_SWITCH))
            convert = str.upper if mapping == "CONVERT_TO_UPPER" else (lambda s: s)
            columns = [{"name": convert(c["name"]), "remote": c["name"], "dataType": map_type(c),
                        "nullable": c.get("nullable", True)} for c in table["columns"]]
            tables.append({"name": convert(table["name"]), "remote": table["name"],
                           "remote_schema": table["schema"], "columns": columns})
        limit = int(props.get("MAX_TABLE_COUNT") or 1000)
        if len(tables) > limit:
            raise AdapterError("com.exasol.adapter.jdbc.RemoteMetadataReaderException: "
                               "E-VSCJDBC-42: The size of the list of the selected tables exceeds "
                               "the configured allowed maximum of %d. Please use the "
                               "'TABLE_FILTER' property to define the list of tables you need or "
                               "increase the limit using the 'MAX_TABLE_COUNT' property." % limit)
        if only_tables is not None:
            tables = [t for t in tables if t["name"] in only_tables]
        return tables

    def loader_driver_jars(self, url, version=(7, 1)):
        """JDBC driver jars ExaLoader uses for IMPORT FROM JDBC (pushdown of a virtual table).

        Exasol 7.1+/8 registers drivers in BucketFS `drivers/jdbc/<dir>/settings.cfg` (bfsdefault,
        bucket default; keys DRIVERNAME, JAR, DRIVERMAIN, PREFIX): the first settings.cfg whose
        PREFIX starts the URL names the jar(s). Up to 7.0 drivers are registered in EXAoperation:
        the lab EXAoperation emulator publishes them in lab.json `exaoperation.jdbc_drivers_file`.
        Returns None when no driver is registered.
        """
        if version < (7, 1):
            return self.exaoperation_driver_jars(url)
        base = os.path.join(self.host_dir(), "bfsdefault", ".dest", "default", "drivers", "jdbc")
        if not os.path.isdir(base):
            return None
        for directory in sorted(os.listdir(base)):
            cfg = os.path.join(base, directory, "settings.cfg")
            if not os.path.isfile(cfg):
                continue
            settings = {}
            with open(cfg, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    if "=" in line:
                        key, value = line.rstrip("\r\n").split("=", 1)
                        settings[key.strip()] = value.strip()
            prefix = settings.get("PREFIX")
            if prefix and url.startswith(prefix) and settings.get("JAR"):
                jars = [os.path.join(base, directory, jar.strip())
                        for jar in settings["JAR"].split(";") if jar.strip()]
                if all(os.path.isfile(jar) for jar in jars):
                    return jars
        return None

    def exaoperation_driver_jars(self, url):
        path = (self.lab_state().get("exaoperation") or {}).get("jdbc_drivers_file")
        try:
            with open(path) as handle:
                drivers = json.load(handle).get("drivers", [])
        except (OSError, TypeError, ValueError):
            return None
        for driver in drivers:
            prefix = driver.get("jdbc_prefix")
            jars = driver.get("jar_files") or []
            if prefix and url.startswith(prefix) and jars and all(os.path.isfile(j) for j in jars):
                return jars
        return None

    def fetch_rows(self, script, props, connection, table, session_id, version=(7, 1)):
        """SELECT on a virtual table: the pushdown IMPORT FROM JDBC AT <connection>."""
        options = self.prepare(script, session_id)
        if connection is None:
            raise AdapterError("F-UDF-CL-SL-JAVA-1000: com.exasol.ExaConnectionAccessException: "
                               "connection '%s' does not exist" % props.get("CONNECTION_NAME"))
        jars = self.loader_driver_jars(connection["address"], version)
        if jars is None:
            raise SqlError("42636", "ETL-5402: JDBC-Client-Error: No suitable driver found for %s "
                           "(no JDBC driver with a matching prefix is registered %s) (Session: %d)"
                           % (connection["address"], "in BucketFS drivers/jdbc" if version >= (7, 1)
                              else "in EXAoperation", session_id))
        options = dict(options, local_jars=jars)
        result = self.run_helper(options, {
            "mode": "rows", "url": connection["address"], "user": connection.get("user"),
            "password": connection.get("password"), "schema": table["remote_schema"],
            "table": table["remote"], "column": [c["remote"] for c in table["columns"]]})
        if not result.get("ok"):
            raise SqlError("42636", "ETL-5402: JDBC-Client-Error: Connecting to '%s' failed: "
                           "%s: %s (Session: %d)" % (connection["address"], result.get("exception"),
                                                     result.get("message"), session_id))
        return result["rows"]
