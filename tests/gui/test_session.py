"""The Qt-free session: one document, one mask, one history for mask edits and accepted results."""

import subprocess
import sys

import numpy as np
import pytest

from dpm_studio.gui.session import Session


def test_mask_edits_and_accepted_results_share_one_history():
    s = Session()
    img = np.random.default_rng(0).random((16, 20, 3)).astype(np.float32)
    doc = s.open(img, name="p.png", dirty=False)
    assert doc.runs == [] and s.mask.shape == (16, 20) and not s.history.can_undo()
    before = s.mask.copy()
    after = before.copy()
    after[4:8, 4:8] = 1
    assert s.edit_mask(before, after, "stroke")
    res = img.copy()
    res[4:8, 4:8] = 0.5
    s.accept(res, {"task": "inpaint"})
    assert doc.dirty and doc.runs == [{"task": "inpaint"}] and s.has_unsaved()
    np.testing.assert_array_equal(doc.pixels, res)
    assert s.undo().kind == "image"
    np.testing.assert_array_equal(doc.pixels, img)
    assert doc.runs == [] and s.mask[5, 5] == 1  # the stroke stays
    assert s.undo().kind == "mask" and s.mask.max() == 0
    assert s.redo().kind == "mask" and s.redo().kind == "image"
    np.testing.assert_array_equal(doc.pixels, res)
    assert doc.runs == [{"task": "inpaint"}]
    with pytest.raises(ValueError, match="new document"):
        s.accept(np.zeros((4, 4, 3), np.float32), {"task": "sample"})
    s.state = "review"
    with pytest.raises(ValueError):
        s.state = "thinking"


def test_each_document_has_its_own_noise_level():
    rng = np.random.default_rng(1)
    s = Session()
    noisy = s.open(np.clip(0.5 + rng.normal(0, 0.08, (64, 64)), 0, 1))
    clean = s.open(np.full((64, 64, 3), 0.5, np.float32))
    assert abs(noisy.noise_sigma - 0.08) < 0.01 and clean.noise_sigma == 0
    s.open(np.clip(0.5 + rng.normal(0, 0.08, (64, 64, 3)), 0, 1))
    s.accept(np.full((64, 64, 3), 0.5, np.float32), {"task": "denoise"})
    assert s.doc.noise_sigma == 0, "a denoised result is measured anew"
    s.undo()
    assert abs(s.doc.noise_sigma - 0.08) < 0.01


def test_the_model_side_of_the_app_loads_no_qt():
    code = ("import sys, dpm_studio.gui.session, dpm_studio.gui.frames, dpm_studio.gui.maskops, "
            "dpm_studio.gui.models;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')];"
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
