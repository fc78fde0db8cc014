"""``python -m colorgan_utils ...``: see :mod:`colorgan_utils.cli`."""

import os
import sys

if __name__ == "__main__":
    # TensorFlow's C++ log (CPU features, graph-optimizer notes such as "remapper failed")
    # holds nothing a user acts on; set before TensorFlow loads, unless the user set it
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    from colorgan_utils.cli import main

    sys.exit(main())
