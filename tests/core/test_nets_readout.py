"""The per-step readout: the batch-wide path for few distinct steps equals the per-example one."""

import torch

from dpm_studio.core.math.nets import PerStepReadout


def _per_example(r, h, t):
    t = t.float().clamp(0, r.T)
    i0 = torch.floor(t).long().clamp(max=r.T - 1)
    f = (t - i0.float())[:, None]
    w = r.weight[i0] * (1 - f[:, :, None]) + r.weight[i0 + 1] * f[:, :, None]
    return torch.einsum("bh,bho->bo", h, w) + r.bias[i0] * (1 - f) + r.bias[i0 + 1] * f


def test_few_distinct_steps_give_the_per_example_readout():
    torch.manual_seed(0)
    r = PerStepReadout(40, 32, 4)
    with torch.no_grad():
        r.bias.normal_()
    h = torch.randn(600, 32)
    for t in (torch.full((600,), 7.0), torch.full((600,), 40.0), torch.full((600,), 0.0),
              torch.tensor([3.0, 3.5, 12.25] * 200), torch.randint(0, 41, (600,)).float()):
        with torch.no_grad():
            torch.testing.assert_close(r(h, t), _per_example(r, h, t), rtol=1e-5, atol=1e-5)
