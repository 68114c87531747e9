"""DPM Studio: inpainting and denoising with diffusion probabilistic models (Sohl-Dickstein et al. 2015)."""

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("dpm-studio")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"
