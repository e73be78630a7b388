"""`python -m exaoperation CONFIG.json` runs the EXAoperation emulator (see server.py)."""

import sys

from .server import main

main(sys.argv)
