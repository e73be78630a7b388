"""Lab component `bucketfs`: the BucketFS emulator (tests/lab/bucketfs/).

Settings (environment):
  LAB_BUCKETFS_ADDRESS (127.0.0.20), LAB_BUCKETFS_HTTP_PORT (2580), LAB_BUCKETFS_HTTPS_PORT (2581),
  LAB_BUCKETFS_SERVICE (bfsdefault), LAB_BUCKETFS_SYNC_DELAY (0.5 seconds),
  LAB_BUCKETFS_PUBLIC_BUCKETS (comma list of buckets readable without password; default: second),
  LAB_EXASOL_VERSION (lab.py `exasol_release()`: whether HTTP exists, which settings.cfg keys are required),
  LAB_BUCKETFS_FAIL_REQUESTS / LAB_BUCKETFS_FAIL_STATUS (test equipment, off by default).
Passwords are generated once and kept in state/bucketfs/config.json (mode 0600); they never
appear on a command line.
"""

import json
import os
import secrets
import sys
import time

NAME = "bucketfs"
BUCKETS = ("default", "second")


def _settings(lab):
    return {
        "address": lab.setting("LAB_BUCKETFS_ADDRESS", "127.0.0.20"),
        "http_port": int(lab.setting("LAB_BUCKETFS_HTTP_PORT", "2580")),
        "https_port": int(lab.setting("LAB_BUCKETFS_HTTPS_PORT", "2581")),
        "service": lab.setting("LAB_BUCKETFS_SERVICE", "bfsdefault"),
        "sync_delay": float(lab.setting("LAB_BUCKETFS_SYNC_DELAY", "0.5")),
        "public": [b for b in lab.setting("LAB_BUCKETFS_PUBLIC_BUCKETS", "second").split(",") if b],
        "exasol_version": lab.exasol_release(),
    }


def https_only(lab):
    """Exasol 8 / 2025.x: bfsdefault answers HTTPS on 2581 only (issue 13; docs.exasol.com)."""
    return lab.exasol_generation() == "cos"


def _paths(lab):
    # host_dir (state/bucketfs) holds nothing but <service>/.dest/... as on a node; the emulator's
    # own files (config with passwords, TLS, index, staging, jdbc-drivers.json) live next to it.
    state = lab.path("bucketfs-emulator")
    return {
        "state_dir": state,
        "config": os.path.join(state, "config.json"),
        "host_dir": os.path.join(os.path.abspath(lab.state_dir), "bucketfs"),
        "tls_dir": os.path.join(state, "tls"),
    }


def _load(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return {}


def wait_closed(lab, address, ports, timeout=5):
    """After a stop: a thread of the old server can hold its sockets a moment after the main one."""
    deadline = time.time() + timeout
    while time.time() < deadline and any(lab.port_open(address, port) for port in ports):
        time.sleep(0.05)


def up(lab):
    sys.path.insert(0, lab.here)
    from bucketfs import tls  # tests/lab is the package root

    cfg, paths = _settings(lab), _paths(lab)
    if https_only(lab):
        cfg["http_port"] = None
    os.makedirs(paths["state_dir"], mode=0o700, exist_ok=True)
    os.makedirs(paths["host_dir"], exist_ok=True)
    old = _load(paths["config"]).get("buckets", {})
    buckets = {}
    for name in BUCKETS:
        previous = old.get(name, {})
        buckets[name] = {
            "read_password": previous.get("read_password") or secrets.token_urlsafe(18),
            "write_password": previous.get("write_password") or secrets.token_urlsafe(18),
            "public": name in cfg["public"],
        }
    cert = tls.server_cert(lab, paths["tls_dir"], "BucketFS", cfg["address"])
    config = {
        "service": cfg["service"],
        "buckets": buckets,
        "sync_delay": cfg["sync_delay"],
        "exasol_version": cfg["exasol_version"],
        "jdbc_bucket": "default",
        "jdbc_dir": "drivers/jdbc",
        "host_dir": paths["host_dir"],
        "state_dir": paths["state_dir"],
        "address": cfg["address"],
        "http_port": cfg["http_port"],
        "https_port": cfg["https_port"],
        "cert_file": cert["cert_file"],
        "key_file": cert["key_file"],
    }
    changed = lab.write_config(paths["config"], config)

    ports = tuple(p for p in (cfg["http_port"], cfg["https_port"]) if p)
    if lab.alive(NAME) and changed:
        lab.stop(NAME)  # a restart picks up the new config (passwords are kept)
        wait_closed(lab, cfg["address"], ports)
    if not lab.alive(NAME):
        for port in ports:
            lab.require_free(cfg["address"], port, "BucketFS emulator")
        env = dict(os.environ, PYTHONPATH=lab.here, PYTHONUNBUFFERED="1")
        lab.spawn(NAME, [lab.python or sys.executable, "-m", "bucketfs", paths["config"]], env=env, cwd=lab.here)
        for port in ports:
            lab.wait_port(cfg["address"], port, "BucketFS emulator", timeout=20, name=NAME)
    default = buckets["default"]
    lab.state.pop("bucketfs", None)  # no http_url left over from another generation
    first = "http://%s:%d" % (cfg["address"], cfg["http_port"]) if cfg["http_port"] else None
    part = {
        "https_url": "https://%s:%d" % (cfg["address"], cfg["https_port"]),
        "service": cfg["service"],
        "bucket": "default",
        "write_password": default["write_password"],
        "read_password": default["read_password"],
        "ca_file": cert["ca_file"],
        "host_dir": paths["host_dir"],
        "buckets": {name: dict(b) for name, b in buckets.items()},
        "sync_delay": cfg["sync_delay"],
        "jdbc_drivers_file": os.path.join(paths["state_dir"], "jdbc-drivers.json"),
        "lab_endpoint": (first or "https://%s:%d" % (cfg["address"], cfg["https_port"])) + "/.lab/",
        "cert_signer": cert["signer"],
    }
    if first:
        part["http_url"] = first
    return {"bucketfs": part}


def down(lab):
    lab.stop(NAME)


def status(lab):
    cfg = _settings(lab)
    if not lab.alive(NAME):
        return "stopped"
    if https_only(lab):
        return "running (pid %s) https://%s:%d (HTTPS only)" % (lab.pid(NAME), cfg["address"], cfg["https_port"])
    return "running (pid %s) http://%s:%d https://%s:%d" % (
        lab.pid(NAME),
        cfg["address"],
        cfg["http_port"],
        cfg["address"],
        cfg["https_port"],
    )
