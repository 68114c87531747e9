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


def test_file_save_asks_where_the_first_time_then_saves_to_the_same_file(qtbot, win, image_file, tmp_path):
    """There was no File > Save, only Save As (Ctrl+S was a second key of Save As: it asked every time). Save asks
    the first time, as Save As, then writes the same file, in its format and at its quality, without a word."""
    from PySide6.QtGui import QKeySequence

    assert [k.toString() for k in win.act_save.shortcuts()] == ["Ctrl+S"]
    assert QKeySequence("Ctrl+S") not in win.act_save_as.shortcuts()   # one command per key
    path, _ = image_file
    assert win.files.open_image(path)
    out = tmp_path / "restored.jpg"
    win.dialogs.paths["save_image"] = str(out)
    win.dialogs.answers["quality"] = 70
    win.act_save.trigger()
    assert win.dialogs.asked == ["save_image", "quality"] and out.exists()
    assert "restored.jpg" in win.windowTitle() and win.statusBar().currentMessage() == f"Saved {out}"
    first = out.read_bytes()
    out.unlink()
    win.statusBar().clearMessage()
    win.act_save.trigger()   # the same file, format and quality (the same bytes), nothing asked
    assert win.dialogs.asked == ["save_image", "quality"] and out.read_bytes() == first
    assert win.statusBar().currentMessage() == f"Saved {out}" and not win.has_unsaved()
    win.dialogs.answers["quality"] = 95
    win.dialogs.paths["save_image"] = str(tmp_path / "other.png")
    win.act_save_as.trigger()   # Save As still asks; Save then writes the file it chose
    win.act_save.trigger()
    assert win.dialogs.asked == ["save_image", "quality", "save_image"] and win.session.doc.save_target.name == "other.png"
    assert out.read_bytes() == first


def test_file_save_never_writes_over_the_original_without_asking(qtbot, win, image_file):
    path, _ = image_file
    original = path.read_bytes()
    assert win.files.open_image(path)
    win.dialogs.paths["save_image"] = None   # Save asks where; cancelled: nothing written
    assert not win.files.save() and win.dialogs.asked == ["save_image"] and path.read_bytes() == original
    win.dialogs.paths["save_image"] = str(path)   # the original chosen: asked about, No keeps it
    win.dialogs.answers["confirm"] = False
    assert not win.files.save() and win.dialogs.asked[-1] == "confirm" and path.read_bytes() == original
    assert win.session.doc.save_target is None
    win.dialogs.answers["confirm"] = True   # Yes replaces it; the next Save does not ask again (it is gone)
    assert win.files.save() and win.dialogs.asked.count("confirm") == 2
    assert win.files.save() and win.dialogs.asked.count("confirm") == 2 and win.dialogs.asked.count("save_image") == 3


def test_the_pixel_readout_gives_way_to_a_timed_message_too_long_beside_it(qtbot, win):
    """At 760 px with the pointer on the image (where Ctrl+Z and Ctrl+S are pressed) the readout's 300 px cut
    "Undid accept denoise: the image is a…" (Xvfb). It gives way while such a message lasts, then comes back;
    a message that stays (a run's) leaves it in place."""
    from gui_helpers import vp_point
    from PySide6.QtTest import QTest

    win.files.set_image(gradient_image(64, 64))
    win.resize(760, 600)
    _settle(qtbot)
    QTest.mouseMove(win.canvas.viewport(), vp_point(win.canvas, 20, 20))
    _settle(qtbot)
    sb, readout = win.statusBar(), win.pixel_label
    assert readout.isVisible() and readout.text().startswith("x ")
    text = "Undid accept denoise: the image is as it was before that run (Ctrl+Shift+Z redoes it)."
    sb.showMessage(text, 400)
    _settle(qtbot)
    assert QStatusBar.currentMessage(sb) == text and not readout.isVisible()
    qtbot.waitUntil(lambda: readout.isVisible(), timeout=3000)   # its time is up: the readout is back
    sb.showMessage(text)   # no timeout: the readout stays, the message is elided
    _settle(qtbot)
    assert readout.isVisible() and QStatusBar.currentMessage(sb).endswith("\u2026")
    sb.showMessage("Saved a.png", 400)   # one that fits beside it: the readout stays
    _settle(qtbot)
    assert readout.isVisible() and QStatusBar.currentMessage(sb) == "Saved a.png"
    QTest.mouseMove(win.canvas.viewport(), vp_point(win.canvas, -30, -30))   # off the image: hidden
    _settle(qtbot)
    assert not readout.isVisible()
    sb.showMessage(text, 1500)   # the pointer comes onto the image while such a message lasts: it stays away
    QTest.mouseMove(win.canvas.viewport(), vp_point(win.canvas, 30, 30))
    _settle(qtbot)
    assert readout.isHidden() and not readout.isVisible() and QStatusBar.currentMessage(sb) == text
    qtbot.waitUntil(lambda: readout.isVisible(), timeout=4000)
