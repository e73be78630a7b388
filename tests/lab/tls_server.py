"""What the lab's HTTP(S) emulators (BucketFS, EXAoperation) share: TLS handshakes in the handler
thread, one log line instead of a traceback for a client that drops the connection, and reading
HTTP Basic credentials."""

import base64
import binascii
import ssl
import sys


def basic_credentials(headers):
    """(user, password) of an `Authorization: Basic` header; None without one, ("", "") if malformed."""
    header = headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    if ":" not in decoded:
        return ("", "")
    user, password = decoded.split(":", 1)
    return user, password


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
