"""What the lab's HTTP(S) emulators (BucketFS, EXAoperation) share: TLS handshakes in the handler
thread, and one log line instead of a traceback for a client that drops the connection."""
import ssl
import sys


class QuietTlsServerMixin:
    """Mix into a socketserver server that has `context` (SSLContext or None) and `log_line`."""

    context = None

    @staticmethod
    def log_line(message):
        sys.stderr.write(message + "\n")

    def handle_error(self, request, client_address):
        # A client that gives up the TLS handshake (e.g. it does not trust the lab CA) or drops the
        # connection is worth one log line, not a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, TimeoutError)):
            self.log_line("%s: connection ended: %s" % (client_address[0], exc))
            return
        super().handle_error(request, client_address)

    def wrap(self, sock):
        """TLS for an accepted socket; the handshake happens on the first read, in the handler."""
        if self.context is None:
            return sock
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
