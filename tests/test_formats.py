"""Deep formats round trip exactly: 16-bit PNG/TIFF, float32 TIFF; ICC and EXIF survive export."""

import tracemalloc

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms

from dpm_studio import imageio
from dpm_studio.core.files import formats

RNG = np.random.default_rng(7)
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _u16(shape):
    return RNG.integers(0, 65536, shape, dtype=np.uint16)


def _as_u16(data):
    px = data.pixels if data.alpha is None else np.concatenate([data.pixels, data.alpha[:, :, None]], axis=2)
    return np.round(px.astype(np.float64) * 65535).astype(np.uint16)


@pytest.mark.parametrize("ext", ["png", "tif"])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_16bit_round_trip_is_exact(tmp_path, ext, channels):
    a = _u16((23, 31, channels))
    a[0, 0, -1] = 0  # an alpha channel that is not fully opaque is kept
    px = a.astype(np.float32) / 65535
    colour, alpha = (px, None) if channels in (1, 3) else (px[:, :, :-1], px[:, :, -1])
    imageio.save_image(tmp_path / f"a.{ext}", colour, alpha, bit_depth=16, metadata={"task": "x"})
    back = imageio.load_image(tmp_path / f"a.{ext}")
    assert back.bit_depth == 16 and back.metadata == {"task": "x"}
    assert np.array_equal(_as_u16(back), a)
    # and the file itself holds the 16-bit values (read by another decoder)
    if ext == "tif":
        raw = tifffile.imread(tmp_path / "a.tif")
        assert np.array_equal(raw.reshape(a.shape), a)


def test_16bit_png_decoder_undoes_every_filter(tmp_path):
    """The PNG reader against an independent encoder using each of the five filters."""
    R = RNG.integers(0, 256, (19, 13, 6), dtype=np.uint8)
    Ri = R.astype(np.int16)
    pad = np.zeros((20, 14, 6), np.int16)
    pad[1:, 1:] = Ri
    a, b, c = pad[1:, :-1], pad[:-1, 1:], pad[:-1, :-1]
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    preds = [np.zeros_like(a), a, b, (a + b) >> 1, paeth]
    for kinds in (RNG.integers(0, 5, 19), RNG.integers(0, 3, 19), np.ones(19, int), np.full(19, 4), np.full(19, 3)):
        rows = np.empty((19, 1 + 13 * 6), np.uint8)
        rows[:, 0] = kinds
        for r in range(19):
            rows[r, 1:] = ((Ri[r] - preds[kinds[r]][r]) & 255).reshape(-1)
        assert np.array_equal(formats.unfilter(rows, 6), R), kinds


def test_16bit_png_reader_unfilters_band_by_band_across_band_edges(tmp_path, monkeypatch):
    """read_png16 un-filters a band of rows at a time, each band starting from the row above it:
    with 5-row bands, random filters (Paeth and Average among them) rebuild a 23-row image exactly."""
    import struct
    import zlib

    h, w = 23, 9
    R = RNG.integers(0, 256, (h, w, 6), dtype=np.uint8)
    Ri = R.astype(np.int16)
    pad = np.zeros((h + 1, w + 1, 6), np.int16)
    pad[1:, 1:] = Ri
    a, b, c = pad[1:, :-1], pad[:-1, 1:], pad[:-1, :-1]
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    preds = [np.zeros_like(a), a, b, (a + b) >> 1, np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))]
    kinds = RNG.integers(0, 5, h)
    kinds[5], kinds[10] = 4, 3  # a band's first row depends on the band above
    rows = np.empty((h, 1 + w * 6), np.uint8)
    rows[:, 0] = kinds
    for r in range(h):
        rows[r, 1:] = ((Ri[r] - preds[kinds[r]][r]) & 255).reshape(-1)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows.tobytes())) + chunk(b"IEND", b""))
    (tmp_path / "b.png").write_bytes(png)
    monkeypatch.setattr(formats, "_band_rows", lambda w, bpp: 5)
    got = formats.read_png16(tmp_path / "b.png").samples
    want = (R[..., 0::2].astype(np.uint16) << 8) | R[..., 1::2]
    assert np.array_equal(got, want)


