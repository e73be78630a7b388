# -*- coding: utf-8 -*-
# Copyright: (c) 2026, virtualis.aurora developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The truststore_tally filter: the exasol_truststore role's outcome of one batch, added to the play's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text


def node_outcome(variables):
    """(failure text or None, summary line or None, weak key certificates) of one node's variables."""
    result = variables.get("exasol_truststore_result") or {}
    error = variables.get("exasol_truststore_error")
    weak = [w.get("certificate") for w in result.get("weak_keys") or []]
    if result.get("unreachable"):
        return "unreachable: %s" % to_text(result.get("msg", "")), None, weak
    if error is not None:
        return "failed: %s" % to_text(error), None, weak
    if "stores" not in result:
        return "not run", None, weak
    stores = result["stores"]
    line = "%d stores (%d discovered), %d changed" % (
        len(stores),
        len(result.get("discovered") or []),
        len([s for s in stores if s.get("changed")]),
    )
    return None, line, weak


def truststore_tally(earlier, run_id, batch, hostvars):
    """The play's tally after this batch: {run, done, failed, weak_keys, batch}.

    `earlier` is the tally of the previous batches (ignored when it belongs to another run of the
    role), `batch` the hosts of this batch, `hostvars` Ansible's hostvars.
    """
    if not isinstance(batch, (list, tuple)):
        raise AnsibleFilterError("truststore_tally: the batch must be a list of hosts, got %r" % (batch,))
    earlier = earlier if isinstance(earlier, dict) and earlier.get("run") == run_id else {}
    failed, weak, lines = dict(earlier.get("failed") or {}), list(earlier.get("weak_keys") or []), []
    for host in batch:
        failure, line, weak_keys = node_outcome(hostvars[host])
        if failure is not None:
            failed[host] = failure
        else:
            lines.append("%s: %s" % (host, line))
        weak.extend(w for w in weak_keys if w not in weak)
    done = list(earlier.get("done") or [])
    done.extend(h for h in batch if h not in done)
    return {"run": run_id, "done": done, "failed": failed, "weak_keys": weak, "batch": lines}


def truststore_too_many_failed(tally, max_fail_percentage):
    """Whether more than max_fail_percentage % of the nodes attempted so far failed (a string from -e counts as a number)."""
    try:
        limit = int(max_fail_percentage)
    except (TypeError, ValueError):
        raise AnsibleFilterError("max_fail_percentage must be a whole number 0..100, got %r" % (max_fail_percentage,))
    return len(tally.get("failed") or {}) * 100 > limit * len(tally.get("done") or [])


class FilterModule:
    """Filters of virtualis.aurora for the exasol_truststore role's summary."""

    def filters(self):
        return {"truststore_tally": truststore_tally, "truststore_too_many_failed": truststore_too_many_failed}
