"""OIVAE in scikit-learn's tools: estimator checks, model selection, pipelines, logging."""

import mne
import numpy as np
import pytest
import torch
from mne.utils import catch_logging
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator
from sklearn.utils.validation import check_is_fitted

from mne_oivae import GroupSpec, NotFittedError, OIVAE, read_oivae
from mne_oivae.datasets import make_bars
from mne_oivae.estimator import EXPECTED_FAILED_CHECKS

FAST = dict(n_iter=20, n_init=1, verbose=False)


def test_check_estimator():
    assert len(EXPECTED_FAILED_CHECKS) <= 5
    assert all(isinstance(reason, str) and reason for reason in
               EXPECTED_FAILED_CHECKS.values())
    results = check_estimator(OIVAE(n_components=2, **FAST),
                              expected_failed_checks=EXPECTED_FAILED_CHECKS, on_fail=None)
    failed = {r["check_name"] for r in results if r["status"] == "failed"}
    assert failed == set(), failed
    assert len([r for r in results if r["status"] == "passed"]) > 40


def _factor_data(seed, n_trials=12, n_times=40):
    """Three latent factors, each driving two of six groups of three features."""
    rng = np.random.default_rng(seed)
    loadings = np.zeros((18, 3))
    for k in range(3):
        loadings[6 * k:6 * k + 6, k] = rng.standard_normal(6)
    Z = rng.standard_normal((n_trials * n_times, 3))
    X = Z @ loadings.T + 0.5 * rng.standard_normal((len(Z), 18))
    trials = np.repeat(np.arange(n_trials), n_times)
    return X.astype(np.float32), GroupSpec.from_sizes([3] * 6), trials


def test_grid_search_picks_the_true_number_of_components():
    """Held-out log-likelihood over trial-grouped folds peaks at the true K = 3."""
    X, groups, trials = _factor_data(seed=0)
    model = OIVAE(groups=groups, lam=0.0, group_latent_dim=None, n_iter=500, batch_size=120,
                  n_init=1, random_state=0, verbose=False)
    search = GridSearchCV(model, {"n_components": [1, 2, 3, 4, 5]}, cv=GroupKFold(3))
    search.fit(X, groups=trials)  # groups here are the CV splitter's (trials)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_ == {"n_components": 3}, scores
    assert scores[2] > scores[1] + 0.5  # a missing factor costs a lot
    assert search.best_estimator_.group_weights_.shape == (6, 3)
    folds = cross_val_score(clone(model).set_params(n_components=3), X, groups=trials,
                            cv=GroupKFold(3))
    assert folds.shape == (3,) and np.all(np.isfinite(folds))


def test_pipeline_and_default_groups():
    X, _, _ = _factor_data(seed=1, n_trials=4)
    pipe = make_pipeline(StandardScaler(), OIVAE(n_components=3, lam=0.01, **FAST))
    Z = pipe.fit(X).transform(X)
    assert Z.shape == (len(X), 3)
    oivae = pipe[-1]
    # no groups: every feature is its own group, named by its column
    assert oivae.groups_ == GroupSpec([[f] for f in range(18)])
    assert oivae.group_weights_.shape == (18, 3)
    assert list(pipe.get_feature_names_out()) == ["oivae0", "oivae1", "oivae2"]
    assert np.isfinite(pipe.score(X))


def test_check_is_fitted_and_clone():
    X, groups = make_bars(n_samples=64, size=4, random_state=0)
    model = OIVAE(n_components=2, groups=groups, random_state=0, **FAST)
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(model)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.transform(X)
    model.fit(X)
    check_is_fitted(model)
    twin = clone(model)
    assert twin.get_params()["groups"] is not groups and twin.groups == groups
    np.testing.assert_array_equal(twin.fit(X).transform(X), model.transform(X))


def test_old_fit_call_names_the_fix():
    X, groups = make_bars(n_samples=64, size=4, random_state=0)
    for old in (groups, groups.indices):
        with pytest.raises(TypeError, match=r"OIVAE\(groups=groups, \.\.\.\)\.fit\(X\)"):
            OIVAE(**FAST).fit(X, old)


def test_numpy_scalar_parameters_save_load_and_checkpoint(tmp_path):
    X, groups = make_bars(n_samples=64, size=4, random_state=0)
    params = dict(n_components=np.int64(2), lam=np.float32(0.5), n_iter=np.int32(16),
                  batch_size=np.int64(16), lr=np.float64(1e-2), random_state=np.int64(3),
                  generator_hidden=(np.int64(4),), n_init=np.int64(1), verbose=False)
    model = OIVAE(groups=groups, **params).fit(X, checkpoint=tmp_path / "ckpt.h5")
    loaded = read_oivae(model.save(tmp_path / "model.h5"))
    assert loaded.get_params()["n_components"] == 2
    assert loaded.get_params()["lam"] == pytest.approx(0.5)
    assert loaded.get_params()["generator_hidden"] == (4,)
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
    resumed = OIVAE(groups=groups, **params).fit(X, checkpoint=tmp_path / "ckpt.h5",
                                                 resume=True)
    for a, b in zip(resumed.module_.parameters(), model.module_.parameters()):
        assert torch.equal(a, b)


def test_small_data_caps_the_batch_once():
    X, groups = make_bars(n_samples=100, size=4, random_state=0)
    model = OIVAE(n_components=2, groups=groups, n_iter=10, n_init=1, verbose="INFO")
    with catch_logging() as log:
        model.fit(X)  # default batch_size=256
    assert log.getvalue().count("batch_size=256 is more than the 100 observations") == 1
    assert model.history_["iteration"][-1] == 10 and len(model.history_["elbo"]) == 10


def _fit_output(model, X, capsys):
    """(log text, progress-bar text) of a fit and a score."""
    capsys.readouterr()
    with catch_logging() as log:
        model.fit(X)
        model.score(X)
    return log.getvalue(), capsys.readouterr().err


def test_mne_log_level_silences_a_fit(capsys, monkeypatch):
    X, groups = make_bars(n_samples=100, size=4, random_state=0)
    model = OIVAE(n_components=2, groups=groups, n_iter=10, n_init=1)  # verbose=None
    old = mne.set_log_level("WARNING", return_old_level=True)
    try:
        assert _fit_output(model, X, capsys) == ("", "")
        mne.set_log_level("INFO")
        log, bars = _fit_output(model, X, capsys)
        assert "batch_size=256" in log
        assert "oi-VAE fit" in bars and "log-likelihood" in bars
        monkeypatch.setenv("MNE_LOGGING_LEVEL", "WARNING")
        mne.set_log_level(None)  # what MNE does at import: read the variable
        assert _fit_output(model, X, capsys) == ("", "")
        model.set_params(verbose=True)  # the estimator's own level wins
        assert "batch_size=256" in _fit_output(model, X, capsys)[0]
    finally:
        mne.set_log_level(old)


def test_score_samples_do_not_depend_on_other_rows():
    X, groups = make_bars(n_samples=64, size=4, random_state=0)
    model = OIVAE(n_components=2, groups=groups, random_state=0, **FAST).fit(X)
    full = model.score_samples(X, n_importance=50)
    np.testing.assert_allclose(model.score_samples(X[::-1][:10], n_importance=50),
                               full[::-1][:10], rtol=1e-6)
