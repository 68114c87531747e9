"""The task panel's pages, one per task: each holds the settings only that task has, their
ranges, suffixes and tooltips from the settings' one declaration (core/run/settings.py, through
:func:`~.panels.declared`); the choice boxes' values are the declared choices.

- :class:`InpaintPage`: where the hole starts from, the known-pixel rule, the resampling
  jumps and the fill's grain.
- :class:`DenoisePage`: the noise model (the fitted curve or one sigma, :class:`~.noise_view.NoiseControls`),
  sigma with its estimate, and the method.
- :class:`SamplePage`: the size of a drawn image, set by hand, to the model's training patch or to
  the open image's size.

The task group is as tall as its tallest page (the Run button below it stays put when the task
changes), so each page fills that height with its own settings: the Inpaint and Sample pages
had one row each, over a blank the height of the Denoise page's four.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget,
)

from .noise_view import NoiseControls
from .panels import ElidedLabel, declared, declared_choice
from .theme import style_note
from ..core.run.grain import GRAINS   # ("match", "none"): the check box's two states
from ..core.run.noise import NO_NOISE
from ..core.run.requests import DenoiseRequest, InpaintRequest, SampleRequest
from ..core.run.settings import spec_of

__all__ = ["InpaintPage", "DenoisePage", "SamplePage"]

_INPAINT = InpaintRequest()  # the defaults the widgets start from


class InpaintPage(QWidget):
    """``start`` on the page; ``mode`` and ``jump_row`` (``jump_length`` x ``jump_n``) for the
    panel's "More settings"."""

    def __init__(self, parent=None):
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 4, 0, 0)
        # short enough for the box in the dock ("Forward-noised (RePaint; approximate)" read
        # "Forward-noised (RePaint;"); the tooltip says the rest
        self.mode = declared_choice(InpaintRequest, "mode", {"forward-approx": "RePaint (approximate)",
                                                             "clamp-approx": "Clamped (approximate)",
                                                             "exact": "Exact (Monte Carlo)"},
                            "RePaint, an approximation: after each step the known pixels are replaced by a "
                            "forward-noised copy (Lugmayr et al. 2022, RePaint).\nClamped, an approximation: the "
                            "known pixels are held at their values at every step (Sohl-Dickstein et al. 2015).\n"
                            "A model whose features do not see the step (the paper's temporal basis: photos-rgb, "
                            "textures-gray) is misled by the clean\nknown pixels and leaves noise in the hole (6-9 dB "
                            "on the benchmark, docs/benchmarks.md); one with a step embedding (photos-rgb-v2) fills.\n"
                            "Exact: sequential Monte Carlo weighs the samples by the model's likelihood of the "
                            "known pixels,\nexact as the samples grow (starts from pure noise). On a photograph the weights "
                            "collapse to one draw\nat any sample count a desktop affords, and with the shipped "
                            "models that draw is often noise-like:\na check of the approximations, not a "
                            "restoration.\nThe approximations' error is measured in "
                            "docs/conditioning.md.")
        self.jump_length = declared(QSpinBox(), InpaintRequest, "jump_length")
        self.jump_length.setSpecialValueText("off")
        self.jump_n = declared(QSpinBox(), InpaintRequest, "jump_n_sample")
        self.jump_length.setValue(_INPAINT.jump_length)
        self.jump_n.setValue(_INPAINT.jump_n_sample)
        self.start = declared_choice(InpaintRequest, "start", {"harmonic": "Smooth fill + noise",
                                                               "noise": "Pure noise (paper)"},
                             "Smooth fill + noise: start part-way down the trajectory from a noised smooth fill "
                             "of the hole,\nso its colours continue those around it (the default; an approximation: "
                             "not the model's prior).\n"
                             "Pure noise: start at t = T from isotropic noise in the hole (Sohl-Dickstein "
                             "et al. 2015).")
        form.addRow("Start from", self.start)
        self.jump_row = QWidget()
        jr = QHBoxLayout(self.jump_row)
        jr.setContentsMargins(0, 0, 0, 0)
        jr.addWidget(self.jump_length, 1)
        jr.addWidget(QLabel("\u00d7"))
        jr.addWidget(self.jump_n, 1)
        form.addRow("Known pixels", self.mode)   # inpainting's own: they were under "More settings"
        form.addRow("Resample jumps", self.jump_row)
        # The fill's grain (core/run/grain.py): ticked "match", unticked "none" (the declared choices); the
        # tooltip is the declaration's. A check box, the rows without gaps: a fourth row of a combo box's
        # height made the panel scroll at 1280 x 700 (tests/gui/test_defects_layout.py), 7 px over.
        tip = spec_of(InpaintRequest, "grain").describe(_INPAINT.grain)
        self.grain = QCheckBox("Match the photo's grain")   # "... in the fill" made the page 223 px wide
        self.grain.setToolTip(tip[:1].upper() + tip[1:])
        self.grain.setChecked(_INPAINT.grain == "match")
        form.addRow(self.grain)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(0)

    def forward(self) -> bool:
        """The forward-noised mode: the one with resampling jumps."""
        return self.mode.currentData() == "forward-approx"

    def exact(self) -> bool:
        """The exact mode: SMC is its weighing, and it starts from pure noise."""
        return self.mode.currentData() == "exact"

    def grain_choice(self) -> str:
        """The request's ``grain``: "match" ticked, "none" not."""
        return GRAINS[0] if self.grain.isChecked() else GRAINS[1]

    def set_grain(self, grain: str | None) -> None:
        """Show ``grain`` (a run's record: gui/record_settings.show_request); None leaves it."""
        if grain in GRAINS:
            self.grain.setChecked(grain == GRAINS[0])


