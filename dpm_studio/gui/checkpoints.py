"""The window's checkpoints: the model list, opening and importing a checkpoint, the models folder,
and the selected model, loaded on the CPU for the plots and the run's checks.

The picker shows the current task's model (``session.models``, gui/model/taskmodels.py: the user's
choice for that task, else its default): switching task shows that task's model, and a model the user
picks, opens or imports becomes the choice of the task on show.

:class:`CheckpointsController` is owned by the main window (``window.checkpoints``).
"""

from __future__ import annotations

import gc
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from . import collector

__all__ = ["CheckpointsController"]


class CheckpointsController(QObject):
    """The checkpoint list and the selected model (see the module docstring).

    A model not loaded yet is loaded in a thread (``_load``): a switch to Denoise loaded photos-rgb-v2 on the
    GUI thread, the window frozen for about 1 s (benchmarks/switch_stall.py). Meanwhile ``loading()`` names it,
    Run is greyed saying so, and what the user does is safe: a switch back shows the other task's model at once
    (its load goes on and is kept in the cache), another pick waits for the load under way and then loads. A
    model loaded before with unchanged files is taken from the core's cache at once, on the GUI thread. The
    thread is a plain one, as the start-up's listing: a load cannot be stopped half way, and a QThread still
    running when its owner goes aborts the process; its report reaches ``_on_model_loaded`` (a slot of this
    GUI-thread object), and none once the window is gone."""

    scanned = Signal(object)   # from the start-up's listing thread: (cards, skipped), or the exception
    modelLoaded = Signal(object)   # from a model's loading thread: (card path, Loaded or the exception)

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.loaded = None          # the selected checkpoint, loaded on the CPU
        self.model_error = ""       # why the selected checkpoint cannot be used ('' if it can)
        self.listing = False        # the start-up's listing is still under way (refresh_in_background)
        self.extra_cards: list[str] = []   # cards opened where they are (File > Open Checkpoint)
        self._thread_path = ""      # the card a loading thread loads now ('' when none runs)
        self._thread: threading.Thread | None = None   # that thread (joined at the app's exit: shutdown)
        self._closing = False       # shutdown was called: no loading thread starts
        window.task_panel.checkpointChanged.connect(self._on_checkpoint_changed)
        window.task_panel.picker.modelChosen.connect(self._on_model_chosen)
        self.scanned.connect(self._on_scanned)
        self.modelLoaded.connect(self._on_model_loaded)

    # The app's start-up lists the checkpoints after its window is on screen: listing them checks
    # each card's network against its weights (built on torch's meta device), so it imports torch,
    # 0.8-1.1 s CPU that came before the first window (docs/speed.md, issue 26's app rows). A thread
    # imports torch and reads the cards; the GUI thread takes the list (``_on_scanned``) and loads
    # the task's model as :meth:`refresh` always did. Until then the run hint says so.
    def refresh_in_background(self) -> threading.Thread:
        """:meth:`refresh`, with the slow part (importing torch, reading and checking the cards) in a
        thread; the window stays usable meanwhile (opening an image, painting a mask). Torch's threads
        are left as the command line has them (gui/app.py says why)."""
        self.listing = True
        self.w.runs.update_hint()
        thread = threading.Thread(target=self._scan, name="dpm-studio-models", daemon=True)
        collector.hold_thread(thread, quiet=True)
        return thread

    def _scan(self):
        """In the listing thread: torch imported, then the cards; the result goes to the GUI thread.

        The cyclic garbage collector is paused over torch's import (the GUI thread holds it while this
        thread runs, quietly: gui/collector.hold_thread; this thread never switches it on or off) and what
        the import leaves (~165,000 objects that live as long as the app) is frozen out of its sight, as
        the command line's start-up does (cli/common.py): else every later full collection walks them,
        the opening of a photo's included (0.2-0.3 s CPU; docs/speed.md)."""
        try:
            from ..core.files import checkpoint
            from ..core.machine.devices import available_devices

            result = (checkpoint.scan_cards(), available_devices())
        except Exception as e:  # noqa: BLE001 - said in the GUI thread, as a refresh would
            result = e
        finally:
            gc.freeze()
        try:
            self.scanned.emit(result)   # queued to _on_scanned, a slot of this object (GUI thread)
        except RuntimeError:  # the window was closed before the listing ended
            pass

    @Slot(object)
    def _on_scanned(self, result):
        self.listing = False
        if isinstance(result, Exception):
            traceback.print_exception(result)
            result = (([], [f"could not be listed: {type(result).__name__}: {result}"]), [("CPU", "cpu")])
        scanned, devices = result
        note = self.w.task_panel.set_devices(devices)
        self.refresh(scanned=scanned)
        if note:
            self.w.statusBar().showMessage(note[:1].upper() + note[1:] + ".", 15000)

    def refresh(self, select: str | None = None, scanned: tuple | None = None):
        """List the checkpoints found and the extra cards and show the current task's model; ``select``
        (a card path or name: one opened or imported) becomes that task's choice. ``scanned``: the
        checkpoint folders' (cards, skipped), already read (:meth:`refresh_in_background`)."""
        from ..core.files import checkpoint

        # bad cards are skipped, with a word in the status bar
        cards, skipped = scanned if scanned is not None else checkpoint.scan_cards()
        if skipped:
            self.w.statusBar().showMessage(f"{len(skipped)} checkpoint card(s) {skipped[0]}", 15000)
        names = {c["name"] for c in cards}
        for p in list(self.extra_cards):
            try:
                card = checkpoint.read_card(p)
            except checkpoint.CheckpointError:
                self.extra_cards.remove(p)
                continue
            card["path"] = card.pop("_path")
            if card["name"] not in names:
                cards.append(card)
                names.add(card["name"])
        if select:
            self._choose(next((c for c in cards if str(c.get("path")) == str(select)), None) or {"path": select})
        self.w.task_panel.set_cards(cards, select=self._shown(cards))

    def _shown(self, cards: list[dict]) -> str | None:
        """The current task's model among ``cards`` (the user's choice, else its default; a choice
        no longer listed gives the default), as its card path; None if neither is listed."""
        from ..core.files.cardschema import is_image_card

        card = self.w.session.models.card_for(self.w.task_panel.task(), [c for c in cards if is_image_card(c)])
        return None if card is None else str(card.get("path"))

    def show_task_model(self) -> bool:
        """Show the current task's model in the picker (False: neither it nor the default is listed)."""
        path = self._shown(self.w.task_panel.cards())
        return path is not None and self.w.task_panel.select(path)

    def select(self, name_or_path: str, tasks=None) -> bool:
        """Pick a listed checkpoint by name or card path, as the user would in the list: it becomes the
        choice of the current task (or of each of ``tasks``)."""
        card = self.w.task_panel.find(name_or_path)
        if card is None:
            return False
        for task in tasks or (self.w.task_panel.task(),):
            self._choose(card, task)
        return self.show_task_model()

    def _choose(self, card: dict, task: str | None = None) -> str:
        """``card`` becomes the choice of ``task`` (default: the current one); a black-and-white model
        chosen for denoising is kept for inpainting (the Denoise page's list greys it)."""
        return self.w.session.models.choose(task or self.w.task_panel.task(), str(card.get("path")),
                                            binary=card.get("family") == "binomial")

    @Slot(object)
    def _on_model_chosen(self, card):
        """The user picked ``card`` in the list (before the picker says it is shown)."""
        self._choose(card)

    def open_dialog(self):
        p = self.w.dialogs.open_file("Open Checkpoint", self.w.files.last_folder(),
                                     "Checkpoint cards (*.json *.safetensors)")
        if p:
            self.open(p)

    def open(self, path) -> bool:
        from ..core.files import checkpoint

        try:
            card_path = checkpoint.resolve(path)
            checkpoint.read_card(card_path)
        except checkpoint.CheckpointError as e:
            self.w.dialogs.error("Cannot use checkpoint", str(e))
            return False
        if str(card_path) not in self.extra_cards:
            self.extra_cards.append(str(card_path))
        self.refresh(select=str(card_path))
        return True

    def import_dialog(self):
        p = self.w.dialogs.open_file("Import Checkpoint", self.w.files.last_folder(),
                                     "Checkpoints (*.safetensors *.json)")
        if p:
            self.import_checkpoint(p)

    def import_checkpoint(self, path) -> bool:
        """File > Import Checkpoint: check it loads, copy its two files into the models folder, select it."""
        from ..core.files.checkpoint import CheckpointError
        from .model.models import import_checkpoint

        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            card_path = import_checkpoint(path)
        except CheckpointError as e:
            self.w.dialogs.error("Cannot import checkpoint", str(e))
            return False
        except Exception as e:  # noqa: BLE001 - a bad file must not take the app down
            traceback.print_exc()
            self.w.dialogs.error("Cannot import checkpoint", f"{Path(path).name}: {type(e).__name__}: {e}")
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.refresh(select=str(card_path))
        self.w.statusBar().showMessage(f"Imported {card_path.stem} into your models folder ({card_path.parent})",
                                       8000, path=card_path.parent)
        return True

    def open_models_folder(self) -> str:
        """Help > Open Models Folder: the user's checkpoint folder (made if missing) in the file manager."""
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from ..core.files.locations import user_checkpoints_dir

        folder = user_checkpoints_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self.w.dialogs.error("Cannot open the models folder", f"{folder}: {e.strerror or e}")
            return ""
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.w.statusBar().showMessage(f"Your models folder is {folder}", 10000, path=folder)
        return str(folder)

    def model(self, path: str, device: str = "cpu"):
        """A loaded checkpoint (the core's cache, shared with the API: reloaded when its files
        change); raises CheckpointError."""
        from ..core.files import checkpoint

        return checkpoint.load_cached(path, device)

    @staticmethod
    def _in_cache(path: str) -> bool:
        """The model is in the core's cache with its files unchanged since (what the GUI thread may take at once;
        the cache, not a note of this window's loads, says so: it forgets the least used past four models, and
        the Python API shares it); False where its card cannot be found (its load says why)."""
        from ..core.files import checkpoint

        try:
            return checkpoint.cached(path) is not None
        except (checkpoint.CheckpointError, OSError):
            return False

    def run_model(self, path: str):
        """The model a run's checks and record read (its card, its weights' digest): the shown task's, loaded on the
        CPU off the GUI thread; the run's thread takes it onto the run's device (frames.RunJob.device). Another card
        than the one shown is loaded here on the CPU (not seen: the picker's change loads it first). None: it
        cannot be loaded, and the user was told why."""
        from ..core.files.checkpoint import CheckpointError

        if self.loaded is not None and Path(self.loaded.path) == Path(path):
            return self.loaded
        try:
            return self.model(path)
        except CheckpointError as e:
            self.w.dialogs.error("Cannot load checkpoint", str(e))
        except Exception as e:  # noqa: BLE001 - a bad file must not take the app down
            traceback.print_exc()
            self.w.dialogs.error("Cannot load checkpoint", f"{type(e).__name__}: {e}")
        return None

    def loading(self) -> str:
        """The card path of the shown task's model while it loads, else ''."""
        return self.w.session.models.loading

    def shutdown(self, timeout_s: float = 60.0) -> bool:
        """Wait (bounded) for a model's loading thread to end (the app's exit: a thread still in torch when the
        interpreter ends aborts the process, "terminate called without an active exception"); True when none runs."""
        self._closing = True   # a load not started yet is not started now
        t = self._thread
        if t is not None and t.ident is not None:
            t.join(timeout_s)
        return t is None or not t.is_alive()

    def wait_loaded(self, timeout_s: float = 60.0) -> bool:
        """Process events until the shown task's model is loaded (a script's or a test's wait); False on time out."""
        from PySide6.QtCore import QDeadlineTimer, QEventLoop, QThread

        end = QDeadlineTimer(int(timeout_s * 1000))
        while self.loading() and not end.hasExpired():
            QApplication.processEvents(QEventLoop.AllEvents, 20)
            if self.loading():
                QThread.msleep(2)
        return not self.loading()

    @Slot(str)
    def _on_checkpoint_changed(self, path: str):
        self.loaded, self.model_error = None, ""
        if path and not self._in_cache(path):   # not loaded, or its files changed since
            self._wait_for(path)
            return
        self._set_loading("")
        self._show(path)

    def _wait_for(self, path: str):
        """Show that ``path`` loads, and load it unless a thread is loading one already (it loads next)."""
        self._set_loading(path)
        self.w.plots.set_model(None, "loading…")
        if not self._thread_path:
            self._thread_path = path
            # not a daemon: the interpreter's exit waits for it (a thread in torch then aborted the process)
            self._thread = threading.Thread(target=self._load, args=(path,), name="dpm-studio-model")
            QTimer.singleShot(0, self, self._start_load)
        self.w.runs.update_hint()
        self.w.update_actions()

    @Slot()
    def _start_load(self):
        """Start the loading thread :meth:`_wait_for` made, once the GUI thread has done the switch's work and
        drawn it (the next turn of the event loop). Started at once, it took the GIL (building the network is
        Python) for most of what the switch did after it: the switch call took 58 ms for 8 ms of the GUI thread's
        own CPU (benchmarks/switch_stall.py; docs/speed.md)."""
        t = self._thread
        if t is not None and t.ident is None and not self._closing:
            collector.hold_thread(t)

    def _set_loading(self, path: str):
        """Run waits for ``path`` ('' once loaded), greyed saying so; the hint under it says so too (runs.update_hint).
        Not in the status bar: it covered what the bar said at the start (the settings' warnings, the skipped cards)."""
        self.w.session.models.loading = path
        self.w.task_panel.run_bar.set_waiting(f"the model {Path(path).stem} is loading" if path else "")

    def _load(self, path: str):
        """In the loading thread: the model into the core's cache, and the plots' curves of it (a network pass)."""
        try:
            loaded = self.model(path)
            try:
                from .plots import schedule_curves

                schedule_curves(loaded)
            except Exception:  # noqa: BLE001 - a plot must never stop the app (set_model says it again)
                pass
            result = loaded
        except Exception as e:  # noqa: BLE001 - said in the GUI thread, as a load there would
            result = e
        try:
            self.modelLoaded.emit((path, result))   # queued to _on_model_loaded (GUI thread)
        except RuntimeError:  # the window was closed during the load
            pass

    @Slot(object)
    def _on_model_loaded(self, report):
        path, result = report
        self._thread_path = ""
        wanted = self.loading()
        if not wanted:
            return
        if wanted != path and not self._in_cache(wanted):
            self._wait_for(wanted)   # picked during that load: its turn
            return
        self._set_loading("")
        self._show(wanted, result if wanted == path else None)

    def _show(self, path: str, result=None):
        """The model ``path`` ('' for none) is the shown task's: from the loading thread's ``result`` (Loaded or
        the exception), else from the cache."""
        from ..core.files.checkpoint import CheckpointError

        self.loaded, self.model_error = None, ""
        if path:
            try:
                if isinstance(result, BaseException):
                    raise result
                self.loaded = result if result is not None else self.model(path)
            except CheckpointError as e:
                self.model_error = str(e)
            except Exception as e:  # noqa: BLE001
                traceback.print_exception(e)
                self.model_error = f"cannot load this checkpoint: {e}"
        if self.loaded is not None and self.loaded.notes:  # e.g. a card without weights_sha256
            self.w.statusBar().showMessage("Warning: " + " ".join(self.loaded.notes), 15000)
        try:
            self.w.plots.set_model(self.loaded)
        except Exception:  # noqa: BLE001 - a plot must never stop the app
            traceback.print_exc()
        self.w.runs.update_hint()
        self.w.update_actions()
