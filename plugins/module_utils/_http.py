# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TLS client contexts for the collection's HTTP(S) clients (private; standard library only)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ssl

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
    except (IOError, OSError, ssl.SSLError) as exc:
        raise ValueError("Could not load CA certificates from %s: %s" % (ca_cert, exc))


def warn_plain_http(url, service, secrets):
    """Warn (into the module's result, like module.warn) that url sends secrets unencrypted.

    Shared by the BucketFS and EXAoperation clients, so every module that talks to them warns
    the same way without code of its own.
    """
    warn("%s url %s is plain http: %s go over the network unencrypted, readable by anyone on the "
         "way. Use https:// (with ca_cert) unless this network is private test equipment."
         % (service, url, secrets))
