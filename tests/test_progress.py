"""The progress bar of a fit counts the iterations actually run, at their true rate."""

import time

import numpy as np
import pytest
import tqdm
from sklearn.base import clone

from mne_oivae import OIVAE
from mne_oivae.datasets import make_bars
from mne_oivae.multi_fit import fit_lam_path


@pytest.fixture
def bars(monkeypatch):
    """Every tqdm bar MNE opens, with the (count, elapsed, rate) of each of its redraws."""
    opened = []

    class Recorded(tqdm.tqdm):
        def __init__(self, *args, **kwargs):
            self.shown = []
            super().__init__(*args, **kwargs)
            opened.append(self)

        def display(self, *args, **kwargs):
            state = self.format_dict
            self.shown.append((state["n"], state["elapsed"], state["rate"]))
            return super().display(*args, **kwargs)

    monkeypatch.setenv("MNE_TQDM", "tqdm")
    monkeypatch.setattr(tqdm, "tqdm", Recorded)
    return opened


def _fit_bars(opened):
    return [bar for bar in opened if bar.desc.startswith("oi-VAE fit")]


@pytest.mark.parametrize("n_init", [1, 3])
def test_one_bar_per_fit_counts_the_iterations_at_their_rate(bars, n_init):
    X, groups = make_bars(n_samples=256, size=4, random_state=0)
    n_iter = 400
    model = OIVAE(n_components=2, groups=groups, n_iter=n_iter, batch_size=32,
                  n_init=n_init, random_state=0, verbose="INFO")
    clone(model).set_params(n_iter=10).fit(X)  # torch's first-call set-up, untimed
    bars.clear()
    start = time.perf_counter()
    model.fit(X)
    wall = time.perf_counter() - start
    (bar,) = _fit_bars(bars)  # replicas share one bar
    assert bar.total == n_iter * n_init == bar.n  # every iteration of every replica
    assert model.history_["iteration"][-1] == n_iter
    counts = [n for n, _, _ in bar.shown]
    assert counts == sorted(counts) and len(set(counts)) > 2  # never back to 0
    assert counts[-1] == n_iter * n_init
    # elapsed is the fit's time, and every rate shown is the count over that time
    # (within the smoothing of a few epochs), never the 1e5-1e6 it/s of jumps
    n, elapsed, _ = bar.shown[-1]
    assert 0.5 * wall < elapsed <= wall
    true_rate = n_iter * n_init / wall
    rates = [rate for n, _, rate in bar.shown if rate and n > n_iter * n_init / 4]
    assert rates and max(rates) < 3 * true_rate and min(rates) > true_rate / 3


def test_a_lam_path_is_one_bar(bars):
    X, groups = make_bars(n_samples=128, size=4, random_state=0)
    model = OIVAE(n_components=2, groups=groups, n_iter=100, batch_size=32, n_init=2,
                  verbose="INFO")
    fit_lam_path(model, X, [0.1, 1.0, 2.0])
    (bar,) = _fit_bars(bars)
    assert bar.total == bar.n == 100 * 2 * 3


def test_resumed_fit_counts_from_its_checkpoint(bars, tmp_path):
    X, groups = make_bars(n_samples=128, size=4, random_state=0)
    kwargs = dict(n_components=2, groups=groups, batch_size=32, n_init=1, random_state=0,
                  verbose="INFO")
    OIVAE(n_iter=60, **kwargs).fit(X, checkpoint=tmp_path / "fit.h5")
    bars.clear()
    OIVAE(n_iter=100, **kwargs).fit(X, checkpoint=tmp_path / "fit.h5", resume=True)
    (bar,) = _fit_bars(bars)
    assert (bar.initial, bar.n, bar.total) == (60, 100, 100)


def test_bars_are_silent_at_warning(bars, capsys):
    X, groups = make_bars(n_samples=64, size=4, random_state=0)
    model = OIVAE(n_components=2, groups=groups, n_iter=20, n_init=2, verbose="WARNING")
    model.fit(X).score(X, n_importance=5)
    assert all(bar.disable for bar in bars) and not capsys.readouterr().err
    assert np.isfinite(model.score(X, n_importance=5))


def test_score_bar_counts_its_blocks(bars):
    X, groups = make_bars(n_samples=40, size=4, random_state=0)
    model = OIVAE(n_components=2, groups=groups, n_iter=10, n_init=1, verbose="INFO").fit(X)
    bars.clear()
    model.score(X, n_importance=2**16)  # 2**22 / (2**16 * 16) = 4 rows per block
    (bar,) = [bar for bar in bars if bar.desc.startswith("log-likelihood")]
    assert bar.total == bar.n == 10
