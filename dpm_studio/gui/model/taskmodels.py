"""Which model each task runs in the app, without Qt: the user's choice for that task, else the
task's default (:func:`dpm_studio.paths.default_checkpoint`, the command line's and the API's too).

One model need not suit every task (a better denoiser may inpaint no better, and slower), so the
app remembers a choice per task: picking a model on the Denoise page chooses it for denoising
only; a task with no choice of the user's shows its default, read when it is shown (a default
changed by a new version reaches every task the user left to it). The session owns one
(``session.models``); the window's model picker shows ``model_for`` the current task and reports
the user's picks to ``choose``. A choice is a card path or a checkpoint name. The model choice is
not part of the undo history (nor was it before): undo gives back pixels and masks only.
"""

from __future__ import annotations

from pathlib import Path

from ...paths import DEFAULT_CHECKPOINTS, default_checkpoint

__all__ = ["TaskModels", "TASKS"]

TASKS = tuple(DEFAULT_CHECKPOINTS)
#: The one default model of the versions before the defaults were per task (their ``run/checkpoint``).
LEGACY_DEFAULT = "photos-rgb"


class TaskModels:
    """The user's model choice per task (none: the task's default)."""

    def __init__(self):
        self._chosen: dict[str, str] = {}
        self.loading = ""   # the card path of the shown task's model while it loads (gui/checkpoints.py), else ''

    @staticmethod
    def _task(task: str) -> str:
        default_checkpoint(task)   # ValueError, one line, for a task that is none of them
        return task

    def default(self, task: str) -> str:
        """The task's default model, read now (paths.DEFAULT_CHECKPOINTS)."""
        return default_checkpoint(task)

    def chosen(self, task: str) -> str | None:
        """The user's choice for ``task``, or None where it is left to the default."""
        return self._chosen.get(self._task(task))

    def model_for(self, task: str) -> str:
        """What ``task`` runs: the user's choice, else its default."""
        return self.chosen(task) or self.default(task)

    def card_for(self, task: str, cards: list[dict]) -> dict | None:
        """The card ``task`` runs among ``cards`` (the listed image models, each with its ``name`` and
        ``path``): the user's choice, else the default (a choice no longer listed, a removed file, gives
        the default); matched by card path, then by name. None when neither is listed."""
        for want in (self.model_for(task), self.default(task)):
            card = next((c for c in cards if str(c.get("path")) == want), None) or \
                next((c for c in cards if c.get("name") == want), None)
            if card is not None:
                return card
        return None

    def choose(self, task: str, model: str, binary: bool = False) -> str:
        """The user chose ``model`` (card path or name) for ``task``; returns the task it is kept for.
        ``binary``: a black-and-white (binomial) model, which cannot denoise: chosen for denoising it is
        kept for inpainting (the Denoise page's list greys such models: gui/model_picker.py)."""
        task = "inpaint" if binary and self._task(task) == "denoise" else self._task(task)
        if not str(model):
            raise ValueError("choose a model by its card path or name")
        self._chosen[task] = str(model)
        return task

    def forget(self, task: str | None = None):
        """Back to the default for ``task`` (every task: None)."""
        if task is None:
            self._chosen.clear()
        else:
            self._chosen.pop(self._task(task), None)

    def choices(self) -> dict[str, str]:
        """The user's choices, task by task (what the settings keep)."""
        return dict(self._chosen)

    def restore(self, choices: dict, legacy: str = "") -> None:
        """The choices kept in the settings (``choices``: task -> model, '' for none). ``legacy``: the one
        model an earlier version kept for every task (its ``run/checkpoint``). It saved whatever was
        selected, chosen or not, so the one default of those versions (the shipped photos-rgb) is read
        as no choice, and a task keeps following its default; any other model was the user's: it
        becomes the choice of every task that has none of its own."""
        self._chosen = {t: str(m) for t, m in (choices or {}).items() if t in TASKS and m}
        if legacy and not _is_old_default(legacy):
            for t in TASKS:
                self._chosen.setdefault(t, str(legacy))


def _is_old_default(model: str) -> bool:
    """``model`` (a card path or name) is the shipped checkpoint that was every task's default."""
    if model == LEGACY_DEFAULT:
        return True
    from ...core.files.locations import shipped_checkpoints_dir

    p = Path(model)
    try:
        return p.name == f"{LEGACY_DEFAULT}.json" and p.parent.resolve() == shipped_checkpoints_dir().resolve()
    except OSError:
        return False
