# -*- coding: utf-8 -*-
# Copyright: (c) 2026, virtualis.aurora developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cidr_check filter: why each item of a list is not an acceptable source CIDR."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text


def cidr_problem(value, allow_any=False):
    """None when value is an acceptable source CIDR, otherwise a sentence saying why not."""
    if not isinstance(value, str):
        return "%r is not a string (expected a CIDR such as 203.0.113.0/24)" % (value,)
    text = to_text(value).strip()
    if "/" not in text:
        return "%r is not a CIDR: it has no prefix length (write %s/32 for a single address)" % (text, text)
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        if "host bits set" in str(exc):
            network = ipaddress.ip_network(text, strict=False)
            return "%r has host bits set: the network is %s" % (text, network)
        return "%r is not a CIDR: %s" % (text, exc)
    if network.prefixlen == 0 and not allow_any:
        return (
            "%r opens the port to the whole internet; set aws_network_allow_any_source: true "
            "if that is really intended" % text
        )
    return None


def cidr_check(values, allow_any=False):
    """List of problems with a list of CIDRs (empty when every item is fine)."""
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise AnsibleFilterError("cidr_check expects a list of CIDRs, got %s" % type(values).__name__)
    if not values:
        return ["the list of CIDRs is empty"]
    return [problem for problem in (cidr_problem(value, allow_any) for value in values) if problem]


class FilterModule:
    """Filters of virtualis.aurora for network input."""

    def filters(self):
        return {"cidr_check": cidr_check}
