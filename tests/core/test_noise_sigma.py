"""The one-sigma estimate (core/run/noise.py) on nearly clean 8-bit files (the plain median read 0.74 for 1, 2.22
for 2, 2.97 for 2 beside texture), and the plain median itself at higher noise."""

import numpy as np
import pytest

from dpm_studio.core.run.noise import estimate_noise_sigma, median_noise_sigma


def _file(clean, sigma255, seed):
    rng = np.random.default_rng(seed)
    return np.clip(np.round((clean + sigma255 / 255 * rng.standard_normal(clean.shape)) * 255), 0, 255) / 255


def _ramp(h=192, w=192):
    return np.tile(np.linspace(0.2, 0.8, w), (h, 1))[:, :, None].repeat(3, 2)


@pytest.mark.parametrize("sigma", [0, 1, 2, 3])
def test_light_noise_on_an_8_bit_file_reads_its_level(sigma):
    # the plain median of 8-bit details sits on a lattice of half steps: it read 0 or 0.74 at sigma 0-1,
    # 2.22 at sigma 2 (half a step / 0.6745 apart), whatever the noise
    est = estimate_noise_sigma(_file(_ramp(), sigma, 5 + sigma)) * 255
    assert abs(est - sigma) < 0.15, est


def test_texture_beside_a_smooth_part_is_not_read_as_noise():
    # a clean file half fine texture (+-6 steps, its own), half a smooth ramp; then sigma 2 on all of it:
    # the median of all blocks read the texture (2.97), the smooth blocks read the noise
    rng = np.random.default_rng(1)
    clean = _ramp(192, 256)
    clean[:, :128] += rng.uniform(-6, 6, (192, 128, 3)) / 255
    clean = np.round(clean * 255) / 255
    assert estimate_noise_sigma(clean) * 255 < 0.3
    est = estimate_noise_sigma(_file(clean, 2, 2)) * 255
    assert abs(est - 2) < 0.2, est


@pytest.mark.parametrize("amp", [6, 10])
def test_a_clean_file_with_texture_reads_no_noise(amp):
    # a clean 8-bit ramp with fine texture (+-amp steps, its own, fading out towards the top): b6aca55's fit at the
    # image's mean read the texture, 0.30 and 0.34, and the photo was smoothed; the lattice median of the smooth
    # blocks reads 0 (no measurable noise: the file comes back as it is)
    from scipy.ndimage import gaussian_filter

    t = gaussian_filter(np.random.default_rng(1).standard_normal((192, 256)), 1.0)
    t = t / t.std() * amp / 255 * np.linspace(0, 1, 192)[:, None] ** 2
    clean = np.round(np.clip(_ramp(192, 256) + t[:, :, None], 0, 1) * 255) / 255
    assert estimate_noise_sigma(clean) * 255 < 0.05


@pytest.mark.parametrize("sigma", [15, 25, 50])
def test_constant_noise_reads_as_before_to_the_bit(sigma):
    # the denoiser's constant-noise rows (docs/benchmarks.md) were measured with the plain median
    y = _file(_ramp(), sigma, sigma)
    assert estimate_noise_sigma(y) == median_noise_sigma(y)
    assert abs(estimate_noise_sigma(y) * 255 - sigma) < 0.1 * sigma


def test_a_clean_file_comes_back_with_a_note_not_a_refusal():
    # "the image shows no measurable noise: give the noise level (sigma)" was a ValueError: a user who asked a clean
    # photo to be denoised got nothing back; now it is told NO_NOISE and comes back as it is, with a note
    # (tests/core/test_clean_unchanged.py: without the network)
    from dpm_studio.core.run.jobs import resolve
    from dpm_studio.core.run.noise import NO_NOISE
    from dpm_studio.core.run.requests import DenoiseRequest

    clean = np.full((32, 32, 3), 0.5, np.float32)
    assert estimate_noise_sigma(clean) == 0
    for req in (DenoiseRequest(), DenoiseRequest(noise="constant")):
        job = resolve(req, clean)
        said = "no measurable noise: the image comes back as it is"
        assert job.request.sigma == NO_NOISE and job.notes == (said,) and job.unchanged == said, job.notes


def _picture(colour):
    yy, xx = np.mgrid[0:128, 0:128] / 128
    clean = 0.2 + 0.6 * xx + 0.05 * np.sin(9 * yy)
    clean[40:90, 30:100] = 0.7
    return np.stack([clean, 0.9 * clean, 1 - clean], 2) if colour else clean


