"""The task panel: the model, the task and its settings, Run / Cancel and the progress.

The panel holds no application state beyond its widgets: the main window reads
:meth:`TaskPanel.settings` (a :class:`RunSettings`, which builds the core's run request)
when Run is pressed and listens to the panel's signals.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox, QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
    QProgressBar, QPushButton, QSizePolicy, QSpinBox, QStackedWidget, QToolButton, QVBoxLayout, QWidget,
)

from . import icons
from .models import card_label, card_T, card_tooltip, where_label
from .noise_view import NoiseControls
from .panels import _choice, _form, _section, declared
from ..core.cardschema import is_image_card
from ..core.devices import available_devices
from ..core.requests import REQUESTS, DenoiseRequest, InpaintRequest, SampleRequest
from ..core.settings import spec_of

__all__ = ["RunSettings", "TaskPanel", "TASK_NAMES"]

TASK_NAMES = {"inpaint": "Inpaint", "denoise": "Denoise", "sample": "Sample"}


# -- settings -----------------------------------------------------------------------------------------------
_INPAINT, _DENOISE = InpaintRequest(), DenoiseRequest()  # the defaults the widgets start from


@dataclass
class RunSettings:
    """What the panel shows; :meth:`request` turns it into the core's run request."""

    task: str = "inpaint"
    checkpoint: str | None = None      # the card path
    steps: int | None = None           # None = all T steps
    seed: int = 0
    samples: int = 1
    mode: str = _INPAINT.mode
    sigma255: float | None = 25.0      # None: the estimate (core/jobs.py measures it, as the CLI does)
    size: tuple[int, int] = (64, 64)   # (H, W) for sampling
    device: str = "cpu"
    jump_length: int = _INPAINT.jump_length
    jump_n_sample: int = _INPAINT.jump_n_sample
    start: str = _INPAINT.start        # inpainting: "harmonic" (smooth fill + noise) or "noise" (paper)
    variance: str = "learned"          # reverse-step variance on a trajectory: "learned" or "large"
    method: str = _DENOISE.method      # denoising: "mmse" (one step, 8 views) or "sample" (a trajectory)
    noise: str = "auto"                # denoising: "auto" (the fitted noise curve) or "constant" (sigma)
    noise_scale: float = 1.0           # denoising: the noise std told to the model, times this
    smc: bool = False                  # inpainting, a sampled denoise: weigh the draws as SMC particles

    @property
    def sigma(self) -> float | None:
        return None if self.sigma255 is None else float(self.sigma255) / 255.0

    def request(self):
        common = dict(steps=self.steps, seed=self.seed, samples=self.samples, device=self.device,
                      variance=self.variance)
        smc = dict(smc=self.smc) if self.task == "denoise" and self.method == "sample" else {}
        if self.task == "inpaint":
            return InpaintRequest(mode=self.mode, start=self.start, jump_length=self.jump_length,
                                  jump_n_sample=self.jump_n_sample, smc=self.smc, **common)
        if self.task == "denoise":
            if self.noise == "constant":
                return DenoiseRequest(sigma=self.sigma, noise="constant", noise_scale=self.noise_scale,
                                      method=self.method, **smc, **common)
            return DenoiseRequest(noise="auto", noise_scale=self.noise_scale, method=self.method, **smc, **common)
        return SampleRequest(size=self.size, **common)


