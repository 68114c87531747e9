"""Round seven of benchmarks/hostile_inputs.py: kinds of file a user has (not damaged ones), through the
command line, the API's reader and the app's File > Open; and output places that fail (a full or read-only
folder, the input itself under another name). See docs/hostile-inputs.md.

Each file kind is a (name, bytes or a maker) pair made here in memory; the checks beyond "one line or a
result" are the kind's own: an EXIF-turned photo comes out upright with no turning tag left, an animation's
or multi-page file's note says which frame is used, a bomb is refused before it is decoded, a long thin
image is done within a time limit.
"""

from __future__ import annotations

import io
import os
import struct
import sys
import time
import zlib

import numpy as np
from PIL import Image


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(w: int, h: int) -> bytes:
    """A PNG whose header declares w x h 8-bit RGB pixels and whose data is a few hundred bytes of one
    compressed row repeated (each row a filter byte and zeros: deflate makes millions of rows tiny)."""
    head = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    comp = zlib.compressobj(9)
    row = b"\0" * (1 + 3 * w)
    data = b"".join(comp.compress(row) for _ in range(min(h, 64))) + comp.flush(zlib.Z_SYNC_FLUSH)
    return head + _png_chunk(b"IDAT", data[:4096]) + _png_chunk(b"IEND", b"")


def bomb_jpeg(w: int, h: int) -> bytes:
    """A real 16 x 16 JPEG whose frame header (SOF0) is set to w x h."""
    b = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 120, 150)).save(b, "JPEG")
    data = bytearray(b.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5: sof + 9] = struct.pack(">HH", h, w)
    return bytes(data)


def bomb_gif(w: int, h: int) -> bytes:
    b = io.BytesIO()
    Image.new("P", (16, 16), 3).save(b, "GIF")
    data = bytearray(b.getvalue())
    data[6:10] = struct.pack("<HH", w, h)            # the logical screen
    img = data.find(b"\x2c")                          # the image descriptor
    data[img + 5: img + 9] = struct.pack("<HH", w, h)
    return bytes(data)


def bomb_tiff(w: int, h: int) -> bytes:
    import tifffile

    b = io.BytesIO()
    tifffile.imwrite(b, np.zeros((16, 16), np.uint8), compression="zlib")
    data = bytearray(b.getvalue())
    for tag, value in ((256, w), (257, h)):  # ImageWidth, ImageLength: SHORT or LONG entries of the first IFD
        ifd = struct.unpack("<I", data[4:8])[0]
        n = struct.unpack("<H", data[ifd: ifd + 2])[0]
        for k in range(n):
            e = ifd + 2 + 12 * k
            t, typ = struct.unpack("<HH", data[e: e + 4])
            if t == tag:
                data[e + 2: e + 4] = struct.pack("<H", 4)
                data[e + 8: e + 12] = struct.pack("<I", value)
    return bytes(data)


def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def _tiff(a: np.ndarray, **kw) -> bytes:
    import tifffile

    b = io.BytesIO()
    tifffile.imwrite(b, a, **kw)
    return b.getvalue()


