"""The emulator process: a TLS WebSocket server speaking the Exasol WebSocket API.

Run by the lab component (tests/lab/components/exasol_db.py) as
`python tests/lab/exasol_emulator/server.py --config <state>/exasol/config.json`; the config file
(mode 0600) holds host, port, release, user, password, certificate paths and adapter settings.
"""

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import ssl
import sys
import threading
import zlib

if __name__ == "__main__" and not __package__:
    sys.path.pop(0)  # never let this directory shadow other modules
    import importlib.util as _util

    _here = os.path.dirname(os.path.abspath(__file__))
    _spec = _util.spec_from_file_location(
        "lab_exasol", os.path.join(_here, "__init__.py"), submodule_search_locations=[_here]
    )
    _pkg = _util.module_from_spec(_spec)
    sys.modules["lab_exasol"] = _pkg
    _spec.loader.exec_module(_pkg)
    __package__ = "lab_exasol"

from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from .catalog import Database, version_tuple
from .protocol import ProtocolSession, error
from .sql import SessionKilled, SqlError

LOG = logging.getLogger("exasol-emulator")


class Server:
    def __init__(self, config):
        self.config = config
        self.host = config["host"]
        self.port = config["port"]
        self.user = config["user"]
        self.password = config["password"]
        self.release = config["release"]
        self.version = version_tuple(self.release)
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        self.database = Database(config["catalog_file"], self.release, config["adapter"])
        self.counters = {}
        self.counter_lock = threading.Lock()
        self.rng = random.SystemRandom()
        self.active = 0
        self.sessions = {}  # session id -> ProtocolSession of each logged-in socket
        self.closing = set()
        self.loop = None
        self.database.session_killer = self.kill_session

    def count(self, name):
        with self.counter_lock:
            self.counters[name] = self.counters.get(name, 0) + 1

    def new_session_id(self):
        return self.rng.randrange(10**18, 2**63)

    def register_session(self, proto):
        self.sessions[proto.session.session_id] = proto

    def kill_session(self, session, target):
        """KILL SESSION (runs in a statement's worker thread). Another session's socket gets a
        close frame before the KILL is answered, so its next request fails (pyexasol's
        test_close_closed_connection expects ExaCommunicationError); the own session gets an
        error reply, then its socket closes (docs.exasol.com "KILL": the user gets an error
        message and is logged out)."""
        victim = self.sessions.get(target)
        if victim is None:
            raise SqlError("42000", "session %d not found (Session: %d)" % (target, session.session_id))
        if victim.session is session:
            raise SessionKilled("00000", "session %d was killed by KILL SESSION" % target)
        victim.kill()
        self.count("killed_sessions")
        asyncio.run_coroutine_threadsafe(self.close_socket(victim.websocket), self.loop).result(timeout=30)

    async def close_socket(self, websocket):
        task = asyncio.ensure_future(websocket.close(1000, "session killed"))
        self.closing.add(task)
        task.add_done_callback(self.closing.discard)
        await asyncio.sleep(0)  # close() writes the close frame before it first waits

    @staticmethod
    def ssl_context(cert_file, key_file):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_file, key_file)
        return context

    async def connection(self, websocket):
        proto = ProtocolSession(self)
        proto.websocket = websocket  # for KILL SESSION from another connection
        self.active += 1
        try:
            async for message in websocket:
                if proto.killed:
                    break
                if proto.compression and proto.state == "ready":
                    if isinstance(message, str):
                        LOG.warning("text frame on a compressed session; closing")
                        break
                    message = zlib.decompress(message)
                try:
                    request = json.loads(message)
                except ValueError:
                    await websocket.send(
                        json.dumps(
                            {"status": "error", "exception": {"text": "invalid JSON request", "sqlCode": "00000"}}
                        )
                    )
                    continue
                was_ready = proto.state == "ready"
                try:
                    if request.get("command") == "execute" or request.get("command") in (
                        "setAttributes",
                        "getAttributes",
                    ):
                        response = await asyncio.to_thread(proto.handle, request)
                    else:
                        response = proto.handle(request)
                except Exception as exc:  # an emulator bug or a request it cannot parse: answer, don't drop
                    LOG.exception("request %r failed", request.get("command"))
                    response = error("00000", "lab emulator: internal error: %s: %s" % (type(exc).__name__, exc))
                if response is None:
                    continue
                payload = json.dumps(response, separators=(",", ":"))
                if proto.compression and was_ready:
                    await websocket.send(zlib.compress(payload.encode(), 1))
                else:
                    await websocket.send(payload)
                if proto.closed:
                    break
        except ConnectionClosed:
            pass
        finally:
            self.active -= 1
            if proto.session is not None:
                self.sessions.pop(proto.session.session_id, None)
            if proto.state == "ready" and not proto.closed:
                self.count("dropped_sessions")

    def listen(self, port, cert_file, key_file):
        return serve(
            self.connection,
            self.host,
            port,
            ssl=self.ssl_context(cert_file, key_file),
            max_size=64 * 1024 * 1024,
            ping_interval=None,
            compression=None,
        )

    async def run(self, stop):
        self.loop = asyncio.get_running_loop()
        # One database, two listeners: the CA-signed certificate (ca_certs verification) and,
        # when configured, a self-signed one (fingerprint pinning, as on a fresh installation).
        self_signed = self.config.get("self_signed")
        async with contextlib.AsyncExitStack() as listeners:
            await listeners.enter_async_context(
                self.listen(self.port, self.config["cert_file"], self.config["key_file"])
            )
            LOG.info("Exasol emulator %s listening on wss://%s:%d", self.release, self.host, self.port)
            if self_signed:
                await listeners.enter_async_context(
                    self.listen(self_signed["port"], self_signed["cert_file"], self_signed["key_file"])
                )
                LOG.info("self-signed certificate on wss://%s:%d", self.host, self_signed["port"])
            await stop.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    with open(args.config) as handle:
        config = json.load(handle)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = Server(config)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        loop.run_until_complete(server.run(stop))
    finally:
        LOG.info("stopping; counters %s", json.dumps(server.counters, sort_keys=True))
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
