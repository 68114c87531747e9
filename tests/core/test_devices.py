"""Random draws happen on the device of the tensors they feed, with a generator of that device.

A CPU has no second device, so the CUDA failure ("Expected a 'cuda' device type for
generator but found 'cpu'") is caught by its cause instead: every draw the core makes
(outside the CPU data pipelines in core/train/data) must name its device, or draw from an input
tensor, and its generator must be of that tensor's device. A draw on the default (CPU)
device followed by ``.to(device)`` is exactly the pattern that broke on CUDA, and it fails
these tests.
"""

import ast
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from dpm_studio.core import GaussianDiffusion, Schedule
from dpm_studio.core.math.binomial import BinomialDiffusion
from dpm_studio.core.math.bound import estimate_bound, evaluate_bound, run
from dpm_studio.core.train.data.toys import heartbeat_batch, swiss_roll
from dpm_studio.core.machine.devices import available_devices, check_device
from dpm_studio.core.math.nets import HeartbeatMLP, PointMLP
from dpm_studio.core.math.rng import generator_for, make_generator
from dpm_studio.core.math.sampling import sample
from dpm_studio.core.math.diffusion import Model
from dpm_studio.core.train.training import TrainState, focus_probs, train

CORE = Path(__file__).resolve().parents[2] / "dpm_studio" / "core"
FACTORIES = ("randn", "rand", "randint", "randperm")
FROM_INPUT = ("bernoulli", "multinomial", "normal", "poisson")
# CPU data pipelines, and the networks' weight initialisation (before the model moves).
NOT_CHECKED = ("dpm_studio.core.train.data", "dpm_studio.core.math.nets")


@pytest.fixture
def draws(monkeypatch):
    """Wrap torch's random draws: a core draw (not core/train/data) must state its device and use
    a generator of that device (data pipelines and weight init aside). Returns the list of checked calls."""
    calls = []

    def wrap(name, orig):
        def checked(*args, **kw):
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller.startswith("dpm_studio.core") and not caller.startswith(NOT_CHECKED):
                if name in FACTORIES:
                    assert kw.get("device") is not None, f"{caller}: torch.{name} draws without device="
                    dev = torch.device(kw["device"])
                else:
                    dev = args[0].device
                gen = kw.get("generator")
                if gen is not None:
                    assert gen.device.type == dev.type, f"{caller}: a {gen.device} generator for a {dev} draw"
                calls.append((caller, name, dev.type))
            return orig(*args, **kw)
        return checked

    for name in FACTORIES + FROM_INPUT:
        monkeypatch.setattr(torch, name, wrap(name, getattr(torch, name)))
    return calls


def test_every_core_factory_draw_names_its_device():
    """Static: each torch.randn/rand/randint/randperm call in the core (data pipelines aside)
    passes device=, so none can silently land on the CPU next to CUDA tensors."""
    missing = []
    for path in CORE.rglob("*.py"):
        if "data" in path.relative_to(CORE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in FACTORIES and getattr(node.func.value, "id", "") == "torch"
                    and not any(k.arg == "device" for k in node.keywords)):
                missing.append(f"{path.name}:{node.lineno} torch.{node.func.attr}")
    # The networks' weight initialisation happens before the model moves: it is not a draw for a device.
    missing = [m for m in missing if not m.startswith("nets.py")]
    assert missing == []


@pytest.mark.parametrize("objective", ["bound", "hybrid"])
def test_training_steps_draw_on_the_models_device(draws, objective):
    torch.manual_seed(0)
    d = GaussianDiffusion(Schedule("code", 20), "eps" if objective == "hybrid" else "paper", first_step="learned")
    state = TrainState(Model(d, PointMLP(20, hidden=16, layers=2)), lr=1e-3)
    tp = focus_probs(d, 0.1, 1.0, 0.5) if objective == "hybrid" else None
    recs = list(train(state, lambda g: swiss_roll(32, g), steps=2, warmup=1, objective=objective, t_probs=tp,
                      device="cpu"))
    assert len(recs) == 2 and all(np.isfinite(r.loss) for r in recs)
    names = {(c, n) for c, n, _ in draws}
    assert ("dpm_studio.core.train.training" if objective == "hybrid" else "dpm_studio.core.math.bound", "randint") in names \
        or ("dpm_studio.core.train.training", "multinomial") in names
    assert ("dpm_studio.core.math.gaussian" if objective == "bound" else "dpm_studio.core.train.training", "randn") in names


def test_binomial_training_and_sampling_draw_on_the_models_device(draws):
    torch.manual_seed(0)
    d = BinomialDiffusion(Schedule("paper", 10), "x0", first_step="learned", base_rate=0.2)
    state = TrainState(Model(d, HeartbeatMLP(10, n=20, hidden=8, layers=1)), lr=1e-3)
    list(train(state, lambda g: heartbeat_batch(16, g), steps=2, warmup=1, device="cpu"))
    sample(d, state.model.net, (4, 20), seed=1, device="cpu")
    assert {n for c, n, _ in draws if c == "dpm_studio.core.math.binomial"} == {"bernoulli"}


