"""Lab component `exaoperation`: the EXAoperation XML-RPC emulator (tests/lab/exaoperation/).

Settings (environment): LAB_EXAOPERATION_ADDRESS (127.0.0.20), LAB_EXAOPERATION_PORT (4443).
The admin password is generated once and kept in state/exaoperation/config.json (mode 0600);
it never appears on a command line. The TLS certificate is signed by the lab CA when the `ca`
component provides one, else by the emulator's own CA (lab.json exaoperation.ca_file either way).
"""

import json
import os
import secrets
import sys

from components.bucketfs import wait_closed

NAME = "exaoperation"


def _settings(lab):
    return (lab.setting("LAB_EXAOPERATION_ADDRESS", "127.0.0.20"), int(lab.setting("LAB_EXAOPERATION_PORT", "4443")))


def up(lab):
    sys.path.insert(0, lab.here)
    from bucketfs import tls  # shared with the BucketFS emulator
    from components.bucketfs import https_only

    if https_only(lab):  # Exasol 8 / 2025.x have no EXAoperation (issue 13): none, and no lab.json key
        lab.stop(NAME)
        lab.state.pop(NAME, None)
        return {}

    address, port = _settings(lab)
    state_dir = lab.path(NAME)
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    config_file = os.path.join(state_dir, "config.json")
    try:
        with open(config_file) as handle:
            password = json.load(handle).get("password")
    except (FileNotFoundError, ValueError):
        password = None
    password = password or secrets.token_urlsafe(18)
    cert = tls.server_cert(lab, os.path.join(state_dir, "tls"), "EXAoperation", address)
    config = {
        "address": address,
        "port": port,
        "user": "admin",
        "password": password,
        "state_dir": state_dir,
        "cert_file": cert["cert_file"],
        "key_file": cert["key_file"],
    }
    changed = lab.write_config(config_file, config)
    if lab.alive(NAME) and changed:
        lab.stop(NAME)  # a restart picks up the new config
        wait_closed(lab, address, (port,))
    if not lab.alive(NAME):
        lab.require_free(address, port, "EXAoperation emulator")
        env = dict(os.environ, PYTHONPATH=lab.here, PYTHONUNBUFFERED="1")
        lab.spawn(NAME, [lab.python or sys.executable, "-m", "exaoperation", config_file], env=env, cwd=lab.here)
        lab.wait_port(address, port, "EXAoperation emulator", timeout=20, name=NAME)
    return {
        "exaoperation": {
            "url": "https://%s:%d/cluster1" % (address, port),
            "user": "admin",
            "password": password,
            "ca_file": cert["ca_file"],
            "jdbc_drivers_file": os.path.join(state_dir, "jdbc-drivers.json"),
            "lab_endpoint": "https://%s:%d/.lab/jdbc-drivers" % (address, port),
            "cert_signer": cert["signer"],
        }
    }


def down(lab):
    lab.stop(NAME)


def status(lab):
    address, port = _settings(lab)
    if not lab.alive(NAME):
        return "stopped (none on Exasol 8 / 2025.x)"
    return "running (pid %s) https://%s:%d/cluster1" % (lab.pid(NAME), address, port)
