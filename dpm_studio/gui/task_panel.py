"""The task panel: the model, the task and its settings, Run / Cancel and the progress.

The panel holds no application state beyond its widgets: the main window reads
:meth:`TaskPanel.settings` (a :class:`RunSettings`, which builds the core's run request)
when Run is pressed and listens to the panel's signals. Its parts, each with one job:
the model picker (:mod:`.model_picker`), one page of settings per task (:mod:`.task_pages`:
inpainting's start and jumps, denoising's noise model and method, sampling's size), and the
Run / Cancel / progress bar (:mod:`.run_bar`). The panel itself holds the task switch,
the settings every task shares (steps, seed, samples, step noise, SMC, device) and the rules
that grey out what does not apply.
"""

from __future__ import annotations

import html
import random

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractSpinBox, QButtonGroup, QCheckBox, QComboBox, QHBoxLayout, QSizePolicy, QSpinBox,
    QStackedWidget, QToolButton, QVBoxLayout, QWidget,
)

from .model_picker import ModelPicker
from .model.models import card_T
from .model.predicates import RUN_GOING
from .panels import WholeSpinBox, _form, _section, declared, declared_choice
from .more_settings import MoreSettings
from .run_bar import RunBar
from .run_settings import RunSettings, TASK_NAMES
from .task_pages import DenoisePage, InpaintPage, SamplePage
from ..core.machine.devices import available_devices
from ..core.run.requests import REQUESTS, DenoiseRequest, InpaintRequest
from ..core.run.settings import spec_of

__all__ = ["LEAST_WIDTH", "TaskPanel"]

# px: the least width of the Controls (this panel over the mask panel) with their form rows wrapped (labels above
# the fields: gui/main_window.controls_dock), every task's page and More settings shown or not; a narrow window's
# dock goes down to it (gui/compact.CompactControls). It was 312 px, the rows side by side.
LEAST_WIDTH = 236

_INPAINT, _DENOISE = InpaintRequest(), DenoiseRequest()  # the defaults the widgets start from


SEED_UNUSED = ("the posterior mean (Method) draws no noise at a Strength of 1 or below on an image with the model's "
               "channels: any seed gives the same pixels")


def seed_used(task: str, card: dict | None, image_channels: int | None, method: str, scale: float) -> bool:
    """The run draws from the seed (DenoiseRequest.draws_from_seed): every task but the one-step posterior mean at a
    noise scale of 1 or below, which draws only for a grey image on a colour model (not known yet: used)."""
    if task != "denoise":
        return True
    data = card.get("data") if isinstance(card, dict) else None
    model = int(data.get("channels", 1)) if isinstance(data, dict) else None
    colour_noise = False if model == 1 else None if model is None or image_channels is None else image_channels == 1
    return DenoiseRequest(method=method, noise_scale=scale).draws_from_seed(colour_noise) is not False