class DenoisePage(QWidget):
    """The noise: ``noise_controls`` (model and strength), ``sigma`` and ``estimate``, the
    ``noise_note`` under them; the ``method``."""

    estimateRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 4, 0, 0)
        self.sigma = QDoubleSpinBox()
        self.sigma.setDecimals(1)
        declared(self.sigma, DenoiseRequest, "sigma")
        self.sigma.setValue(25.0)
        self._estimated = False  # the box shows the image's estimate: a run measures it as the CLI does
        self.sigma.valueChanged.connect(self._sigma_edited)
        self.estimate = QPushButton("Estimate")
        self.estimate.setToolTip("Estimate the noise level from the image (median absolute deviation of "
                                 "the finest wavelet details)")
        # The noise model (the fitted curve or one sigma) and its strength; the curve is in the plots dock.
        # The model and its strength on one row, the std and Estimate on the next, the note on a
        # row of its own: on one row with Estimate the std box was clipped to "10.4 / 25" and the
        # note to "estimated 10.4 for this imag" in the dock's default width (tests/gui/test_appux.py);
        # rows closer together, so the controls still fit a 1280 x 700 screen.
        form.setContentsMargins(0, 2, 0, 0)
        form.setVerticalSpacing(1)
        self.noise_controls = NoiseControls(self)
        mrow = QHBoxLayout()
        mrow.addWidget(self.noise_controls.model, 1)
        mrow.addWidget(self.noise_controls.strength)
        form.addRow("Noise", mrow)
        srow = QHBoxLayout()
        srow.addWidget(self.sigma, 1)
        srow.addWidget(self.estimate)
        form.addRow("Noise std", srow)
        # shortened with an ellipsis where the dock is narrow ("this image shows no measurable r" was cut
        # mid-word, seen under Xvfb); one line always, so the pages keep their heights
        self.noise_note = ElidedLabel(200, tip="Measured on the opened image (median absolute deviation of the "
                                      "finest wavelet details); set it yourself if you know better")
        self.noise_note.setText("estimated on the image you open")   # not a blank row before one is open
        style_note(self.noise_note)
        form.addRow(self.noise_note)   # the row's whole width: beside an empty label it read "estimated 14.8 for this i..."
                                       # in a narrow dock (760 x 600)
        self.method = declared_choice(DenoiseRequest, "method", {"mmse": "Posterior mean (one step)",
                                                                 "sample": "Sampled trajectory"},
                              "Posterior mean: the model's one-step estimate of the clean image at the step "
                              "matched to the noise, averaged over flips and rotations; the best PSNR and the "
                              "fastest (the default).\nSampled trajectory: run the reverse process from that "
                              "step and watch it (0.9 dB worse and 2.4x slower on the benchmark photos).")
        form.addRow("Method", self.method)
        self.estimate.clicked.connect(self.estimateRequested)

    def sampled(self) -> bool:
        """A sampled trajectory, not the one-step posterior mean."""
        return self.method.currentData() == "sample"

    def sigma255(self) -> float | None:
        """The typed noise level (0-255 units), or None while the box shows the image's estimate."""
        return None if self._estimated else float(self.sigma.value())

    def show_estimate(self, sigma255: float | None):
        """Show the image's estimated noise level; until it is edited, a run uses the estimate
        itself (unrounded, measured by the core like the command line's --sigma left out). None: being measured."""
        if sigma255 is None:
            self._estimated = True   # a run meanwhile measures it itself
            self.noise_note.setText("measuring the noise of this image...")
            return
        # The level the run uses: a clean image's (no measurable noise, 0) is the core's NO_NOISE, 0.1 / 255, where the
        # box said 0.5 / 255 (its old floor) while the run used 0.1; an estimate shows to the box's 0.1.
        shown = NO_NOISE * 255.0 if not sigma255 > 0 else round(sigma255, self.sigma.decimals())
        with QSignalBlocker(self.sigma):
            self.sigma.setValue(shown)
        self._estimated = True   # 0 too: the core runs a clean image as the command line does (NO_NOISE, a note)
        from ..core.run.jobs import estimate_words   # the command line's and the API's words for it

        self.noise_note.setText(estimate_words(sigma255 / 255))

    def _sigma_edited(self, _value):
        self._estimated = False
        self.noise_controls.set_noise("constant")  # a typed sigma is a constant noise level


