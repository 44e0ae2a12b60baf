"""Leakage correction (symmetric orthogonalisation) and amplitude envelopes."""

import mne
import numpy as np
import pytest
from _source_fixtures import hcp_labels, src_ico3, subjects_dir  # noqa: F401

from mne_oivae import stc_to_groups
from mne_oivae.source import amplitude_envelope, band_pass, low_pass, symmetric_orthogonalize


def _leaky(n=2000, p=6, seed=0):
    """Independent sources mixed into their neighbours (a leakage-like mixing)."""
    rng = np.random.default_rng(seed)
    sources = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p)
    mixing = np.eye(p) + 0.4 * np.eye(p, k=1) + 0.4 * np.eye(p, k=-1)
    return sources, sources @ mixing


@pytest.mark.parametrize("amplitude_preserving", [True, False])
def test_orthogonalisation_removes_zero_lag_correlation(amplitude_preserving):
    sources, X = _leaky()
    before = np.corrcoef(X.T)
    assert np.abs(before - np.eye(6)).max() > 0.3
    Y = symmetric_orthogonalize(X, amplitude_preserving=amplitude_preserving)
    np.testing.assert_allclose(np.corrcoef(Y.T), np.eye(6), atol=1e-8)
    np.testing.assert_allclose(Y.mean(axis=0), 0, atol=1e-10)
    if amplitude_preserving:  # each region gets back its own source and amplitude
        np.testing.assert_allclose(Y.std(axis=0) / sources.std(axis=0), 1, atol=0.03)
        match = np.abs(np.corrcoef(Y.T, sources.T)[:6, 6:])
        assert (np.diag(match) > 0.9).all()
    else:
        np.testing.assert_allclose(Y.std(axis=0), 1)


def test_orthogonalisation_keeps_orthogonal_data_and_errors_on_rank():
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.standard_normal((100, 4)) - 0)
    X = np.linalg.qr(q - q.mean(axis=0))[0] * [1, 2, 3, 4]  # centred, orthogonal
    np.testing.assert_allclose(symmetric_orthogonalize(X), X, atol=1e-8)
    with pytest.raises(ValueError, match="3 time points for 5 regions"):
        symmetric_orthogonalize(rng.standard_normal((3, 5)))
    x = rng.standard_normal((50, 2))
    with pytest.raises(ValueError, match="span only 2 dimensions"):
        symmetric_orthogonalize(np.c_[x, x.sum(axis=1)])


def test_envelope_recovers_known_modulation():
    sfreq = 200.0
    t = np.arange(4000) / sfreq
    amplitude = 1 + 0.5 * np.sin(2 * np.pi * 0.5 * t)
    other = 2.0 - 0.8 * np.cos(2 * np.pi * 0.3 * t)
    X = np.c_[amplitude * np.sin(2 * np.pi * 10 * t),
              other * np.sin(2 * np.pi * 11 * t + 1) + np.sin(2 * np.pi * 30 * t)]
    epochs = np.repeat([0, 1], 2000)
    env, env_epochs = amplitude_envelope(X, sfreq, (8, 13), decim=10, epochs=epochs)
    assert env.shape == (400, 2)
    np.testing.assert_array_equal(env_epochs, np.repeat([0, 1], 200))
    inner = np.r_[20:180, 220:380]  # away from the epochs' filter edges
    np.testing.assert_allclose(env[inner, 0], amplitude[::10][inner], atol=0.02)
    np.testing.assert_allclose(env[inner, 1], other[::10][inner], atol=0.05)


def test_envelope_bad_input():
    X = np.zeros((100, 2))
    with pytest.raises(ValueError, match="Nyquist frequency 50 Hz"):
        amplitude_envelope(X, 100.0, (40, 55))
    with pytest.raises(ValueError, match="0 < low < high"):
        amplitude_envelope(X, 100.0, (12, 8))
    with pytest.raises(ValueError, match="contiguous"):
        amplitude_envelope(X, 100.0, epochs=np.tile([0, 1], 50))


def test_band_pass_keeps_the_rhythm_within_every_epoch():
    sfreq = 100.0
    t = np.arange(800) / sfreq
    rhythm = np.sin(2 * np.pi * 10 * t)
    X = np.c_[rhythm + np.sin(2 * np.pi * 0.5 * t), 0.5 * rhythm + 3.0]
    epochs = np.repeat([0, 1], 400)
    Y = band_pass(X, sfreq, (8, 12), epochs=epochs)
    assert Y.shape == X.shape
    inner = np.r_[50:350, 450:750]  # away from the epochs' filter edges
    np.testing.assert_allclose(Y[inner, 0], rhythm[inner], atol=0.05)
    np.testing.assert_allclose(Y[inner, 1], 0.5 * rhythm[inner], atol=0.05)
    np.testing.assert_allclose(Y, np.r_[band_pass(X[:400], sfreq, (8, 12)),
                                        band_pass(X[400:], sfreq, (8, 12))])
    with pytest.raises(ValueError, match="Nyquist frequency 50 Hz"):
        band_pass(X, sfreq, (40, 55))
    with pytest.raises(ValueError, match="finite 2D array"):
        band_pass(X[:, 0], sfreq, (8, 12))
    with pytest.raises(ValueError, match="contiguous"):
        band_pass(X, sfreq, (8, 12), epochs=np.tile([0, 1], 400))


