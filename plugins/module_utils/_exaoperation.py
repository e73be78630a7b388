# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""EXAoperation XML-RPC (Exasol 6.x and 7.0): connection options and a small client.

Private to virtualis.aurora. Standard library only (xmlrpc.client). Per Exasol's XML-RPC reference
(github.com/exasol/exaoperation-xmlrpc) cluster methods live at ``https://HOST/cluster1`` and the
methods of an object at ``https://HOST/cluster1/<object_name>``. The password goes in an
Authorization header set by the transport, never in the URL, so it cannot leak into an error
message that quotes the URL.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import socket
import ssl

from ansible_collections.virtualis.aurora.plugins.module_utils._tls import client_context, warn_plain_http

try:
    import xmlrpc.client as xmlrpc_client
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported
    xmlrpc_client = urlsplit = None


def exaoperation_argument_spec():
    """The connection options of EXAoperation modules (doc fragment virtualis.aurora.exaoperation)."""
    return dict(
        url=dict(type="str", required=True),
        user=dict(type="str", default="admin"),
        password=dict(type="str", required=True, no_log=True),
        validate_certs=dict(type="bool", default=True),
        ca_cert=dict(type="path", aliases=["ca_path"]),
        timeout=dict(type="int", default=60),
    )


class ExaOperationError(Exception):
    """A failure with a message a user can act on."""


def _transport_class(base):
    class AuthTransport(base):
        """Adds basic auth as a header; knows the timeout."""

        def __init__(self, authorization, timeout, **kwargs):
            base.__init__(self, **kwargs)
            self._authorization, self._timeout = authorization, timeout

        def send_headers(self, connection, headers):
            headers = list(headers) + [("Authorization", self._authorization)]
            base.send_headers(self, connection, headers)

        def make_connection(self, host):
            connection = base.make_connection(self, host)
            connection.timeout = self._timeout
            return connection

    return AuthTransport


class ExaOperation(object):
    """Calls cluster methods (``call``) and object methods (``call_object``) with clear errors."""

    def __init__(self, url, user, password, validate_certs=True, ca_cert=None, timeout=60):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ExaOperationError("url must look like https://HOST/cluster1, got %r" % url)
        if parts.username or parts.password:
            raise ExaOperationError("url must not carry credentials; use the user and password options")
        self.url = url.rstrip("/")
        token = base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
        kwargs = {}
        if parts.scheme == "https":
            base = xmlrpc_client.SafeTransport
            try:
                kwargs["context"] = client_context(validate_certs, ca_cert)
            except ValueError as exc:
                raise ExaOperationError(str(exc))
        else:
            base = xmlrpc_client.Transport
            warn_plain_http(url, "EXAoperation", "the EXAoperation password and every call")
        self._transport = lambda: _transport_class(base)("Basic " + token, timeout, **kwargs)

    def _proxy(self, object_name=None):
        url = self.url + ("/" + object_name if object_name else "")
        return xmlrpc_client.ServerProxy(url, transport=self._transport(), allow_none=True)

    def call(self, method, *args):
        return self._invoke(None, method, args)

    def call_object(self, object_name, method, *args):
        return self._invoke(object_name, method, args)

    def _invoke(self, object_name, method, args):
        where = "%s.%s" % (object_name, method) if object_name else method
        try:
            return getattr(self._proxy(object_name), method)(*args)
        except xmlrpc_client.ProtocolError as exc:
            if exc.errcode == 401:
                raise ExaOperationError("EXAoperation %s: wrong user or password (401 Unauthorized)" % where)
            if exc.errcode == 403:
                raise ExaOperationError("EXAoperation %s: the user may not do this (403 Forbidden)" % where)
            raise ExaOperationError("EXAoperation %s: HTTP %s %s" % (where, exc.errcode, exc.errmsg))
        except xmlrpc_client.Fault as exc:
            raise ExaOperationError("EXAoperation %s failed: %s" % (where, exc.faultString))
        except ssl.SSLError as exc:
            raise ExaOperationError("EXAoperation %s: TLS failed: %s (wrong ca_cert?)" % (where, exc))
        except (socket.error, OSError) as exc:
            raise ExaOperationError("EXAoperation %s: could not reach %s: %s" % (where, self.url, exc))


def exaoperation_from_params(params):
    return ExaOperation(params["url"], params["user"], params["password"], params["validate_certs"],
                        params["ca_cert"], params["timeout"])
