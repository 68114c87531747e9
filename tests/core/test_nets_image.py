"""Image networks: shapes for any size, spec round-trip, smoothness in t, gradients, equivariance."""

import json

import pytest
import torch

from dpm_studio.core.math.nets import NETWORKS, build_net
from dpm_studio.core.math.nets_image import MultiScaleConvNet, UNet, pad_to_multiple

T = 1000

# Small widths keep the tests fast; the architecture code paths are the same as the defaults.
CASES = {
    "multiscale": ("multiscale", {"conv_layers": 2, "conv_filters": 8, "dense_units": 8}),
    "unet-basis": ("unet", {"base": 8, "channel_mults": [1, 2], "groups": 4}),
    "unet-embed": ("unet", {"base": 8, "channel_mults": [1, 2, 2], "groups": 4, "time": "embedding"}),
}


@pytest.fixture(autouse=True)
def _setup():
    torch.manual_seed(0)
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def make(case, channels=1, outputs=2):
    kind, kwargs = CASES[case]
    spec = {"type": kind, "kwargs": {"T": T, "channels": channels, "outputs_per_channel": outputs, **kwargs}}
    return spec, build_net(spec)


def randomise(net, scale=0.2):
    """Random weights everywhere (the U-Net's zero head would otherwise hide the body)."""
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn_like(p) * scale)
    return net


def test_registered():
    assert NETWORKS["multiscale"] is MultiScaleConvNet
    assert NETWORKS["unet"] is UNet


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("outputs", [1, 2])
def test_output_shapes_odd_sizes(case, channels, outputs):
    _, net = make(case, channels, outputs)
    for H, W in [(37, 53), (16, 16), (5, 3), (1, 1)]:
        x = torch.randn(2, channels, H, W)
        out = net(x, torch.tensor([1.0, 733.25]))
        assert out.shape == (2, outputs * channels, H, W)
        assert out.dtype == torch.float32
        assert torch.isfinite(out).all()


@pytest.mark.parametrize("net", [MultiScaleConvNet(T, 3, 2), UNet(T, 3, 2), UNet(T, 1, 1, time="embedding")])
def test_defaults_run_and_t_forms(net):
    x = torch.randn(2, net.channels, 21, 19)
    out = net(x, torch.tensor([3.0, 3.0], dtype=torch.float64))
    assert out.shape == (2, net.n_out, 21, 19)
    # A scalar t is broadcast over the batch.
    assert torch.allclose(net(x, torch.tensor(3.0)), out)


def test_unet_untrained_outputs_zero():
    for time in ("basis", "embedding"):
        net = UNet(T, 3, 2, time=time)
        assert torch.count_nonzero(net(torch.randn(2, 3, 17, 23), torch.tensor([5.0, 900.0]))) == 0


def test_default_parameter_counts():
    count = lambda n: sum(p.numel() for p in n.parameters())
    assert 20_000 < count(MultiScaleConvNet(T, 1, 2)) < 60_000
    assert 400_000 < count(UNet(T, 1, 2)) < 700_000


@pytest.mark.parametrize("case", list(CASES))
def test_build_net_round_trip(case):
    spec, net = make(case, 3, 2)
    randomise(net)
    spec2 = json.loads(json.dumps(spec))
    net2 = build_net(spec2)
    net2.load_state_dict(net.state_dict())
    x, t = torch.randn(2, 3, 19, 22), torch.tensor([17.5, 640.0])
    with torch.no_grad():
        assert torch.equal(net(x, t), net2(x, t))


@pytest.mark.parametrize("case", list(CASES))
def test_fractional_t_is_smooth(case):
    _, net = make(case, 3, 2)
    randomise(net)
    x = torch.randn(2, 3, 12, 14)
    for t0 in [1.0, 2.0, 137.0, 500.0, 998.0]:
        with torch.no_grad():
            a, m, b = (net(x, torch.full((2,), t0 + d)) for d in (0.0, 0.5, 1.0))
        scale = a.abs().max()
        assert (m - a).abs().max() < 0.05 * scale
        assert (m - (a + b) / 2).abs().max() <= 0.3 * (b - a).abs().max() + 1e-6 * scale
        if net.basis is not None:
            # Temporal basis: f(t + 1/2) lies between f(t) and f(t + 1), up to rounding.
            lo, hi = torch.minimum(a, b), torch.maximum(a, b)
            assert (lo - m).max() <= 1e-4 * scale and (m - hi).max() <= 1e-4 * scale


@pytest.mark.parametrize("case", list(CASES))
def test_gradients_reach_every_parameter(case):
    _, net = make(case, 3, 2)
    with torch.no_grad():  # the U-Net head starts at zero; give it weights so the body gets gradients
        for p in net.parameters():
            if torch.count_nonzero(p) == 0:
                p.normal_(0, 0.1)
    x = torch.randn(2, 3, 13, 18)
    net(x, torch.tensor([2.0, 811.5])).square().mean().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_multiscale_translation_equivariance():
    """Cropping the input at an offset that is a multiple of the pooling factor gives the same
    output away from the new border (all layers are convolutions on an aligned grid)."""
    net = MultiScaleConvNet(T, 1, 2)
    x = torch.randn(1, 1, 97, 101)
    t = torch.tensor([250.0])
    off, margin = 32, 32  # receptive field radius of the default net is < 32 pixels
    with torch.no_grad():
        full = net(x, t)
        crop = net(x[:, :, off:, off:], t)
    assert torch.allclose(crop[..., margin:, margin:], full[..., off + margin:, off + margin:], atol=1e-5)
    # Near the new border the context differs, so the outputs do too (the check has teeth).
    assert not torch.allclose(crop[..., :4, :4], full[..., off:off + 4, off:off + 4], atol=1e-5)


