"""EXAoperation emulator: the JDBC-driver part of EXAoperation's XML-RPC interface (Exasol 6.x/7.0).

Run: `python -m exaoperation CONFIG.json` (cwd/PYTHONPATH tests/lab); components/exaoperation.py
writes CONFIG (mode 0600, it holds the admin password) and starts it.

Follows the public description in exasol/exaoperation-xmlrpc (EXAoperation_XMLRPC.md, README.md,
tools-and-examples/xmlrpc-template.py); see tests/lab/README_exasol.md ("EXAoperation"):
- XML-RPC over HTTPS with basic auth, objects addressed by URL: the cluster at `/cluster1`, a
  sub-object at `/cluster1/<object_name>`, or by a dotted method name on the cluster
  (`<object_name>.<method>`), as Zope traverses both.
- NodeCluster: addJDBCDriver({jdbc_main, jdbc_name, jdbc_prefix[, comment, disable_security_manager]})
  returns the new object's name; getAllJDBCDrivers(), getInstalledJDBCDrivers(), deleteSubObject(name),
  getProperties() (no properties), listObjects(), and the generic introspection methods.
- JDBCDriver: getProperties() (jdbc_jars = URLs of the JAR files, plus the editable fields),
  editJDBCDriver({...}), uploadFile(<base64 data>, <file name>), removeJARFiles().
- Anything else is an XML-RPC fault; a wrong password is HTTP 401.
Lab-only (test equipment): `GET /.lab/jdbc-drivers` (no auth) and `<state>/jdbc-drivers.json`.
"""

import http.server
import json
import os
import shutil
import socket
import ssl
import sys
import threading
import time
import xmlrpc.client

from tls_server import QuietTlsServerMixin, basic_credentials

MAX_BODY = 256 << 20
CLUSTER = "cluster1"
DRIVER_FIELDS = {  # addJDBCDriver / editJDBCDriver keys: (type, required)
    "comment": (str, False),
    "disable_security_manager": (bool, False),
    "jdbc_main": (str, True),
    "jdbc_name": (str, True),
    "jdbc_prefix": (str, True),
}
HELP = {
    "addJDBCDriver": "Create a new object type JDBCDriver",
    "getAllJDBCDrivers": "Return a list of all installed JDBC drivers,\n\nUsage: cluster.getAllJDBCDrivers()",
    "getInstalledJDBCDrivers": "Return list of ids of all installed JDBC Drivers",
    "deleteSubObject": "Delete the subobject, defined by it's name and all settings",
    "getProperties": "Function returns a dictionary that describes an object.",
    "editJDBCDriver": "Edits object.",
    "removeJARFiles": "Remove cached JAR files.",
    "uploadFile": "Upload given file.",
    "listMethods": "Introspection function. Return a list of all supported methods.",
    "listObjects": "Introspection methon. Return a list of all objects.",
    "methodHelp": "Introspection method. Return a description for a given function.",
    "getPath": "Return absolute and relative pathes to current object",
}
CLUSTER_METHODS = (
    "addJDBCDriver",
    "deleteSubObject",
    "getAllJDBCDrivers",
    "getInstalledJDBCDrivers",
    "getPath",
    "getProperties",
    "listMethods",
    "listObjects",
    "methodHelp",
)
DRIVER_METHODS = (
    "editJDBCDriver",
    "getPath",
    "getProperties",
    "listMethods",
    "methodHelp",
    "removeJARFiles",
    "uploadFile",
)


