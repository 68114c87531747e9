"""The bundle's entry point: the same ``main`` as the ``dpm-studio`` console script."""

import sys

from dpm_studio.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