def rgb(h: int = 24, w: int = 33, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def oriented_jpeg(orientation: int) -> bytes:
    """A 24 x 33 JPEG (24 rows) whose EXIF says to turn it (6: 90 degrees clockwise, shown 33 x 24)."""
    ex = Image.Exif()
    ex[0x0112] = orientation
    return _save(Image.fromarray(rgb()), "JPEG", exif=ex.tobytes(), quality=95)


def srgb_icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def rgb16_key_png(a: np.ndarray) -> bytes:
    """A 16-bit RGB PNG (written by formats.write_png) with a tRNS chunk naming pixel (0, 0)'s colour."""
    from dpm_studio.core.files import formats

    b = io.BytesIO()
    formats.write_png(b, a.astype(np.uint16) * 257)
    data, key = b.getvalue(), struct.pack(">HHH", *(int(v) * 257 for v in a[0, 0]))
    i = data.find(b"IDAT") - 4
    return data[:i] + _png_chunk(b"tRNS", key) + data[i:]


def kinds() -> dict[str, bytes]:
    """name -> bytes of each kind of file (the name's suffix is its format)."""
    a = rgb()
    im = Image.fromarray(a)
    grey = Image.fromarray(a[..., 0])
    frames = [Image.fromarray(np.roll(a, k, 0)) for k in range(3)]
    out = {
        "bomb-png.png": bomb_png(100_000, 100_000),
        "bomb-png-warning.png": bomb_png(11_000, 11_000),    # between Pillow's limit and twice it: a warning there
        "bomb-png-under.png": bomb_png(9_000, 9_000),        # under the limit: its few rows, then it ends
        "bomb-jpeg.jpg": bomb_jpeg(65_000, 65_000),
        "bomb-gif.gif": bomb_gif(65_535, 65_535),
        "bomb-tiff.tif": bomb_tiff(60_000, 60_000),
        "cmyk.jpg": _save(im.convert("CMYK"), "JPEG"),
        "cmyk.tif": _save(im.convert("CMYK"), "TIFF"),
        "lab.tif": _save(im.convert("LAB"), "TIFF"),
        "ycbcr.tif": _save(im, "TIFF", compression="jpeg"),
        "ycbcr-jpeg.jpg": _save(im, "JPEG", subsampling=2),
        "grey16.tif": _tiff((a[..., 0].astype(np.uint16) * 257)),
        "rgb16.tif": _tiff(a.astype(np.uint16) * 257, photometric="rgb"),
        "float.tif": _tiff(a.astype(np.float32) / 255, photometric="rgb"),
        "float-grey.tif": _tiff(a[..., 0].astype(np.float32) / 255),
        "palette-trns.png": _save(im.convert("P"), "PNG", transparency=im.convert("P").getpixel((0, 0))),
        "grey-trns.png": _save(grey, "PNG", transparency=int(a[0, 0, 0])),
        "rgb-trns.png": _save(im, "PNG", transparency=tuple(int(v) for v in a[0, 0])),
        "palette.png": _save(im.convert("P", palette=Image.ADAPTIVE), "PNG"),
        "rgb16-trns.png": rgb16_key_png(a),
        "grey16-trns.png": _save(Image.fromarray(a[..., 0].astype(np.uint16) * 257), "PNG", transparency=int(a[0, 0, 0]) * 257),
        "oriented6.jpg": oriented_jpeg(6),
        "oriented8.jpg": oriented_jpeg(8),
        "icc.jpg": _save(im, "JPEG", icc_profile=srgb_icc()),
        "icc.png": _save(im, "PNG", icc_profile=srgb_icc()),
        "anim.gif": b"",
        "apng.png": b"",
        "pages.tif": b"",
        "pages-lzw.tif": b"",
        "empty.png": b"",
    }
    for name, fmt, kw in (("anim.gif", "GIF", {}), ("apng.png", "PNG", {}), ("pages.tif", "TIFF", {}),
                          ("pages-lzw.tif", "TIFF", {"compression": "tiff_lzw"})):
        b = io.BytesIO()
        frames[0].save(b, fmt, save_all=True, append_images=frames[1:], **kw)
        out[name] = b.getvalue()
    return out


#: Kinds whose reading says which frame or page it used, and the words that say it.
FRAME_NOTES = {"anim.gif": "only the first frame is used", "apng.png": "only the first frame is used",
               "pages.tif": "only the first is used", "pages-lzw.tif": "only the first page is used"}
#: Kinds with a transparent part (pixel (0, 0) is transparent in each), kept into a PNG result.
TRANSPARENT = ("palette-trns.png", "grey-trns.png", "rgb-trns.png", "grey16-trns.png", "rgb16-trns.png")
#: Kinds with an ICC profile, carried into the result.
PROFILED = ("icc.jpg", "icc.png")
#: Kinds turned by their EXIF orientation: 24 x 33 stored, 33 x 24 (rows x columns) upright.
TURNED = ("oriented6.jpg", "oriented8.jpg")


def expected(name: str) -> str:
    """ "refused" (a bomb, an empty file) or "ok" for each kind."""
    return "refused" if name.startswith(("bomb", "empty", "dir")) else "ok"


def check_read(name: str, data) -> str:
    """What is wrong with ``data`` (an ImageData read from kind ``name``) for its kind, or ""."""
    if name in TURNED and (data.height, data.width) != (33, 24):
        return f"not upright: {data.width} x {data.height}"
    if name in FRAME_NOTES and not any(FRAME_NOTES[name] in n for n in data.notes):
        return f"no note of the frame used: {data.notes}"
    if name in TRANSPARENT and (data.alpha is None or data.alpha[0, 0] != 0):
        return "its transparency lost"
    if name in PROFILED and not data.icc_profile:
        return "its colour profile lost"
    return ""


def check_result(name: str, out) -> str:
    """What is wrong with the result file ``out`` made from kind ``name``, or "" (read back with the app's reader)."""
    from dpm_studio import imageio

    back = imageio.load_image(out)
    if name in TURNED:
        if (back.height, back.width) != (33, 24):
            return f"the result is not upright: {back.width} x {back.height}"
        with Image.open(out) as im:
            if im.getexif().get(0x0112) not in (None, 1):
                return "the result still says to turn it"
    if name in TRANSPARENT and (back.alpha is None or back.alpha[0, 0] != 0):
        return "the result lost the transparency"
    if name in PROFILED and not back.icc_profile:
        return "the result lost the colour profile"
    return ""


def thin(h: int, w: int) -> bytes:
    return _save(Image.fromarray(np.random.default_rng(1).integers(0, 256, (h, w, 3), dtype=np.uint8)), "PNG")


# -- the attacks (called by hostile_inputs.main with that module as H) -----------------------------------
def _out_for(work, name: str):
    return work / ("out.tif" if name.endswith(".tif") else "out.png")


def attack_cli(t, work, H, quick: bool):
    """Each kind denoised on the command line: refused in one line or a result right for its kind; thin
    images (1 x 100,000, 100,000 x 1) in the full run, timed."""
    work.mkdir()
    files = kinds()
    if not quick:
        files.update({"thin-1x100000.png": thin(1, 100_000), "thin-100000x1.png": thin(100_000, 1)})
    for name, data in files.items():
        p = work / name
        p.write_bytes(data)
        out = _out_for(work, name)
        t0 = time.perf_counter()
        H.judge_cli(t, "kinds (cli)", name, ["denoise", str(p), "--checkpoint", "tiny-rgb", "--sigma", "10"], out, [p],
                    expect=expected(name), check=lambda o, n=name: check_result(n, o))
        if name.startswith("thin"):
            print(f"  {name}: {time.perf_counter() - t0:.1f} s on the command line", file=sys.stderr)
    folder = work / "dir.png"  # a folder named like an image: as the image, as the mask
    folder.mkdir()
    H.judge_cli(t, "kinds (cli)", "a folder named dir.png as the image", ["denoise", str(folder), "--checkpoint",
                "tiny-rgb", "--sigma", "10"], work / "out.png", [], expect="refused")
    p = work / "in.png"
    p.write_bytes(_save(Image.fromarray(rgb()), "PNG"))
    H.judge_cli(t, "kinds (cli)", "a folder named dir.png as the mask", ["inpaint", str(p), "--mask", str(folder),
                "--checkpoint", "tiny-rgb", "--steps", "2"], work / "out.png", [p], expect="refused")


def attack_api(t, work, H, quick: bool):
    """Each kind read by the API's reader (dpm_studio.imageio.load_image) and denoised by api.denoise."""
    from dpm_studio import api, imageio

    work.mkdir()
    for name, data in kinds().items():
        p = work / name
        p.write_bytes(data)
        why = []

        def run(name=name, p=p, why=why):
            d = imageio.load_image(p)
            why.append(check_read(name, d))
            return api.denoise(d.pixels, 10 / 255, checkpoint="tiny-rgb")

        outcome, reason = H.judged(run, (imageio.ImageIOError,), 60)
        if outcome != "BAD" and outcome != expected(name):
            outcome, reason = "BAD", f"{outcome}, where {expected(name)} was right"
        elif outcome == "ok" and why and why[0]:
            outcome, reason = "BAD", why[0]
        t.add("kinds (api)", outcome, name, reason)
    if not quick:
        for shape in ((1, 100_000, 3), (100_000, 1, 3)):
            a = np.random.default_rng(2).integers(0, 256, shape, dtype=np.uint8)
            t0 = time.perf_counter()
            outcome, reason = H.judged(lambda a=a: api.denoise(a, 10, checkpoint="tiny-rgb"), (ValueError,), 120)
            t.add("kinds (api)", outcome, f"an array of {shape}", reason)
            print(f"  api.denoise {shape}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)


class _Dialogs:
    """The app's dialogs, answered and recorded (no window is ever shown modal)."""

    def __init__(self):
        self.errors: list[tuple[str, str]] = []
        self.save_path = None

    def error(self, title, text):
        self.errors.append((title, text))

    answer = True

    def confirm(self, *_):
        return self.answer

    def ask_unsaved(self, *_a, **_k):
        return "discard"

    def quality(self, fmt, default):
        return default

    def save_image(self, *_):
        return self.save_path

    def open_image(self, *_):
        return None

    def open_file(self, *_):
        return None

    def save_file(self, *_):
        return None

    def folder(self, *_):
        return None


def attack_app(t, work, H, quick: bool):
    """Each kind (and a folder named like an image, names with a newline or a right-to-left override) through
    the app's File > Open (FilesController.open_image, QT_QPA_PLATFORM=offscreen): one error dialog of one
    line, or the picture shown right for its kind with its notes in the status bar; an EXIF-turned photo
    exported upright. Nothing on stderr either way."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from dpm_studio.gui.main_window import MainWindow

    work.mkdir()
    app = QApplication.instance() or QApplication([])
    win = MainWindow(settings=QSettings(str(work / "app.ini"), QSettings.IniFormat))
    dialogs = win.dialogs = _Dialogs()
    files = kinds()
    files["a\nb.png"] = files["icc.png"]
    files["r\u202egnp.png"] = files["icc.png"]
    (work / "dir.png").mkdir()
    for name in [*files, "dir.png"]:
        p = work / name
        if name in files:
            p.write_bytes(files[name])
        dialogs.errors.clear()
        with H.fd2_captured() as err:
            outcome, why = H.judged(lambda p=p: win.files.open_image(p), (), 60)
            app.processEvents()
        opened = outcome == "ok" and not dialogs.errors
        if outcome == "ok":
            outcome = "ok" if opened else "refused"
            if len(dialogs.errors) > 1 or any("\n" in text or "unexpected" in text for _, text in dialogs.errors):
                outcome, why = "BAD", f"dialogs: {dialogs.errors}"
        kind = name if name in files and not name.startswith(("a\n", "r\u202e")) else "icc.png"
        if outcome not in ("BAD", expected(name if name == "dir.png" else kind)):
            outcome, why = "BAD", f"{outcome}, where {expected(kind)} was right: {dialogs.errors}"
        elif outcome == "ok":
            shown = win.canvas.image()
            status = win.statusBar().currentMessage()
            if kind in TURNED and shown.shape[:2] != (33, 24):
                outcome, why = "BAD", f"shown {shown.shape[1]} x {shown.shape[0]}, not upright"
            elif kind in FRAME_NOTES and FRAME_NOTES[kind] not in status:
                outcome, why = "BAD", f"the status bar does not say which frame: {status!r}"
            elif kind in TURNED:
                dialogs.save_path = str(work / "export.png")
                if not win.files.save_image(work / "export.png"):
                    outcome, why = "BAD", f"not exported: {dialogs.errors}"
                else:
                    why = check_result(kind, work / "export.png")
                    outcome = "BAD" if why else outcome
        if outcome != "BAD" and err[0].strip():
            outcome, why = "BAD", f"on fd 2: {err[0].strip().splitlines()[0]}"
        t.add("kinds (app)", outcome, repr(name), why)
    app_saves(t, work, H, win, dialogs)
    win.runner.shutdown(5000)
    win.close()


def app_saves(t, work, H, win, dialogs):
    """The app's Save onto the opened file itself, answered No (the original unchanged) and Yes (replaced, by
    the user's choice); into a full and a read-only folder (a 12 KB tmpfs as in :func:`attack_places`): one
    error dialog, nothing left, the image still open."""
    import subprocess

    src = work / "opened.png"
    src.write_bytes(_save(Image.fromarray(rgb(128, 128)), "PNG"))
    win.files.open_image(src)
    before = src.read_bytes()
    for answer in (False, True):
        dialogs.answer, dialogs.errors[:] = answer, []
        with H.fd2_captured() as err:
            outcome, why = H.judged(lambda: win.files.save_image(src), (), 60)
        if outcome == "ok" and not answer and src.read_bytes() != before:
            outcome, why = "BAD", "the original changed though No was answered"
        if outcome != "BAD" and err[0].strip():
            outcome, why = "BAD", f"on fd 2: {err[0].strip().splitlines()[0]}"
        t.add("kinds (app)", outcome, f"Save onto the opened file, answered {'Yes' if answer else 'No'}", why)
    dialogs.answer = True
    mnt = work / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(mnt)], capture_output=True).returncode:
        print("  app: no tmpfs could be mounted (not root?): saves into full and read-only folders skipped",
              file=sys.stderr)
        return
    try:
        for ro in (False, True):
            if ro:
                subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
            dialogs.errors[:] = []
            with H.fd2_captured() as err:
                outcome, why = H.judged(lambda: win.files.save_image(mnt / "x.png"), (), 60)
            left = sorted(p.name for p in mnt.iterdir())
            if outcome == "ok":
                outcome = "refused"
                if len(dialogs.errors) != 1 or "\n" in dialogs.errors[0][1] or left:
                    outcome, why = "BAD", f"dialogs {dialogs.errors}, left {left}"
                elif win.canvas.image() is None:
                    outcome, why = "BAD", "the image was closed"
            if outcome != "BAD" and err[0].strip():
                outcome, why = "BAD", f"on fd 2: {err[0].strip().splitlines()[0]}"
            t.add("kinds (app)", outcome, f"Save into a {'read-only' if ro else 'full'} folder", why)
    finally:
        subprocess.run(["umount", str(mnt)])


def attack_places(t, work, H, quick: bool):
    """Output places: a full folder and a read-only one (a 12 KB tmpfs mounted in the temporary folder, then
    remounted read-only: needs root, else skipped with a line), with and without a file to replace; the
    input under another name (a hard link, a symbolic link); good images named with a newline, a
    right-to-left override, Hebrew, a leading space or dash. Nothing the user has may change or be left
    half-written."""
    import subprocess

    work.mkdir()
    good = work / "in.png"
    good.write_bytes(_save(Image.fromarray(rgb(64, 64)), "PNG"))
    D = ["denoise", "--checkpoint", "tiny-rgb", "--sigma", "10"]
    os.link(good, work / "hard.png")
    os.symlink("in.png", work / "sym.png")
    for o in ("hard.png", "sym.png"):
        H.judge_cli(t, "places", f"-o {o} (the input)", D[:1] + [str(good)] + D[1:], work / o, [good], keep_out=True)
    H.judge_cli(t, "places", "-o hard.png --overwrite", D[:1] + [str(good)] + D[1:] + ["--overwrite"], work / "hard.png",
                [good], keep_out=True)  # a new file in the link's place: in.png unchanged
    for name in ("a\nb.png", "r\u202egnp.png", "\u05d0\u05d1.png", " lead.png", "-dash.png"):
        p = work / name
        p.write_bytes(good.read_bytes())
        H.judge_cli(t, "places", f"an image named {name!r}", D[:1] + [str(p)] + D[1:], work / ("o-" + name), [p])
    interrupted_writes(t, work, H, good)
    mnt = work / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(mnt)], capture_output=True).returncode:
        print("  places: no tmpfs could be mounted (not root?): full and read-only folders skipped", file=sys.stderr)
        return
    try:
        keep = mnt / "keep.png"
        keep.write_bytes(good.read_bytes()[:4000])
        big = work / "big.png"
        big.write_bytes(_save(Image.fromarray(rgb(128, 128)), "PNG"))
        for ro in (False, True):
            if ro:
                subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
            where = "read-only" if ro else "full"
            H.judge_cli(t, "places", f"-o a new file in a {where} folder", D[:1] + [str(big)] + D[1:], mnt / "out.png",
                        [big, keep], expect="refused")
            H.judge_cli(t, "places", f"-o an existing file in a {where} folder --overwrite",
                        D[:1] + [str(big)] + D[1:] + ["--overwrite"], keep, [big, keep], expect="refused", keep_out=True)
            H.judge_cli(t, "places", f"a batch into a {where} folder", D[:1] + [str(big), str(good)] + D[1:],
                        mnt / "outdir", [big, good, keep], batch=True, expect="refused")
            left = sorted(p.name for p in mnt.iterdir())
            t.add("places", "ok" if left == ["keep.png"] else "BAD", f"what is left in the {where} folder",
                  "" if left == ["keep.png"] else f"left: {left}")
    finally:
        subprocess.run(["umount", str(mnt)])


def interrupted_writes(t, work, H, good):
    """A write stopped half-way (the PNG writer raises KeyboardInterrupt after its first bytes, as Ctrl+C
    there would; and an OSError, as a disk pulled out would), over a new name and over an existing result
    with --overwrite: one line, the existing result as it was, no partial or temporary file left."""
    old = work / "result.png"
    old.write_bytes(good.read_bytes())
    real = Image.SAVE["PNG"]
    for stop in (KeyboardInterrupt, OSError):
        def cut(im, fp, filename, *a, stop=stop, **k):
            fp.write(b"\x89PNG\r\n\x1a\n partial")
            raise stop(5, "Input/output error") if stop is OSError else stop()

        for target, extra in ((work / "new-result.png", []), (old, ["--overwrite"])):
            before = sorted(p.name for p in work.iterdir())
            saved = old.read_bytes()
            Image.SAVE["PNG"] = cut
            try:
                rc, errors, text = H.run_cli(["denoise", str(good), "--checkpoint", "tiny-rgb", "--sigma", "10", "-o",
                                              str(target), *extra])
            finally:
                Image.SAVE["PNG"] = real
            after = sorted(p.name for p in work.iterdir())
            why = ""
            if rc not in ((130,) if stop is KeyboardInterrupt else (2,)) or len(errors) != 1:
                why = f"exit {rc}: {errors}"
            elif old.read_bytes() != saved:
                why = "the existing result changed"
            elif after != before:
                why = f"left: {sorted(set(after) - set(before))}"
            t.add("places", "BAD" if why else "refused", f"a write stopped by {stop.__name__} ({target.name})", why)
