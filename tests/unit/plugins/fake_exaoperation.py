"""A tiny in-process EXAoperation XML-RPC for unit tests (documented JDBC driver methods only).

Cluster methods at /cluster1, object methods at /cluster1/<object>, basic auth. Knob:
`fail_upload` makes uploadFile raise a Fault. Loopback only.
"""

import base64
from xmlrpc.client import Fault
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

from loopback import LoopbackServer


class FakeExaOperation(LoopbackServer):
    def __init__(self, user="admin", password="secret"):
        self.credentials = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.drivers, self.calls, self.fail_upload, self._next = {}, [], False, 1
        fake = self

        class Handler(SimpleXMLRPCRequestHandler):
            rpc_paths = ()

            def log_message(self, *args):
                pass

            def parse_request(self):
                if not SimpleXMLRPCRequestHandler.parse_request(self):
                    return False
                if self.headers.get("Authorization") != fake.credentials:
                    self.send_error(401)
                    return False
                return True

        class Server(SimpleXMLRPCServer):
            def _marshaled_dispatch(self, data, dispatch_method=None, path=None):
                fake.path = path
                return SimpleXMLRPCServer._marshaled_dispatch(self, data, dispatch_method, path)

            def _dispatch(self, method, params):
                target = fake.path.rstrip("/").split("/")[2:]
                fake.calls.append((target[0] if target else None, method))
                if target:
                    return getattr(fake, "obj_" + method)(target[0], *params)
                return getattr(fake, "cl_" + method)(*params)

        self.server = Server(("127.0.0.1", 0), Handler, allow_none=True, logRequests=False)
        self.start_thread()
        self.url = "http://127.0.0.1:%d/cluster1" % self.port

    # cluster methods
    def cl_getAllJDBCDrivers(self):
        return sorted(self.drivers)

    def cl_addJDBCDriver(self, settings):
        driver_id = "jdbc_driver_%d" % self._next
        self._next += 1
        self.drivers[driver_id] = dict(settings, jdbc_jars=[])
        return driver_id

    def cl_deleteSubObject(self, name):
        if name not in self.drivers:
            raise Fault(1, "no such object %s" % name)
        del self.drivers[name]
        return "OK"

    # driver methods
    def obj_getProperties(self, driver_id):
        return self.drivers[driver_id]

    def obj_editJDBCDriver(self, driver_id, edits):
        self.drivers[driver_id].update(edits)
        return sorted(edits)

    def obj_uploadFile(self, driver_id, data, name):
        if self.fail_upload:
            raise Fault(1, "upload failed: disk full")
        jars = self.drivers[driver_id]["jdbc_jars"]
        jars.append("https://license/cluster1/%s/jars/%s" % (driver_id, name))
        return "OK"

    def obj_removeJARFiles(self, driver_id):
        self.drivers[driver_id]["jdbc_jars"] = []
        return "OK"
