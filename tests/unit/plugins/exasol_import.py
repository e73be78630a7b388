"""Import pyexasol even when another test file put tests/lab on sys.path.

tests/lab/exasol (the emulator) is a package named `exasol` there; it shadows the `exasol`
namespace package pyexasol imports (exasol.telemetry). Import the real one first.
"""
import os
import sys

LAB_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "lab"))


def import_pyexasol():
    saved_path, shadow = list(sys.path), sys.modules.get("exasol")
    if shadow is not None and LAB_DIR in str(getattr(shadow, "__file__", "") or ""):
        del sys.modules["exasol"]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != LAB_DIR]
    try:
        import pyexasol  # noqa: F401  pylint: disable=unused-import
    finally:
        sys.path[:] = saved_path
        if shadow is not None and "exasol" not in sys.modules:
            sys.modules["exasol"] = shadow