def test_low_pass_keeps_slow_activity_under_a_rhythm():
    sfreq = 100.0
    t = np.arange(800) / sfreq
    slow = np.sin(2 * np.pi * 0.5 * t)
    X = np.c_[slow + 2 * np.sin(2 * np.pi * 10 * t), -slow + np.sin(2 * np.pi * 11 * t)]
    epochs = np.repeat([0, 1], 400)
    Y, kept = low_pass(X, sfreq, 2.0, decim=5, epochs=epochs)
    assert Y.shape == (160, 2)
    np.testing.assert_array_equal(kept, np.repeat([0, 1], 80))
    inner = np.r_[20:60, 100:140]  # away from the epochs' filter edges
    np.testing.assert_allclose(Y[inner, 0], slow[::5][inner], atol=0.05)
    np.testing.assert_allclose(Y[inner, 1], -slow[::5][inner], atol=0.05)
    with pytest.raises(ValueError, match=r"aliases.*at 0.4 times that \(8 Hz\) or below"):
        low_pass(X, sfreq, 10.0, decim=5)
    with pytest.raises(ValueError, match="h_freq"):
        low_pass(X, sfreq, -1.0)
    with pytest.raises(ValueError, match="finite 2D array"):
        low_pass(X[:, 0], sfreq, 2.0)


def _stcs(src, n_epochs=3, n_times=400, sfreq=100.0, seed=0):
    rng = np.random.default_rng(seed)
    vertices = [s["vertno"] for s in src]
    n = sum(map(len, vertices))
    t = np.arange(n_times) / sfreq
    return [mne.SourceEstimate(rng.standard_normal((n, 1)) * np.sin(2 * np.pi * 10 * t)
                               + 0.1 * rng.standard_normal((n, n_times)), vertices, 0.0,
                               1 / sfreq, subject="fsaverage") for _ in range(n_epochs)]


def test_stc_to_groups_options(src_ico3, hcp_labels, tmp_path):  # noqa: F811
    stcs = _stcs(src_ico3)
    plain = stc_to_groups(stcs, hcp_labels, src=src_ico3, verbose=False)
    corr = np.corrcoef(plain.X.T)
    assert np.abs(corr - np.eye(len(hcp_labels))).max() > 0.5  # one shared rhythm
    orth = stc_to_groups(stcs, hcp_labels, src=src_ico3, orthogonalize=True,
                         verbose=False)
    np.testing.assert_allclose(np.corrcoef(orth.X.T), np.eye(len(hcp_labels)), atol=1e-3)
    env = stc_to_groups(stcs, hcp_labels, src=src_ico3, orthogonalize=True,
                        envelope=(8, 12), decim=5, verbose=False)
    assert env.X.shape == (3 * 80, len(hcp_labels)) and env.X.dtype == np.float32
    np.testing.assert_array_equal(env.epochs, np.repeat([0, 1, 2], 80))
    on_disk = stc_to_groups(stcs, hcp_labels, src=src_ico3, orthogonalize=True,
                            envelope=(8, 12), decim=5, fname=tmp_path / "env.npy",
                            verbose=False)  # computed in memory, then written
    np.testing.assert_array_equal(np.load(tmp_path / "env.npy"), env.X)
    np.testing.assert_array_equal(on_disk.epochs, env.epochs)
    with pytest.raises(ValueError, match="Nyquist"):
        stc_to_groups(stcs, hcp_labels, src=src_ico3, envelope=(30, 60))
    slow = stc_to_groups(stcs, hcp_labels, src=src_ico3, orthogonalize=True, lowpass=2.0,
                         decim=5, verbose=False)
    assert slow.X.shape == (3 * 80, len(hcp_labels))
    np.testing.assert_array_equal(slow.epochs, env.epochs)
    np.testing.assert_allclose(np.corrcoef(slow.X.T), np.eye(len(hcp_labels)), atol=1e-3)
    with pytest.raises(ValueError, match="pass envelope=.* or lowpass"):
        stc_to_groups(stcs, hcp_labels, src=src_ico3, decim=2)
    with pytest.raises(ValueError, match="exclude each other"):
        stc_to_groups(stcs, hcp_labels, src=src_ico3, envelope=(8, 12), lowpass=2.0)
    with pytest.raises(ValueError, match="lower decim or the low-pass frequency"):
        stc_to_groups(stcs, hcp_labels, src=src_ico3, lowpass=20.0, decim=5)
    with pytest.raises(ValueError, match="at least as many time points as regions"):
        stc_to_groups([stc.copy().crop(0, 0.2) for stc in stcs[:1]], hcp_labels,
                      src=src_ico3, orthogonalize=True)
