"""The lab's Exasol emulator, loaded as package `lab_exasol` before the tests here import it.

tests/lab/exasol_emulator must never be imported as `exasol` (it would shadow exasol-bucketfs's
namespace package); its load() registers it under that one name (pytest.ini puts tests/lab on the path).
"""

import exasol_emulator

exasol_emulator.load()
