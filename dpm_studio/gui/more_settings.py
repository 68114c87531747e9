"""The run settings under the task panel's "More settings" that a restorer reaches for less often than the
everyday ones, each declared once on the request (core/run/settings.py: range, tooltip, choices, default):

- ``precision``: the network's arithmetic (every task);
- ``start_sigma``: how far an inpainting's smooth-fill start may depart (Start from: Smooth fill + noise);
- ``ensemble``: the views a posterior-mean denoise averages (the model's own number until it is changed);
- ``clipping``: how a denoise reads pixels stored at 0 or the top value;
- ``noise_a``, ``noise_b``: a camera's noise law typed by hand (the Noise model's "Typed a, b").

Settings the app keeps on the command line only (:data:`CLI_ONLY`: tiles, batches, draws, the file's levels,
an inpainting's context; docs/one-way.md says why) have no box, but a run record that carries them (Run >
Use Settings of the Image's Last Run, an undo or redo of an accepted result) keeps them: they are shown on the
"From the record" row, go into every run's request until cleared, and so into its record.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QHBoxLayout, QSpinBox, QToolButton, QWidget

from .panels import ElidedLabel, declared, declared_choice
from ..core.run.requests import DEFAULT_ENSEMBLE, DenoiseRequest, InpaintRequest
from ..core.run.settings import default_of, spec_of

__all__ = ["MoreSettings", "CLI_ONLY", "card_default"]

#: Settings with no box in the app, per task: engineering knobs (speed and memory, or what the file itself says);
#: a record's values of them are carried, not reset (:meth:`MoreSettings.carry`).
CLI_ONLY = {"inpaint": ("context", "known_noise"),
            "denoise": ("tile", "overlap", "tile_batch", "grey_draws", "clip_steps", "levels"),
            "sample": ()}


def card_default(card, task: str, name: str, fallback):
    """A checkpoint card's default for ``task``'s setting ``name`` (its ``defaults.<task>``), else ``fallback``."""
    said = ((card if isinstance(card, dict) else {}).get("defaults") or {}).get(task) or {}
    return said.get(name, fallback) if isinstance(said, dict) else fallback


def _tip(cls, name: str, extra: str = "") -> str:
    text = spec_of(cls, name).describe(default_of(cls, name))
    return text[:1].upper() + text[1:] + extra


class MoreSettings(QObject):
    """The widgets (laid out by the task panel in its "More settings" form: :meth:`rows`), what they give a
    request (:meth:`kwargs`), the greying rule (:meth:`applies`) and the way back from a request (:meth:`show`)."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.precision = declared_choice(InpaintRequest, "precision", {"auto": "Auto", "fp32": "fp32",
                                                                       "bf16": "bf16"},
                                         _tip(InpaintRequest, "precision", ". The record says which ran."))
        self.start_sigma = QDoubleSpinBox()
        self.start_sigma.setDecimals(2)
        self.start_sigma.setSingleStep(0.1)
        declared(self.start_sigma, InpaintRequest, "start_sigma")
        self.start_sigma.setValue(default_of(InpaintRequest, "start_sigma"))
        self.ensemble = declared(QSpinBox(), DenoiseRequest, "ensemble")
        self.ensemble.setValue(DEFAULT_ENSEMBLE)
        self._model_views = DEFAULT_ENSEMBLE   # the chosen model's own number; None goes to the request until changed
        self._views_set = False
        self.clipping = declared_choice(DenoiseRequest, "clipping", {"censored": "Censored", "ignore": "Ignore"},
                                        _tip(DenoiseRequest, "clipping"))
        self.noise_a, self.noise_b = QDoubleSpinBox(), QDoubleSpinBox()
        for box, name in ((self.noise_a, "noise_a"), (self.noise_b, "noise_b")):
            box.setDecimals(6)
            box.setSingleStep(0.0001)
            declared(box, DenoiseRequest, name)
            box.setToolTip(box.toolTip() + " (the Noise model's \u201cTyped a, b\u201d; the plots dock draws it)")
        # the command-line-only settings a loaded record carries, and a button that lets them go
        self.carried: dict = {}
        self.carried_row = QWidget()
        cr = QHBoxLayout(self.carried_row)
        cr.setContentsMargins(0, 0, 0, 0)
        self.carried_label = ElidedLabel(120, tip="Settings the app has no box for (command line only: "
                                         "docs/one-way.md), kept from the run record they came with: every run "
                                         "uses them, and records them, until Clear")
        self.carried_clear = QToolButton()
        self.carried_clear.setText("Clear")
        self.carried_clear.setToolTip("Run with the request's own values of these settings again")
        cr.addWidget(self.carried_label, 1)
        cr.addWidget(self.carried_clear)
        self._form = None
        self.carried_clear.clicked.connect(self.clear_carried)
        self.ensemble.valueChanged.connect(self._views_edited)
        for w in (self.precision, self.clipping):
            w.currentIndexChanged.connect(self._emit)
        for w in (self.start_sigma, self.noise_a, self.noise_b):
            w.valueChanged.connect(self._emit)

    def fold(self, rows) -> tuple[QToolButton, QWidget]:
        """The "More settings" button and what it folds away (closed at first): the panel's ``rows`` ((label,
        widget) pairs), then these boxes (:meth:`add_rows`)."""
        self.button = QToolButton()
        self.button.setText("More settings")
        self.button.setCheckable(True)
        self.button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.button.setArrowType(Qt.RightArrow)
        self.button.setAutoRaise(True)
        self.button.setToolTip(", ".join(label for label, _ in rows) + ", precision, start noise, views, clipped "
                               "pixels, a typed noise law")
        self.body = QWidget()
        form = QFormLayout(self.body)
        form.setContentsMargins(0, 0, 0, 0)
        form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        for label, w in rows:
            form.addRow(label, w)
        self.add_rows(form)
        self.body.setVisible(False)
        self.button.toggled.connect(self._unfold)
        return self.button, self.body

    @Slot(bool)
    def _unfold(self, on: bool):
        self.button.setArrowType(Qt.DownArrow if on else Qt.RightArrow)
        self.body.setVisible(on)

    def unfold_for(self, noise_box) -> None:
        """Open on the a and b boxes when the noise model ``noise_box`` chooses "Typed a, b"."""
        self._noise_box = noise_box
        noise_box.currentIndexChanged.connect(self._typed_law_chosen)

    @Slot(int)
    def _typed_law_chosen(self, _index: int):
        if self._noise_box.currentData() == "poisson-gaussian" and not self.button.isChecked():
            self.button.setChecked(True)

    def add_rows(self, form) -> None:
        """Lay the boxes out in the panel's "More settings" form, in order (the From the record row shown only
        while it holds something)."""
        for label, w in (("Precision", self.precision), ("Start noise", self.start_sigma), ("Views", self.ensemble),
                         ("Clipped pixels", self.clipping), ("Noise a", self.noise_a), ("Noise b", self.noise_b),
                         ("From the record", self.carried_row)):
            form.addRow(label, w)
        self._form = form
        form.setRowVisible(self.carried_row, False)

    def controls(self) -> tuple:
        """Every control (greyed during a run)."""
        return (self.precision, self.start_sigma, self.ensemble, self.clipping, self.noise_a, self.noise_b,
                self.carried_clear)

    @Slot()
    def _emit(self, *_):
        self.changed.emit()

    @Slot(int)
    def _views_edited(self, value: int):
        self._views_set = value != self._model_views
        self.changed.emit()

    # -- the model's own defaults ----------------------------------------------------------------------------
    def set_card(self, card) -> None:
        """The chosen model's number of views is the box's, until the user changes it."""
        self._model_views = int(card_default(card, "denoise", "ensemble", DEFAULT_ENSEMBLE))
        if not self._views_set:
            with QSignalBlocker(self.ensemble):
                self.ensemble.setValue(self._model_views)

    # -- what applies, and what a request gets --------------------------------------------------------------
    @staticmethod
    def applies(task: str, method: str, harmonic: bool, noise: str) -> dict:
        """{control: (applies, why not)} for the settings the task, method, start and noise model leave."""
        denoise = task == "denoise"
        return {
            "start_sigma": (task == "inpaint" and harmonic,
                            "it is the noise of the smooth-fill start (Inpaint, Start from: Smooth fill + noise)"
                            if task == "inpaint" else "it is an inpainting setting"),
            "ensemble": (denoise and "ensemble" not in DenoiseRequest.NOT_USED[method],
                         "a sampled trajectory averages no views: the posterior mean (Method) does"
                         if denoise else "it is a denoising setting"),
            "clipping": (denoise, "it is a denoising setting"),
            "noise_a": (denoise and noise == "poisson-gaussian",
                        "a and b are the Noise model's \u201cTyped a, b\u201d (Denoise)" if denoise else
                        "it is a denoising setting"),
            "noise_b": (denoise and noise == "poisson-gaussian",
                      "a and b are the Noise model's \u201cTyped a, b\u201d (Denoise)" if denoise else
                      "it is a denoising setting"),
        }

    def kwargs(self, task: str, method: str = "mmse", harmonic: bool = True, noise: str = "auto") -> dict:
        """The request's settings from these boxes (a greyed box gives nothing: the request decides), with the
        carried command-line-only settings of ``task``."""
        ok = {k: v[0] for k, v in self.applies(task, method, harmonic, noise).items()}
        out = {"precision": self.precision.currentData()}
        if ok["start_sigma"]:
            out["start_sigma"] = float(self.start_sigma.value())
        if task == "denoise":
            out["clipping"] = self.clipping.currentData()
            if ok["ensemble"] and self._views_set:
                out["ensemble"] = int(self.ensemble.value())
            if ok["noise_a"]:
                out["noise_a"], out["noise_b"] = float(self.noise_a.value()), float(self.noise_b.value())
        out.update({k: v for k, v in self.carried.items() if k in CLI_ONLY.get(task, ())})
        return out

    # -- back from a request ------------------------------------------------------------------------------------
    def show(self, req, resolved: dict | None = None) -> None:
        """Show the settings of request ``req`` (a record's: :func:`~.record_settings.show_request`, an undone
        run's): its boxes, and its command-line-only settings carried where they differ from what the app
        would run (``resolved``: the values the app resolves itself for those left unset, e.g. the file's
        levels, the model's censoring steps, the device's tile batch)."""
        task = req.task
        self.precision.setCurrentIndex(max(0, self.precision.findData(req.precision)))
        if task == "inpaint" and req.start == "harmonic":
            self.start_sigma.setValue(float(req.start_sigma))
        if task == "denoise":
            self.clipping.setCurrentIndex(max(0, self.clipping.findData(req.clipping)))
            if req.ensemble is not None and req.method == "mmse":
                self.ensemble.setValue(int(req.ensemble))   # the model's own number leaves it unset
            if req.noise == "poisson-gaussian":
                self.noise_a.setValue(float(req.noise_a))
                self.noise_b.setValue(float(req.noise_b))
        resolved = resolved or {}
        carried = {}
        for name in CLI_ONLY.get(task, ()):
            v = getattr(req, name)
            if name == "clip_steps" and req.clipping != "censored":
                continue
            if v is not None and v != default_of(type(req), name) and v != resolved.get(name):
                carried[name] = v
        # a record of another task keeps the carried values of this one
        self.carried = {**{k: v for k, v in self.carried.items() if k not in CLI_ONLY.get(task, ())}, **carried}
        self._show_carried()

    @Slot()
    def clear_carried(self) -> None:
        self.carried = {}
        self._show_carried()

    def _show_carried(self) -> None:
        text = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.carried.items())
        self.carried_label.setText(text)
        if self._form is not None:
            self._form.setRowVisible(self.carried_row, bool(self.carried))
        self.changed.emit()

    # -- the app's saved settings -----------------------------------------------------------------------------
    def save(self, s) -> None:
        s.setValue("run/precision", self.precision.currentData())
        s.setValue("run/clipping", self.clipping.currentData())
        s.setValue("run/start_sigma", float(self.start_sigma.value()))
        s.setValue("run/noise_a", float(self.noise_a.value()))
        s.setValue("run/noise_b", float(self.noise_b.value()))

    def restore(self, c) -> None:
        """Read back with :class:`~.safe_settings.Checked` (a bad value: its default, said once)."""
        for box, key in ((self.precision, "run/precision"), (self.clipping, "run/clipping")):
            v = c.text(key, box.currentData(), [box.itemData(i) for i in range(box.count())])
            box.setCurrentIndex(max(0, box.findData(v)))
        for box, key in ((self.start_sigma, "run/start_sigma"), (self.noise_a, "run/noise_a"),
                         (self.noise_b, "run/noise_b")):
            box.setValue(c.number(key, float(box.value()), float(box.minimum()), float(box.maximum())))