def log(message):
    sys.stderr.write("%s exaoperation: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), message))
    sys.stderr.flush()


class ZopeFault(xmlrpc.client.Fault):
    """Faults as Zope's XML-RPC publisher reports exceptions (faultCode -1)."""

    def __init__(self, kind, text):
        super().__init__(-1, "Unexpected Zope exception: %s: %s" % (kind, text))


def not_found(name):
    return ZopeFault("NotFound", "Object %s not found" % name)


class State:
    """Registered JDBC drivers, persisted in state_dir (drivers.json + jdbc/<id>/<jar>)."""

    def __init__(self, state_dir, base_url):
        self.dir = state_dir
        self.file = os.path.join(state_dir, "drivers.json")
        self.public_file = os.path.join(state_dir, "jdbc-drivers.json")
        self.jar_root = os.path.join(state_dir, "jdbc")
        self.base_url = base_url
        self.lock = threading.RLock()
        try:
            with open(self.file) as handle:
                self.data = json.load(handle)
        except (FileNotFoundError, ValueError):
            self.data = {"next": 1, "drivers": {}}
        self.save()

    def save(self):
        for path, doc in ((self.file, self.data), (self.public_file, self.describe())):
            with open(path + ".tmp", "w") as handle:
                json.dump(doc, handle, indent=2, sort_keys=True)
            os.replace(path + ".tmp", path)

    def describe(self):
        drivers = []
        for name, driver in sorted(self.data["drivers"].items()):
            entry = dict(driver, id=name, jar_dir=os.path.join(self.jar_root, name))
            entry["jar_files"] = [os.path.join(entry["jar_dir"], jar) for jar in driver["jars"]]
            drivers.append(entry)
        return {"drivers": drivers}

    def driver(self, name):
        try:
            return self.data["drivers"][name]
        except KeyError:
            raise not_found(name) from None

    def properties(self, name):
        driver = self.driver(name)
        props = {key: driver[key] for key in DRIVER_FIELDS}
        props["jdbc_jars"] = ["%s/%s/%s" % (self.base_url, name, jar) for jar in driver["jars"]]
        return props


def validate_fields(params, partial):
    """Check an add/edit dictionary as the schema in EXAoperation_XMLRPC.md describes it."""
    if not isinstance(params, dict):
        raise ZopeFault("TypeError", "function takes a dictionary with parameters, got %s" % type(params).__name__)
    unknown = sorted(set(params) - set(DRIVER_FIELDS))
    if unknown:
        raise ZopeFault(
            "ValidationError",
            "unknown parameter(s) %s; allowed keys are %s" % (", ".join(unknown), ", ".join(sorted(DRIVER_FIELDS))),
        )
    for key, (kind, required) in DRIVER_FIELDS.items():
        if key not in params:
            if required and not partial:
                raise ZopeFault("ValidationError", "required parameter %s is missing" % key)
            continue
        value = params[key]
        if kind is bool and not isinstance(value, bool):
            raise ZopeFault("ValidationError", "%s must be a Bool, got %r" % (key, value))
        if kind is str:
            if not isinstance(value, str) or "\n" in value or "\r" in value:
                raise ZopeFault("ValidationError", "%s must be a TextLine, got %r" % (key, value))
            if required and not value.strip():
                raise ZopeFault("ValidationError", "%s must not be empty" % key)
    prefix = params.get("jdbc_prefix")
    if prefix is not None and not (prefix.startswith("jdbc:") and prefix.endswith(":")):
        raise ZopeFault(
            "ValidationError",
            'jdbc_prefix must begin with "jdbc:" and end with ":", like in "jdbc:mysql:", got %r' % prefix,
        )


class Api:
    """Method dispatch on the emulated objects."""

    def __init__(self, state):
        self.state = state

    def call(self, obj, method, params):
        with self.state.lock:
            if obj == CLUSTER:
                if method not in CLUSTER_METHODS:
                    raise not_found(method)
                return getattr(self, "cluster_" + method)(*self.arity(method, params))
            self.state.driver(obj)
            if method not in DRIVER_METHODS:
                raise not_found(method)
            return getattr(self, "driver_" + method)(obj, *self.arity(method, params))

    ARITY = {"addJDBCDriver": 1, "deleteSubObject": 1, "methodHelp": 1, "editJDBCDriver": 1, "uploadFile": 2}

    def arity(self, method, params):
        expected = self.ARITY.get(method, 0)
        if len(params) != expected:
            raise ZopeFault("TypeError", "%s() takes %d argument(s) (%d given)" % (method, expected, len(params)))
        return params

    # NodeCluster ---------------------------------------------------------------------------
    def cluster_addJDBCDriver(self, params):
        validate_fields(params, partial=False)
        for other in self.state.data["drivers"].values():
            if other["jdbc_name"] == params["jdbc_name"]:
                raise ZopeFault("ValidationError", "a JDBC driver named %r already exists" % params["jdbc_name"])
        name = "jdbc_driver%d" % self.state.data["next"]
        self.state.data["next"] += 1
        driver = {"comment": "", "disable_security_manager": False, "jars": []}
        driver.update(params)
        self.state.data["drivers"][name] = driver
        os.makedirs(os.path.join(self.state.jar_root, name), exist_ok=True)
        self.state.save()
        log("addJDBCDriver %s (%s)" % (name, params["jdbc_name"]))
        return name

    def cluster_getAllJDBCDrivers(self):
        return sorted(self.state.data["drivers"])

    cluster_getInstalledJDBCDrivers = cluster_getAllJDBCDrivers
    cluster_listObjects = cluster_getAllJDBCDrivers

    def cluster_deleteSubObject(self, name):
        if not isinstance(name, str):
            raise ZopeFault("TypeError", "object name must be a string")
        self.state.driver(name)
        del self.state.data["drivers"][name]
        shutil.rmtree(os.path.join(self.state.jar_root, name), ignore_errors=True)
        self.state.save()
        log("deleteSubObject %s" % name)
        return None

    def cluster_getProperties(self):
        return {}  # "This object has no properties."

    def cluster_getPath(self):
        return ["/" + CLUSTER, ""]

    def cluster_listMethods(self):
        return list(CLUSTER_METHODS)

    def cluster_methodHelp(self, method):
        return self._help(method, CLUSTER_METHODS)

    @staticmethod
    def _help(method, methods):
        if method not in methods:
            raise not_found(method)
        return HELP[method]

    # JDBCDriver -----------------------------------------------------------------------------
    def driver_getProperties(self, name):
        return self.state.properties(name)

    def driver_editJDBCDriver(self, name, params):
        validate_fields(params, partial=True)
        driver = self.state.driver(name)
        changed = sorted(key for key, value in params.items() if driver.get(key) != value)
        driver.update(params)
        self.state.save()
        return changed

    def driver_uploadFile(self, name, data, filename):
        if isinstance(data, xmlrpc.client.Binary):
            data = data.data
        if not isinstance(data, bytes):
            raise ZopeFault("TypeError", "uploadFile(data, filename): data must be base64 binary")
        if not isinstance(filename, str) or not filename or "/" in filename or filename in (".", ".."):
            raise ZopeFault("ValueError", "uploadFile(data, filename): invalid file name %r" % (filename,))
        driver = self.state.driver(name)
        path = os.path.join(self.state.jar_root, name, filename)
        with open(path + ".tmp", "wb") as handle:
            handle.write(data)
        os.replace(path + ".tmp", path)
        if filename not in driver["jars"]:
            driver["jars"].append(filename)
        self.state.save()
        log("uploadFile %s/%s (%d bytes)" % (name, filename, len(data)))
        return None

    def driver_removeJARFiles(self, name):
        driver = self.state.driver(name)
        for jar in driver["jars"]:
            try:
                os.unlink(os.path.join(self.state.jar_root, name, jar))
            except FileNotFoundError:
                pass
        driver["jars"] = []
        self.state.save()
        return None

    def driver_getPath(self, name):
        return ["/%s/%s" % (CLUSTER, name), name]

    def driver_listMethods(self, name):
        return list(DRIVER_METHODS)

    def driver_methodHelp(self, name, method):
        return self._help(method, DRIVER_METHODS)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # seconds a silent client may hold a connection
    server_version = "EXAoperation-lab-emulator"
    sys_version = ""

    def log_message(self, fmt, *args):
        log("%s %s" % (self.address_string(), fmt % args))

    def reply(self, status, body, content_type="text/xml", extra=()):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        for key, value in extra:
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorized(self):
        return basic_credentials(self.headers) == (self.server.user, self.server.password)

    def do_GET(self):
        if self.path.split("?")[0] == "/.lab/jdbc-drivers":
            with self.server.api.state.lock:
                body = json.dumps(self.server.api.state.describe(), indent=2)
            return self.reply(200, body, "application/json")
        if not self.authorized():
            return self.unauthorized()
        return self.reply(405, "XML-RPC requires POST\n", "text/plain", [("Allow", "POST")])

    def unauthorized(self):
        self.reply(401, "Unauthorized\n", "text/plain", [("WWW-Authenticate", 'Basic realm="Zope"')])

    def do_POST(self):
        try:
            length = int(self.headers.get("Content-Length") or -1)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            return self.reply(411 if length < 0 else 413, "bad Content-Length\n", "text/plain")
        body = self.rfile.read(length)
        if not self.authorized():
            return self.unauthorized()
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        if not parts or parts[0] != CLUSTER or len(parts) > 2:
            return self.reply(404, "Not Found\n", "text/plain")
        try:
            params, method = xmlrpc.client.loads(body)
        except Exception as exc:  # not XML-RPC at all
            return self.reply(400, "malformed XML-RPC request: %s\n" % exc, "text/plain")
        try:
            if not method:
                raise ZopeFault("BadRequest", "no methodName")
            names = parts[1:] + method.split(".")
            if len(names) > 2:
                raise not_found(".".join(names[:-1]))
            obj = names[0] if len(names) == 2 else CLUSTER
            result = self.server.api.call(obj, names[-1], list(params))
            response = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=True)
        except xmlrpc.client.Fault as fault:
            log("fault for %s on %s: %s" % (method, self.path, fault.faultString))
            response = xmlrpc.client.dumps(fault, methodresponse=True)
        except Exception as exc:  # as Zope does: any exception becomes a fault, never a dropped connection
            fault = ZopeFault(type(exc).__name__, exc)
            log("unexpected %r for %s on %s" % (exc, method, self.path))
            response = xmlrpc.client.dumps(fault, methodresponse=True)
        self.reply(200, response)


class Server(QuietTlsServerMixin, http.server.ThreadingHTTPServer):
    daemon_threads = True
    log_line = staticmethod(log)

    def __init__(self, address, api, user, password, context):
        self.api, self.user, self.password, self.context = api, user, password, context
        super().__init__(address, Handler)

    def get_request(self):
        sock, addr = super().get_request()
        return self.wrap(sock), addr


def main(argv):
    with open(argv[1]) as handle:
        config = json.load(handle)
    os.makedirs(config["state_dir"], exist_ok=True)
    base = "https://%s:%d/%s" % (config["address"], config["port"], CLUSTER)
    api = Api(State(config["state_dir"], base))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(config["cert_file"], config["key_file"])
    server = Server((config["address"], int(config["port"])), api, config["user"], config["password"], context)
    log("XML-RPC on %s" % base)
    server.serve_forever()


if __name__ == "__main__":
    socket.setdefaulttimeout(None)
    main(sys.argv)
