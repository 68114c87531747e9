"""The app's error dialogs end their message as the command line ends its errors (errorlog.sentence, in
Dialogs.error: the one place every error dialog passes). "Cannot open image" said "notes.png: not an image
file ..." without its full stop, where the command line said the same words."""

from dpm_studio.gui.dialogs import Dialogs


def test_cannot_open_image_says_one_sentence(win, tmp_path, msgbox):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    assert not win.files.open_image(bad)
    crit = [c for c in msgbox if c[0] == "critical"]
    assert len(crit) == 1 and crit[0][1] == "Cannot open image"
    assert crit[0][2].startswith("notes.png") and crit[0][2].endswith(".") and not crit[0][2].endswith("..")


def test_the_real_dialog_ends_the_message(qtbot, msgbox):
    Dialogs(None).error("Cannot load mask", "m.png: a photograph, not a mask; paint one or add --soft-mask")
    Dialogs(None).error("Cannot load mask", "Already a sentence.")
    assert [c[2] for c in msgbox] == ["m.png: a photograph, not a mask; paint one or add --soft-mask.",
                                      "Already a sentence."]
