#!/usr/bin/env python
"""Make the documentation screenshots of the desktop app.

Opens a picture, paints a mask with real mouse events, runs inpaintings and saves

- docs/screenshots/main-window-editing.png    (the mask painted, before the run)
- docs/screenshots/main-window-mid-run.png    (a large photo with a small hole, halfway through
                                               the run: the crop is shown in place, the view stays)
- docs/screenshots/main-window-after-run.png  (a result under review, split compare on)
- docs/screenshots/main-window-variants.png   (four samples offered beside their mean, one chosen)
- docs/screenshots/main-window-uncertainty.png (the spread of the samples, per pixel)
- docs/screenshots/main-window-denoised.png   (a noisy 8-bit photo denoised, --noise auto's curve in the plots)
- docs/screenshots/main-window-inpainted.png  (an inpainting accepted: the fill on show, the mask hidden)

The model is the first image checkpoint found in the checkpoint folders (a shipped one in
checkpoints/ if present); without one, a tiny untrained model is built in a temporary
folder, which fills the hole with structured noise but exercises the whole flow.

Under a real X server with a window manager (what a user sees, decorations included):

    Xvfb :99 -screen 0 1400x900x24 & DISPLAY=:99 openbox &   # the window is 1280 x 800
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python scripts/screenshots.py --x11

Without one: ``QT_QPA_PLATFORM=offscreen python scripts/screenshots.py`` grabs the window itself.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WALLPAPER = "/work/data/wallpapers/ColorfulCups.jpg"


def build_tiny_checkpoint(folder: Path) -> Path:
    from dpm_studio.core import GaussianDiffusion, Schedule
    from dpm_studio.core.files import checkpoint
    from dpm_studio.core.math.nets import build_net

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

        im = Image.fromarray(data.rocket()).resize((432, 288), Image.LANCZOS)
        return np.asarray(im, dtype=np.float32) / 255.0, "rocket.png"
    except Exception:
        yy, xx = np.mgrid[0:288, 0:432] / 288.0
        sky = np.stack([0.35 + 0.2 * yy, 0.55 + 0.2 * yy, 0.85 - 0.1 * yy], 2)
        img = sky.copy()
        img[yy > 0.7] = [0.3, 0.5, 0.25]
        disc = (xx - 0.9) ** 2 + (yy - 0.35) ** 2 < 0.05
        img[disc] = [0.95, 0.85, 0.4]
        return img.astype(np.float32), "synthetic.png"


def large_picture(tmpdir: Path):
    """A 10 MP photograph: a KDE wallpaper (when fetched) enlarged to 4000 x 2500, else the rocket enlarged."""
    import numpy as np
    from PIL import Image

    if Path(WALLPAPER).is_file():
        im = Image.open(WALLPAPER).convert("RGB")
    else:
        im = Image.fromarray((sample_picture()[0] * 255).astype(np.uint8))
    path = tmpdir / "large-photo.jpg"
    im.resize((4000, 2500), Image.LANCZOS).save(path, quality=92)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--size", default="1280x800", help="window size WxH")
    ap.add_argument("--x11", action="store_true", help="capture the X server's root window with ImageMagick's "
                    "import (decorations included) instead of grabbing the window")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.TemporaryDirectory(prefix="dpm-shots-")
    tmpdir = Path(tmp.name)
    # Keep the user's settings out of it.
    os.environ["XDG_CONFIG_HOME"] = str(tmpdir / "config")
    os.environ["XDG_DATA_HOME"] = str(tmpdir / "data")

    from dpm_studio.core.files.checkpoint import list_cards

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
    from dpm_studio.gui.app import create_app
    from dpm_studio.gui.canvas import Tool

    app = create_app()
    pg.setConfigOptions(antialias=True)
    from dpm_studio.gui.main_window import MainWindow

    settings = QSettings(str(tmpdir / "settings.ini"), QSettings.IniFormat)
    win = MainWindow(settings=settings)
    w, h = (int(v) for v in args.size.split("x"))
    win.resize(w, h)
    win.move(40, 30)
    win.show()
    QTest.qWaitForWindowExposed(win)
    c = win.canvas
    vp = c.viewport()
    shots = []

    def shoot(name):
        app.processEvents()
        QTest.qWait(250)
        app.processEvents()
        path = out / name
        if args.x11:
            subprocess.run(["import", "-window", "root", str(path)], check=True)
        else:
            win.grab().save(str(path))
        shots.append(path)

    def drag(points, button=Qt.LeftButton):
        pts = [c.image_to_viewport(x, y) for x, y in points]
        QTest.mousePress(vp, button, Qt.NoModifier, pts[0])
        for a, b in zip(pts, pts[1:]):
            for k in range(1, 9):
                QTest.mouseMove(vp, a + (b - a) * k / 8)
        QTest.mouseRelease(vp, button, Qt.NoModifier, pts[-1])

    def run_to_end(on_frame=None):
        loop = QEventLoop()
        win.runner.finished.connect(loop.quit)
        win.runner.errored.connect(loop.quit)
        win.runner.aborted.connect(loop.quit)
        if on_frame is not None:
            win.runner.frame.connect(on_frame)
        QTimer.singleShot(600_000, loop.quit)
        if not win.runs.run():
            raise SystemExit(f"could not start the run: {win.task_panel.hint.text()}")
        loop.exec()
        for sig in (win.runner.finished, win.runner.errored, win.runner.aborted):
            sig.disconnect(loop.quit)
        if on_frame is not None:
            win.runner.frame.disconnect(on_frame)
        if win.state() != "review":
            raise SystemExit(f"the run did not finish: {win.state()}: {win.statusBar().currentMessage()}")

    # 1. editing: a photograph with a painted mask
    pixels, name = sample_picture()
    pic = tmpdir / name
    imageio.save_image(pic, pixels)
    if not win.files.open_image(pic):
        print("could not open the sample picture", file=sys.stderr)
        return 1
    H, W = pixels.shape[:2]
    c.set_tool(Tool.RECT)
    drag([(W * 0.60, H * 0.25), (W * 0.74, H * 0.50)])
    c.set_tool(Tool.BRUSH)
    c.set_brush_size(max(6, W // 30))
    drag([(W * 0.12, H * 0.80), (W * 0.22, H * 0.74), (W * 0.32, H * 0.78)])
    win.mask_panel.feather.setValue(1.5)
    win.task_panel.set_task("inpaint")
    win.task_panel.steps_all.setChecked(False)
    win.task_panel.steps.setValue(args.steps)
    win.task_panel.seed.setValue(7)
    QTest.mouseMove(vp, c.image_to_viewport(W * 0.3, H * 0.4))  # a pixel readout in the status bar
    shoot("main-window-editing.png")

    # 2. review: the result with the split compare
    run_to_end()
    win.act_split.setChecked(True)
    c.split_line.setValue(W * 0.67)
    shoot("main-window-after-run.png")
    win.act_split.setChecked(False)

    # 3. variants and their spread: four samples on the same mask
    win.runs.discard_result()
    win.task_panel.samples.setValue(4)
    run_to_end()
    win.result_bar.variant.setCurrentIndex(2)  # sample 2 of 4
    shoot("main-window-variants.png")
    win.result_bar.variant.setCurrentIndex(win.result_bar.variant.count() - 1)  # the spread
    shoot("main-window-uncertainty.png")
    win.runs.discard_result()
    win.task_panel.samples.setValue(1)

    # 4. mid-run on a large photograph with a small hole: the crop is composited in place
    big = large_picture(tmpdir)
    if not win.files.open_image(big):
        print("could not open the large picture", file=sys.stderr)
        return 1
    BH, BW = c.image_shape()
    cx, cy, r = BW * 0.52, BH * 0.46, 40
    c.set_tool(Tool.RECT)
    c.set_zoom(0.5, c.image_to_viewport(cx, cy))  # the user zoomed in on the hole's neighbourhood
    c.vb.setRange(xRange=(cx - 600, cx + 600), yRange=(cy - 380, cy + 380), padding=0)
    app.processEvents()
    drag([(cx - r, cy - r), (cx + r, cy + r)])

    class Grabber(QObject):
        def __init__(self):
            super().__init__()
            self.done = False

        @Slot(object)
        def on_frame(self, frame):
            if not self.done and frame.index + 1 >= frame.total // 2:
                self.done = True
                win.plots.update_run(frame, now=True)  # the plots are throttled: bring them up to date
                shoot("main-window-mid-run.png")

    grabber = Grabber()
    run_to_end(grabber.on_frame)
    win.runs.discard_result()

    # 5. a finished denoise: the photo as a camera's file holds it (8-bit, noise clipped at 0 and 255)
    rng = np.random.default_rng(3)
    noisy = np.clip(np.round(pixels * 255 + rng.normal(0, 20, pixels.shape)), 0, 255).astype(np.uint8)
    noisy_path = tmpdir / "rocket-noisy.png"
    imageio.save_image(noisy_path, noisy.astype(np.float32) / 255)   # floats in [0, 1], as 8 bits
    if not win.files.open_image(noisy_path):
        print("could not open the noisy picture", file=sys.stderr)
        return 1
    win.task_panel.set_task("denoise")
    win.act_plots.trigger()   # the plots, with the noise curve the run uses
    run_to_end()
    shoot("main-window-denoised.png")
    win.runs.discard_result()
    win.act_plots.trigger()

    # 6. a finished inpainting, accepted: the fill is on show, the mask that made it hidden
    if not win.files.open_image(pic):
        print("could not open the sample picture", file=sys.stderr)
        return 1
    win.task_panel.set_task("inpaint")
    c.set_tool(Tool.RECT)
    drag([(W * 0.60, H * 0.25), (W * 0.74, H * 0.50)])
    run_to_end()
    win.runs.accept_result()
    QTest.mouseMove(vp, c.image_to_viewport(W * 0.67, H * 0.4))
    shoot("main-window-inpainted.png")
    for f in shots:
        print(f)
    win.dialogs.ask_unsaved = lambda text: "discard"
    win.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
