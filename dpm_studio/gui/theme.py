"""Colours drawn by the app itself (painted icons, plot axes and lines), taken from the palette.

Fixed dark greys were drawn on whatever the window colour was: under a dark desktop palette the
Eraser, Pan and Fit icons (60, 60, 60 on 53, 53, 53), the plots' axis text and the noise plot's
bold dashed line (the law a run uses) all but vanished (seen under Xvfb with a dark Fusion palette).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

__all__ = ["NOTE_CONTRAST", "contrast", "is_dark", "ink", "mend_disabled", "mend_indicators", "mend_palette", "note_css",
           "readable", "restyle_notes", "style_note", "text_ink"]

#: A note's text (the model's line, the mask's coverage, the noise estimate): a grey, as dark (or light) as it
#: must be to read on the window. "palette(mid)" was the window's own shade darker under a dark palette (35 on
#: 53): unreadable; a fixed #8a8a8a was 3.0:1 on the light window (239) and 3.6:1 on the dark one (53).
NOTE_GREY = (138, 138, 138)
NOTE_CONTRAST = 4.5   # WCAG 2 AA for body text

#: A user interface component's edge against what is next to it: WCAG 2.1's non-text contrast (1.4.11).
EDGE_CONTRAST = 3.0

#: Disabled text must differ from its background by this much lightness (0-1) under a dark palette.
DISABLED_CONTRAST = 0.2


def _palette() -> QPalette:
    app = QGuiApplication.instance()
    return app.palette() if app is not None else QPalette()


def is_dark(palette: QPalette | None = None) -> bool:
    """The window colour is dark (a dark desktop theme): lines drawn on it must be light."""
    return (palette or _palette()).color(QPalette.Window).lightness() < 128


def ink(strength: float = 1.0, palette: QPalette | None = None) -> QColor:
    """The window text colour, faded toward the window colour: ``strength`` 1 is the text itself, 0 the
    window. Under the default light palette 0.62 gives the axis grey used so far (about 90, 90, 90)."""
    pal = palette or _palette()
    t, w = pal.color(QPalette.WindowText), pal.color(QPalette.Window)
    s = min(max(float(strength), 0.0), 1.0)
    mix = [round(s * a + (1 - s) * b) for a, b in zip(t.getRgb()[:3], w.getRgb()[:3])]
    return QColor(*mix)


def mend_disabled(app=None) -> bool:
    """Under a dark palette whose disabled text is (next to) its background's shade, the disabled text of the
    app's palette is made the enabled text faded half way to that background. A palette built from a dark
    button colour (``QPalette(QColor(53, 53, 53))``) derives disabled text 26 on a 35 field: the greyed Steps,
    Seed and Samples boxes showed no number at all (Xvfb). A palette that sets its own readable disabled
    colours is left alone; so is a light one. Returns whether the palette was changed."""
    app = app or QGuiApplication.instance()
    if app is None or not is_dark(app.palette()):
        return False
    pal = QPalette(app.palette())
    changed = False
    for text, field in ((QPalette.Text, QPalette.Base), (QPalette.WindowText, QPalette.Window),
                        (QPalette.ButtonText, QPalette.Button)):
        bg = pal.color(QPalette.Disabled, field)
        if abs(pal.color(QPalette.Disabled, text).lightnessF() - bg.lightnessF()) < DISABLED_CONTRAST:
            fg = pal.color(QPalette.Active, text)
            pal.setColor(QPalette.Disabled, text, QColor(*[round((a + b) / 2) for a, b in
                                                             zip(fg.getRgb()[:3], bg.getRgb()[:3])]))
            changed = True
    if changed:
        app.setPalette(pal)
    return changed


def _luminance(c: QColor) -> float:
    """WCAG 2's relative luminance of an sRGB colour."""
    def lin(v):
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(float(x)) for x in c.getRgb()[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2's contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(colour: QColor, background: QColor, ratio: float) -> QColor:
    """``colour`` where it reads on ``background`` (a contrast of at least ``ratio``), else the same hue made
    lighter on a dark background (darker on a mid one) until it does."""
    h, s, light, _ = colour.getHslF()
    step = 0.02 if _luminance(background) < 0.18 else -0.02   # away from the background's shade
    while contrast(colour, background) < ratio and 0.0 < light < 1.0:
        light = min(1.0, max(0.0, light + step))
        colour = QColor.fromHslF(h, s, light)
    return colour


def text_ink(strength: float = 0.62, palette: QPalette | None = None) -> QColor:
    """:func:`ink` made readable on the window (NOTE_CONTRAST): the plots' titles and axis text. pyqtgraph's own
    title grey (150, 150, 150) was 2.6:1 on the light window; ink(0.62), 4.45:1 on a dark one (53)."""
    pal = palette or _palette()
    return readable(ink(strength, pal), pal.color(QPalette.Window), NOTE_CONTRAST)


def note_css(palette: QPalette | None = None) -> str:
    """The style sheet of a note's text on ``palette``'s window: NOTE_GREY made readable (NOTE_CONTRAST)."""
    pal = palette or _palette()
    return f"color: {readable(QColor(*NOTE_GREY), pal.color(QPalette.Window), NOTE_CONTRAST).name()};"


def style_note(label):
    """Draw ``label``'s text as a note, in a grey that reads on the window, light or dark (:func:`note_css`);
    :func:`restyle_notes` chooses it again when the palette changes."""
    label.setProperty("dpm_note", True)
    parent = label.parentWidget()
    label.setStyleSheet(note_css(parent.palette() if parent is not None else None))


def restyle_notes(root):
    """The palette changed (a desktop theme switched light/dark): every note under ``root`` in a grey that reads
    on it. A label with a style sheet gets no palette change of its own."""
    from PySide6.QtWidgets import QLabel

    css = note_css(root.palette())   # the window's new colour (its children may not have theirs yet)
    for label in root.findChildren(QLabel):
        if label.property("dpm_note") and label.styleSheet() != css:
            label.setStyleSheet(css)


def indicator_edge(palette: QPalette) -> QColor:
    """The edge drawn round an enabled check box's or radio button's indicator on ``palette``: ink made readable
    on the window at EDGE_CONTRAST. Fusion draws the indicator's edge darker than the window and fills it with
    the base colour: on a dark window (53) the unchecked box and radio button were 1.3:1 against it, all but
    invisible, and 1.65:1 on the light one (239) (Xvfb)."""
    return readable(ink(0.5, palette), palette.color(QPalette.Window), EDGE_CONTRAST)


def mend_indicators(app=None) -> bool:
    """Draw the check boxes' and radio buttons' indicators with an edge that reads on the window
    (:func:`indicator_edge`): the app's style wrapped, once, in a proxy that adds it. Returns whether it was."""
    from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle

    app = app or QApplication.instance()
    if app is None or isinstance(app.style(), QProxyStyle) and app.style().property("dpm_edges"):
        return False

    class _Edges(QProxyStyle):
        def drawPrimitive(self, element, option, painter, widget=None):
            super().drawPrimitive(element, option, painter, widget)
            if element not in (QStyle.PE_IndicatorCheckBox, QStyle.PE_IndicatorRadioButton) or \
                    not option.state & QStyle.State_Enabled:   # a disabled one is drawn faint on purpose
                return
            edge = indicator_edge(option.palette)
            from PySide6.QtCore import QRectF, Qt

            painter.save()
            painter.setRenderHint(painter.RenderHint.Antialiasing, True)
            painter.setPen(edge)
            painter.setBrush(Qt.NoBrush)
            r = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
            if element == QStyle.PE_IndicatorRadioButton:
                painter.drawEllipse(r)
            else:
                painter.drawRoundedRect(r, 1.5, 1.5)
            painter.restore()

    palette = QPalette(app.palette())   # setStyle may put the style's own palette back
    style = _Edges(app.style().name())
    style.setProperty("dpm_edges", True)
    app.setStyle(style)
    app.setPalette(palette)
    return True


def mend_palette(app=None) -> None:
    """What the window asks of the theme once, at its start: a dark palette's disabled text made readable
    (:func:`mend_disabled`) and the check boxes' and radio buttons' edges drawn (:func:`mend_indicators`)."""
    mend_disabled(app)
    mend_indicators(app)