def test_bound_estimates_draw_on_the_datas_device(draws):
    torch.manual_seed(0)
    d = GaussianDiffusion(Schedule("code", 10), "paper", first_step="learned")
    net = PointMLP(10, hidden=8, layers=1)
    x0 = swiss_roll(8, torch.Generator().manual_seed(1))
    run(estimate_bound(d, net, x0, n_t=3, generator=make_generator("cpu", 2)))
    run(evaluate_bound(d, net, x0, generator=make_generator("cpu", 2)))
    assert ("dpm_studio.core.math.bound", "rand") in {(c, n) for c, n, _ in draws}


def _tiny_loaded(channels=3):
    from dpm_studio.core.math.nets import build_net

    torch.manual_seed(0)
    d = GaussianDiffusion(Schedule("cosine", 50, max_beta=0.5), "eps", first_step="learned")
    net = build_net({"type": "unet", "kwargs": {"T": 50, "channels": channels, "outputs_per_channel": 2, "base": 8,
                                                "channel_mults": [1, 2]}})
    with torch.no_grad():  # a non-zero head, so the outputs depend on the draws
        net.conv_out.weight.normal_(0, 0.01)
    card = {"data": {"channels": channels, "scale": {"mean": 0.45, "std": 0.25}}}
    return SimpleNamespace(diffusion=d, net=net.eval(), card=card)


@pytest.mark.parametrize("kw", [
    dict(task="denoise", method="mmse", ensemble=2, grey=True),
    dict(task="denoise", method="sample", steps=3, grey=True),
    dict(task="inpaint", steps=4, start="harmonic", jump_length=1, jump_n_sample=2, mode="forward"),
    dict(task="inpaint", steps=3, start="noise", mode="clamp"),
    dict(task="sample", steps=3),
])
def test_tasks_draw_on_the_run_device(draws, kw):
    from dpm_studio.core.run.tasks import run_task

    kw = dict(kw)
    task, grey = kw.pop("task"), kw.pop("grey", False)
    rng = np.random.default_rng(0)
    img = rng.random((20, 20, 1 if grey else 3)).astype(np.float32)
    mask = np.zeros((20, 20), np.float32)
    mask[5:12, 6:14] = 1
    extra = {"denoise": dict(image=img, sigma=0.1), "inpaint": dict(image=img, mask=mask),
             "sample": dict(size=(12, 12))}[task]
    last = None
    for last in run_task(_tiny_loaded(), task, device="cpu", seed=3, **extra, **kw):
        pass
    assert last.done and np.isfinite(last.image).all()
    assert draws, "the run drew nothing through the checked functions"
    assert {dev for _, _, dev in draws} == {"cpu"}


def test_an_explicit_generator_of_the_run_device_reproduces_the_seed():
    loaded = _tiny_loaded(1)
    shape = (2, 1, 8, 8)
    a = sample(loaded.diffusion, loaded.net, shape, steps=4, seed=7, device="cpu")
    b = sample(loaded.diffusion, loaded.net, shape, steps=4, generator=make_generator("cpu", 7), device="cpu")
    assert torch.equal(a, b)
    assert make_generator("cpu", 7).initial_seed() == torch.Generator().manual_seed(7).initial_seed()
    assert torch.equal(torch.randn(5, generator=make_generator("cpu", 7)),
                       torch.randn(5, generator=torch.Generator().manual_seed(7)))


def test_a_generator_of_another_device_is_a_clear_error():
    """The CUDA failure mode, emulated: a generator that says it lives on cuda, given to a CPU run."""
    fake = SimpleNamespace(device=torch.device("cuda", 0))
    with pytest.raises(ValueError, match="cannot draw for tensors on cpu"):
        generator_for(fake, "cpu")
    loaded = _tiny_loaded(1)
    with pytest.raises(ValueError, match="make_generator"):
        sample(loaded.diffusion, loaded.net, (1, 1, 8, 8), steps=2, generator=fake, device="cpu")
    g = make_generator("cpu", 1)
    assert generator_for(g, "cpu") is g and generator_for(None, "cpu") is None


def test_training_on_an_explicit_cpu_device_matches_the_default():
    def run_once(device):
        torch.manual_seed(0)
        d = GaussianDiffusion(Schedule("code", 20), "paper", first_step="learned")
        state = TrainState(Model(d, PointMLP(20, hidden=16, layers=2)), lr=1e-3)
        return [r.loss for r in train(state, lambda g: swiss_roll(32, g), steps=3, warmup=1, device=device)]

    assert run_once(None) == run_once("cpu")


def test_offered_devices_are_cpu_and_cuda_only(monkeypatch):
    assert available_devices()[0] == ("CPU", "cpu")
    assert all(dev == "cpu" or dev.startswith("cuda:") for _, dev in available_devices())
    with pytest.raises(ValueError, match="mps"):
        check_device("mps")
    with pytest.raises(ValueError, match="not available"):
        check_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA"):
        check_device("cuda")
    assert check_device("cpu") == "cpu"
