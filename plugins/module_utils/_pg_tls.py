# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A TLS handshake with a PostgreSQL server, verified against exactly the certificates given.

Node-side code: Python standard library only, Python 3.6+.

A PostgreSQL client does not start TLS right away: it first sends an SSLRequest packet (Int32
length 8, Int32 code 80877103) and the server answers one byte, 'S' to go on with TLS or 'N'
(PostgreSQL documentation, "Frontend/Backend Protocol", "SSL Session Encryption"; pgjdbc does the
same before it hands the socket to the JVM's SSLSocketFactory). Nothing else is sent: no startup
packet, no user, no password, so the server only logs an incomplete connection.

The context trusts only the certificates of one truststore (never the system store), checks the
host name, and accepts a trust anchor that is not self-signed (X509_V_FLAG_PARTIAL_CHAIN), as the
JVM's PKIX validation does for any trusted certificate entry of a store.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import ssl
import struct

SSL_REQUEST = struct.pack("!II", 8, 80877103)
# OpenSSL's X509_V_FLAG_PARTIAL_CHAIN; ssl.VERIFY_X509_PARTIAL_CHAIN exists from Python 3.10 on.
PARTIAL_CHAIN = getattr(ssl, "VERIFY_X509_PARTIAL_CHAIN", 0x80000)
HOSTNAME_MISMATCH = 62  # X509_V_ERR_HOSTNAME_MISMATCH
DER = 2  # _ssl.ENCODING_DER, for the chain objects of Python 3.10 to 3.12


class HandshakeError(Exception):
    """Why a handshake failed; `kind` is one of connect, protocol, refused, verify, hostname, tls, store."""

    def __init__(self, kind, message):
        super(HandshakeError, self).__init__(message)
        self.kind = kind


def trust_context(ders):
    """(SSLContext trusting exactly `ders`, number of certificates OpenSSL accepted as anchors)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    context.verify_flags |= PARTIAL_CHAIN
    context.options |= getattr(ssl, "OP_NO_TLSv1", 0) | getattr(ssl, "OP_NO_TLSv1_1", 0)
    loaded = 0
    for der in ders:
        try:  # one by one: a certificate OpenSSL cannot use must not hide the others
            # PEM, not DER: Python 3.6 built against OpenSSL 3 cannot load DER cadata
            context.load_verify_locations(cadata=ssl.DER_cert_to_PEM_cert(der))
            loaded += 1
        except (ssl.SSLError, ValueError):
            continue
    if not loaded:
        raise HandshakeError("store", "the store holds no trusted certificate that could be used as a trust anchor")
    return context, loaded


def observing_context():
    """A context that accepts any certificate: only to see what a server presents after a failed check."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def postgres_tls(context, host, port, server_hostname, timeout):
    """Connect, send SSLRequest, expect 'S', handshake; returns the DER certificates the server presented."""
    try:
        sock = socket.create_connection((host, port), timeout)
    except (socket.error, socket.timeout, OSError) as exc:
        raise HandshakeError("connect", "could not connect to %s port %d: %s" % (host, port, _reason(exc)))
    try:
        _ssl_request(sock, host, port)
        tls = _wrap(context, sock, server_hostname)
        try:
            return presented_chain(tls)
        finally:
            _close(tls)
    finally:
        sock.close()


def _ssl_request(sock, host, port):
    try:
        sock.sendall(SSL_REQUEST)
        answer = sock.recv(1)
    except (socket.error, socket.timeout, OSError) as exc:
        raise HandshakeError("connect", "%s port %d did not answer the SSLRequest: %s" % (host, port, _reason(exc)))
    if answer == b"N":
        raise HandshakeError(
            "refused",
            "%s port %d answered 'N' to the SSLRequest: the server does not offer TLS (ssl = off)" % (host, port),
        )
    if answer != b"S":
        raise HandshakeError(
            "protocol",
            "%s port %d answered %r to the SSLRequest instead of 'S': not a PostgreSQL server?" % (host, port, answer),
        )


def _wrap(context, sock, server_hostname):
    try:
        return context.wrap_socket(sock, server_hostname=server_hostname)
    except ssl.CertificateError as exc:  # Python 3.7+: SSLCertVerificationError is a subclass
        code = getattr(exc, "verify_code", HOSTNAME_MISMATCH)
        message = getattr(exc, "verify_message", None) or str(exc)
        if code == HOSTNAME_MISMATCH:
            raise HandshakeError(
                "hostname", "the server certificate does not match the host name %s: %s" % (server_hostname, message)
            )
        raise HandshakeError("verify", "the server certificate is not trusted by this store: %s" % message)
    except ssl.SSLError as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):  # Python 3.6
            raise HandshakeError("verify", "the server certificate is not trusted by this store: %s" % exc)
        raise HandshakeError("tls", "TLS handshake failed: %s" % _reason(exc))
    except (socket.error, socket.timeout, OSError) as exc:
        raise HandshakeError("tls", "TLS handshake failed: %s" % _reason(exc))


def presented_chain(tls):
    """DER certificates the server sent, leaf first.

    Python 3.13 has get_unverified_chain(); 3.10 to 3.12 have it on the internal SSL object;
    older versions give only the server's own certificate.
    """
    for owner in (tls, getattr(tls, "_sslobj", None)):
        getter = getattr(owner, "get_unverified_chain", None)
        if getter is not None:
            try:
                chain = getter() or []
                return [c if isinstance(c, bytes) else c.public_bytes(DER) for c in chain]
            except (AttributeError, TypeError, ValueError, ssl.SSLError):
                break
    leaf = tls.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def _close(tls):
    """close_notify, then close: the server sees a client that left before its startup packet,
    not a connection reset."""
    try:
        tls.settimeout(min(tls.gettimeout() or 2, 2))  # a server that never answers the close_notify
        tls.unwrap()
    except (ssl.SSLError, socket.error, socket.timeout, OSError, ValueError):
        pass
    tls.close()


def _reason(exc):
    return getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