def test_16bit_png_from_libpng_reads_exactly(tmp_path):
    cv2 = pytest.importorskip("cv2")
    a = _u16((40, 50, 3))
    a[:, :25] = np.linspace(0, 65535, 25, dtype=np.uint16)[None, :, None]  # smooth part: libpng picks filters
    cv2.imwrite(str(tmp_path / "cv.png"), a[:, :, ::-1])
    assert np.array_equal(_as_u16(imageio.load_image(tmp_path / "cv.png")), a)
    imageio.save_image(tmp_path / "ours.png", a.astype(np.float32) / 65535, bit_depth=16)
    assert np.array_equal(cv2.imread(str(tmp_path / "ours.png"), cv2.IMREAD_UNCHANGED)[:, :, ::-1], a)


@pytest.mark.parametrize("lo,hi", [(0.0, 1.0), (0.0, 1000.0)])
def test_float_tiff_round_trip_is_exact(tmp_path, lo, hi):
    f = (lo + RNG.random((17, 29, 3)) * (hi - lo)).astype(np.float32)
    tifffile.imwrite(tmp_path / "f.tif", f, photometric="rgb")
    data = imageio.load_image(tmp_path / "f.tif")
    assert data.bit_depth == 32 and 0.0 <= data.pixels.min() and data.pixels.max() <= 1.0
    imageio.save_image(tmp_path / "g.tif", data.pixels, **imageio.export_options(data))
    g = tifffile.imread(tmp_path / "g.tif")
    assert g.dtype == np.float32 and np.array_equal(g, f)


def test_float_tiff_with_negative_values_keeps_its_range(tmp_path):
    f = RNG.normal(0, 50, (16, 16)).astype(np.float32)
    tifffile.imwrite(tmp_path / "f.tif", f)
    data = imageio.load_image(tmp_path / "f.tif")
    # from the minimum by the power of two at or above the span (so values on its 2^-24 grid are exact)
    assert data.pixels.shape == (16, 16, 1) and data.pixels.min() == 0.0 and 0.5 < data.pixels.max() <= 1.0
    imageio.save_image(tmp_path / "g.tif", data.pixels, **imageio.export_options(data))
    g = tifffile.imread(tmp_path / "g.tif")
    np.testing.assert_allclose(g, f, rtol=0, atol=float(np.ptp(f)) * 2e-7)


def _source_with_profile(tmp_path):
    im = Image.fromarray(RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x010F] = "TestMaker"  # Make
    exif[0x0110] = "Model 9"    # Model
    exif[0x0112] = 6            # Orientation: rotate, the loader turns the pixels upright
    im.save(tmp_path / "src.jpg", exif=exif.tobytes(), icc_profile=SRGB, quality=95)
    return imageio.load_image(tmp_path / "src.jpg")


@pytest.mark.parametrize("name,depth", [("o.jpg", 8), ("o.png", 8), ("o.webp", 8), ("o.tif", 8), ("o.png", 16)])
def test_icc_and_exif_kept_on_export(tmp_path, name, depth):
    data = _source_with_profile(tmp_path)
    assert data.pixels.shape[:2] == (30, 20)  # orientation 6 applied
    imageio.save_image(tmp_path / name, data.pixels, **{**imageio.export_options(data), "bit_depth": depth})
    with Image.open(tmp_path / name) as back:
        assert back.info.get("icc_profile") == SRGB
        exif = back.getexif()
        assert exif.get(0x010F) == "TestMaker" and exif.get(0x0110) == "Model 9"
        assert exif.get(0x0112, 1) == 1  # never rotated a second time
    again = imageio.load_image(tmp_path / name)
    assert again.pixels.shape[:2] == (30, 20) and again.icc_profile == SRGB


@pytest.mark.parametrize("depth", [16, 32])
def test_icc_kept_in_deep_tiff(tmp_path, depth):
    data = _source_with_profile(tmp_path)
    imageio.save_image(tmp_path / "o.tif", data.pixels, **{**imageio.export_options(data), "bit_depth": depth})
    back = imageio.load_image(tmp_path / "o.tif")
    assert back.icc_profile == SRGB and back.bit_depth == depth