def _jpeg(y, quality):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.round(y * 255).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())), np.float32) / 255


@pytest.mark.parametrize("quality, sigma", [(75, 5), (75, 10), (85, 5), (85, 10), (95, 5), (95, 10)])
def test_a_jpegs_noise_is_read_from_its_coefficients(quality, sigma):
    # the noise added before the file was saved as a JPEG: the Haar median (and the fit below LOW_NOISE) read the
    # finest details, which the JPEG quantised away: 0.7-5.9 for 5, 2.2-11 for 10
    for colour in (False, True):
        y = _jpeg(_file(_picture(colour), sigma, 3), quality)
        est = estimate_noise_sigma(y) * 255
        assert abs(est - sigma) < 0.15 * sigma + 0.2, (colour, est)


def test_only_a_jpeg_on_its_own_grid_is_read_as_one():
    from dpm_studio.core.run.noise_jpeg import jpeg_noise_sigma

    for sigma in (0, 1, 5, 15, 25, 50):   # a PNG, clean or noisy: the median's rows stay as they were
        assert jpeg_noise_sigma(_file(_picture(True), sigma, 4)) is None
    y = _jpeg(_file(_picture(True), 5, 3), 85)
    assert jpeg_noise_sigma(y) is not None and jpeg_noise_sigma(y[3:-2, 5:-1]) is None   # cropped off its grid
    y = _jpeg(_file(_picture(True), 5, 3)[:123, :125], 85)       # turned upside down: read on the turned grid
    assert abs(jpeg_noise_sigma(y[::-1, ::-1]) * 255 - 5) < 1, jpeg_noise_sigma(y[::-1, ::-1]) * 255
    assert abs(jpeg_noise_sigma(y.transpose(1, 0, 2)[::-1]) * 255 - 5) < 1       # turned a quarter


def test_a_low_jpeg_reading_is_no_more_than_the_other_estimate(monkeypatch):
    # a clean JPEG's quantised detail can read as noise of 1-2.7 / 255 (held-out BytheWater saved again at quality
    # 75 read 2.61 and the denoiser told that lost 9.9 dB): below JPEG_LOW the other estimate caps it
    from dpm_studio.core.run import noise

    clean = _file(_ramp(), 0, 1)
    for told, read in ((2.0, 0.0), (4.0, 4.0)):
        monkeypatch.setattr(noise, "jpeg_noise_sigma", lambda a, v=told: v / 255)
        assert estimate_noise_sigma(clean) * 255 == pytest.approx(read)


@pytest.mark.parametrize("quality", [75, 85])
def test_a_clean_jpeg_of_fine_texture_is_not_read_as_noise(quality):
    # noise reads one level at every frequency, texture falls from the coarse to the fine: without TEXTURE's test
    # this clean JPEG (fine texture of +-8 steps on a ramp) read as noise of 10.3 (quality 75) and 8.3 (85)
    from scipy.ndimage import gaussian_filter

    from dpm_studio.core.run.noise_jpeg import jpeg_noise_sigma

    t = gaussian_filter(np.random.default_rng(1).standard_normal((192, 256)), 1.0)
    clean = np.clip(_ramp(192, 256) + (t / t.std() * 8 / 255)[:, :, None] * np.array([1, 0.7, 0.4]), 0, 1)
    y = _jpeg(clean, quality)
    assert jpeg_noise_sigma(y) is None
    assert estimate_noise_sigma(y) * 255 < 3


@pytest.mark.parametrize("quality, blur, needs",
                         [(75, 2.0, "TEXTURE_NEAR"), (85, 2.0, "TEXTURE_NEAR"), (75, 3.0, "FEW")])
def test_a_clean_jpeg_whose_finer_detail_was_quantised_away_is_not_read_as_noise(quality, blur, needs):
    # issue 22: a clean textured JPEG at quality 75-85 keeps no told frequency at u + v = 5-6, so TEXTURE's test could
    # not run and its coarse detail read as noise (held-out clean crops reading 3 or more: 17 of 144). Texture falling
    # from u + v = 2-3 to 4 (TEXTURE_NEAR), or too few told frequencies to tell the two (FEW), is no JPEG reading:
    # without the guard named, these read 6.74, 4.67, 5.43
    from scipy.ndimage import gaussian_filter

    from dpm_studio.core.run.noise_jpeg import jpeg_noise_sigma

    t = gaussian_filter(np.random.default_rng(1).standard_normal((192, 256)), blur)
    clean = np.clip(_ramp(192, 256) + (t / t.std() * 8 / 255)[:, :, None] * np.array([1, 0.7, 0.4]), 0, 1)
    y = _jpeg(clean, quality)
    assert jpeg_noise_sigma(y) is None, needs
    assert estimate_noise_sigma(y) * 255 < 3


