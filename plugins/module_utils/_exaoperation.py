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

import socket
import ssl
import xmlrpc.client as xmlrpc_client

from ansible_collections.virtualis.aurora.plugins.module_utils._http import HttpServer, http_argument_spec


def exaoperation_argument_spec():
    """The connection options of EXAoperation modules (doc fragment virtualis.aurora.exaoperation)."""
    return http_argument_spec("admin")


class ExaOperationError(Exception):
    """A failure with a message a user can act on."""


class _Transport(xmlrpc_client.Transport):
    """xmlrpc transport whose connections come from the shared HttpServer (TLS, timeout, auth)."""

    def __init__(self, server):
        xmlrpc_client.Transport.__init__(self)
        self._server = server

    def send_headers(self, connection, headers):
        headers = list(headers) + [("Authorization", self._server.authorization)]
        xmlrpc_client.Transport.send_headers(self, connection, headers)

    def make_connection(self, host):
        if self._connection[1] is None or self._connection[0] != host:
            self._connection = host, self._server.connect()
        return self._connection[1]


class ExaOperation:
    """Calls cluster methods (``call``) and object methods (``call_object``) with clear errors."""

    def __init__(self, url, user, password, validate_certs=True, ca_cert=None, timeout=60):
        self._server = HttpServer(
            url,
            "EXAoperation",
            user,
            password,
            validate_certs,
            ca_cert,
            timeout,
            error=ExaOperationError,
            url_form="https://HOST/cluster1",
            exposed="the EXAoperation password and every call",
        )
        self.url = url.rstrip("/")

    def _proxy(self, object_name=None):
        url = self.url + ("/" + object_name if object_name else "")
        return xmlrpc_client.ServerProxy(url, transport=_Transport(self._server), allow_none=True)

    def call(self, method, *args):
        return self._invoke(None, method, args)

    def call_object(self, object_name, method, *args):
        return self._invoke(object_name, method, args)

    def _invoke(self, object_name, method, args):
        where = "%s.%s" % (object_name, method) if object_name else method
        try:
            return getattr(self._proxy(object_name), method)(*args)
        except xmlrpc_client.ProtocolError as exc:
            target = self.url + ("/" + object_name if object_name else "")
            raise ExaOperationError(self._server.status_message(exc.errcode, exc.errmsg, "%s at %s" % (where, target)))
        except xmlrpc_client.Fault as exc:
            raise ExaOperationError("EXAoperation %s failed: %s" % (where, exc.faultString))
        except ssl.SSLError as exc:
            raise ExaOperationError("EXAoperation %s: TLS failed: %s (wrong ca_cert?)" % (where, exc))
        except (socket.error, OSError) as exc:
            raise ExaOperationError("EXAoperation %s: could not reach %s: %s" % (where, self.url, exc))


def exaoperation_from_params(params):
    return ExaOperation(
        params["url"],
        params["user"],
        params["password"],
        params["validate_certs"],
        params["ca_cert"],
        params["timeout"],
    )
