"""Trajectory exports after an Accept write the accepted draw's chain: with several samples under review the user
picks draw 2 and accepts it, and File > Export Trajectory then wrote chain 0 (the mean's), not the one accepted
(session.chain() fell back to 0 once the review ended)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from dpm_studio import imageio
from gui_helpers import image_with_mask

RUN_MS = 60_000


def test_an_export_after_accept_writes_the_accepted_draws_chain(qtbot, win, tmp_path):
    image_with_mask(win, 24, 6, task="inpaint")
    tp = win.task_panel
    tp.steps_all.setChecked(False)
    tp.steps.setValue(3)
    tp.samples.setValue(2)
    assert win.runs.run(), tp.hint.text()
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        pass
    tr = win.session.trajectory
    win.runs.choose_variant(2)
    assert win.session.chain() == 2
    last = len(tr) - 1
    mine, mean = tr.frame(last, False, 2), tr.frame(last, False, 0)
    assert not np.array_equal(mine, mean), "the two chains differ, or the test tells nothing"
    win.runs.accept_result()
    win.runs.finish_accept()
    assert win.session.state == "edit" and win.session.trajectory is tr
    assert win.session.chain() == 2, "the accepted draw's chain, after its review"
    assert win.exports.frames(str(tmp_path))
    with qtbot.waitSignal(win.exporter.finished, timeout=RUN_MS):
        pass
    written = imageio.frame_paths(str(tmp_path), len(tr))
    got = np.asarray(Image.open(written[-1]))
    np.testing.assert_array_equal(got.reshape(mine.shape), mine)