class TaskPanel(QWidget):
    """Task, model and sampling settings, Run / Cancel and progress."""

    runRequested = Signal()
    cancelRequested = Signal()
    estimateRequested = Signal()
    checkpointChanged = Signal(str)    # card path ('' when none)
    taskChanged = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cards: list[dict] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(6)

        # model
        model_box = _section("Model")
        mf = QVBoxLayout(model_box)
        mf.setContentsMargins(8, 4, 8, 6)
        self.checkpoint = QComboBox()
        self.checkpoint.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.checkpoint.setMinimumContentsLength(18)
        self.checkpoint.setToolTip("The checkpoint to run (hover an entry for its card)")
        self.model_info = QLabel("")
        self.model_info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # one line, never widens
        self.model_info.setTextFormat(Qt.RichText)
        self.model_info.setStyleSheet("color: palette(mid);")
        mf.addWidget(self.checkpoint)
        mf.addWidget(self.model_info)
        outer.addWidget(model_box)

        # task
        task_box = _section("Task")
        tl = QVBoxLayout(task_box)
        tl.setContentsMargins(8, 4, 8, 6)
        row = QHBoxLayout()
        row.setSpacing(0)
        self.task_group = QButtonGroup(self)
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
        self.task_buttons["denoise"].setToolTip("Remove additive Gaussian noise of a known level from the whole image")
        self.task_buttons["sample"].setToolTip("Draw a new image from the model (unconditional)")
        tl.addLayout(row)
        self.task_stack = QStackedWidget()
        # inpaint page
        ip = QWidget()
        ipf = QFormLayout(ip)
        ipf.setContentsMargins(0, 4, 0, 0)
        self.mode = _choice([("Forward-noised (RePaint; approximate)", "forward-approx"),
                             ("Clamped (paper; approximate)", "clamp-approx"),
                             ("Exact (sequential Monte Carlo)", "exact")],
                            "Forward-noised, an approximation: after each step the known pixels are replaced by a "
                            "forward-noised copy (Lugmayr et al. 2022, RePaint).\nClamped, an approximation: the "
                            "known pixels are held at their values at every step (Sohl-Dickstein et al. 2015).\n"
                            "Exact: sequential Monte Carlo weighs the samples by the model's likelihood of the "
                            "known pixels,\nexact as the samples grow (starts from pure noise; few samples give "
                            "a few effective draws).\nThe approximations' error is measured in "
                            "docs/conditioning.md.", _INPAINT.mode)
        self.jump_length = declared(QSpinBox(), InpaintRequest, "jump_length")
        self.jump_length.setSpecialValueText("off")
        self.jump_n = declared(QSpinBox(), InpaintRequest, "jump_n_sample")
        self.jump_length.setValue(_INPAINT.jump_length)
        self.jump_n.setValue(_INPAINT.jump_n_sample)
        self.start = _choice([("Smooth fill + noise", "harmonic"), ("Pure noise (paper)", "noise")],
                             "Smooth fill + noise: start part-way down the trajectory from a noised smooth fill "
                             "of the hole,\nso its colours continue those around it (the default).\n"
                             "Pure noise: start at t = T from isotropic noise in the hole (Sohl-Dickstein "
                             "et al. 2015).", _INPAINT.start)
        ipf.addRow("Start from", self.start)
        self._jump_row = QWidget()
        jr = QHBoxLayout(self._jump_row)
        jr.setContentsMargins(0, 0, 0, 0)
        jr.addWidget(self.jump_length, 1)
        jr.addWidget(QLabel("\u00d7"))
        jr.addWidget(self.jump_n, 1)
        self.task_stack.addWidget(ip)
        # denoise page
        dp = QWidget()
        dpf = QFormLayout(dp)
        dpf.setContentsMargins(0, 4, 0, 0)
        self.sigma = QDoubleSpinBox()
        self.sigma.setDecimals(1)
        declared(self.sigma, DenoiseRequest, "sigma")
        self.sigma.setValue(25.0)
        self._sigma_estimated = False  # the box shows the image's estimate: a run measures it as the CLI does
        self.sigma.valueChanged.connect(self._sigma_edited)
        self.estimate = QPushButton("Estimate")
        self.estimate.setToolTip("Estimate the noise level from the image (median absolute deviation of "
                                 "the finest wavelet details)")
        # The noise model (the fitted curve or one sigma) and its strength; the curve is in the plots dock.
        self.noise_controls = NoiseControls(self)
        srow = QHBoxLayout()
        srow.addWidget(self.noise_controls.model)
        srow.addWidget(self.sigma, 1)
        srow.addWidget(self.estimate)
        dpf.addRow("Noise", srow)
        self.noise_note = QLabel("")
        self.noise_note.setStyleSheet("color: #8a8a8a;")
        self.noise_note.setToolTip("Measured on the opened image (median absolute deviation of the finest "
                                   "wavelet details); set it yourself if you know better")
        nrow = QHBoxLayout()
        nrow.addWidget(self.noise_note, 1)
        nrow.addWidget(self.noise_controls.strength)
        dpf.addRow("", nrow)
        self.method = _choice([("Posterior mean (one step)", "mmse"), ("Sampled trajectory", "sample")],
                              "Posterior mean: the model's one-step estimate of the clean image at the step "
                              "matched to the noise, averaged over flips and rotations; the best PSNR and the "
                              "fastest (the default).\nSampled trajectory: run the reverse process from that "
                              "step and watch it (0.9 dB worse and 2.4x slower on the benchmark photos).",
                              _DENOISE.method)
        dpf.addRow("Method", self.method)
        self.task_stack.addWidget(dp)
        # sample page
        sp = QWidget()
        spf = QFormLayout(sp)
        spf.setContentsMargins(0, 4, 0, 0)
        self.width_spin, self.height_spin = QSpinBox(), QSpinBox()
        for s, side in ((self.width_spin, 1), (self.height_spin, 0)):
            declared(s, SampleRequest, "size")
            s.setSingleStep(8)
            s.setValue(SampleRequest().size[side])
        szrow = QHBoxLayout()
        szrow.addWidget(self.width_spin, 1)
        szrow.addWidget(QLabel("\u00d7"))
        szrow.addWidget(self.height_spin, 1)
        spf.addRow("Width \u00d7 height", szrow)
        self.task_stack.addWidget(sp)
        tl.addWidget(self.task_stack)
        outer.addWidget(task_box)

        # sampling
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
        self.seed = declared(QSpinBox(), InpaintRequest, "seed", cap=2 ** 31 - 1)  # a QSpinBox's limit
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
        self.variance = _choice([("Learned", "learned"), ("Large (more texture)", "large")],
                                "The variance of each reverse step on a sampled trajectory.\n"
                                "Learned: the model's own variance head (the default).\n"
                                "Large: the forward process's rate between the two steps (Ho et al.'s "
                                "sigma^2 = beta); the model turns part of the extra noise into texture, "
                                "part stays as grain.", "learned")
        # Sequential Monte Carlo (core/smc.py): the tooltip is the setting's one declaration.
        self.smc = QCheckBox("Sequential Monte Carlo")
        smc_help = spec_of(InpaintRequest, "smc").describe(False)
        self.smc.setToolTip(smc_help[:1].upper() + smc_help[1:] + "; the plots show it per step")
        self.device = QComboBox()
        for label, dev in available_devices():
            self.device.addItem(label, dev)
        # Settings a restorer rarely changes, folded away so the panel fits a 1280 x 700 screen.
        self.more = QToolButton()
        self.more.setText("More settings")
        self.more.setCheckable(True)
        self.more.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.more.setArrowType(Qt.RightArrow)
        self.more.setAutoRaise(True)
        self.more.setToolTip("Known pixels, resampling jumps, step noise, sequential Monte Carlo, device")
        sf.addRow(self.more)
        self._more = QWidget()
        self._more_form = mf2 = QFormLayout(self._more)
        mf2.setContentsMargins(0, 0, 0, 0)
        mf2.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        mf2.addRow("Known pixels", self.mode)
        mf2.addRow("Resample jumps", self._jump_row)
        mf2.addRow("Step noise", self.variance)
        mf2.addRow("Weighing", self.smc)
        mf2.addRow("Device", self.device)
        self._more.setVisible(False)
        sf.addRow(self._more)
        self.more.toggled.connect(self._show_more)
        outer.addWidget(samp_box)

        # run
        run_row = QHBoxLayout()
        self.run_button = QPushButton(icons.icon("run"), "Run")
        self.run_button.setToolTip("Run the task (Ctrl+Return)")
        self.run_button.setMinimumHeight(34)
        self.run_button.setDefault(True)
        f = self.run_button.font()
        f.setBold(True)
        self.run_button.setFont(f)
        self.cancel_button = QPushButton(icons.icon("stop"), "Cancel")
        self.cancel_button.setToolTip("Stop the run after the current step (Esc)")
        self.cancel_button.setMinimumHeight(34)
        self.cancel_button.setEnabled(False)
        run_row.addWidget(self.run_button, 2)
        run_row.addWidget(self.cancel_button, 1)
        outer.addLayout(run_row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("idle")
        outer.addWidget(self.progress)
        self.eta = QLabel("")   # the time left, also in the bar's text (no line that comes and goes)
        self.eta.setVisible(False)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #c0392b;")
        self.hint.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        # Room for two lines whether or not there is a hint: the controls below never move.
        self.hint.setFixedHeight(2 * self.hint.fontMetrics().lineSpacing() + 4)
        outer.addWidget(self.hint)
        outer.addStretch(1)

        self.task_group.idClicked.connect(self._on_task)
        self.mode.currentIndexChanged.connect(self._update_enabled)
        self.method.currentIndexChanged.connect(self._update_enabled)
        self.steps_all.toggled.connect(self._update_enabled)
        self.smc.toggled.connect(self._update_enabled)
        self.checkpoint.currentIndexChanged.connect(self._on_checkpoint)
        self.dice.clicked.connect(self.new_seed)
        self.estimate.clicked.connect(self.estimateRequested)
        self.run_button.clicked.connect(self.runRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self._update_enabled()

    # -- checkpoints ----------------------------------------------------------------------------------
    def set_cards(self, cards: list[dict], select: str | None = None):
        """Fill the picker (image models first); ``select`` is a card path or name to select."""
        images = [c for c in cards if is_image_card(c)]
        others = [c for c in cards if not is_image_card(c)]
        with QSignalBlocker(self.checkpoint):
            self.checkpoint.clear()
            self._cards = (images or [None]) + others   # one entry per row; None = placeholder
            for i, card in enumerate(self._cards):
                if card is None:
                    self.checkpoint.addItem("no image model found", "")
                    self.checkpoint.model().item(i).setEnabled(False)
                    continue
                self.checkpoint.addItem(card_label(card), str(card.get("path", "")))
                self.checkpoint.setItemData(i, card_tooltip(card), Qt.ToolTipRole)
                if not is_image_card(card):
                    self.checkpoint.model().item(i).setEnabled(False)
            self.checkpoint.setCurrentIndex(0)
            if select:
                self._select_row(select)
        self._on_checkpoint(self.checkpoint.currentIndex())

    def cards(self) -> list[dict]:
        return [c for c in self._cards if c is not None]

    def _select_row(self, name_or_path: str) -> bool:
        for i, card in enumerate(self._cards):
            if card is not None and is_image_card(card) and name_or_path in (str(card.get("path")), card.get("name")):
                self.checkpoint.setCurrentIndex(i)
                return True
        return False

    def select(self, name_or_path: str) -> bool:
        """Select an image checkpoint by name or card path; False if it is not listed."""
        return self._select_row(str(name_or_path))

    def current_card(self) -> dict | None:
        i = self.checkpoint.currentIndex()
        if 0 <= i < len(self._cards) and self._cards[i] is not None and is_image_card(self._cards[i]):
            return self._cards[i]
        return None

    def _on_checkpoint(self, _i):
        card = self.current_card()
        if card is None:
            n = len(self.cards())
            found = f"None of the {n} checkpoints found is an image model. " if n else "No checkpoints found. "
            self.model_info.setWordWrap(True)
            self.model_info.setText(f"<i>{found}Train one (dpm-studio train) or use File \u203a Open "
                                    "Checkpoint\u2026</i>")
            self.checkpointChanged.emit("")
        else:
            T = card_T(card)
            if T:
                self.steps.setMaximum(T)
                self.steps_all.setText(f"all {T}")
            self.model_info.setWordWrap(False)
            where = where_label(card)
            self.model_info.setText(f"{html.escape(card.get('name', '?'))}, T = {T}"
                                    + (f" · {html.escape(where)}" if where else ""))
            self.model_info.setToolTip(card_tooltip(card))
            self.checkpointChanged.emit(str(card.get("path", "")))
        self._update_enabled()

    # -- task ---------------------------------------------------------------------------------------------
    def task(self) -> str:
        return list(TASK_NAMES)[max(0, self.task_group.checkedId())]

    def set_task(self, task: str):
        if task in TASK_NAMES:
            self.task_buttons[task].setChecked(True)
            self._on_task(list(TASK_NAMES).index(task))

    def _on_task(self, i):
        # Each task keeps its own steps, starting from its request's default (inpaint 20; sample and
        # a sampled denoise all T, as on the command line).
        self._steps_for[self._steps_task] = None if self.steps_all.isChecked() else int(self.steps.value())
        self._steps_task = list(TASK_NAMES)[i]
        steps = self._steps_for[self._steps_task]
        self.steps_all.setChecked(steps is None)
        if steps is not None:
            self.steps.setValue(steps)
        self.task_stack.setCurrentIndex(i)
        self._update_enabled()
        self.taskChanged.emit(self.task())

    def new_seed(self):
        self.seed.setValue(random.randrange(0, self.seed.maximum()))

    def _show_more(self, on: bool):
        self.more.setArrowType(Qt.DownArrow if on else Qt.RightArrow)
        self._more.setVisible(on)

    def _update_enabled(self, *_):
        inpaint = self.task() == "inpaint"
        # Greyed, not hidden, for the other tasks: hiding the two rows moved the Run button by 57 px
        # when switching Inpaint <-> Sample with "More settings" open.
        for w in (self.mode, self._jump_row):
            w.setEnabled(inpaint)
            label = self._more_form.labelForField(w)
            if label is not None:
                label.setEnabled(inpaint)
        forward = self.mode.currentData() == "forward-approx"
        self.start.setEnabled(inpaint and not self._exact())   # the exact mode starts from noise
        # SMC cannot weigh resampling jumps (InpaintRequest.validate): with it on there are none
        self._jump_row.setEnabled(inpaint and forward and not self._smc_on())
        self.smc.setEnabled(self._smc_applies() and not self._exact())   # exact mode: SMC is its weighing
        one_step = self.task() == "denoise" and self.method.currentData() == "mmse"  # no steps, no draws
        self.steps_all.setEnabled(not one_step)
        self.steps.setEnabled(not one_step and not self.steps_all.isChecked())
        self.seed.setEnabled(not one_step)
        self.dice.setEnabled(not one_step)
        self.samples.setEnabled(self._samples_apply())
        card = self.current_card()
        binary = card is not None and card.get("family") == "binomial"
        self.variance.setEnabled(self._variance_applies())
        self.task_buttons["denoise"].setEnabled(not binary)
        if binary:
            self.task_buttons["denoise"].setToolTip("Denoising needs a Gaussian model")
            if self.task() == "denoise":
                self.set_task("inpaint")

    def _variance_applies(self) -> bool:
        """A run samples a trajectory of a Gaussian model (not the one-step denoiser, not a binary model)."""
        card = self.current_card()
        binary = card is not None and card.get("family") == "binomial"
        return not binary and not (self.task() == "denoise" and self.method.currentData() == "mmse")

    def _smc_applies(self) -> bool:
        """SMC weighs a conditioned sampled trajectory: inpainting or a sampled denoise (as on the CLI)."""
        return self.task() == "inpaint" or (self.task() == "denoise" and self.method.currentData() == "sample")

    def _exact(self) -> bool:
        return self.task() == "inpaint" and self.mode.currentData() == "exact"

    def _smc_on(self) -> bool:
        return (self.smc.isChecked() or self._exact()) and self._smc_applies()

    # -- run state --------------------------------------------------------------------------------------
    def _samples_apply(self) -> bool:
        """Several samples need a sampled trajectory (not the one-step posterior mean)."""
        return self.task() != "denoise" or self.method.currentData() == "sample"

    def settings(self) -> RunSettings:
        card = self.current_card()
        forward = self.mode.currentData() == "forward-approx" and not self._smc_on()   # SMC: no resampling jumps
        return RunSettings(
            task=self.task(), checkpoint=str(card["path"]) if card else None,
            steps=None if self.steps_all.isChecked() else int(self.steps.value()),
            seed=int(self.seed.value()), samples=int(self.samples.value()) if self._samples_apply() else 1,
            mode=self.mode.currentData(),
            sigma255=None if self._sigma_estimated else float(self.sigma.value()),
            size=(int(self.height_spin.value()), int(self.width_spin.value())),
            device=self.device.currentData() or "cpu",
            jump_length=int(self.jump_length.value()) if forward else 0,
            jump_n_sample=int(self.jump_n.value()) if forward else 1, smc=self._smc_on(),
            method=self.method.currentData(), start="noise" if self._exact() else self.start.currentData(),
            noise=self.noise_controls.noise(), noise_scale=self.noise_controls.scale(),
            variance=self.variance.currentData() if self._variance_applies() else "learned")

    def set_running(self, running: bool):
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for w in (self.checkpoint, self.task_stack, self.device, self.steps, self.steps_all, self.seed, self.dice,
                  self.samples, self.variance, self.mode, self._jump_row, self.smc):   # every setting, "More settings" too
            w.setEnabled(not running)
        for b in self.task_buttons.values():
            b.setEnabled(not running)
        if not running:
            self._update_enabled()

    def set_noise_note(self, text: str):
        self.noise_note.setText(text)

    def show_estimate(self, sigma255: float):
        """Show the image's estimated noise level; until it is edited, a run uses the estimate
        itself (unrounded, measured by the core like the command line's --sigma left out)."""
        with QSignalBlocker(self.sigma):
            self.sigma.setValue(max(0.5, round(sigma255, 1)))
        self._sigma_estimated = sigma255 > 0
        self.set_noise_note(f"estimated {sigma255:.1f} for this image" if sigma255 >= 0.5 else
                            "this image shows no measurable noise")

    def _sigma_edited(self, _value):
        self._sigma_estimated = False
        self.noise_controls.set_noise("constant")  # a typed sigma is a constant noise level

    def set_progress(self, index: int, total: int, elapsed: float | None = None, eta: float | None = None,
                     text: str | None = None):
        """The bar at ``index`` of ``total``; ``text`` says it in the user's units (default: the count)."""
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(index)
        text = text or f"step {index} / {total}"
        if elapsed is not None:
            e = f"{elapsed:.1f} s elapsed"
            if eta is not None and eta == eta and index < total:
                e += f", about {_fmt_seconds(eta)} left"
                text += f"  ·  {_fmt_seconds(eta)} left"
            self.eta.setText(e)
        self.progress.setFormat(text)
        self.progress.setToolTip(self.eta.text())

    def reset_progress(self, text: str = "idle"):
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat(text)
        self.progress.setToolTip("")
        self.eta.setText("")

    def set_hint(self, text: str):
        self.hint.setText(text)
        self.hint.setToolTip(text)


def _fmt_seconds(s: float) -> str:
    if s < 1:
        return "<1 s"
    if s < 90:
        return f"{s:.0f} s"
    return f"{s / 60:.0f} min"


