# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Attribute fragments for the modules of this collection. Use them as
#
#   extends_documentation_fragment:
#     - virtualis.aurora.attributes              # the descriptions (always)
#     - virtualis.aurora.attributes.check_mode   # check_mode: full
#     - virtualis.aurora.attributes.diff_mode    # diff_mode: full
#     - virtualis.aurora.attributes.idempotent   # idempotent: full
#     - virtualis.aurora.attributes.platform     # platform: posix (node-side modules)
#
# or, for a module that only reads, virtualis.aurora.attributes.info_module instead of the
# check_mode/diff_mode/idempotent fragments. A module that supports an attribute only partly
# declares it itself, e.g. `attributes: {diff_mode: {support: partial, details: ...}}`;
# what the module says wins over the fragment.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # The descriptions of the common attributes; every module lists this fragment.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
"""

    # Full check mode: the module reads the real state and reports the same C(changed) as a real run.
    CHECK_MODE = r"""
options: {}
attributes:
  check_mode:
    support: full
"""

    # Full diff mode: the module returns C(diff) with C(before) and C(after), never a secret.
    DIFF_MODE = r"""
options: {}
attributes:
  diff_mode:
    support: full
"""

    IDEMPOTENT = r"""
options: {}
attributes:
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled or queried by the module has not changed in a relevant way.
    support: full
"""

    # Node-side modules: they run on the Exasol data nodes with the Python standard library only.
    PLATFORM = r"""
options: {}
attributes:
  platform:
    description: Target operating systems the module can run on.
    support: full
    platforms: posix
"""

    # Modules that only read: they behave the same in check mode and never change anything.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
    details:
      - This action does not modify state.
"""

    # Modules in the C(virtualis.aurora.exasol) action group of meta/runtime.yml.
    ACTION_GROUP_EXASOL = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/virtualis.aurora.exasol) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - virtualis.aurora.exasol
"""

    # Modules in the C(virtualis.aurora.bucketfs) action group of meta/runtime.yml.
    ACTION_GROUP_BUCKETFS = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/virtualis.aurora.bucketfs) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - virtualis.aurora.bucketfs
"""
