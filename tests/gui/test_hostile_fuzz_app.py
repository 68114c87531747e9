"""The app's File > Open and Load Mask on damaged TIFFs (benchmarks/hostile_inputs.py): libtiff wrote its
own lines to the terminal the app was started from, Pillow its UserWarning with a line of its source, and
a file that still decoded opened without a word. Now: one dialog saying what is wrong with the file, or the
picture with a status-bar note that it is damaged; nothing on stderr either way."""

from __future__ import annotations

import numpy as np

from faulty_files import folder_state, lzw_tiff_with_bad_codes, tiff_with_a_tag_past_its_end


def test_a_damaged_tiff_is_one_dialog_and_nothing_on_stderr(win, msgbox, tmp_path, image_file, capfd):
    good, img = image_file
    assert win.files.open_image(good)
    files = tmp_path / "files"
    files.mkdir()
    bad = lzw_tiff_with_bad_codes(files / "scan.tif")
    before = folder_state(files)
    capfd.readouterr()
    for opened in (win.files.open_image, win.files.load_mask):
        assert not opened(bad)
    crit = [c for c in msgbox if c[0] == "critical"]
    assert len(crit) == 2 and all("compressed pixel data is damaged" in text and "\n" not in text for _, _, text in crit), crit
    assert capfd.readouterr().err == ""
    assert folder_state(files) == before
    np.testing.assert_array_equal(win.canvas.image(), img)  # the open image is untouched


def test_a_tiff_that_decodes_with_warnings_opens_with_a_note(win, msgbox, tmp_path, capfd):
    path = tiff_with_a_tag_past_its_end(tmp_path / "scan.tif")
    capfd.readouterr()
    assert win.files.open_image(path)
    assert win.canvas.image_shape() == (24, 33)
    assert "scan.tif is damaged: some of its tags" in win.statusBar().currentMessage()
    assert not [c for c in msgbox if c[0] == "critical"]
    assert capfd.readouterr().err == ""
