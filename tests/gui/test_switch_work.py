"""What a task switch does on the GUI thread (benchmarks/switch_stall.py: the ~60 ms stall left after d5948ea).

Profiled (GUI-thread CPU by time.thread_time, app19): the switch call was 58 ms of wall time for 8 ms of the GUI
thread's own CPU, because the model's loading thread started in the middle of it and took the GIL (building the
network is Python) while the switch's own work went on. The thread now starts on the next turn of the event loop,
after the switch's work; and two pieces of that work done for nothing are gone: the model list's tooltips made again
for rows that do not change with the task, and the panel's enabled state worked out once more for a tick box's echo."""

from __future__ import annotations

from dpm_studio.core.files import checkpoint
from dpm_studio.core.files.cardschema import is_image_card
from dpm_studio.gui import model_picker, task_panel
from gui_helpers import gradient_image


def _denoise_has_tiny_grey(win):
    tp = win.task_panel
    win.files.set_image(gradient_image(24, 24))
    tp.set_task("denoise")
    assert win.checkpoints.select("tiny-grey")
    assert win.checkpoints.wait_loaded(30)
    tp.set_task("inpaint")


def test_the_models_thread_starts_after_the_switchs_own_work(qtbot, win):
    _denoise_has_tiny_grey(win)
    ck = win.checkpoints
    checkpoint.clear_cache()
    win.task_panel.set_task("denoise")
    assert ck.loading().endswith("tiny-grey.json") and not win.task_panel.run_bar.run_button.isEnabled()
    assert ck._thread is not None and ck._thread.ident is None, "not started inside the switch"
    assert ck.wait_loaded(30)
    assert ck.loaded.card["name"] == "tiny-grey" and ck._thread.ident is not None


def test_a_window_shut_down_before_the_load_starts_starts_no_thread(qtbot, win):
    _denoise_has_tiny_grey(win)
    ck = win.checkpoints
    checkpoint.clear_cache()
    win.task_panel.set_task("denoise")
    thread = ck._thread
    assert ck.shutdown(1), "nothing to wait for"
    qtbot.wait(50)
    assert thread.ident is None and not thread.is_alive()


def test_a_task_switch_does_no_panel_work_twice(qtbot, win, monkeypatch):
    """Between tasks with their own models, one of them ticking 'all steps': the model list makes the tooltip of the
    model shown only (the rows' own do not change: only a black-and-white model's, greyed on Denoise), and the
    panel works out what is greyed once for the task and once for its model (the tick box's echo is not a third)."""
    _denoise_has_tiny_grey(win)
    tp = win.task_panel
    tp.steps_all.setChecked(False)   # inpaint: its own steps; denoise: all of them
    tp.set_task("denoise")
    tp.steps_all.setChecked(True)
    tp.set_task("inpaint")
    tips, updates = [], []
    real_tip, real_update = model_picker.card_tooltip, task_panel.TaskPanel._show_exact

    def tip(card):
        tips.append(card.get("name"))
        return real_tip(card)

    def update(self, *a):   # the first thing _update_enabled does (a connection holds the method itself)
        updates.append(self.task())
        return real_update(self, *a)

    monkeypatch.setattr(model_picker, "card_tooltip", tip)
    monkeypatch.setattr(task_panel.TaskPanel, "_show_exact", update)
    tp.set_task("denoise")
    assert tp.steps_all.isChecked() and win.checkpoints.loaded.card["name"] == "tiny-grey"
    binomial = [c["name"] for c in tp.cards() if c.get("family") == "binomial" and is_image_card(c)]   # greyed on Denoise, saying why
    assert sorted(tips) == sorted(binomial + ["tiny-grey"]), tips
    assert updates == ["denoise", "denoise"], updates
