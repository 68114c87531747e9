"""DPM Studio: inpainting and denoising with diffusion probabilistic models (Sohl-Dickstein et al. 2015)."""

from pathlib import Path


def _commit(root: Path) -> str | None:
    """The commit a git checkout at ``root`` has checked out (a worktree's too), read from its files (no git
    process); None where ``root`` is no checkout or its files say nothing readable."""
    try:
        git = root / ".git"
        if git.is_file():   # a worktree: "gitdir: <its folder in the main checkout's .git>"
            git = Path(git.read_text().split("gitdir:", 1)[1].strip())
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head if len(head) == 40 else None   # a detached head
        ref = head[4:].strip()
        common = git / (git / "commondir").read_text().strip() if (git / "commondir").is_file() else git
        for base in (git, common):
            if (base / ref).is_file():
                return (base / ref).read_text().strip()
        for line in (common / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except (OSError, IndexError, ValueError):
        pass
    return None


try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("dpm-studio")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"
# The package's version was 0.1.0 from the first commit on, so a result's record ("software") could not tell
# today's code from last month's: run from a git checkout (an editable install, a source tree), the version says
# its commit too, as a PEP 440 local version ("0.1.0+gd4be80f1a2b3"; changes not committed are not seen).
_here = _commit(Path(__file__).resolve().parent.parent)
if _here and all(c in "0123456789abcdef" for c in _here):
    __version__ = f"{__version__}+g{_here[:12]}"
del _here
