"""The paper's bars experiment (Sec. 6.1): one component per image row."""

import numpy as np
import pytest

from mne_oivae import OIVAE
from mne_oivae.datasets import make_bars
from mne_oivae.metrics import match_components


def _rows_recovered(model):
    """Rows whose Hungarian-matched component carries >= 80 % of the row's weight."""
    _, share = match_components(model.group_weights_)
    return int((share >= 0.8).sum())


def test_make_bars():
    X, groups = make_bars(n_samples=500, size=6, noise=0.0, random_state=0)
    assert X.shape == (500, 36) and X.dtype == np.float32
    images = X.reshape(500, 6, 6)
    assert ((images > 0).sum(axis=(1, 2)) == 6).all()  # exactly one shaded row
    assert (images.max(axis=2) == 0.5).sum(axis=1).tolist() == [1] * 500
    assert groups.names[2] == "row 2" and groups.sizes.tolist() == [6] * 6
    noisy, _ = make_bars(n_samples=500, random_state=0)
    assert abs(noisy[noisy < 0.25].std() - 0.05) < 0.005
    np.testing.assert_array_equal(make_bars(4, random_state=1)[0],
                                  make_bars(4, random_state=1)[0])


def test_bars_short_fit_separates_rows():
    """A shortened default fit: every row has its own component, unused ones pruned."""
    X, groups = make_bars(n_samples=2048, random_state=0)
    model = OIVAE(n_components=8, n_iter=2500, random_state=0, verbose=False,
                  groups=groups).fit(X)
    assert _rows_recovered(model) == 8
    dense = OIVAE(n_components=8, lam=0.0, n_iter=300, random_state=0,
                  verbose=False, groups=groups).fit(X)
    assert (dense.group_weights_ > 0).all()  # lambda = 0: no exact zeros (Fig. 2d)


@pytest.mark.slow
def test_bars_paper_setting_three_seeds():
    """K = 8, lambda = 1, 2048 images, default recipe: 8 of 8 rows for >= 2 of 3 seeds."""
    recovered = []
    for seed in range(3):
        X, groups = make_bars(n_samples=2048, random_state=seed)
        model = OIVAE(n_components=8, lam=1.0, groups=groups, random_state=seed, verbose=False)
        recovered.append(_rows_recovered(model.fit(X)))
    assert sum(r == 8 for r in recovered) >= 2, recovered


@pytest.mark.slow
def test_bars_k16_prunes_unneeded_components():
    X, groups = make_bars(n_samples=2048, random_state=0)
    model = OIVAE(n_components=16, lam=1.0, random_state=0, verbose=False,
                  groups=groups).fit(X)
    assert len(model.active_components_) <= 10
    assert (model.group_weights_[:, np.setdiff1d(np.arange(16),
                                                 model.active_components_)] == 0).all()
    assert _rows_recovered(model) == 8
