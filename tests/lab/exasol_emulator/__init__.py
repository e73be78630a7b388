"""Exasol database emulator for the virtualis.aurora lab (WebSocket API, SQL subset, virtual schemas).

The package is loaded under the name `lab_exasol` (see `load()`), never as `exasol`, so that it
does not shadow the `exasol` namespace package of exasol-bucketfs in the same interpreter.
"""

import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "lab_exasol"


def load():
    """Import this directory as package `lab_exasol` (idempotent) and return it."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    spec = importlib.util.spec_from_file_location(
        PACKAGE, os.path.join(HERE, "__init__.py"), submodule_search_locations=[HERE]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)
    return module
