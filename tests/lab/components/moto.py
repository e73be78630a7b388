"""AWS for the lab: one `moto_server` (from .venv) answering EC2 and RDS on loopback.

The credentials are fake (moto accepts any, and nothing real is ever reached); the secret key is
generated per lab all the same, so that no key-shaped string sits in the repository.
"""

import json
import os
import secrets

from lab import LabError

NAME = "moto"


def address(lab):
    return lab.setting("LAB_MOTO_ADDRESS", "127.0.0.30"), int(lab.setting("LAB_MOTO_PORT", "5000"))


def _part(lab):
    host, port = address(lab)
    return {
        "aws": {
            "endpoint_url": "http://%s:%d" % (host, port),
            "region": lab.setting("LAB_AWS_REGION", "eu-central-1"),
            "access_key_id": "AKIALABFAKE000000000",
            "secret_access_key": _fake_secret(lab),
        }
    }


def _fake_secret(lab):
    """moto accepts any credentials; the lab still treats its key as a secret (no_log, never
    printed: tests/e2e checks that), so it is generated once per lab, not written in the repo."""
    path = lab.path(NAME + ".secret")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("lab-fake-" + secrets.token_urlsafe(24))
    with open(path) as handle:
        return handle.read().strip()


def up(lab):
    host, port = address(lab)
    argv = [lab.python, os.path.join(lab.here, "moto_fixes.py"), "-H", host, "-p", str(port)]
    if lab.alive(NAME) and _started_with(lab) == argv:
        return _part(lab)
    if lab.alive(NAME):  # started another way (an older lab, or plain moto_server): restart it
        lab.stop(NAME)
    if lab.stale(NAME):
        raise LabError(
            "moto_server (pid %d) died; the lab is half-started: run `make lab-down`, "
            "then `make lab-up`" % lab.pid(NAME)
        )
    server = os.path.join(os.path.dirname(lab.python), "moto_server")
    if not os.access(server, os.X_OK):
        raise LabError("%s not found: run `make venv` (moto[server] is in requirements-dev.txt)" % server)
    lab.require_free(host, port, "moto")
    # moto_fixes.py is moto_server with the lab's fixes where moto 5.2.5 departs from the AWS API
    # reference (tests/lab/README_aws.md); it takes moto_server's arguments.
    lab.spawn(NAME, argv)
    with open(lab.path(NAME + ".argv"), "w") as handle:
        json.dump(argv, handle)
    lab.wait_port(host, port, "moto_server", timeout=60, name=NAME)
    return _part(lab)


def _started_with(lab):
    try:
        with open(lab.path(NAME + ".argv")) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def down(lab):
    lab.stop(NAME)


def status(lab):
    host, port = address(lab)
    if lab.alive(NAME):
        return "pid %d, http://%s:%d" % (lab.pid(NAME), host, port)
    return "stopped"
