"""A task switch selects that task's model again (session.models): the plots dock's schedule curves of a model were
made again each time, a pass of its network on the GUI thread (0.5-2.5 s of a task switch with the shipped models
at load 8; benchmarks/task_switch.py, docs/speed.md)."""

from __future__ import annotations


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
