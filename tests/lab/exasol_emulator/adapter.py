"""The virtual schema adapter, emulated with real parts.

What a data node does when Exasol calls a JAVA ADAPTER SCRIPT (docs.exasol.com "Virtual Schemas",
"Adapter Script"; exasol/virtual-schema-common-jdbc; exasol/postgresql-virtual-schema):
the UDF framework parses the script options (%scriptclass, %jar, %jvmoption), every %jar must
exist in BucketFS, then the adapter validates the properties, looks up the CONNECTION, opens it
through the PostgreSQL JDBC driver taken from those jars and reads the remote metadata.
The JDBC part runs in a real JVM (java/VsHelper.java) that connects once per truststore of every
data node (issue 12): for CREATE / ALTER ... REFRESH|SET the adapter's (the script-language
container's JDK store, or `%jvmoption -Djavax.net.ssl.trustStore=`), for a SELECT on a virtual
table (IMPORT FROM JDBC) ExaLoader's (the node's own store; %jvmoption never reaches it). Paths are
read the way the node sees them: through its mounts and symbolic links (lab.json `nodes[]`).
"""

import base64
import json
import os
import posixpath
import re
import subprocess
import tempfile

from .sql import SqlError

VM_ERROR = "22002"
BUCKET_PREFIX = re.compile(r"^/buckets/([^/]+)/([^/]+)/(.+)$")

# AbstractSqlDialect.COMMON_SUPPORTED_PROPERTIES (exasol/virtual-schema-common-jdbc
# src/main/java/com/exasol/adapter/dialects/AbstractSqlDialect.java) + PostgreSQLSqlDialect's own set
# (exasol/postgresql-virtual-schema src/main/java/.../postgresql/PostgreSQLSqlDialect.java)
SUPPORTED_PROPERTIES = frozenset(
    [
        "CONNECTION_NAME",
        "TABLE_FILTER",
        "EXCLUDED_CAPABILITIES",
        "DEBUG_ADDRESS",
        "LOG_LEVEL",
        "IMPORT_DATA_TYPES",
        "MAX_TABLE_COUNT",
        "CATALOG_NAME",
        "SCHEMA_NAME",
        "IGNORE_ERRORS",
        "POSTGRESQL_IDENTIFIER_MAPPING",
    ]
)
# Adapter 4.x bundles virtual-schema-common-jdbc 14.0.2+ (postgresql-virtual-schema
# doc/changes/changes_4.0.1.md updates it from 14.0.2): 14.0.0 added telemetry, 14.0.1 made the
# validator accept TELEMETRY (virtual-schema-common-jdbc doc/changes/changes_14.0.0.md, _14.0.1.md).
# 3.x bundles 13.x and refuses TELEMETRY with E-VSCJDBC-13.
FIRST_TELEMETRY_MAJOR = 4
TELEMETRY_PROPERTIES = frozenset(["TELEMETRY"])
# virtual-schema-dist-<vscjdbc version>-postgresql-<adapter version>.jar (the release asset's name)
ADAPTER_JAR = re.compile(r"virtual-schema-dist-[0-9.]+-postgresql-(\d+)(?:\.\d+)*\.jar$")
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
                raise vm_error(session_id, "F-UDF-CL-SL-JAVA-1000:", "End of %%%s statement not found" % keyword)
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


def adapter_major(jars):
    """Major version of the PostgreSQL adapter named by the %jar file names, None if none says."""
    for jar in jars:
        match = ADAPTER_JAR.search(posixpath.basename(jar))
        if match:
            return int(match.group(1))
    return None


def supported_properties(major):
    """What the adapter of this major version accepts; an unnamed jar counts as the 3.x line."""
    if major is not None and major >= FIRST_TELEMETRY_MAJOR:
        return SUPPORTED_PROPERTIES | TELEMETRY_PROPERTIES
    return SUPPORTED_PROPERTIES


