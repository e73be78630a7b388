"""AWS for the lab: one `moto_server` (from .venv) answering EC2 and RDS on loopback.

The credentials are fake and fixed: moto accepts any, and nothing real is ever reached.
"""
import os

from lab import LabError

NAME = "moto"


def address(lab):
    return lab.setting("LAB_MOTO_ADDRESS", "127.0.0.30"), int(lab.setting("LAB_MOTO_PORT", "5000"))


def _part(lab):
    host, port = address(lab)
    return {"aws": {
        "endpoint_url": "http://%s:%d" % (host, port),
        "region": lab.setting("LAB_AWS_REGION", "eu-central-1"),
        "access_key_id": "AKIALABFAKE000000000",
        "secret_access_key": "lab-fake-secret-access-key-not-a-real-one",
    }}


def up(lab):
    host, port = address(lab)
    if lab.alive(NAME):
        return _part(lab)
    if lab.stale(NAME):
        raise LabError("moto_server (pid %d) died; the lab is half-started: run `make lab-down`, "
                       "then `make lab-up`" % lab.pid(NAME))
    server = os.path.join(os.path.dirname(lab.python), "moto_server")
    if not os.access(server, os.X_OK):
        raise LabError("%s not found: run `make venv` (moto[server] is in requirements-dev.txt)" % server)
    lab.require_free(host, port, "moto")
    lab.spawn(NAME, [server, "-H", host, "-p", str(port)])
    lab.wait_port(host, port, "moto_server", timeout=60, name=NAME)
    return _part(lab)


def down(lab):
    lab.stop(NAME)


def status(lab):
    host, port = address(lab)
    if lab.alive(NAME):
        return "pid %d, http://%s:%d" % (lab.pid(NAME), host, port)
    return "stopped"
