"""Side panels: the mask options and the result bar, and the small widgets the panels share.

The task panel lives in :mod:`.task_panel`, the model list's wording in :mod:`.models`.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QRect, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox, QBoxLayout, QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel,
    QPushButton, QRadioButton, QSizePolicy, QSlider, QSpinBox, QStyle, QStyleOptionButton, QWidget,
)

from .model.maskops import covered
from .theme import style_note
from ..core.run.requests import InpaintRequest
from ..core.run.settings import default_of, spec_of

__all__ = ["MaskPanel", "ResultBar", "WholeSpinBox", "declared", "declared_choice"]


def _section(title: str) -> QGroupBox:
    box = QGroupBox(title)
    return box


def declared_choice(cls, name: str, labels: dict, tip: str, current: str | None = None) -> QComboBox:
    """A choice box of request ``cls``'s setting ``name``: its values are the declared choices, in their order
    (core/run/settings.py), each under the app's label (``labels``: value -> label; a declared value without a
    label is not offered, a label for a value not declared is refused at start-up), with a tooltip; set to
    ``current`` (default: the request's own default)."""
    choices = spec_of(cls, name).choices
    unknown = sorted(set(labels) - set(choices))
    if unknown:
        raise ValueError(f"{cls.__name__}.{name} declares no choice {', '.join(unknown)}")
    box = QComboBox()
    for value in choices:
        if value in labels:
            box.addItem(labels[value], value)
    box.setToolTip(tip)
    box.setCurrentIndex(max(0, box.findData(getattr(cls(), name) if current is None else current)))
    return box


def _form(box: QGroupBox) -> QFormLayout:
    f = QFormLayout(box)
    f.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
    f.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
    f.setContentsMargins(8, 4, 8, 6)
    f.setVerticalSpacing(5)
    return f


def declared(widget, cls, name: str, cap: float | None = None):
    """Give a spin box (or a _SliderSpin) the range, suffix and tooltip of request ``cls``'s setting
    ``name``, from its one declaration (core/run/settings.py); ``cap``: what the widget can hold
    (a QSpinBox stops at 2^31 - 1). Returns the widget."""
    from ..core.run.settings import default_of, spec_of

    s = spec_of(cls, name)
    spin = getattr(widget, "spin", widget)
    step = 10 ** -spin.decimals() if isinstance(spin, QDoubleSpinBox) else 1
    lo, hi = s.lo + (step if s.open_lo else 0), s.hi if cap is None else min(s.hi, cap)
    spin.setRange(lo, hi)
    if hasattr(widget, "slider"):
        widget.slider.setRange(int(lo * widget._scale), int(hi * widget._scale))
    if s.suffix:
        spin.setSuffix(s.suffix)
    text = s.describe(default_of(cls, name))
    widget.setToolTip(text[:1].upper() + text[1:])
    return widget


class WholeSpinBox(QAbstractSpinBox):
    """A spin box for whole numbers past a QSpinBox's 2^31 - 1 (the seed: the request takes 0 to 2^63 - 1), with
    QSpinBox's value(), setValue(), setRange(), minimum(), maximum() and valueChanged. What is typed counts at
    once (value() reads the text), as a QSpinBox with keyboard tracking."""

    valueChanged = Signal(object)   # a Python int: Signal(int) is a C++ int, 32 bits

    def __init__(self, parent=None):
        super().__init__(parent)
        self._lo, self._hi, self._value = 0, 2 ** 31 - 1, 0
        self.lineEdit().setText("0")
        self.lineEdit().textEdited.connect(self._typed)
        self.editingFinished.connect(self._show_value)

    def _show_value(self):
        """Leaving the box: it shows the value (a text left half-typed or out of range goes back to it)."""
        self.lineEdit().setText(str(self._value))

    def _parse(self, text: str):
        text = text.strip()
        if not text.isdigit():
            return None
        v = int(text)
        return v if self._lo <= v <= self._hi else None

    def _typed(self, text: str):
        v = self._parse(text)
        if v is not None and v != self._value:
            self._value = v
            self.valueChanged.emit(v)

    def value(self) -> int:
        return self._value

    def setValue(self, v) -> None:
        v = min(max(int(v), self._lo), self._hi)
        if self.lineEdit().text() != str(v):
            self.lineEdit().setText(str(v))
        if v != self._value:
            self._value = v
            self.valueChanged.emit(v)

    def setRange(self, lo, hi) -> None:
        self._lo, self._hi = int(lo), int(hi)
        self.setValue(self._value)

    def minimum(self) -> int:
        return self._lo

    def maximum(self) -> int:
        return self._hi

    def stepBy(self, steps: int) -> None:
        self.setValue(self._value + steps)

    def stepEnabled(self):
        flags = QAbstractSpinBox.StepNone
        if self._value > self._lo:
            flags |= QAbstractSpinBox.StepDownEnabled
        if self._value < self._hi:
            flags |= QAbstractSpinBox.StepUpEnabled
        return flags

    def validate(self, text: str, pos: int):
        t = text.strip()
        if t == "":
            return QValidator.Intermediate, text, pos
        if not t.isdigit():
            return QValidator.Invalid, text, pos
        return (QValidator.Acceptable if self._parse(t) is not None else QValidator.Intermediate), text, pos


class _SliderSpin(QWidget):
    """A slider with a spin box beside it, kept in sync."""

    valueChanged = Signal(float)

    def __init__(self, lo, hi, value, suffix="", decimals=0, parent=None):
        super().__init__(parent)
        self._scale = 10 ** decimals
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(int(lo * self._scale), int(hi * self._scale))
        self.spin = QDoubleSpinBox() if decimals else QSpinBox()
        if decimals:
            self.spin.setDecimals(decimals)
        self.spin.setRange(lo, hi)
        self.spin.setSuffix(suffix)
        self.spin.setKeyboardTracking(False)
        self.spin.setFixedWidth(78)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.spin)
        self.slider.valueChanged.connect(self._from_slider)
        self.spin.valueChanged.connect(self._from_spin)
        self.setValue(value)

    def value(self) -> float:
        return float(self.spin.value())

    def setValue(self, v):
        self.spin.setValue(v)

    def _from_slider(self, iv):
        v = iv / self._scale
        if abs(v - self.spin.value()) > 0.5 / self._scale:
            self.spin.setValue(v)

    def _from_spin(self, v):
        with QSignalBlocker(self.slider):
            self.slider.setValue(int(round(v * self._scale)))
        self.valueChanged.emit(float(v))