def test_pad_to_multiple():
    x = torch.arange(12.0).reshape(1, 1, 3, 4)
    y = pad_to_multiple(x, 4)
    assert y.shape == (1, 1, 4, 4)
    assert torch.equal(y[..., :3, :], x) and torch.equal(y[..., 3, :], x[..., 1, :])  # reflect
    assert pad_to_multiple(torch.ones(1, 1, 1, 2), 4).shape == (1, 1, 4, 4)  # replicate fallback
    assert pad_to_multiple(x, 1) is x


@pytest.mark.parametrize("case", ["unet-basis", "unet-embed"])
def test_unet_partial_outputs_and_folded_basis_match_the_full_head(case):
    """outputs=n computes only the first n outputs; with one t for the batch the basis is folded
    into the last convolution's weights: both must equal the full head, reduced per example."""
    _, net = make(case, channels=3)
    randomise(net)
    x = torch.randn(2, 3, 20, 24)
    with torch.no_grad():
        mixed = net(x, torch.tensor([37.0, 600.0]))  # two times: the unfolded reduction
        for k, t in enumerate((37.0, 600.0)):
            one = net(x[k:k + 1], torch.tensor([t]))
            mean_only = net(x[k:k + 1], torch.tensor([t]), outputs=3)
            assert torch.allclose(one, mixed[k:k + 1], atol=1e-4, rtol=1e-4)
            assert mean_only.shape == (1, 3, 20, 24)
            assert torch.allclose(mean_only, mixed[k:k + 1, :3], atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError):
        net(x, torch.tensor([1.0, 1.0]), outputs=7)


def test_x0_estimate_from_the_mean_head_equals_the_full_kernel():
    """GaussianDiffusion.x0_estimate skips the variance head where x_0 needs only the mean head
    (eps, code); it must give p_dist's x_0 estimate, and a network without partial outputs
    must still work."""
    from dpm_studio.core.math.gaussian import GaussianDiffusion
    from dpm_studio.core.math.schedules import make_schedule

    _, net = make("unet-basis", channels=3)
    randomise(net)
    x = torch.randn(2, 3, 16, 16)
    for par in ("eps", "code", "paper"):
        d = GaussianDiffusion(make_schedule({"kind": "cosine", "T": T}), parametrisation=par)
        with torch.no_grad():
            full = d.p_dist(net, x, 250.0)[1]
            fast = d.x0_estimate(net, x, 250.0)
            plain = d.x0_estimate(lambda a, b: net(a, b), x, 250.0)
        assert torch.allclose(fast, full, atol=1e-4, rtol=1e-4), par
        assert torch.allclose(plain, full, atol=1e-4, rtol=1e-4), par


def test_upsample_conv_at_inference_is_the_upsampled_convolution():
    """At inference the U-Net's upsampling convolution runs as one stride-2 transposed convolution
    on the low-resolution input (nets_image.upsample_conv): it must equal the 3 x 3 convolution of
    the nearest-upsampled input (odd sizes, the borders included), and a whole U-Net's pass must equal
    the pass with the upsample and convolution written out. With gradients on, training's path runs."""
    import torch.nn.functional as F

    from dpm_studio.core.math import nets_image

    from torch.overrides import TorchFunctionMode

    class Calls(TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.names = set()

        def __torch_function__(self, func, types, args=(), kwargs=None):
            self.names.add(getattr(func, "__name__", str(func)))
            return func(*args, **(kwargs or {}))

    conv = torch.nn.Conv2d(5, 7, 3, padding=1)
    h = torch.randn(2, 5, 7, 9)
    with torch.no_grad():
        ref = conv(F.interpolate(h, scale_factor=2, mode="nearest"))
        with Calls() as calls:
            fast = nets_image.upsample_conv(conv, h)
    assert "conv_transpose2d" in calls.names and "interpolate" not in calls.names   # no upsampled copy
    with torch.no_grad():
        cl = nets_image.upsample_conv(conv.to(memory_format=torch.channels_last),
                                      h.contiguous(memory_format=torch.channels_last))
    assert fast.shape == ref.shape == (2, 7, 14, 18)
    assert torch.allclose(fast, ref, atol=1e-5, rtol=1e-5)
    assert torch.allclose(cl, ref, atol=1e-5, rtol=1e-5)
    with torch.enable_grad():
        trained = nets_image.upsample_conv(conv, h)
    assert trained.grad_fn is not None and "Convolution" in type(trained.grad_fn).__name__
    assert torch.allclose(trained, ref, atol=1e-5, rtol=1e-5)

    _, net = make("unet-basis", channels=3)
    randomise(net)
    x = torch.randn(1, 3, 20, 28)
    written_out = lambda c, v: c(F.interpolate(v, scale_factor=2, mode="nearest"))  # noqa: E731
    with torch.no_grad():
        out = net(x, torch.tensor([300.0]))
        try:
            nets_image.upsample_conv, kept = written_out, nets_image.upsample_conv
            plain = net(x, torch.tensor([300.0]))
        finally:
            nets_image.upsample_conv = kept
    assert torch.allclose(out, plain, atol=1e-4, rtol=1e-4)