def test_uncompressed_tiff_is_read_a_band_at_a_time(tmp_path):
    """Loading a large uncompressed TIFF allocates little beyond the float32 result; a compressed
    one (decoded whole first) needs its full uint16 copy on top, so the check can tell them apart."""
    a = _u16((1024, 1024, 3))
    tifffile.imwrite(tmp_path / "u.tif", a, photometric="rgb")
    tifffile.imwrite(tmp_path / "c.tif", a, photometric="rgb", compression="zlib")
    peaks = {}
    for name in ("u", "c"):
        tracemalloc.start()
        data = imageio.load_image(tmp_path / f"{name}.tif")
        peaks[name] = tracemalloc.get_traced_memory()[1] / data.pixels.nbytes
        tracemalloc.stop()
        assert np.array_equal(_as_u16(data), a)
    assert peaks["u"] < 1.3 < 1.4 < peaks["c"], peaks


def test_broken_deep_files_are_one_line_errors(tmp_path):
    imageio.save_image(tmp_path / "a.png", _u16((30, 30, 3)).astype(np.float32) / 65535, bit_depth=16)
    raw = (tmp_path / "a.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(raw[: len(raw) // 2])
    tifffile.imwrite(tmp_path / "a.tif", _u16((30, 30, 3)), photometric="rgb", compression="zlib")
    raw = (tmp_path / "a.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(raw[:200])
    for name in ("cut.png", "cut.tif"):
        with pytest.raises(imageio.ImageIOError) as e:
            imageio.load_image(tmp_path / name)
        assert name in str(e.value) and "\n" not in str(e.value)


def test_multi_page_tiff_uses_the_first_page_with_a_note(tmp_path):
    a = _u16((2, 12, 14, 3))
    tifffile.imwrite(tmp_path / "m.tif", a, photometric="rgb")
    data = imageio.load_image(tmp_path / "m.tif")
    assert np.array_equal(_as_u16(data), a[0]) and data.notes == ["m.tif: it has 2 pages: only the first is used"]


def test_lzw_16bit_tiff_full_depth_or_a_note_saying_why_not(tmp_path):
    """OpenCV writes LZW TIFFs; tifffile decodes LZW only with imagecodecs (an optional extra)."""
    cv2 = pytest.importorskip("cv2")
    a = _u16((20, 30, 3))
    cv2.imwrite(str(tmp_path / "lzw.tif"), a[:, :, ::-1])
    data = imageio.load_image(tmp_path / "lzw.tif")
    try:
        import imagecodecs  # noqa: F401
    except ImportError:
        assert data.bit_depth == 8 and np.array_equal(np.round(data.pixels * 255), a >> 8)  # the high bytes
        assert len(data.notes) == 1 and "read at 8 bits" in data.notes[0] and "pip install imagecodecs" in data.notes[0]
    else:
        assert data.bit_depth == 16 and np.array_equal(_as_u16(data), a) and not data.notes


def test_deep_decoders_only_read_names_the_app_offers(tmp_path):
    tifffile.imwrite(tmp_path / "data.dat", _u16((8, 8, 3)), photometric="rgb")
    with pytest.raises(imageio.ImageIOError, match="not an image format"):
        imageio.load_image(tmp_path / "data.dat")
    (tmp_path / "data.dat").rename(tmp_path / "data.png")  # TIFF content under an offered name: read
    assert imageio.load_image(tmp_path / "data.png").bit_depth == 16


def test_a_truncated_jpeg_says_its_data_ends_early(tmp_path):
    """Pillow's 'image file is truncated (13 bytes not processed)' was shown for half a JPEG."""
    import io

    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)).save(buf, "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(imageio.ImageIOError) as e:
        imageio.load_image(path)
    assert str(e.value) == ("cut.jpg cannot be read: its data stops before the picture is complete, as after a "
                            "download or copy that did not finish; copy it again from where it came from")