# -- mask panel -------------------------------------------------------------------------------------------------
class MaskPanel(QGroupBox):
    """Brush size, feather, overlay opacity and visibility."""

    brushSizeChanged = Signal(float)
    featherChanged = Signal(float)
    opacityChanged = Signal(float)
    overlayToggled = Signal(bool)
    softToggled = Signal(bool)

    def __init__(self, parent=None):
        super().__init__("Mask", parent)
        f = _form(self)
        self.brush = _SliderSpin(1, 300, 24, " px")
        self.brush.setToolTip("Brush diameter in image pixels  ( [  and  ] )")
        fs = spec_of(InpaintRequest, "feather")   # its range, suffix and default: the request's
        self.feather = declared(_SliderSpin(fs.lo, fs.hi, default_of(InpaintRequest, "feather"), decimals=1),
                                InpaintRequest, "feather")
        self.opacity = _SliderSpin(0, 100, 50, " %")
        self.opacity.setToolTip("How strongly the mask overlay tints the picture (the mask itself is unchanged)")
        self.show_overlay = QCheckBox("Show")
        self.show_overlay.setChecked(True)
        self.show_overlay.setToolTip("Toggle the mask overlay (M)")
        # the request's soft_mask: a loaded mask's grey values are its edge (a selection feathered in an editor)
        self.soft = QCheckBox("Soft")
        soft = spec_of(InpaintRequest, "soft_mask").describe(False)
        self.soft.setToolTip(soft[:1].upper() + soft[1:] + ": a loaded mask's grey pixels are filled in part "
                             "(painted pixels count in full); off, any pixel not black is filled whole")
        self.soft.setChecked(default_of(InpaintRequest, "soft_mask"))
        self.coverage = QLabel("no mask")
        style_note(self.coverage)   # palette(mid) vanished under a dark palette
        self.coverage.setWordWrap(True)   # two lines in a narrow dock ("empty: paint the region to fill" made it 306 px)
        f.addRow("Brush", self.brush)
        f.addRow("Feather", self.feather)
        f.addRow("Opacity", self.opacity)
        row = QHBoxLayout()
        row.addWidget(self.show_overlay)
        row.addWidget(self.soft)
        # a rule between the boxes and the coverage: side by side they read as one phrase, "Soft mask covers
        # 2.1% (251,442 px)" (Xvfb, helper look2); a line of its own made the controls scroll at 1280 x 700
        self.coverage_rule = QFrame()
        self.coverage_rule.setFrameShape(QFrame.VLine)
        self.coverage_rule.setFrameShadow(QFrame.Sunken)
        row.addWidget(self.coverage_rule)
        self.coverage.setAlignment(Qt.AlignRight | Qt.AlignVCenter)   # the rest of the row: one line where it fits
        row.addWidget(self.coverage, 1)
        f.addRow(row)
        self.brush.valueChanged.connect(self.brushSizeChanged)
        self.feather.valueChanged.connect(self.featherChanged)
        self.opacity.valueChanged.connect(lambda v: self.opacityChanged.emit(v / 100.0))
        self.show_overlay.toggled.connect(self.overlayToggled)
        self.soft.toggled.connect(self.softToggled)

    def set_coverage(self, fraction: float | None, pixels: int = 0, task: str = "inpaint"):
        """What the mask holds, and what it does for ``task``: the region to fill, the region to
        denoise (none: the whole image), nothing for a drawn sample."""
        if fraction is None:
            text = "no image"
        elif task == "sample":
            text = "not used by Sample"
        elif pixels == 0:
            text = "empty: paint the region to fill" if task == "inpaint" else "empty: the whole image"
        else:
            # the count and its unit on one line (a no-break space): a narrow row wrapped "(187,500" / "px)" (Xvfb, app18)
            text = f"mask covers {fraction:.1%} ({pixels:,}\u00a0px)"
        self.coverage.setText(text)

    def show_coverage(self, mask, task: str, n: int | None = None):
        """The line for ``mask`` (None: no image) and ``task``; ``n``: its pixels (maskops.covered), where the
        caller counted them for the run hint too (a task switch: one pass over the mask)."""
        if mask is None:
            return self.set_coverage(None)
        n = covered(mask) if n is None else n
        self.set_coverage(n / max(1, mask.size), n, task)


