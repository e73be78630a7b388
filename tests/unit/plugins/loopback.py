"""Base for the fake servers of the unit tests: a socketserver on 127.0.0.1 in a daemon thread."""

import threading


class LoopbackServer:
    """Subclasses set self.server (bound to 127.0.0.1:0) before calling start_thread()."""

    def start_thread(self):
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
