"""The bundle's entry point: the same ``run`` as the ``dpm-studio`` console script."""

from dpm_studio.cli.main import run

if __name__ == "__main__":
    run()
