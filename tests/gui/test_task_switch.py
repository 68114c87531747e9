"""A task switch selects that task's model again (session.models): the plots dock's schedule curves of a model were
made again each time, a pass of its network on the GUI thread (0.5-2.5 s of a task switch with the shipped models
at load 8; benchmarks/task_switch.py, docs/speed.md)."""

from __future__ import annotations

import numpy as np


def test_switching_tasks_runs_no_model_whose_curves_were_made(win):
    from gui_helpers import gradient_image

    win.files.set_image(gradient_image(40, 48))
    tp = win.task_panel
    tp.set_task("denoise")
    assert win.checkpoints.select("tiny-grey")   # denoise's own model; inpaint keeps tiny-rgb
    tp.set_task("inpaint")
    nets = {}
    for task in ("denoise", "inpaint"):
        tp.set_task(task)
        assert win.checkpoints.wait_loaded()   # (the first time: in a thread)
        nets[task] = win.checkpoints.loaded.net
    assert nets["denoise"] is not nets["inpaint"]
    passes = []
    hooks = [n.register_forward_hook(lambda *_: passes.append(1)) for n in nets.values()]
    try:
        for _ in range(3):
            for task in ("denoise", "inpaint"):
                tp.set_task(task)
    finally:
        for h in hooks:
            h.remove()
    assert passes == [], f"{len(passes)} network passes in 6 task switches"


class _Reads(np.ndarray):
    """A mask that counts the rows each numpy pass over it reads (a band of rows counts as its rows)."""

    rows: list

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _Reads.rows += [i.shape[0] for i in inputs if isinstance(i, _Reads)]
        inputs = tuple(np.asarray(i) if isinstance(i, _Reads) else i for i in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        _Reads.rows += [a.shape[0] for a in args if isinstance(a, _Reads)]
        args = tuple(np.asarray(a) if isinstance(a, _Reads) else a for a in args)
        return func(*args, **kwargs)


def test_a_switch_to_denoise_reads_the_mask_once(win):
    """The Denoise hint's test and share, and the mask panel's line, each read the mask: (m > 0).any(),
    count_nonzero(m), (m > 0).sum(), three passes over a 12 MP mask (20-40 ms) at each switch to Denoise
    (benchmarks/task_switch.py). One count now serves both, the same words; the session keeps it until the mask
    changes (Session.covered, which the greyed Clear and Export Mask read too), so a switch back reads nothing."""
    from gui_helpers import image_with_box

    image_with_box(win, (60, 80), (10, 40, 20, 50), task="inpaint")
    tp = win.task_panel
    win.session.mask = win.session.mask.view(_Reads)
    win.session._covered = None   # as after a mask edit: not counted yet
    _Reads.rows = []
    tp.set_task("denoise")
    assert sum(_Reads.rows) == 60, f"{sum(_Reads.rows) / 60:g} passes over the mask"
    assert "masked region only (18.8%)" in tp.hint.text()
    assert win.mask_panel.coverage.text() == "mask covers 18.8% (900\u00a0px)"
    _Reads.rows = []
    tp.set_task("inpaint")
    assert sum(_Reads.rows) == 0 and "masked region" not in tp.hint.text()