def validate_properties(props, major=None):
    """The adapter's property validators, in the order of AbstractSqlDialect's chain."""
    supported = supported_properties(major)
    for key in props:
        if key not in supported:
            raise AdapterError(
                "com.exasol.adapter.dialects.PropertyValidationException: "
                "E-VSCJDBC-13: This dialect does not support property '%s'. "
                "Please, do not set this property." % key
            )
    if not props.get("CONNECTION_NAME"):
        raise AdapterError(
            "com.exasol.adapter.dialects.PropertyValidationException: "
            "E-VSCJDBC-14: Please specify a connection using the property "
            "'CONNECTION_NAME'."
        )
    debug = props.get("DEBUG_ADDRESS")
    if debug:
        port = debug.rsplit(":", 1)[1] if ":" in debug else ""
        if not port.isdigit():
            raise AdapterError(
                "com.exasol.adapter.dialects.PropertyValidationException: "
                "E-VSCJDBC-39: Invalid parameter value. The port number in "
                "DEBUG_ADDRESS must be an integer."
            )
    max_tables = props.get("MAX_TABLE_COUNT")
    if max_tables is not None and (not max_tables.isdigit() or int(max_tables) == 0):
        raise AdapterError(
            "com.exasol.adapter.dialects.PropertyValidationException: "
            "E-VSCJDBC-43: Invalid parameter value. The adapter property "
            "'MAX_TABLE_COUNT' if present, must be a positive integer greater "
            "than 0."
        )
    mapping = props.get("POSTGRESQL_IDENTIFIER_MAPPING")
    if mapping is not None and mapping not in IDENTIFIER_MAPPINGS:
        raise AdapterError(
            "com.exasol.adapter.dialects.PropertyValidationException: "
            "E-VSPG-4: Value for 'POSTGRESQL_IDENTIFIER_MAPPING' must be one of "
            "[%s]." % ", ".join(IDENTIFIER_MAPPINGS)
        )
    ignore = props.get("IGNORE_ERRORS")
    if ignore:
        for item in ignore.split(","):
            if item.strip() and item.strip().upper() != UPPERCASE_SWITCH:
                raise AdapterError(
                    "com.exasol.adapter.dialects.PropertyValidationException: "
                    "E-VSPG-5: Unknown error identifier in list of ignored errors "
                    "('IGNORE_ERRORS'). Pick one of: '%s'" % UPPERCASE_SWITCH
                )


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


MAX_LINKS = 40
# a script-language container's root directory (6.x/7.x `ScriptLanguages-*`; 2025.x also `ScriptLanguages_*`)
CONTAINER_PREFIXES = ("ScriptLanguages-", "ScriptLanguages_")
# what a lab node mounts from its own tree (components/nodes.py); lab.json `nodes[].mounts`
DEFAULT_MOUNTS = ("/etc/pki/ca-trust", "/usr/opt", "/exa", "/etc/ssl/certs/java")
# JDBC URL options naming client-side files: the JVM would read them on this host, not in a node
HOST_FILE_OPTIONS = (
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslfactoryarg",
    "sslpasswordcallback",
    "sslhostnameverifier",
    "jaasapplicationname",
    "kerberosservername",
)


def node_host_path(node, path):
    """Host file behind a node path: under one of the node's mounts its own tree, else the host's."""
    for mount in node.get("mounts") or DEFAULT_MOUNTS:
        if path == mount or path.startswith(mount.rstrip("/") + "/"):
            return os.path.join(node["root"], path.lstrip("/"))
    return path


def resolve_view(path, to_host):
    """Resolve symbolic links of `path` the way a process of that view sees them.

    `to_host` maps a path of the view to the host file behind it; an absolute link target
    starts again at the view's root (a node's /, a container's /), never at the host's.
    """
    pending = [part for part in path.split("/") if part]
    resolved, links = "/", 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            resolved = posixpath.dirname(resolved)
            continue
        candidate = posixpath.join(resolved, part)
        host = to_host(candidate)
        if os.path.islink(host):
            links += 1
            if links > MAX_LINKS:
                return candidate  # ELOOP: the JVM finds no store there either
            target = os.readlink(host)
            if target.startswith("/"):
                resolved = "/"
            pending = [p for p in target.split("/") if p] + pending
            continue
        resolved = candidate
    return resolved


def container_host_path(node, path):
    """Host file of a JDK store inside a script-language container (a ScriptLanguages[-_]* root).

    The container's / is that directory: absolute links inside resolve there.
    """
    parts = path.split("/")
    cut = next((i for i, part in enumerate(parts) if part.startswith(CONTAINER_PREFIXES)), None)
    if cut is None:
        return node_host_path(node, resolve_view(path, lambda p: node_host_path(node, p)))
    root = resolve_view("/".join(parts[: cut + 1]), lambda p: node_host_path(node, p))
    inner = "/" + "/".join(parts[cut + 1 :])

    def to_host(p):
        return node_host_path(node, posixpath.join(root, p.lstrip("/")) if p != "/" else root)

    return to_host(resolve_view(inner, to_host))


def url_options(url):
    """Query options of a pgjdbc URL, keys lower-cased."""
    query = url.split("?", 1)[1] if "?" in url else ""
    options = {}
    for item in query.split("&"):
        if item:
            key, dummy, value = item.partition("=")
            options[key.strip().lower()] = value
    return options


