"""Baseline network methods: shapes, the networks they find, bad input."""

import numpy as np
import pytest

from mne_oivae import GroupSpec
from mne_oivae.baselines import BASELINES, baseline_group_weights
from mne_oivae.metrics import network_recovery_f1


def _modulated_alpha(n_epochs=4, n_times=500, sfreq=200.0, seed=0):
    """Six 10 Hz regions: amplitudes of 0-2 follow one slow source, 3-4 another."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_epochs * n_times) / sfreq
    slow = [np.convolve(rng.standard_normal(t.size), np.hanning(100), "same")
            for _ in range(3)]
    amp = np.stack([np.exp(0.3 * slow[k]) for k in (0, 0, 0, 1, 1, 2)], axis=1)
    carrier = np.sin(2 * np.pi * 10 * t[:, np.newaxis] + rng.uniform(0, 6, 6))
    X = amp * carrier + 0.05 * rng.standard_normal(amp.shape)
    return X, np.repeat(np.arange(n_epochs), n_times)


@pytest.mark.parametrize("method", BASELINES)
def test_shapes_and_non_negative(method):
    X, epochs = _modulated_alpha()
    weights = baseline_group_weights(method, X, 3, epochs=epochs, random_state=0)
    assert weights.shape == (6, 3)
    assert np.all(weights >= 0) and np.isfinite(weights).all()


@pytest.mark.parametrize("method", ["envelope_ica", "aec"])
def test_envelope_methods_find_amplitude_networks(method):
    # the carriers' phases are independent: only the envelopes reveal the networks
    X, epochs = _modulated_alpha()
    weights = baseline_group_weights(method, X, 3, epochs=epochs, random_state=0)
    f1, _ = network_recovery_f1([[0, 1, 2], [3, 4]], weights)
    assert f1.min() == 1.0
    if method == "aec":  # binary membership: every region in one cluster
        assert set(np.unique(weights)) == {0.0, 1.0}
        np.testing.assert_array_equal(weights.sum(axis=1), 1.0)


def test_linear_methods_find_correlated_groups():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((1000, 2))
    X = np.c_[z[:, [0, 0, 0]], z[:, [1, 1]], rng.standard_normal(1000)]
    X += 0.2 * rng.standard_normal(X.shape)
    for method in ("fa", "pca", "spca", "ica"):
        weights = baseline_group_weights(method, X, 3, random_state=0)
        f1, _ = network_recovery_f1([[0, 1, 2], [3, 4]], weights)
        assert f1.mean() > 0.8, method


def test_multi_feature_groups_take_loading_norms():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 5))
    groups = GroupSpec.from_sizes([2, 3])
    weights = baseline_group_weights("pca", X, 2, groups=groups, random_state=0)
    loadings = baseline_group_weights("pca", X, 2, random_state=0)
    assert weights.shape == (2, 2)
    np.testing.assert_allclose(weights[0], np.linalg.norm(loadings[:2], axis=0))
    with pytest.raises(ValueError, match="one time course per group"):
        baseline_group_weights("aec", X, 2, groups=groups)


def test_bad_input():
    X, epochs = _modulated_alpha()
    with pytest.raises(ValueError, match="'method'"):
        baseline_group_weights("nmf", X, 3)
    with pytest.raises(ValueError, match="one epoch index per row"):
        baseline_group_weights("aec", X, 3, epochs=epochs[:-1])
    with pytest.raises(ValueError, match="at most 6"):
        baseline_group_weights("aec", X, 7, epochs=epochs)
    with pytest.raises(ValueError, match="finite 2D"):
        baseline_group_weights("pca", X[:, 0], 1)
