"""EXAoperation XML-RPC emulator for the lab (test equipment; see tests/lab/README_exasol.md)."""