# -- result bar ----------------------------------------------------------------------------------------------------
class ElidedLabel(QLabel):
    """A one-line label that asks for ``room`` px, takes what the layout gives down to 40 px,
    and shortens its text with an ellipsis to fit (the whole text is its tooltip and ``text()``);
    its size never depends on its text, so a changing text never moves the widgets beside it."""

    def __init__(self, room: int, parent=None, tip: str = ""):
        super().__init__(parent)
        self._room, self._full, self._tip = room, "", tip   # ``tip``: its own tooltip, after a shortened text
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        self.setToolTip(tip)

    def sizeHint(self) -> QSize:
        return QSize(self._room, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(40, super().minimumSizeHint().height())

    def setText(self, text: str, tip: str | None = None):
        """Show ``text`` (with ``tip``: the label's own tooltip from now on, after a shortened text)."""
        self._full = text
        if tip is not None:
            self._tip = tip
        self._elide()

    def setWordWrap(self, on: bool):
        """Wrapped: the whole text on as many lines as it needs (a message, not a line to shorten)."""
        super().setWordWrap(on)
        self._elide()

    def text(self) -> str:
        return self._full

    def shown(self) -> str:
        """The text as drawn (shortened to the label's width)."""
        return super().text()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._elide()

    def _elide(self):
        shown = self._full if self.wordWrap() else \
            self.fontMetrics().elidedText(self._full, Qt.ElideRight, max(0, self.width()))
        super().setText(shown)
        if self._tip:   # its own words, with the whole text first where it is shortened
            rich = self._tip.lstrip().startswith("<")   # a card's HTML: the whole text as HTML above it
            whole = f"<p>{html.escape(self._full)}</p>" if rich else f"{self._full}\n\n"
            self.setToolTip(self._tip if shown == self._full else whole + self._tip)
        else:
            self.setToolTip(self._full)


class ShortRadio(QRadioButton):
    """A radio button with short words for a short row (:meth:`set_short`); ``text()``, its tooltip and its
    accessible name say it whole."""

    def __init__(self, text: str, short: str, parent=None):
        super().__init__(text, parent)
        self._full, self._short = text, short
        self.setAccessibleName(text)

    def text(self) -> str:
        return self._full

    def shown(self) -> str:
        """The words drawn: the whole text, or the short one."""
        return super().text()

    def width_for(self, short: bool) -> int:
        """Its width with the whole or the short words (QRadioButton::sizeHint's own sum, for either text)."""
        text = self._short if short else self._full
        opt = QStyleOptionButton()
        self.initStyleOption(opt)
        opt.text = text
        size = self.style().itemTextRect(self.fontMetrics(), QRect(), Qt.TextShowMnemonic, False, text).size()
        return self.style().sizeFromContents(QStyle.CT_RadioButton, opt, size, self).width()

    def set_short(self, short: bool):
        words = self._short if short else self._full
        if words != super().text():
            super().setText(words)


ACCEPT_TIP = "Make the result the image (then save it with File \u203a Save, Ctrl+S)"
DISCARD_TIP = "Drop the result and go back to the image"
VARIANT_TIP = ("Several samples: pick the one to accept, their mean (the posterior mean), or see where they disagree "
               "(the per-pixel spread of the samples)")


class ResultBar(QFrame):
    """Under the canvas during and after a run: trajectory timeline, x_t / x0, compare, Accept / Discard."""

    scrubbed = Signal(int)
    showX0Changed = Signal(bool)
    splitToggled = Signal(bool)
    acceptRequested = Signal()
    discardRequested = Signal()
    variantChosen = Signal(int)   # 0 = the mean, 1..n = a sample, n + 1 = the spread

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.StyledPanel)
        # Two rows on a narrow window (a 760 px screen): the scrubber above, the result's choices under it
        # (set_two_rows); one row made the window at least 889 px wide.
        self._box = QBoxLayout(QBoxLayout.LeftToRight, self)
        self._box.setContentsMargins(8, 4, 8, 4)
        self.scrub_row, self.choices = QWidget(), QWidget()
        lay = QHBoxLayout(self.scrub_row)
        lay.setContentsMargins(0, 0, 0, 0)
        choices = QHBoxLayout(self.choices)
        choices.setContentsMargins(0, 0, 0, 0)
        self._box.addWidget(self.scrub_row, 1)
        self._box.addWidget(self.choices)
        self.title = QLabel("<b>Trajectory</b>")
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Scrub through the recorded trajectory")
        self.slider.setMinimumWidth(60)
        # 160 px where the window has them (the slider takes the rest), less on a narrow one, the
        # text shortened with an ellipsis (whole in the tooltip): a fixed 160 px clipped "step 10 /
        # 20  (region 2 / 3)   t = 358" and made the window at least 1075 px wide (the controls
        # fell off a 1024 px screen).
        self.step_label = ElidedLabel(160)
        self.x_button = QRadioButton("x\u209c")
        # "pred. x₀" where the row is short of room (the window at its least width: "predicted x₀" was cut to
        # "predicted" at 551 px, Xvfb); the tooltip says it whole
        self.x0_button = ShortRadio("predicted x\u2080", "pred. x\u2080")
        self.x_button.setChecked(True)
        self.x_button.setToolTip("Show the noisy state x_t")
        self.x0_button.setToolTip("Predicted x\u2080: show the model's estimate of x_0 at this step")
        grp = QButtonGroup(self)
        grp.addButton(self.x_button)
        grp.addButton(self.x0_button)
        self.split_button = QPushButton("Compare")
        self.split_button.setCheckable(True)
        self.split_button.setToolTip("Before | after with a draggable divider. Hold \\ to flash the original.")
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip(DISCARD_TIP)
        self.accept_button = QPushButton("Accept")
        self.accept_button.setToolTip(ACCEPT_TIP)
        f = self.accept_button.font()
        f.setBold(True)
        self.accept_button.setFont(f)
        self.title.setVisible(False)  # the slider says what it is (tooltip); its room goes to the result's choices
        for w in (self.title, self.slider, self.step_label, self.x_button, self.x0_button):
            lay.addWidget(w, 1 if w is self.slider else 0)
        self.sep = sep = QFrame()
        sep.setFrameShape(QFrame.VLine)
        for w in (sep, self.split_button, self.discard_button, self.accept_button):
            choices.addWidget(w)
        for b in (self.split_button, self.discard_button, self.accept_button):
            # the style's 80 px where there is room, down to the text's width where not (a 1024 px screen)
            b.setMinimumWidth(b.fontMetrics().horizontalAdvance(b.text()) + 16)
        self.variant = QComboBox()
        self.variant.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.variant.setMinimumContentsLength(8)  # the longest entry would widen the window
        self.variant.setToolTip(VARIANT_TIP)
        self.variant.setVisible(False)
        choices.insertWidget(choices.indexOf(sep), self.variant)
        self.variant.currentIndexChanged.connect(self.variantChosen)
        self.slider.valueChanged.connect(self.scrubbed)
        self.x0_button.toggled.connect(self.showX0Changed)
        self.split_button.toggled.connect(self.splitToggled)
        self.accept_button.clicked.connect(self.acceptRequested)
        self.discard_button.clicked.connect(self.discardRequested)
        self.set_review(False)
        # As tall with the variant list as without: it appearing after a run of several samples
        # made the bar 2 px taller and the canvas 2 px shorter.
        self.variant.setVisible(True)
        tall = self.sizeHint().height()
        self.variant.setVisible(False)
        self._one_row = max(tall, self.sizeHint().height())
        self.setMinimumHeight(self._one_row)

    def _least(self, short: bool = False) -> tuple[int, int, int]:
        """The least widths of the scrub row ("predicted x₀" whole or ``short``) and of the choices, and the bar's own
        sides (its margins and frame: the scrub row's were left out, so the window at its least width, 551 px, gave
        that row 18 px less than it needed and cut "predicted x₀" to "predicted", Xvfb)."""
        m, x0 = self._box.contentsMargins(), self.x0_button
        scrub = self.scrub_row.minimumSizeHint().width() - x0.sizeHint().width() + x0.width_for(short)
        return scrub, self.choices.minimumSizeHint().width(), m.left() + m.right() + 2 * self.frameWidth()

    def minimumSizeHint(self) -> QSize:
        """As narrow as the wider of the two rows (the scrub row's words short): the window may be narrower than
        both side by side."""
        scrub, choices, sides = self._least(short=True)
        return QSize(max(scrub, choices) + sides, super().minimumSizeHint().height())

    def two_rows(self) -> bool:
        return self._box.direction() == QBoxLayout.TopToBottom

    def resizeEvent(self, event):
        super().resizeEvent(event)
        scrub, choices, sides = self._least()
        room = event.size().width() - sides
        two = room < scrub + self._box.spacing() + choices
        self.x0_button.set_short(room < scrub)   # "pred. x₀" only where its row has no room for the whole
        if two != self.two_rows():
            self._box.setDirection(QBoxLayout.TopToBottom if two else QBoxLayout.LeftToRight)
            self.sep.setVisible(not two)
            self.setMinimumHeight(0 if two else self._one_row)
            self.updateGeometry()

    def set_variants(self, n: int, current: int = 0):
        """Offer ``n`` samples (n > 1) beside their mean and their spread, ``current`` chosen
        (0 = the mean, k = sample k); none for a single result."""
        with QSignalBlocker(self.variant):
            self.variant.clear()
            if n > 1:
                self.variant.addItem(f"Mean of {n}", "mean")   # "(posterior mean)" was cut off: it is in the tooltip
                for k in range(n):
                    self.variant.addItem(f"Sample {k + 1}", k)
                # "Uncertainty (spread of the samples)" read "Uncertainty (spre": the tooltip says the rest
                self.variant.addItem("Uncertainty", "spread")
                self.variant.setCurrentIndex(max(0, min(int(current), n)))
        self.variant.setVisible(n > 1)

    def set_choices(self, accept_why: str, discard_why: str, variant_why: str = ""):
        """Accept, Discard and the variant list under review, each greyed where its ``*_why`` says why (the
        commands' own reasons: gui/model/predicates.RESULT and DECIDE): while an Accept waited for its result's
        measure the two buttons were greyed with their usual tooltips, and the list still changed the draw shown
        (Xvfb, helper app18), which the Accept no longer takes."""
        for b, why, tip in ((self.accept_button, accept_why, ACCEPT_TIP), (self.discard_button, discard_why, DISCARD_TIP)):
            b.setEnabled(not why)
            b.setToolTip(f"Greyed out: {why}.\n\n{tip}" if why else tip)
        self.variant.setEnabled(not variant_why)
        self.variant.setToolTip((f"Greyed out: {variant_why}.\n\n" if variant_why else "") + VARIANT_TIP)

    def set_show_x0(self, on: bool):
        (self.x0_button if on else self.x_button).setChecked(True)

    def set_review(self, review: bool, frames: int = 0, compare: bool = True):
        """Running (False) or reviewing a finished run with ``frames`` recorded frames (True);
        ``compare``: the result has an original to compare it with (a drawn sample has none)."""
        self.slider.setEnabled(review and frames > 1)   # (Accept and Discard: set_choices)
        self.split_button.setEnabled(review and compare)
        if review:
            with QSignalBlocker(self.slider):
                # one frame (a one-step denoise of a region): -1..0, so the handle is at the end where "result"
                # is, as for a longer run (disabled, it never reaches -1); 0..0 drew it at the start (Xvfb)
                self.slider.setRange(-1 if frames <= 1 else 0, max(0, frames - 1))
                self.slider.setValue(max(0, frames - 1))
        else:
            with QSignalBlocker(self.split_button):
                self.split_button.setChecked(False)

    def clear(self):
        """Nothing to show: no run yet on this image."""
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, 0)
            self.slider.setValue(0)
        self.step_label.setText("")

    def set_live(self, index: int, total: int, t: float, text: str = ""):
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, max(1, total - 1))
            self.slider.setValue(index)
        label = f"{text or f'step {index + 1} / {total}'}   t = {t:.4g}"
        self.step_label.setText(label)
