"""The task panel's model picker: the checkpoints found, image models first (the others listed,
greyed), each entry's card as its tooltip, and one line about the chosen model.

``cardChanged`` says the shown model changed, whoever changed it; ``modelChosen`` only when the
user picked it in the list (not when the window shows a task's model with :meth:`ModelPicker.select`
or refills the list), so the window can keep it as that task's choice (gui/model/taskmodels.py)."""

from __future__ import annotations

import html

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QGroupBox, QSizePolicy, QStyle, QStyleOptionComboBox, QStylePainter, QVBoxLayout,
)

from .panels import ElidedLabel
from .theme import style_note
from .model.models import card_label, card_T, card_tooltip, where_label
from ..core.files.cardschema import is_image_card

__all__ = ["ElidedCombo", "ModelPicker", "NO_DENOISE"]

NO_DENOISE = ("a black-and-white (binomial) model flips pixels and cannot denoise; "
              "it inpaints and samples (choose it on those pages)")


class ElidedCombo(QComboBox):
    """A combo box that shortens the chosen entry with an ellipsis where it is narrower than the name: in a
    narrow Controls dock (760 px window) "Photos (colour), denoising: sharper" was cut mid-word to
    "Photos (colour), denoising: sh". The list shows the names whole."""

    def _option(self) -> QStyleOptionComboBox:
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        return opt

    def shown(self) -> str:
        """The chosen entry's text as drawn."""
        opt = self._option()
        room = self.style().subControlRect(QStyle.CC_ComboBox, opt, QStyle.SC_ComboBoxEditField, self).width()
        if not opt.currentIcon.isNull():
            room -= opt.iconSize.width() + 4
        return self.fontMetrics().elidedText(opt.currentText, Qt.ElideRight, max(0, room))

    def paintEvent(self, event):
        p = QStylePainter(self)
        opt = self._option()
        p.drawComplexControl(QStyle.CC_ComboBox, opt)
        opt.currentText = self.shown()
        p.drawControl(QStyle.CE_ComboBoxLabel, opt)


class ModelPicker(QGroupBox):
    """The "Model" box: ``checkpoint`` (the list) and ``model_info`` (the line under it)."""

    cardChanged = Signal(object)   # the chosen image model's card, or None
    modelChosen = Signal(object)   # the user picked this image model's card in the list (before cardChanged)

    def __init__(self, parent=None):
        super().__init__("Model", parent)
        self._cards: list = []
        self._quiet = 0                # > 0 while the program, not the user, changes the row
        self._task = "inpaint"         # the task whose model is shown: a black-and-white one cannot denoise
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 6)
        self.checkpoint = ElidedCombo()
        self.checkpoint.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.checkpoint.setMinimumContentsLength(14)   # 18 kept the Controls 216 px wide; the list shows all
        self.checkpoint.setToolTip("The checkpoint to run (hover an entry for its card)")
        # One line, shortened with an ellipsis where the dock is narrow (at 760 px it was cut mid-word:
        # "photos-rgb-v2, T = 1000 · comes with the ap"), whole in its tooltip; it never widens the dock
        self.model_info = ElidedLabel(40)
        self.model_info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.model_info.setTextFormat(Qt.PlainText)
        style_note(self.model_info)   # palette(mid) vanished under a dark palette (gui/theme.py)
        lay.addWidget(self.checkpoint)
        lay.addWidget(self.model_info)
        self.checkpoint.currentIndexChanged.connect(self._on_row)

    def set_cards(self, cards: list[dict], select: str | None = None):
        """Fill the list (image models first); ``select`` is a card path or name to select."""
        images = [c for c in cards if is_image_card(c)]
        others = [c for c in cards if not is_image_card(c)]
        with QSignalBlocker(self.checkpoint):   # (the row is set here: no modelChosen)
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
            self._grey_rows()
            self.checkpoint.setCurrentIndex(0)
            if select:
                self.select(select)
        self._quiet += 1
        try:
            self._on_row(self.checkpoint.currentIndex())
        finally:
            self._quiet -= 1

    def set_task(self, task: str):
        """The list for ``task``'s model: on Denoise the black-and-white (binomial) models are greyed,
        each saying why (they inpaint and sample)."""
        if task != self._task:
            self._task = task
            self._grey_rows()

    def _grey_rows(self):
        """Grey the black-and-white models' rows on Denoise, saying why; the other rows never change with the task
        (their tooltips, set by set_cards, were made again at each switch: path lookups, 1.4 ms of the GUI thread's)."""
        for i, card in enumerate(self._cards):
            if card is None or not is_image_card(card) or card.get("family") != "binomial":
                continue
            cannot = self._task == "denoise"
            self.checkpoint.model().item(i).setEnabled(not cannot)
            why = f"<p><b>Greyed out on Denoise:</b> {html.escape(NO_DENOISE)}.</p>" if cannot else ""
            self.checkpoint.setItemData(i, why + card_tooltip(card), Qt.ToolTipRole)   # (the card's is rich text)

    def cards(self) -> list[dict]:
        return [c for c in self._cards if c is not None]

    def find(self, name_or_path: str) -> dict | None:
        """The listed image model of that name or card path (a path first), or None."""
        images = [c for c in self._cards if c is not None and is_image_card(c)]
        name_or_path = str(name_or_path)
        return next((c for c in images if str(c.get("path")) == name_or_path), None) or \
            next((c for c in images if c.get("name") == name_or_path), None)

    def select(self, name_or_path: str) -> bool:
        """Show an image checkpoint by name or card path (the program's choice, not a pick of the
        user's: no ``modelChosen``); False if it is not listed."""
        card = self.find(name_or_path)
        if card is None:
            return False
        self._quiet += 1
        try:
            self.checkpoint.setCurrentIndex(self._cards.index(card))
        finally:
            self._quiet -= 1
        return True

    def _italic(self, on: bool):
        font = self.model_info.font()
        font.setItalic(on)
        self.model_info.setFont(font)

    def current_card(self) -> dict | None:
        i = self.checkpoint.currentIndex()
        if 0 <= i < len(self._cards) and self._cards[i] is not None and is_image_card(self._cards[i]):
            return self._cards[i]
        return None

    def _on_row(self, _i):
        card = self.current_card()
        if card is None:
            n = len(self.cards())
            found = f"None of the {n} checkpoints found is an image model. " if n else "No checkpoints found. "
            self.model_info.setWordWrap(True)   # a message to read whole
            self._italic(True)
            self.model_info.setText(f"{found}Train one (dpm-studio train) or use File \u203a Open Checkpoint\u2026",
                                    tip="")
        else:
            self.model_info.setWordWrap(False)
            self._italic(False)
            where = where_label(card)
            self.model_info.setText(f"{card.get('name', '?')}, T = {card_T(card)}" + (f" · {where}" if where else ""),
                                    tip=card_tooltip(card))
        if card is not None and not self._quiet:
            self.modelChosen.emit(card)
        self.cardChanged.emit(card)
