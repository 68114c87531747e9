"""File > Save and the status bar's word of where a file went (helper app15). Each test failed before its fix."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QStatusBar

from gui_helpers import gradient_image


def _settle(qtbot):
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(20)


def test_a_saved_files_name_stays_in_sight_down_to_the_narrowest_window(qtbot, win, tmp_path):
    """At 760 px the status bar said "Saved /tmp/pytest-of-ro…": where the file went was in the tooltip only.
    The path's folders are elided in their middle now, the file name kept, down to the narrowest window."""
    deep = tmp_path / "holidays-2026" / "restored-by-hand" / "second-pass"
    deep.mkdir(parents=True)
    out = deep / "harbour-at-dusk-restored-dpm.png"
    win.files.set_image(gradient_image(32, 32))
    sb = win.statusBar()
    for width in (760, 1):   # 1: the window goes no narrower than its layout allows
        win.resize(width, 600)
        _settle(qtbot)
        assert win.files.save_image(out)
        shown = QStatusBar.currentMessage(sb)   # what Qt paints
        assert sb.currentMessage() == f"Saved {out}" and sb.toolTip() == f"Saved {out}", width
        assert shown.startswith("Saved ") and shown.endswith("/" + out.name) and "\u2026" in shown, (win.width(), shown)
        assert sb.fontMetrics().horizontalAdvance(shown) <= sb.room(), (win.width(), shown)
    win.resize(1800, 600)   # widened: whole again
    _settle(qtbot)
    assert QStatusBar.currentMessage(sb) == f"Saved {out}" and sb.toolTip() == ""


def test_a_path_is_elided_folders_first_then_the_note_then_the_name(qapp):
    from dpm_studio.gui.status_bar import elide_message

    from PySide6.QtGui import QFontMetrics

    fm = QFontMetrics(QApplication.font())
    path = "/home/someone/Pictures/holidays/2026/restored/a-rather-long-file-name.png"
    name = "a-rather-long-file-name.png"
    note = "  Note: a JPEG has no alpha channel."
    for text in (f"Saved {path}", f"Saved {path}{note}", f"Accepted the result and saved {path}{note}"):
        head = text[:text.find(path)]
        for room in range(20, fm.horizontalAdvance(text) + 10, 7):
            shown = elide_message(text, path, fm.horizontalAdvance, room, fm.elidedText)
            assert fm.horizontalAdvance(shown) <= room, (room, shown)
            if room >= fm.horizontalAdvance(head + "\u2026/" + name + " \u2026"):   # the name stays whole
                assert shown.startswith(head) and ("/" + name) in shown, (room, shown)
            if room >= fm.horizontalAdvance(head + path + " \u2026"):   # the folders too, the note cut
                assert shown.startswith(head + path), (room, shown)
    # no path named: the right end goes, as before
    assert elide_message("Saved " + path, None, fm.horizontalAdvance, 120, fm.elidedText).endswith("\u2026")
