# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The HTTP(S) side shared by the BucketFS and EXAoperation clients (private; standard library only).

One place for what both need: the server URL checked, the TLS context from validate_certs and
ca_cert, basic auth as a header (never in the URL, so it cannot leak into a message that quotes
the URL), the warning for plain http, connections with a timeout, and messages for 401/403/404.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import ssl
from http.client import HTTPConnection, HTTPSConnection
from urllib.parse import urlsplit

from ansible.module_utils.common.warnings import warn


def client_context(validate_certs=True, ca_cert=None):
    """An SSLContext that verifies the server (against ca_cert, else the system store) unless told not to.

    Raises ValueError with a readable message when ca_cert cannot be loaded.
    """
    if not validate_certs:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=ca_cert)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError("Could not load CA certificates from %s: %s" % (ca_cert, exc))


def warn_plain_http(url, service, secrets):
    """Warn (into the module's result, like module.warn) that url sends secrets unencrypted."""
    warn(
        "%s url %s is plain http: %s go over the network unencrypted, readable by anyone on the "
        "way. Use https:// (with ca_cert) unless this network is private test equipment." % (service, url, secrets)
    )


def http_argument_spec(default_user):
    """The server and login options of an HTTP(S) client module (url, user, password, TLS, timeout)."""
    return dict(
        url=dict(type="str", required=True),
        user=dict(type="str", default=default_user),
        password=dict(type="str", required=True, no_log=True),
        validate_certs=dict(type="bool", default=True),
        ca_cert=dict(type="path", aliases=["ca_path"]),
        timeout=dict(type="int", default=60),
    )


def basic_authorization(user, password):
    """The value of an Authorization header for HTTP basic auth."""
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")


def status_message(service, status, reason, what, user, forbidden_hint="the user may not do this"):
    """What a user can act on for an HTTP error status of `service` while working on `what`."""
    if status == 401:
        return "wrong user or password for %s (%s answered 401 Unauthorized)" % (what, service)
    if status == 403:
        return "%s refused user %s for %s (403 Forbidden): %s" % (service, user, what, forbidden_hint)
    if status == 404:
        return "%s does not exist (%s answered 404 Not Found)" % (what, service)
    return "%s answered %s %s to %s" % (service, status, reason, what)


class HttpServer:
    """One HTTP(S) server of a client: checked URL, auth header, TLS context, connections.

    `error` is the client's exception class, raised with a readable message for a bad URL or
    ca_cert; `url_form` shows the expected URL in that message; `exposed` names what plain http
    would send in clear (for the warning).
    """

    def __init__(
        self,
        url,
        service,
        user,
        password,
        validate_certs=True,
        ca_cert=None,
        timeout=60,
        error=ValueError,
        url_form="https://HOST",
        exposed="the password",
    ):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise error("url must look like %s, got %r" % (url_form, url))
        if parts.username or parts.password:
            raise error("url must not carry credentials; use the user and password options")
        self.parts, self.service, self.user, self.timeout = parts, service, user, timeout
        self.base_url = "%s://%s" % (parts.scheme, parts.netloc)
        self.authorization = basic_authorization(user, password)
        self.context = None
        if parts.scheme == "http":
            warn_plain_http(url, service, exposed)
        else:
            try:
                self.context = client_context(validate_certs, ca_cert)
            except ValueError as exc:
                raise error(str(exc))

    def connect(self):
        """A new http.client connection to the server (not yet connected)."""
        if self.context is not None:
            return HTTPSConnection(self.parts.hostname, self.parts.port, timeout=self.timeout, context=self.context)
        return HTTPConnection(self.parts.hostname, self.parts.port, timeout=self.timeout)

    def status_message(self, status, reason, what, forbidden_hint="the user may not do this"):
        return status_message(self.service, status, reason, what, self.user, forbidden_hint)
