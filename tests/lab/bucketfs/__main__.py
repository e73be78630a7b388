"""`python -m bucketfs CONFIG.json` runs the BucketFS emulator (see server.py)."""

import sys

from .server import main

main(sys.argv)