def test_a_frequency_quantised_to_0_has_no_step_and_is_not_read():
    # a frequency whose step is too large for any coefficient to reach it keeps only the decoder's rounding (std
    # about 0.4) and a few outliers (clipped blocks): read as continuous it read 0.3-3 and pulled the reading of
    # held-out Aqua (sigma 15, quality 75) to 12.7; it is quantised to 0 (-1), as one with next to none beyond 1.5 was
    from dpm_studio.core.run.noise_jpeg import jpeg_steps

    rng = np.random.default_rng(2)
    c = np.round(rng.normal(0, 15, (4096, 8, 8)) / 8) * 8 + rng.normal(0, 0.4, (4096, 8, 8))
    c[:, 7, 6] = rng.normal(0, 0.4, 4096) + np.where(rng.random(4096) < 0.03, rng.normal(0, 6, 4096), 0)
    q = jpeg_steps(c)
    assert q[1, 1] == 8 and q[7, 6] == -1, q[7, 6]


def test_a_file_known_to_be_no_jpeg_is_not_searched_for_a_grid(monkeypatch):
    # issue 22: the search for a JPEG's grid cost a 12 MP PNG 0.04-0.15 s CPU; where the decoder said the file is no
    # JPEG it is not made (an array of no known format: searched, as before)
    from dpm_studio.core.run import noise

    calls = []
    monkeypatch.setattr(noise, "jpeg_noise_sigma", lambda a: calls.append(1) or None)
    y = _file(_picture(True), 5, 3)
    assert estimate_noise_sigma(y, jpeg=False) == estimate_noise_sigma(y) and len(calls) == 1


def test_the_decoder_tells_the_run_whether_the_file_is_a_jpeg(tmp_path):
    from PIL import Image

    from dpm_studio.core.files.decode import load_image
    from dpm_studio.core.run.jobs import Source

    u8 = np.round(_file(_picture(True), 5, 3) * 255).astype(np.uint8)
    # a PNG or TIFF may hold a JPEG saved again: not known never to have been one, searched as an array is (session 17:
    # told False, the command line and the app read another noise than the API on the same pixels)
    for name, jpeg in (("a.png", None), ("a.jpg", True), ("a.tif", None)):
        Image.fromarray(u8).save(tmp_path / name)
        assert Source.of(load_image(tmp_path / name)).jpeg is jpeg, name
    assert Source.of_dtype(np.uint8).jpeg is None and Source().jpeg is None   # an array: not known, searched


def test_auto_on_a_jpeg_takes_a_signal_dependent_fit_as_constant(monkeypatch):
    # issue 22: on a JPEG the fit reads the fine detail the quantisation took away: held-out Aqua, sigma 15 (constant)
    # then quality 95, was fitted signal-dependent (a 2.1 standard errors above 0) and denoised at 28.3 dB (36.2 as
    # constant noise at its JPEG reading)
    from dpm_studio.core.run import noise_law
    from dpm_studio.core.run.jobs import Source, resolve
    from dpm_studio.core.run.noise_level import NoiseFit
    from dpm_studio.core.run.requests import DenoiseRequest

    def fitted(a_se):
        def steps(pixels):
            return NoiseFit(1e-4, 1e-5, a_se, 1e-5, "poisson-gaussian")
            yield
        return steps

    y = _jpeg(_file(_picture(True), 15, 3), 95)
    monkeypatch.setattr(noise_law, "fit_noise_level_steps", fitted(1e-4 / 3))
    job = resolve(DenoiseRequest(), y)
    assert job.request.noise == "constant" and "JPEG" in job.request.noise_fit["verdict"], job.request.noise_fit
    assert abs(job.request.sigma * 255 - 15) < 3 and any("JPEG" in n for n in job.notes)
    assert resolve(DenoiseRequest(), y, source=Source(jpeg=False)).request.noise == "poisson-gaussian"
    assert resolve(DenoiseRequest(), _file(_picture(True), 15, 3)).request.noise == "poisson-gaussian"   # a PNG
