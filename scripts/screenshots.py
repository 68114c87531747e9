#!/usr/bin/env python
"""Make the documentation screenshots of the desktop app.

Opens a picture, paints a mask with real mouse events, runs an inpainting and saves

- docs/screenshots/main-window-editing.png   (the mask painted, before the run)
- docs/screenshots/main-window-mid-run.png   (halfway through the reverse trajectory)
- docs/screenshots/main-window-after-run.png (the result under review, split compare on)

The model is the first image checkpoint found in the checkpoint folders (a shipped one in
checkpoints/ if present); without one, a tiny untrained model is built in a temporary
folder, which fills the hole with structured noise but exercises the whole flow.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [--out docs/screenshots] [--steps 60]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_tiny_checkpoint(folder: Path) -> Path:
    from dpm_studio.core import GaussianDiffusion, Schedule, checkpoint
    from dpm_studio.core.nets import build_net

    spec = {"type": "unet", "kwargs": {"T": 100, "channels": 3, "base": 8, "channel_mults": [1, 2], "groups": 4}}
    d = GaussianDiffusion(Schedule("code", 100), "eps")
    net = build_net(spec)
    return checkpoint.save(folder / "tiny-untrained", d, net, {
        "network": spec, "description": "tiny untrained U-Net, for screenshots only",
        "data": {"recipe": "none", "channels": 3, "scale": {"mean": 0.5, "std": 0.25},
                 "provenance": "untrained: random weights (scripts/screenshots.py)"}})


def sample_picture():
    """skimage's 'rocket' photograph (public domain, NASA), downscaled; a synthetic scene without skimage."""
    import numpy as np

    try:
        from PIL import Image
        from skimage import data

        im = Image.fromarray(data.rocket()).resize((288, 192), Image.LANCZOS)
        return np.asarray(im, dtype=np.float32) / 255.0, "rocket.png"
    except Exception:
        yy, xx = np.mgrid[0:192, 0:288] / 192.0
        sky = np.stack([0.35 + 0.2 * yy, 0.55 + 0.2 * yy, 0.85 - 0.1 * yy], 2)
        img = sky.copy()
        img[yy > 0.7] = [0.3, 0.5, 0.25]
        disc = (xx - 0.9) ** 2 + (yy - 0.35) ** 2 < 0.05
        img[disc] = [0.95, 0.85, 0.4]
        return img.astype(np.float32), "synthetic.png"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--size", default="1280x820", help="window size WxH")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.TemporaryDirectory(prefix="dpm-shots-")
    tmpdir = Path(tmp.name)
    # Keep the user's settings out of it.
    os.environ["XDG_CONFIG_HOME"] = str(tmpdir / "config")
    os.environ["XDG_DATA_HOME"] = str(tmpdir / "data")

    from dpm_studio.core.checkpoint import list_cards

    image_cards = [c for c in list_cards() if c.get("network", {}).get("type") in ("unet", "multiscale")]
    if not image_cards:
        ck = tmpdir / "checkpoints"
        ck.mkdir()
        build_tiny_checkpoint(ck)
        os.environ["DPM_STUDIO_CHECKPOINTS"] = str(ck)

    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtCore import QEventLoop, QObject, QSettings, Qt, QTimer, Slot
    from PySide6.QtTest import QTest

    from dpm_studio import imageio
    from dpm_studio.gui.app import create_app, leave_a_core_for_the_gui
    from dpm_studio.gui.canvas import Tool

    app = create_app()
    pg.setConfigOptions(antialias=True)
    leave_a_core_for_the_gui()
    from dpm_studio.gui.main_window import MainWindow

    settings = QSettings(str(tmpdir / "settings.ini"), QSettings.IniFormat)
    win = MainWindow(settings=settings)
    w, h = (int(v) for v in args.size.split("x"))
    win.resize(w, h)
    win.show()
    QTest.qWaitForWindowExposed(win)

    pixels, name = sample_picture()
    pic = tmpdir / name
    imageio.save_image(pic, pixels)
    if not win.open_image(pic):
        print("could not open the sample picture", file=sys.stderr)
        return 1
    app.processEvents()

    # paint the mask with real mouse events: a rectangle and a brush stroke
    c = win.canvas
    vp = c.viewport()

    def drag(points, button=Qt.LeftButton):
        pts = [c.image_to_viewport(x, y) for x, y in points]
        QTest.mousePress(vp, button, Qt.NoModifier, pts[0])
        for a, b in zip(pts, pts[1:]):
            for k in range(1, 9):
                QTest.mouseMove(vp, a + (b - a) * k / 8)
        QTest.mouseRelease(vp, button, Qt.NoModifier, pts[-1])

    H, W = pixels.shape[:2]
    c.set_tool(Tool.RECT)
    drag([(W * 0.58, H * 0.22), (W * 0.80, H * 0.62)])
    c.set_tool(Tool.BRUSH)
    c.set_brush_size(max(6, W // 24))
    drag([(W * 0.12, H * 0.80), (W * 0.25, H * 0.72), (W * 0.40, H * 0.78)])
    win.mask_panel.feather.setValue(1.5)
    win.task_panel.set_task("inpaint")
    win.task_panel.steps_all.setChecked(False)
    win.task_panel.steps.setValue(args.steps)
    win.task_panel.seed.setValue(7)
    # hover over the picture so the status bar shows a pixel readout
    QTest.mouseMove(vp, c.image_to_viewport(W * 0.3, H * 0.4))
    QTest.qWait(200)
    win.grab().save(str(out / "main-window-editing.png"))

    class Grabber(QObject):
        def __init__(self):
            super().__init__()
            self.done = False

        @Slot(object)
        def on_frame(self, frame):
            if not self.done and frame.index + 1 >= frame.total // 2:
                self.done = True
                win.plots.update_run(frame, now=True)  # the plots are throttled: bring them up to date
                app.processEvents()
                win.grab().save(str(out / "main-window-mid-run.png"))

    grabber = Grabber()
    win.runner.frame.connect(grabber.on_frame)
    loop = QEventLoop()
    win.runner.finished.connect(loop.quit)
    win.runner.errored.connect(loop.quit)
    QTimer.singleShot(300_000, loop.quit)
    if not win.run():
        print(f"could not start the run: {win.task_panel.hint.text()}", file=sys.stderr)
        return 1
    loop.exec()
    if win.state() != "review":
        print("the run did not finish", file=sys.stderr)
        return 1
    win.act_split.setChecked(True)
    c.split_line.setValue(W * 0.69)
    QTest.qWait(300)
    win.grab().save(str(out / "main-window-after-run.png"))
    for f in ("main-window-editing.png", "main-window-mid-run.png", "main-window-after-run.png"):
        print(out / f)
    win.dialogs.ask_unsaved = lambda text: "discard"
    win.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
