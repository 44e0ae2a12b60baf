"""lam paths and cross-validation folds, trained together, are the separate fits."""

import numpy as np
import pytest
from mne.utils import catch_logging

from mne_oivae import OIVAE, _pipeline
from mne_oivae.datasets import make_bars
from mne_oivae.multi_fit import fit_cv_folds, fit_lam_path

# float32, 40 iterations: replicas differ from their sequential twins by float
# reassociation in batched matmuls only (see tests/test_replicas.py for float64)
RTOL, ATOL = 1e-4, 1e-5
KWARGS = dict(n_components=4, n_iter=40, batch_size=32, random_state=3, verbose=False)


@pytest.fixture(scope="module")
def bars():
    return make_bars(n_samples=160, random_state=0)


def _assert_same_model(a, b):
    assert a.lam == b.lam and a.n_iter_ == b.n_iter_
    for (name, pa), pb in zip(a.module_.named_parameters(), b.module_.parameters()):
        np.testing.assert_allclose(pa.detach(), pb.detach(), rtol=RTOL, atol=ATOL,
                                   err_msg=name)
    np.testing.assert_allclose(a.history_["elbo"], b.history_["elbo"], rtol=1e-4)
    np.testing.assert_array_equal(a.group_weights_ == 0, b.group_weights_ == 0)


@pytest.mark.parametrize("n_init", [1, 2])
def test_lam_path_is_the_separate_fits(bars, n_init):
    X, groups = bars
    lams = [0.0, 0.5, 2.0]
    path = fit_lam_path(OIVAE(n_init=n_init, groups=groups, **KWARGS), X, lams)
    assert [m.lam for m in path] == lams
    for model, lam in zip(path, lams):
        _assert_same_model(model, OIVAE(lam=lam, n_init=n_init, groups=groups,
                                        **KWARGS).fit(X))
    # a stronger group lasso prunes more
    assert (path[2].group_weights_ == 0).sum() > (path[0].group_weights_ == 0).sum()


def test_cv_folds_are_the_separate_fits(bars, monkeypatch):
    """Fold i is OIVAE().fit(X[train_i]) with the data's scale taken on all of X."""
    X, groups = bars
    folds = fit_cv_folds(OIVAE(n_init=1, groups=groups, **KWARGS), X, cv=3)
    assert {fold.model.scale_ for fold in folds} == {OIVAE(**KWARGS).fit(X).scale_}
    monkeypatch.setattr(_pipeline, "fit_scale", lambda X_train: folds[0].model.scale_)
    assert len(folds) == 3
    rows = np.sort(np.concatenate([fold.test for fold in folds]))
    np.testing.assert_array_equal(rows, np.arange(len(X)))
    for fold in folds:
        assert not set(fold.train) & set(fold.test)
        _assert_same_model(fold.model, OIVAE(n_init=1, groups=groups,
                                             **KWARGS).fit(X[fold.train]))
        assert np.isfinite(fold.model.score(X[fold.test], n_importance=5))


def test_cv_folds_keep_epochs_whole(bars):
    """With epochs, an int cv is GroupKFold: no epoch on both sides of a fold."""
    X, groups = bars
    epochs = np.repeat(np.arange(8), 20)
    folds = fit_cv_folds(OIVAE(n_init=1, groups=groups, **KWARGS), X, cv=4, epochs=epochs)
    assert len(folds) == 4
    for fold in folds:
        assert not set(epochs[fold.train]) & set(epochs[fold.test])
        assert np.unique(epochs[fold.test]).size == 2
    with pytest.raises(ValueError, match="cv=9 folds of whole epochs need at least 9 "
                                         "epochs, got 8; use cv <= 8"):
        fit_cv_folds(OIVAE(groups=groups, **KWARGS), X, cv=9, epochs=epochs)
    with pytest.raises(ValueError, match=r"epochs must give the epoch of every row of X "
                                         r"\(160\), got shape \(159,\)"):
        fit_cv_folds(OIVAE(groups=groups, **KWARGS), X, cv=2, epochs=epochs[1:])


def test_small_unequal_folds_share_a_capped_batch_size(bars):
    """Folds smaller than batch_size, of unequal sizes, train together (logged once)."""
    X, groups = bars
    epochs = np.repeat(np.arange(7), [30, 10, 20, 25, 15, 30, 30])
    model = OIVAE(n_init=1, groups=groups, **dict(KWARGS, batch_size=256, verbose=None))
    with catch_logging(verbose="INFO") as log:
        folds = fit_cv_folds(model, X, cv=3, epochs=epochs)
    smallest = min(len(fold.train) for fold in folds)
    assert len({len(fold.train) for fold in folds}) > 1 and smallest < 256
    assert log.getvalue().count(f"the {smallest} training rows of the smallest fold") == 1
    assert all(np.isfinite(fold.model.score(X[fold.test], n_importance=5)) for fold in folds)


def test_bad_input_is_refused(bars):
    X, groups = bars
    model = OIVAE(n_init=1, groups=groups, **KWARGS)
    with pytest.raises(ValueError, match="lams is empty"):
        fit_lam_path(model, X, [])
    with pytest.raises(ValueError, match="every lam must be"):
        fit_lam_path(model, X, [0.1, -1.0])
    with pytest.raises(TypeError, match="model must be an instance of OIVAE"):
        fit_lam_path(KWARGS, X, [0.1])
    assert not hasattr(model, "n_features_in_")  # the settings' estimator stays unfitted
