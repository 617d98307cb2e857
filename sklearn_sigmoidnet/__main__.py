"""``python -m sklearn_sigmoidnet``: the command line of
:mod:`sklearn_sigmoidnet.cli`."""

import sys

from sklearn_sigmoidnet.cli import main

if __name__ == "__main__":
    sys.exit(main())
