"""The generalized Anscombe transform, its exact unbiased inverse (core/run/anscombe.py), and
denoising signal-dependent noise through it (core/run/tasks.py with a Poisson-Gaussian request)."""

import numpy as np
import pytest

from dpm_studio.core.run.anscombe import ConstantNoise, GeneralizedAnscombe, expected_gat, gat, gat_algebraic_inverse

LEVELS = [(0.001, 0.0001), (0.004, 0.0004), (0.01, 0.001)]


def test_transform_closed_forms():
    z = np.linspace(0, 50, 101)
    np.testing.assert_allclose(gat(z, 1.0, 0.0), 2 * np.sqrt(z + 3 / 8))  # Anscombe 1948
    # Scaled counts: f(a k; a, 0) = 2 sqrt(k + 3/8) whatever the gain a.
    np.testing.assert_allclose(gat(0.01 * z, 0.01, 0.0), 2 * np.sqrt(z + 3 / 8))
    # With read noise b = s^2: (2 / a) sqrt(a z + 3/8 a^2 + s^2).
    np.testing.assert_allclose(gat(z, 2.0, 9.0), np.sqrt(2 * z + 1.5 + 9.0))
    np.testing.assert_allclose(gat_algebraic_inverse(gat(z, 0.004, 0.0004), 0.004, 0.0004), z, atol=1e-12)
    assert gat(-5.0, 0.01, 0.001) == 0.0  # below the square root's zero


def test_expected_value_is_the_poisson_sum():
    from scipy.stats import poisson

    k = np.arange(0, 200)
    for lam in (0.0, 0.5, 3.0, 20.0):
        direct = float((poisson.pmf(k, lam) * 2 * np.sqrt(k + 3 / 8)).sum())
        assert expected_gat([lam], 1.0, 0.0)[0] == pytest.approx(direct, rel=1e-10)


def test_expected_value_per_point_as_each_made_alone():
    """The counts' rows are made once for the whole grid: each point's value is the one it has made alone
    (its own counts only), bit for bit, with read noise, and past the Poisson limit (the normal branch)."""
    for a, b in LEVELS + [(2e-6, 1e-3)]:
        x = 1.5 * np.linspace(0.0, 1.0, 57) ** 2
        together = expected_gat(x, a, b)
        alone = np.array([expected_gat([xi], a, b)[0] for xi in x])
        assert np.array_equal(together, alone)


def test_exact_unbiased_inverse_against_the_closed_forms():
    g = GeneralizedAnscombe(1.0, 0.0, grid=2000, top=400)
    to_u = lambda d: (d - g.f0) / (g.f1 - g.f0)  # noqa: E731
    d = np.linspace(1.5, 30, 60)
    # Makitalo and Foi 2011's closed-form approximation of the exact unbiased inverse.
    closed = 0.25 * d ** 2 + 0.25 * np.sqrt(1.5) / d - 11 / 8 / d ** 2 + 5 / 8 * np.sqrt(1.5) / d ** 3 - 1 / 8
    exact = g.inverse(to_u(d))
    assert np.abs(exact - closed).max() < 0.02
    assert np.abs(gat_algebraic_inverse(d, 1.0, 0.0) - closed).mean() > 0.2  # the biased inverse is far off
    # Anscombe's expansion E f = 2 sqrt(lambda + 1/8) + O(lambda^-3/2): the inverse tends to d^2 / 4 - 1/8.
    big = np.array([20.0, 30.0])
    np.testing.assert_allclose(g.inverse(to_u(big)), big ** 2 / 4 - 1 / 8, atol=2e-4)
    assert g.inverse(to_u(np.array([0.5]))) == 0.0  # below E[f | 0]: the clean value 0


@pytest.mark.parametrize("a,b", LEVELS)
def test_inverse_is_unbiased_and_the_noise_stabilised(a, b):
    g = GeneralizedAnscombe(a, b)
    rng = np.random.default_rng(0)
    n = 400_000
    for x in (0.0, 0.005, 0.03, 0.3, 0.9):
        z = a * rng.poisson(x / a, n) + np.sqrt(b) * rng.standard_normal(n)
        u = g.forward(z)
        assert u.std() / g.sigma_u == pytest.approx(1.0, abs=0.05)
        se = u.std() / np.sqrt(n)
        lo, hi = g.inverse(u.mean() - 4 * se), g.inverse(u.mean() + 4 * se)
        assert lo - 1e-6 <= x <= hi + 1e-6, (x, lo, hi)


def test_constant_noise_is_the_identity():
    c = ConstantNoise(0.1)
    x = np.linspace(0, 1, 5)
    assert c.forward(x) is x and c.inverse(x) is x and c.std(x) == 0.1 and c.sigma_u == 0.1
    with pytest.raises(ValueError):
        GeneralizedAnscombe(0.0, 0.001)