class TaskPanel(QWidget):
    """Task, model and sampling settings, Run / Cancel and progress (see the module docstring)."""

    runRequested = Signal()
    cancelRequested = Signal()
    estimateRequested = Signal()
    checkpointChanged = Signal(str)    # card path ('' when none)
    taskChanged = Signal(str)

    def __init__(self, parent=None, devices: list | None = None):
        """``devices``: the (label, device) pairs to offer (default: :func:`available_devices`, which
        imports torch); ``[]``: the CPU until :meth:`set_devices` says which there are (the app's
        start-up asks torch once its window is shown: gui/checkpoints.refresh_in_background)."""
        super().__init__(parent)
        self._image_channels = None   # the open image's colour channels (set_image_channels)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(6)

        self.picker = ModelPicker()
        self.checkpoint, self.model_info = self.picker.checkpoint, self.picker.model_info
        outer.addWidget(self.picker)

        # task: the switch, and one page of settings per task
        task_box = _section("Task")
        tl = QVBoxLayout(task_box)
        tl.setContentsMargins(8, 4, 8, 6)
        row = QHBoxLayout()
        row.setSpacing(0)
        self.task_group = QButtonGroup(self)
        self.task_group.idToggled.connect(self._mark_task)
        self.task_buttons = {}
        for i, (key, name) in enumerate(TASK_NAMES.items()):
            b = QToolButton()
            b.setText(name)
            b.setCheckable(True)
            b.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
            b.setMinimumHeight(28)
            self.task_group.addButton(b, i)
            self.task_buttons[key] = b
            row.addWidget(b)
        self.task_buttons["inpaint"].setChecked(True)
        self.task_buttons["inpaint"].setToolTip("Fill the masked pixels; the others stay exactly as they are")
        self._tips: dict = {}   # a greyed control: (its own tooltip, the one saying why) (grey)
        self._denoise_tip = ("Remove the image's noise: its level is measured on the image (the Noise curve or "
                             "one std you type); with a mask painted, only the masked region is denoised")
        self.task_buttons["denoise"].setToolTip(self._denoise_tip)
        self.task_buttons["sample"].setToolTip("Draw a new image from the model (unconditional)")
        tl.addLayout(row)
        self.pages = {"inpaint": InpaintPage(), "denoise": DenoisePage(), "sample": SamplePage()}
        self.task_stack = QStackedWidget()
        for page in self.pages.values():
            self.task_stack.addWidget(page)
        tl.addWidget(self.task_stack)
        outer.addWidget(task_box)
        ip, dp, sp = self.pages["inpaint"], self.pages["denoise"], self.pages["sample"]
        self.mode, self.start, self.jump_length, self.jump_n = ip.mode, ip.start, ip.jump_length, ip.jump_n
        self.grain = ip.grain
        self._jump_row = ip.jump_row
        self.sigma, self.estimate, self.noise_controls = dp.sigma, dp.estimate, dp.noise_controls
        self.noise_note, self.method = dp.noise_note, dp.method
        self.width_spin, self.height_spin = sp.width_spin, sp.height_spin

        # sampling: what every task shares
        samp_box = _section("Sampling")
        sf = _form(samp_box)
        self.steps = declared(QSpinBox(), InpaintRequest, "steps")
        self.steps.setValue(_INPAINT.steps)
        self.steps_all = QCheckBox("all T")
        self._steps_for = {task: REQUESTS[task]().steps for task in TASK_NAMES}  # None = all T
        self._steps_task = "inpaint"
        self.steps_all.setToolTip("Run every step of the model's trajectory")
        strow = QHBoxLayout()
        strow.addWidget(self.steps, 1)
        strow.addWidget(self.steps_all)
        sf.addRow("Steps", strow)
        self.seed = declared(WholeSpinBox(), InpaintRequest, "seed")   # the request's whole range, past 2^31 - 1
        self.seed.setButtonSymbols(QAbstractSpinBox.NoButtons)
        self.dice = QToolButton()
        self.dice.setText("\u2684")
        self.dice.setToolTip("A new random seed")
        sdrow = QHBoxLayout()
        sdrow.addWidget(self.seed, 1)
        sdrow.addWidget(self.dice)
        sf.addRow("Seed", sdrow)
        self.samples = declared(QSpinBox(), InpaintRequest, "samples")
        sf.addRow("Samples", self.samples)
        self.variance = declared_choice(InpaintRequest, "variance", {"learned": "Learned",
                                                                     "large": "Large (more texture)"},
                                "The variance of each reverse step on a sampled trajectory.\n"
                                "Learned: the model's own variance head (the default).\n"
                                "Large: the forward process's rate between the two steps (Ho et al.'s "
                                "sigma^2 = beta); the model turns part of the extra noise into texture, "
                                "part stays as grain.")
        # Sequential Monte Carlo (core/math/smc.py): the tooltip is the setting's one declaration.
        self.smc = QCheckBox("Sequential Monte Carlo")
        self._own = None   # the user's (smc, start) while the exact mode shows its own (_show_exact)
        smc_help = spec_of(InpaintRequest, "smc").describe(False)
        self.smc.setToolTip(smc_help[:1].upper() + smc_help[1:] + "; the plots show it per step")
        self.device = QComboBox()
        self.device.setToolTip("Where the model runs: the CPU, or a GPU where one is found")
        self.devices_known = devices != []
        for label, dev in (available_devices() if devices is None else devices or [("CPU", "cpu")]):
            self.device.addItem(label, dev)
        # Settings a restorer rarely changes, folded away so the panel fits a 1280 x 700 screen: these three, then
        # precision, start noise, views, clipping, the typed noise law and the settings a record carries
        self.more_settings = MoreSettings(self)
        self.more, self._more = self.more_settings.fold((("Step noise", self.variance), ("Weighing", self.smc),
                                                         ("Device", self.device)))
        sf.addRow(self.more)
        sf.addRow(self._more)
        outer.addWidget(samp_box)

        self.run_bar = RunBar()
        self.run_button, self.cancel_button = self.run_bar.run_button, self.run_bar.cancel_button
        self.progress, self.eta, self.hint = self.run_bar.progress, self.run_bar.eta, self.run_bar.hint
        outer.addWidget(self.run_bar)
        outer.addStretch(1)

        self.task_group.idClicked.connect(self._on_task)
        self.mode.currentIndexChanged.connect(self._update_enabled)
        self.method.currentIndexChanged.connect(self._update_enabled)
        self.steps_all.toggled.connect(self._update_enabled)
        self.smc.toggled.connect(self._update_enabled)
        self.start.currentIndexChanged.connect(self._update_enabled)
        self.noise_controls.changed.connect(self._update_enabled)
        self.more_settings.unfold_for(self.noise_controls.model)   # "Typed a, b" chosen: its boxes shown
        self.picker.cardChanged.connect(self._on_card)
        self.dice.clicked.connect(self.new_seed)
        dp.estimateRequested.connect(self.estimateRequested)
        self.run_button.clicked.connect(self.runRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self._update_enabled()

    # -- checkpoints (the picker's) ------------------------------------------------------------------
    def expect_device(self, device: str) -> None:
        """Offer ``device`` (a saved choice: "cuda:0") until :meth:`set_devices` says whether it is there."""
        if not self.devices_known and self.device.findData(device) < 0 and device.startswith("cuda"):
            self.device.addItem(f"{device} (looking for it\u2026)", device)

    def set_devices(self, devices: list) -> str:
        """The devices found (label, device); the choice stays where it is still offered, else the CPU,
        and the reason comes back ('' when the choice stayed)."""
        chosen = self.device.currentData() or "cpu"
        with QSignalBlocker(self.device):
            self.device.clear()
            for label, dev in devices:
                self.device.addItem(label, dev)
            index = self.device.findData(chosen)
            self.device.setCurrentIndex(max(0, index))
        self.devices_known = True
        return "" if index >= 0 else f"device {chosen} is not available here: runs use the CPU"

    def set_cards(self, cards: list[dict], select: str | None = None):
        """Fill the picker (image models first); ``select`` is a card path or name to select."""
        self.picker.set_cards(cards, select)

    def cards(self) -> list[dict]:
        return self.picker.cards()

    def select(self, name_or_path: str) -> bool:
        """Show an image checkpoint by name or card path; False if it is not listed."""
        return self.picker.select(name_or_path)

    def find(self, name_or_path: str) -> dict | None:
        """The listed image model of that name or card path, or None."""
        return self.picker.find(name_or_path)

    def current_card(self) -> dict | None:
        return self.picker.current_card()

    def _on_card(self, card):
        data = card.get("data") if isinstance(card, dict) else None
        self.more_settings.set_card(card)
        self.pages["sample"].set_patch(data.get("patch") if isinstance(data, dict) else None)
        if card is not None:
            T = card_T(card)
            if T:
                self.steps.setMaximum(T)
                self.steps_all.setText(f"all {T}")
        self.checkpointChanged.emit("" if card is None else str(card.get("path", "")))
        self._update_enabled()

    # -- task ---------------------------------------------------------------------------------------------
    def task(self) -> str:
        return list(TASK_NAMES)[max(0, self.task_group.checkedId())]

    def set_task(self, task: str):
        if task in TASK_NAMES:
            self.task_buttons[task].setChecked(True)
            self._on_task(list(TASK_NAMES).index(task))

    @Slot(int, bool)
    def _mark_task(self, i: int, on: bool):
        """The chosen task's button in bold: Fusion's pressed look alone was faint under a light palette and
        under a dark one the three buttons looked the same (Xvfb, helper look2)."""
        b = self.task_group.button(i)
        f = b.font()
        f.setBold(on)
        b.setFont(f)

    def _on_task(self, i):
        # Each task keeps its own steps, starting from its request's default (inpaint 19; sample and
        # a sampled denoise all T, as on the command line).
        self._steps_for[self._steps_task] = None if self.steps_all.isChecked() else int(self.steps.value())
        self._steps_task = list(TASK_NAMES)[i]
        steps = self._steps_for[self._steps_task]
        with QSignalBlocker(self.steps_all):   # _update_enabled follows, once
            self.steps_all.setChecked(steps is None)
        if steps is not None:
            self.steps.setValue(steps)
        self.task_stack.setCurrentIndex(i)
        self._update_enabled()
        self.taskChanged.emit(self.task())

    def new_seed(self):
        self.seed.setValue(random.randrange(0, self.seed.maximum()))

    def _show_exact(self, exact: bool):
        """The exact mode weighs by SMC and starts from noise: its greyed Weighing box is ticked and
        Start from reads Pure noise (they read "off" and "Smooth fill", what the run does not do);
        leaving it gives back the user's own choices."""
        if exact == (self._own is not None):
            return
        with QSignalBlocker(self.smc), QSignalBlocker(self.start):
            if exact:
                self._own = (self.smc.isChecked(), self.start.currentIndex())
                self.smc.setChecked(True)
                self.start.setCurrentIndex(self.start.findData("noise"))
            else:
                (smc, start), self._own = self._own, None
                self.smc.setChecked(smc)
                self.start.setCurrentIndex(start)

    def grey(self, w: QWidget, ok: bool, why: str = "", tips=()):
        """Enable ``w``, or grey it out with a tooltip that says ``why`` before the control's own (on ``tips``
        as well: the controls of a greyed row, whose own tooltips would hide the row's)."""
        w.setEnabled(ok)
        for t in (w, *tips):
            base, shown = self._tips.pop(t, ("", None))
            if t.toolTip() != shown:   # its own tooltip, or a new one set since it was greyed
                base = t.toolTip()
            rich = base.lstrip().startswith("<")   # a rich-text tooltip takes the reason as its first paragraph
            text = base if ok else f"<p>Greyed out: {html.escape(why)}.</p>{base}" if rich else \
                f"Greyed out: {why}." + (f"\n\n{base}" if base else "")
            t.setToolTip(text)
            if not ok:
                self._tips[t] = (base, text)

    def _update_enabled(self, *_):
        self._show_exact(self._exact())
        inpaint, task = self.task() == "inpaint", self.task()
        jumps = (self.jump_length, self.jump_n)
        # the Inpaint page's own controls (shown only there; greyed for the other tasks as well)
        self.grey(self.mode, inpaint, "it is an inpainting setting")
        self.grey(self.grain, inpaint, "it is an inpainting setting")
        forward = self.pages["inpaint"].forward()
        self.grey(self.start, inpaint and not self._exact(), "the exact mode always starts from pure noise"
                  if inpaint else "it is an inpainting setting")
        # SMC cannot weigh resampling jumps (InpaintRequest.validate): with it on there are none
        self.grey(self._jump_row, inpaint and forward and not self._smc_on(),
                  "sequential Monte Carlo (More settings) cannot weigh resampling jumps: with it on there are none"
                  if forward else "only the RePaint modes of Known pixels re-noise the known pixels and jump",
                  jumps)
        one_step = task == "denoise" and not self.pages["denoise"].sampled()  # no steps, no trajectory
        why_one = "the posterior mean (Method) is one step, no trajectory: choose a sampled method to use it"
        self.grey(self.smc, self._smc_applies() and not self._exact(),   # exact mode: SMC is its weighing
                  "the exact mode always weighs its draws by sequential Monte Carlo" if self._exact() else
                  why_one if one_step else "an unconditional sample has no evidence to weigh")
        steps_used = "steps" not in self._not_used()
        self.grey(self.steps_all, steps_used, why_one)
        self.grey(self.steps, steps_used and not self.steps_all.isChecked(),
                  why_one if not steps_used else f"'{self.steps_all.text()}' is ticked: every step runs")
        # Seed: greyed where the run draws nothing from it (DenoiseRequest.draws_from_seed: the posterior mean at a
        # Strength of 1 or below, unless a grey image runs on a colour model), as denoise --seed's note says
        for w in (self.seed, self.dice):
            self.grey(w, seed_used(self.task(), self.current_card(), self._image_channels, self.method.currentData(),
                                   self.noise_controls.scale()), SEED_UNUSED)
        self.grey(self.samples, self._samples_apply(), why_one)
        card = self.current_card()
        binary = card is not None and card.get("family") == "binomial"
        self.grey(self.variance, self._variance_applies(),
                  "a black-and-white (binomial) model flips pixels: it has no step variance" if binary else why_one)
        ms = self.more_settings
        rules = ms.applies(task, self.method.currentData(), self._harmonic(), self.noise_controls.noise())
        for name in ("start_sigma", "ensemble", "clipping", "noise_a", "noise_b"):
            self.grey(getattr(ms, name), *rules[name])
        # Each task runs its own model (the window shows the task's own when it changes), so Denoise is
        # never greyed for the model another task runs; the picker greys black-and-white models there.
        self.picker.set_task(task)

    def _variance_applies(self) -> bool:
        """A run samples a trajectory of a Gaussian model (not the one-step denoiser, not a binary model)."""
        card = self.current_card()
        binary = card is not None and card.get("family") == "binomial"
        return not binary and "variance" not in self._not_used()

    def _smc_applies(self) -> bool:
        """SMC weighs a conditioned sampled trajectory: inpainting or a sampled denoise (as on the CLI)."""
        return self.task() == "inpaint" or (self.task() == "denoise" and self.pages["denoise"].sampled())

    def _harmonic(self) -> bool:
        """An inpainting starts from the noised smooth fill (the start noise applies)."""
        return not self._exact() and self.start.currentData() == "harmonic"

    def _exact(self) -> bool:
        return self.task() == "inpaint" and self.pages["inpaint"].exact()

    def _smc_on(self) -> bool:
        return (self.smc.isChecked() or self._exact()) and self._smc_applies()

    # -- run state --------------------------------------------------------------------------------------
    def _not_used(self) -> tuple:
        """The settings the chosen denoising method does not use (the request's rule, DenoiseRequest.NOT_USED:
        the command line's note on them, the record's leaving them out); none for the other tasks."""
        return DenoiseRequest.NOT_USED[self.method.currentData()] if self.task() == "denoise" else ()

    def set_image_channels(self, channels: int | None):
        """The open image's colour channels (1 grey, 3 colour; None: none open): does a denoise draw from the seed."""
        self._image_channels = channels
        self._update_enabled()

    def _samples_apply(self) -> bool:
        """Several samples need a sampled trajectory (not the one-step posterior mean)."""
        return "samples" not in self._not_used()

    def settings(self) -> RunSettings:
        card = self.current_card()
        forward = self.pages["inpaint"].forward() and not self._smc_on()   # SMC: no resampling jumps
        # The one-step posterior mean greys out Steps: it runs with the request's own (the command line's
        # without --steps), not what the box holds from an earlier run. Seed is greyed where nothing is drawn from
        # it (seed_used); its value runs (the same pixels whatever it is) and is recorded, as the command line's.
        return RunSettings(
            task=self.task(), checkpoint=str(card["path"]) if card else None,
            steps=_DENOISE.steps if "steps" in self._not_used() else None if self.steps_all.isChecked() else
            int(self.steps.value()),
            seed=int(self.seed.value()),
            samples=int(self.samples.value()) if self._samples_apply() else _DENOISE.samples,
            mode=self.mode.currentData(),
            sigma255=self.pages["denoise"].sigma255(), size=self.pages["sample"].hw(),
            device=self.device.currentData() or "cpu",
            # where the jump boxes are greyed (no jumps) the request decides, as without the options
            jump_length=int(self.jump_length.value()) if forward else None,
            # jumps off (0): no repeats to say, the request's 1 (the command line's --jump-length 0 records 1)
            jump_n_sample=int(self.jump_n.value()) if forward and self.jump_length.value() else None,
            smc=self._smc_on(),
            method=self.method.currentData(), start=self.start.currentData(),   # the exact mode shows (and runs) Pure noise
            noise=self.noise_controls.noise(), noise_scale=self.noise_controls.scale(),
            grain=self.pages["inpaint"].grain_choice(),
            variance=self.variance.currentData() if self._variance_applies() else _INPAINT.variance,
            more=self.more_settings.kwargs(self.task(), self.method.currentData(), self._harmonic(),
                                           self.noise_controls.noise()))

    def set_running(self, running: bool):
        self.run_bar.set_running(running)
        why = RUN_GOING
        for w in (self.checkpoint, self.device, self.steps, self.steps_all, self.seed, self.dice,
                  self.samples, self.variance, self.mode, self.smc, *self.more_settings.controls(),
                  *self.task_buttons.values()):
            self.grey(w, not running, why)   # every setting, "More settings" too
        page_controls = [c for c in self.task_stack.findChildren(QWidget)
                         if isinstance(c, (QAbstractButton, QAbstractSpinBox, QComboBox))]
        self.grey(self.task_stack, not running, why, page_controls)
        self.grey(self._jump_row, not running, why, (self.jump_length, self.jump_n))
        if not running:
            self._update_enabled()

    def show_estimate(self, sigma255: float):
        """Show the image's estimated noise level; until it is edited, a run uses the estimate
        itself (unrounded, measured by the core like the command line's --sigma left out)."""
        self.pages["denoise"].show_estimate(sigma255)

    # -- the run bar (Run / Cancel, progress, hint) ------------------------------------------------------
    def set_progress(self, index: int, total: int, elapsed: float | None = None, eta: float | None = None,
                     text: str | None = None):
        """The bar at ``index`` of ``total``; ``text`` says it in the user's units (default: the count)."""
        self.run_bar.set_progress(index, total, elapsed, eta, text)

    def reset_progress(self, text: str = "idle"):
        self.run_bar.reset_progress(text)

    def set_hint(self, text: str, note: bool = False):
        self.run_bar.set_hint(text, note)
