"""The lab CA bundle over HTTP, laid out like AWS's truststore: /global/global-bundle.pem."""

import os
import shutil

from components import ca
from lab import LabError

NAME = "bundle"
URL_PATH = "global/global-bundle.pem"


def address(lab):
    return lab.setting("LAB_BUNDLE_ADDRESS", "127.0.0.40"), int(lab.setting("LAB_BUNDLE_PORT", "8080"))


def _publish(lab):
    """Copy the CA bundle into the web root (only when it differs, so a running lab stays as is)."""
    source = lab.state["ca"]["bundle_file"]
    target = lab.path("bundle", "www", URL_PATH)
    if not os.path.exists(target) or ca.sha256_file(target) != ca.sha256_file(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
        os.chmod(target, 0o644)
    return target


def up(lab):
    host, port = address(lab)
    published = _publish(lab)
    if not lab.alive(NAME):
        if lab.stale(NAME):
            raise LabError(
                "the bundle server (pid %d) died; the lab is half-started: run "
                "`make lab-down`, then `make lab-up`" % lab.pid(NAME)
            )
        lab.require_free(host, port, "bundle HTTP server")
        lab.spawn(
            NAME, [lab.python, "-m", "http.server", str(port), "--bind", host, "--directory", lab.path("bundle", "www")]
        )
        lab.wait_port(host, port, "bundle HTTP server", timeout=20, name=NAME)
    return {"bundle_url": "http://%s:%d/%s" % (host, port, URL_PATH), "bundle_sha256": ca.sha256_file(published)}


def down(lab):
    lab.stop(NAME)
    shutil.rmtree(lab.path("bundle"), ignore_errors=True)


def status(lab):
    host, port = address(lab)
    if lab.alive(NAME):
        return "pid %d, http://%s:%d/%s" % (lab.pid(NAME), host, port, URL_PATH)
    return "stopped"
