"""``python -m colorgan_utils ...``: see :mod:`colorgan_utils.cli`."""

import sys

from colorgan_utils.cli import main

if __name__ == "__main__":
    sys.exit(main())