def refuse_host_file_options(url, session_id):
    """The emulator runs the JDBC driver on this host: file options would read host files."""
    named = sorted(k for k in url_options(url) if k in HOST_FILE_OPTIONS)
    if named:
        raise SqlError(
            "0A000",
            "feature not supported by the lab Exasol emulator: JDBC URL option(s) %s "
            "name client-side files or classes that a data node would read in its own tree; "
            'the emulator does not model that (tests/lab/README_exasol.md, "knowingly not '
            'emulated") (Session: %d)' % (", ".join(named), session_id),
        )


def where(result):
    """The lab's addition to a trust failure: which node's JVM read which store (deterministic)."""
    failures = result.get("failures") or []
    if not failures:
        return ""
    names = [label for failure in failures for label in failure.get("labels", [])]
    return (
        "\n[lab emulator: any data node may run this, and these truststores do not verify the "
        "server: %s]" % "; ".join(names)
    )


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

    def nodes(self):
        nodes = self.lab_state().get("nodes") or []
        if not nodes:
            raise AdapterError(
                "F-UDF-CL-SL-JAVA-1000: the lab has no data nodes (lab.json `nodes` is "
                "empty): the emulator cannot tell what a node's JVM trusts"
            )
        return nodes

    def adapter_stores(self, options):
        """Per node, the truststore(s) the adapter JVM reads: [(label, host path, password)].

        The adapter is a Java UDF inside the script-language container of whichever data node
        Exasol picks: `%jvmoption -Djavax.net.ssl.trustStore=` wins (a /buckets path is the
        node's BucketFS copy, any other path is read in that node's tree), else the container's
        own JDK store (lab.json `adapter_truststores`, resolved inside the container root).
        """
        store = password = None
        for option in options["jvmoptions"]:
            if option.startswith("-Djavax.net.ssl.trustStore="):
                store = option.split("=", 1)[1]
            elif option.startswith("-Djavax.net.ssl.trustStorePassword="):
                password = option.split("=", 1)[1]
        stores = []
        for node in self.nodes():
            if store:
                mapped = bucket_path(self.host_dir(), store)
                host = mapped or node_host_path(node, resolve_view(store, lambda p, node=node: node_host_path(node, p)))
                stores.append(("%s adapter JVM (%%jvmoption) %s" % (node["name"], store), host, password))
                continue
            for path in node.get("adapter_truststores") or node.get("slc_truststores") or []:
                stores.append(
                    (
                        "%s adapter JVM (script-language container) %s" % (node["name"], path),
                        container_host_path(node, path),
                        node.get("store_password"),
                    )
                )
        return stores

    def loader_stores(self):
        """Per node, the truststore ExaLoader reads (IMPORT FROM JDBC): never a %jvmoption one."""
        stores = []
        for node in self.nodes():
            path = node.get("loader_truststore") or node.get("central_truststore")
            host = node_host_path(node, resolve_view(path, lambda p, node=node: node_host_path(node, p)))
            stores.append(("%s ExaLoader %s" % (node["name"], path), host, node.get("store_password")))
        return stores

    # steps --------------------------------------------------------------------------------
    def prepare(self, script, session_id):
        """Script options + every %jar resolved on the BucketFS host dir (else Exasol's error)."""
        options = parse_script_options(script["body"], session_id)
        host_dir = self.host_dir()
        jars = []
        for jar in options["jars"]:
            local = bucket_path(host_dir, jar)
            if local is None or not os.path.isfile(local):
                raise vm_error(
                    session_id,
                    "F-UDF-CL-LIB-1125:",
                    "F-UDF-CL-SL-JAVA-1000:",
                    "F-UDF-CL-SL-JAVA-1061:",
                    "Java VM cannot find '%s': No such file or directory" % jar,
                )
            jars.append(local)
        if options["scriptclass"] is None:
            raise vm_error(
                session_id,
                "F-UDF-CL-SL-JAVA-1000:",
                "F-UDF-CL-SL-JAVA-1003: The script class is not specified: %scriptclass is missing",
            )
        options["local_jars"] = jars
        return options

    def run_helper(self, options, request, stores):
        """One JVM: the driver connects once per distinct store (SSLContext of that store as the
        JVM default, which pgjdbc's DefaultJavaSSLFactory uses), then does the request."""
        lines = dict(request)
        lines["jar"] = options["local_jars"]
        distinct = {}
        for label, path, password in stores:  # the same file, same password: one handshake
            distinct.setdefault((path, password or ""), []).append(label)
        lines["store"] = ["%d\t%s\t%s" % (index, path, password) for index, (path, password) in enumerate(distinct)]
        labels = list(distinct.values())
        payload = []
        for key, value in lines.items():
            for item in value if isinstance(value, list) else [value]:
                if item is not None:
                    payload.append("%s=%s" % (key, base64.b64encode(item.encode()).decode()))
        with tempfile.TemporaryDirectory(prefix="vs-home-") as home:
            argv = [
                self.config.get("java", "java"),
                "-Duser.home=" + home,
                "-Duser.timezone=UTC",
                "-Xshare:auto",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                self.config["helper_dir"],
                "VsHelper",
            ]
            try:
                proc = subprocess.run(
                    argv,
                    input="\n".join(payload) + "\n",
                    capture_output=True,
                    text=True,
                    timeout=self.config.get("timeout", 60),
                    cwd=home,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise AdapterError("F-UDF-CL-SL-JAVA-1000: adapter call timed out")
        try:
            result = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise AdapterError(
                "F-UDF-CL-SL-JAVA-1000: adapter JVM failed: %s" % (proc.stderr.strip()[-2000:] or "no output")
            )
        for failure in result.get("failures") or []:
            index = int(failure.get("store", -1))
            failure["labels"] = labels[index] if 0 <= index < len(labels) else []
        return result

    def read_metadata(self, script, props, connection, session_id, only_tables=None):
        """CREATE / REFRESH / SET: validated properties -> mapped tables and columns."""
        options = self.prepare(script, session_id)
        validate_properties(props, adapter_major(options["jars"]))
        if connection is None:
            raise AdapterError(
                "F-UDF-CL-SL-JAVA-1000: F-UDF-CL-SL-JAVA-1026: "
                "com.exasol.ExaConnectionAccessException: E-UDF-CL-SL-JAVA-1108: "
                "connection '%s' does not exist" % props["CONNECTION_NAME"]
            )
        refuse_host_file_options(connection["address"], session_id)
        result = self.run_helper(
            options,
            {
                "mode": "metadata",
                "url": connection["address"],
                "user": connection.get("user"),
                "password": connection.get("password"),
                "catalog": props.get("CATALOG_NAME"),
                "schema": props.get("SCHEMA_NAME"),
            },
            self.adapter_stores(options),
        )
        if not result.get("ok"):
            failure = (result.get("failures") or [result])[0]
            cause = failure.get("message")
            text = (
                "com.exasol.adapter.jdbc.RemoteMetadataReaderException: E-VSPG-3: Unable to "
                "create PostgreSQL remote metadata reader. Caused by: '%s'\nCaused by: %s: %s\n%s"
                % (cause, failure.get("exception"), cause, failure.get("causes", ""))
            )
            raise AdapterError(text.rstrip() + where(result))
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
                raise AdapterError(
                    "com.exasol.adapter.jdbc.RemoteMetadataReaderException: "
                    "E-VSPG-6: Table '%s' cannot be used in virtual schema. Set "
                    "property 'IGNORE_ERRORS' to '%s' to enforce schema creation." % (table["name"], UPPERCASE_SWITCH)
                )
            convert = str.upper if mapping == "CONVERT_TO_UPPER" else (lambda s: s)
            columns = [
                {
                    "name": convert(c["name"]),
                    "remote": c["name"],
                    "dataType": map_type(c),
                    "nullable": c.get("nullable", True),
                }
                for c in table["columns"]
            ]
            tables.append(
                {
                    "name": convert(table["name"]),
                    "remote": table["name"],
                    "remote_schema": table["schema"],
                    "columns": columns,
                }
            )
        limit = int(props.get("MAX_TABLE_COUNT") or 1000)
        if len(tables) > limit:
            raise AdapterError(
                "com.exasol.adapter.jdbc.RemoteMetadataReaderException: "
                "E-VSCJDBC-42: The size of the list of the selected tables exceeds "
                "the configured allowed maximum of %d. Please use the "
                "'TABLE_FILTER' property to define the list of tables you need or "
                "increase the limit using the 'MAX_TABLE_COUNT' property." % limit
            )
        if only_tables is not None:
            tables = [t for t in tables if t["name"] in only_tables]
        return tables

    def loader_driver_jars(self, url, version=(7, 1)):
        return self.loader_driver(url, version)[0]

    def loader_driver(self, url, version=(7, 1)):
        """JDBC driver jars ExaLoader uses for IMPORT FROM JDBC (pushdown of a virtual table).

        Exasol 7.1+/8 registers drivers in BucketFS `drivers/jdbc/<dir>/settings.cfg` (bfsdefault,
        bucket default; keys DRIVERNAME, JAR, DRIVERMAIN, PREFIX): the first settings.cfg whose
        PREFIX starts the URL names the jar(s). Up to 7.0 drivers are registered in EXAoperation:
        the lab EXAoperation emulator publishes them in lab.json `exaoperation.jdbc_drivers_file`.
        Returns (jars, settings), (None, {}) when no driver is registered.
        """
        if version < (7, 1):
            return self.exaoperation_driver_jars(url), {}
        base = os.path.join(self.host_dir(), "bfsdefault", ".dest", "default", "drivers", "jdbc")
        if not os.path.isdir(base):
            return None, {}
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
            if prefix and url.startswith(prefix):
                jars = self.settings_jars(os.path.join(base, directory), settings, version)
                if jars:
                    return jars, settings
        return None, {}

    @staticmethod
    def settings_jars(directory, settings, version):
        """JAR= entries; from 8.0.3 on JAR may be left out: every .jar of the directory (changelog
        14924 "ETL: Simplified configuration for JDBC drivers")."""
        if settings.get("JAR"):
            jars = [os.path.join(directory, jar.strip()) for jar in settings["JAR"].split(";") if jar.strip()]
        elif version >= (8, 0, 3):
            jars = sorted(os.path.join(directory, name) for name in os.listdir(directory) if name.endswith(".jar"))
        else:
            return None
        return jars if jars and all(os.path.isfile(jar) for jar in jars) else None

    @staticmethod
    def refuse_tls_under_security_manager(connection, settings, version, session_id):
        """Exasol 8 / 2025.x run ExaLoader's JDBC driver under a Java security manager with no
        grants: a TLS handshake (reading the JDK's cacerts, opening the socket) is denied unless
        the driver's settings.cfg says NOSECURITY=YES (exasol/public-knowledgebase
        "unable-to-connect-postgresql"; exasol-personal PR #347)."""
        options = url_options(connection["address"])
        tls = options.get("ssl", "").lower() in ("true", "1") or options.get("sslmode", "disable") != "disable"
        if version >= (8,) and tls and settings.get("NOSECURITY", "NO").upper() != "YES":
            raise SqlError(
                "42636",
                "ETL-5402: JDBC-Client-Error: Connecting to '%s' as user='%s' failed: "
                "SSL error: java.security.AccessControlException: access denied "
                '("java.io.FilePermission" "<java.home>/lib/security/cacerts" "read") '
                "(the driver runs under ExaLoader's security manager: its settings.cfg needs "
                "NOSECURITY=YES) (Session: %d)" % (connection["address"], connection.get("user") or "", session_id),
            )

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
            raise AdapterError(
                "F-UDF-CL-SL-JAVA-1000: com.exasol.ExaConnectionAccessException: "
                "connection '%s' does not exist" % props.get("CONNECTION_NAME")
            )
        jars, settings = self.loader_driver(connection["address"], version)
        if jars is None:
            raise SqlError(
                "42636",
                "ETL-5402: JDBC-Client-Error: No suitable driver found for %s "
                "(no JDBC driver with a matching prefix is registered %s) (Session: %d)"
                % (
                    connection["address"],
                    "in BucketFS drivers/jdbc" if version >= (7, 1) else "in EXAoperation",
                    session_id,
                ),
            )
        refuse_host_file_options(connection["address"], session_id)
        self.refuse_tls_under_security_manager(connection, settings, version, session_id)
        options = dict(options, local_jars=jars)
        result = self.run_helper(
            options,
            {
                "mode": "rows",
                "url": connection["address"],
                "user": connection.get("user"),
                "password": connection.get("password"),
                "schema": table["remote_schema"],
                "table": table["remote"],
                "column": [c["remote"] for c in table["columns"]],
            },
            self.loader_stores(),
        )
        if not result.get("ok"):
            failure = (result.get("failures") or [result])[0]
            chain = failure.get("causes", "").strip().replace("\n", "; ")
            raise SqlError(
                "42636",
                "ETL-5402: JDBC-Client-Error: Connecting to '%s' as user='%s' "
                "failed: %s: %s%s%s (Session: %d)"
                % (
                    connection["address"],
                    connection.get("user") or "",
                    failure.get("exception"),
                    failure.get("message"),
                    " Caused by: " + chain if chain else "",
                    where(result),
                    session_id,
                ),
            )
        return result["rows"]
