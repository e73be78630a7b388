"""The local lab: the whole world of virtualis.aurora on one machine.

`lab.py up|down|status`. Components live in `components/<name>.py`, are started in the order of
COMPONENTS and stopped in reverse. Each exposes:

    up(lab) -> dict      start (or find running) and return its part of lab.json
    down(lab) -> None    stop what it started (by pid) and undo its mounts
    status(lab) -> str   one line per process, for `lab.py status`

`lab.json` (tests/lab/state/lab.json, ignored by git) is the merge of every component's dict.
"""

import argparse
import fcntl
import importlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STATE_DIR = os.environ.get("LAB_STATE_DIR", os.path.join(HERE, "state"))
COMPONENTS = ["ca", "moto", "postgres", "bundle", "nodes", "bucketfs", "exaoperation", "exasol_db", "jars"]
RELEASE_FILE = "exasol-release"  # in the state directory: the Exasol release the state was made for


def _load_versions():
    """exasol_emulator/versions.py, loaded by path: it is standalone, the emulator package is not."""
    spec = importlib.util.spec_from_file_location(
        "_lab_exasol_versions", os.path.join(HERE, "exasol_emulator", "versions.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VERSIONS = _load_versions()


class LabError(Exception):
    """A failure with a message that names the fix."""


if __name__ == "__main__":
    # components do `from lab import LabError`: make that the class this script raises and catches
    sys.modules.setdefault("lab", sys.modules[__name__])


class Lab:
    """What components share: paths, settings, the state file and process bookkeeping."""

    def __init__(self, state_dir=STATE_DIR):
        self.root = ROOT
        self.here = HERE
        self.state_dir = state_dir
        self.pid_dir = os.path.join(state_dir, "pids")
        self.log_dir = os.path.join(state_dir, "logs")
        self.state_file = os.path.join(state_dir, "lab.json")
        self.python = sys.executable
        os.makedirs(self.pid_dir, exist_ok=True)
        os.makedirs(self.log_dir, exist_ok=True)
        # 0711: others may traverse (the lab's PostgreSQL runs as `postgres`) but not list;
        # lab.json and keys are 0600 themselves.
        os.chmod(state_dir, 0o711)
        self.state = self.load()

    # settings -------------------------------------------------------------------------
    @staticmethod
    def setting(name, default):
        """A lab setting from the environment (LAB_NODES, LAB_EXASOL_VERSION, ...)."""
        return os.environ.get(name, default)

    def path(self, *parts):
        return os.path.join(self.state_dir, *parts)

    def recorded_release(self):
        """The Exasol release this state directory was made for; None for a fresh one.

        A state from before RELEASE_FILE existed tells it by the database emulator's config."""
        try:
            with open(self.path(RELEASE_FILE)) as handle:
                return handle.read().strip() or None
        except FileNotFoundError:
            pass
        try:
            with open(self.path("exasol", "config.json")) as handle:
                return json.load(handle).get("release")
        except (FileNotFoundError, ValueError):
            return None

    def exasol_release(self):
        """The Exasol release the lab emulates: LAB_EXASOL_VERSION, else the one the state directory
        was made for, else versions.DEFAULT."""
        setting = self.setting("LAB_EXASOL_VERSION", "") or self.recorded_release() or VERSIONS.DEFAULT
        try:
            return VERSIONS.release_of(setting)
        except ValueError as exc:
            raise LabError("LAB_EXASOL_VERSION: %s" % exc)

    def exasol_generation(self):
        """`cos` (Exasol 8 / 2025.x) or `classic` (6.x / 7.x): what nodes, BucketFS and EXAoperation follow."""
        return VERSIONS.generation(self.exasol_release())

    def claim_release(self):
        """Before any component starts: the release for this `up`, refused when the state directory was
        made for another one (its nodes, buckets, catalog and stand-in jars belong to that generation)."""
        release, recorded = self.exasol_release(), self.recorded_release()
        if recorded and VERSIONS.release_of(recorded) != release:
            raise LabError(
                "%s was made for Exasol %s, LAB_EXASOL_VERSION=%s asks for %s: run "
                "`LAB_EXASOL_VERSION=%s make lab-reset` (a new lab, state removed), or leave "
                "LAB_EXASOL_VERSION unset to keep the Exasol %s lab"
                % (
                    self.state_dir,
                    recorded,
                    self.setting("LAB_EXASOL_VERSION", ""),
                    release,
                    self.setting("LAB_EXASOL_VERSION", ""),
                    recorded,
                )
            )
        with open(self.path(RELEASE_FILE), "w") as handle:
            handle.write(release + "\n")
        return release

    # state file -----------------------------------------------------------------------
    def load(self):
        try:
            with open(self.state_file) as handle:
                return json.load(handle)
        except FileNotFoundError:
            return {}

    def save(self):
        tmp = self.state_file + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(self.state, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, self.state_file)

    @staticmethod
    def write_config(path, config):
        """Write a daemon's JSON config (mode 0600); True when it differs from what was there."""
        text = json.dumps(config, indent=2, sort_keys=True)
        try:
            with open(path) as handle:
                if handle.read() == text:
                    return False
        except FileNotFoundError:
            pass
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(path + ".tmp", path)
        return True

    # processes ------------------------------------------------------------------------
    def pidfile(self, name):
        return os.path.join(self.pid_dir, name + ".pid")

    def pid(self, name):
        try:
            with open(self.pidfile(name)) as handle:
                return int(handle.read().strip())
        except (FileNotFoundError, ValueError):
            return None

    def alive(self, name):
        pid = self.pid(name)
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
            with open("/proc/%d/stat" % pid) as handle:  # a zombie is not alive
                return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
        except (ProcessLookupError, FileNotFoundError):  # gone, possibly between the two looks
            return False

    def spawn(self, name, argv, env=None, cwd=None, user=None):
        """Start a daemon in its own session, log to logs/<name>.log, remember its pid.

        `user` (an OS user name) runs it as that user with that user's primary group only.
        """
        log = open(os.path.join(self.log_dir, name + ".log"), "ab")
        ids = {}
        if user is not None:
            import pwd

            entry = pwd.getpwnam(user)
            ids = dict(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=cwd, start_new_session=True, **ids
        )
        log.close()
        with open(self.pidfile(name), "w") as handle:
            handle.write(str(proc.pid))
        return proc.pid

    def stop(self, name, timeout=10):
        """Stop a process started by spawn(): SIGTERM to its process group, then SIGKILL."""
        pid = self.pid(name)
        if pid is not None and self.alive(name):
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(pid, sig)
                except ProcessLookupError:
                    break
                deadline = time.time() + timeout
                while time.time() < deadline and self.alive(name):
                    time.sleep(0.05)
                if not self.alive(name):
                    break
        try:
            os.unlink(self.pidfile(name))
        except FileNotFoundError:
            pass

    @staticmethod
    def require_program(program, package):
        """The absolute path of `program` (a path or a name on PATH), or a LabError naming the package."""
        found = program if os.path.isabs(program) and os.access(program, os.X_OK) else shutil.which(program)
        if not found:
            raise LabError(
                "%s not found: install the Debian package %s (`make apt`, or "
                "`apt-get install %s`)" % (program, package, package)
            )
        return found

    def stale(self, name):
        """True when a pidfile exists but its process is gone (a half-started or crashed lab)."""
        return self.pid(name) is not None and not self.alive(name)

    @staticmethod
    def port_open(host, port):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            return sock.connect_ex((host, port)) == 0

    def require_free(self, host, port, what):
        if self.port_open(host, port):
            owner = port_owner(host, port)
            raise LabError(
                "%s: %s:%d is already in use by %s; stop it or set the lab's port variable "
                "(see tests/lab/README.md)%s"
                % (
                    what,
                    host,
                    port,
                    owner or "another program",
                    "; a lab of another checkout whose state directory was removed looks like this"
                    if owner and "/tests/lab/" in owner
                    else "",
                )
            )

    def wait_port(self, host, port, what, timeout=30, name=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.port_open(host, port):
                return
            if name and not self.alive(name):
                raise LabError("%s exited during start; see %s" % (what, os.path.join(self.log_dir, name + ".log")))
            time.sleep(0.1)
        raise LabError("%s did not listen on %s:%d within %ds; see %s" % (what, host, port, timeout, self.log_dir))


def port_owner(host, port):
    """'pid N (command line)' of the process listening on host:port (IPv4, from /proc), or None."""
    try:
        wanted = "%08X:%04X" % (struct.unpack("<I", socket.inet_aton(host))[0], port)
        with open("/proc/net/tcp") as handle:
            inodes = {
                fields[9]
                for fields in (line.split() for line in handle.readlines()[1:])
                if fields[3] == "0A" and fields[1] in (wanted, "00000000:%04X" % port)
            }
    except (OSError, ValueError, IndexError, struct.error):
        return None
    targets = {"socket:[%s]" % inode for inode in inodes}
    if not targets:
        return None
    for pid in (entry for entry in os.listdir("/proc") if entry.isdigit()):
        try:
            if any(os.readlink("/proc/%s/fd/%s" % (pid, fd)) in targets for fd in os.listdir("/proc/%s/fd" % pid)):
                with open("/proc/%s/cmdline" % pid, "rb") as handle:
                    command = " ".join(handle.read().replace(b"\0", b" ").decode("utf-8", "replace").split())
                return "pid %s (%s)" % (pid, command[:200])
        except OSError:  # gone meanwhile, or not ours to look at
            continue
    return None


def components(only=None):
    """(name, module) of every component present, in start order; `only` limits them (a dev aid)."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    found = []
    for name in COMPONENTS:
        if only and name not in only:
            continue
        try:
            found.append((name, importlib.import_module("components." + name)))
        except ModuleNotFoundError as exc:
            if exc.name != "components." + name:
                raise
    return found


def cmd_up(lab, only=None):
    started = time.time()
    release = lab.claim_release()
    print(
        "lab: Exasol %s (%s)"
        % (
            release,
            "LAB_EXASOL_VERSION"
            if lab.setting("LAB_EXASOL_VERSION", "")
            else "the default"
            if release == VERSIONS.release_of(VERSIONS.DEFAULT)
            else "what %s was made for; `make lab-reset` for the default" % lab.state_dir,
        )
    )
    for name, comp in components(only):
        begun = time.time()
        try:
            part = comp.up(lab)
        except LabError as exc:
            raise LabError("%s: %s" % (name, exc))
        except Exception as exc:
            if os.environ.get("LAB_DEBUG"):
                raise
            raise LabError(
                "%s failed (%s: %s); the lab is half-started: run `make lab-down`, "
                "then `make lab-up` (logs in %s)" % (name, type(exc).__name__, exc, lab.log_dir)
            )
        lab.state.update(part or {})
        lab.save()
        print("  %-13s %5.1fs  %s" % (name, time.time() - begun, comp.status(lab)))
    print("lab up in %.1fs; state in %s" % (time.time() - started, lab.state_file))


def cmd_down(lab, only=None):
    for name, comp in reversed(components(only)):
        begun = time.time()
        try:
            comp.down(lab)
        except Exception as exc:  # keep stopping the rest
            print("lab down: %s: %s" % (name, exc), file=sys.stderr)
        print("  %-13s %5.1fs" % (name, time.time() - begun))
    if only:
        print("lab down (%s)" % ", ".join(sorted(only)))
        return
    for pidfile in os.listdir(lab.pid_dir):
        lab.stop(pidfile[:-4])
    if os.path.exists(lab.state_file):
        os.unlink(lab.state_file)
    print("lab down")


def cmd_status(lab, only=None):
    print(
        "%-13s %s"
        % (
            "exasol",
            "state made for Exasol %s" % lab.recorded_release()
            if lab.recorded_release()
            else "fresh state (`up` makes Exasol %s)" % lab.exasol_release(),
        )
    )
    for name, comp in components(only):
        print("%-13s %s" % (name, comp.status(lab)))


def cmd_rotate_ca(lab, identifier):
    """Play AWS's part of a CA rotation: PostgreSQL serves a certificate under `identifier`'s lab root."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    postgres = importlib.import_module("components.postgres")
    served = postgres.rotate_ca(lab, identifier)
    lab.state.setdefault("postgres", {}).update(
        ca_identifier=identifier, server_chain=served["server_chain"], server_ca_file=served["ca_file"]
    )
    lab.save()
    print("lab rotate-ca: PostgreSQL now presents %s (chain %s)" % (identifier, served["server_chain"]))


def serialise(state_dir):
    """One `up` or `down` at a time per state directory: two at once (two test sessions starting
    together) would each create a CA and hand out certificates of the other's generation."""
    os.makedirs(state_dir, exist_ok=True)
    fd = os.open(os.path.join(state_dir, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("lab: another lab.py up/down is running on %s; waiting for it" % state_dir, file=sys.stderr)
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down", "status", "rotate-ca"])
    parser.add_argument(
        "identifier",
        nargs="?",
        help="rotate-ca: the CA identifier to switch to, e.g. rds-ca-rsa4096-g1 (what AWS does after ModifyDBInstance)",
    )
    parser.add_argument(
        "--only", help="comma-separated components (a development aid; `up` still needs the ones before them)"
    )
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    if args.command != "status":
        _held = serialise(STATE_DIR)  # the lock is held until this process exits
    if (args.command == "rotate-ca") != bool(args.identifier):
        parser.error("rotate-ca takes one CA identifier; the other commands none")
    try:
        if args.command == "rotate-ca":
            cmd_rotate_ca(Lab(), args.identifier)
        else:
            {"up": cmd_up, "down": cmd_down, "status": cmd_status}[args.command](Lab(), only)
    except LabError as exc:
        print("lab %s: %s" % (args.command, exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