class SamplePage(QWidget):
    """``width_spin`` x ``height_spin``: the size of a drawn image (its declared range)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 4, 0, 0)
        self.width_spin, self.height_spin = QSpinBox(), QSpinBox()
        for s, side in ((self.width_spin, 1), (self.height_spin, 0)):
            declared(s, SampleRequest, "size")
            s.setSingleStep(8)
            s.setValue(SampleRequest().size[side])
        row = QHBoxLayout()
        row.addWidget(self.width_spin, 1)
        row.addWidget(QLabel("\u00d7"))
        row.addWidget(self.height_spin, 1)
        form.addRow("Width \u00d7 height", row)
        self._patch: int | None = None
        self._image_hw: tuple[int, int] | None = None
        self.patch_size = QPushButton("Model patch")
        self.image_size = QPushButton("Image size")
        self.patch_size.clicked.connect(self._to_patch)
        self.image_size.clicked.connect(self._to_image)
        brow = QHBoxLayout()
        brow.addWidget(self.patch_size, 1)
        brow.addWidget(self.image_size, 1)
        form.addRow("Set to", brow)
        self.note = QLabel("")
        style_note(self.note)
        form.addRow("", self.note)
        self.set_patch(None)
        self.set_image_size(None)

    def hw(self) -> tuple[int, int]:
        """The size (H, W)."""
        return int(self.height_spin.value()), int(self.width_spin.value())

    def _set_hw(self, h: int, w: int):
        self.height_spin.setValue(h)   # clamped to the declared range, as typing would be
        self.width_spin.setValue(w)

    def _to_patch(self):
        if self._patch:
            self._set_hw(self._patch, self._patch)

    def _to_image(self):
        if self._image_hw:
            self._set_hw(*self._image_hw)

    def set_patch(self, patch: int | None):
        """The side of the crops the chosen model was trained on (its card's ``data.patch``), or None."""
        self._patch = int(patch) if isinstance(patch, int) and not isinstance(patch, bool) and patch > 0 else None
        p = self._patch
        self.patch_size.setEnabled(p is not None)
        self.patch_size.setToolTip(f"The size of the crops this model was trained on ({p} x {p} px): larger "
                                   "drawings continue its textures without one scene" if p else
                                   "Greyed out: this model's card does not say the size of its training crops.")
        self.note.setText(f"the model saw {p} \u00d7 {p} crops" if p else "opens as a new image")  # one line

    def set_image_size(self, hw: tuple[int, int] | None):
        """The open image's (H, W), or None without one: the Image size button draws one as large."""
        self._image_hw = (int(hw[0]), int(hw[1])) if hw else None
        self.image_size.setEnabled(self._image_hw is not None)
        self.image_size.setToolTip(f"Draw an image of the open image's size ({hw[1]} x {hw[0]} px)" if hw else
                                   "Greyed out: open an image to draw one of its size.")
