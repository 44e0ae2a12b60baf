"""Every bad input gets a message naming the argument, what came and what is expected."""

import numpy as np
import pytest
import torch

from mne_oivae import DivergenceError, GroupSpec, NotFittedError, OIVAE
from mne_oivae.datasets import make_bars

X_OK, GROUPS_OK = make_bars(n_samples=64, size=4, random_state=0)


def _fit(X=X_OK, groups=GROUPS_OK, **params):
    kwargs = dict(n_components=2, n_iter=8, batch_size=16, n_init=1, verbose=False)
    kwargs.update(params)
    return OIVAE(**kwargs, groups=groups).fit(X)


@pytest.mark.parametrize("params, error, match", [
    ({"n_components": 0}, ValueError, "n_components must be an integer >= 1, got 0"),
    ({"n_components": 2.5}, TypeError, "n_components must be an int, got <class .float.>"),
    ({"lam": -1.0}, ValueError, "lam must be >= 0, got -1.0"),
    ({"lam": float("nan")}, ValueError, "lam must be finite"),
    ({"lam": "big"}, TypeError, "lam must be an instance of float, got <class .str.>"),
    ({"component_lasso": -0.5}, ValueError, "component_lasso must be >= 0, got -0.5"),
    ({"activation": "swish"}, ValueError, "Invalid value for the 'activation' parameter"),
    ({"device": "tpu"}, ValueError, "device must be"),
    ({"prior_scale": 0}, ValueError, "prior_scale must be > 0"),
    ({"lr": -1e-3}, ValueError, "lr must be > 0"),
    ({"generator_hidden": 16}, TypeError, "generator_hidden must be an instance of tuple"),
    ({"group_latent_dim": None, "generator_hidden": (4,)}, ValueError,
     "identity generators"),
    ({"n_init": 0}, ValueError, "n_init must be an integer >= 1"),
    ({"lam_warmup": "slow"}, ValueError, "Invalid value for the 'lam_warmup' parameter"),
    ({"lam_warmup": -1}, ValueError, "lam_warmup must be an integer >= 0"),
    ({"kl_warmup": -1}, ValueError, "kl_warmup must be an integer >= 0"),
    ({"subsample_warmup": -1}, ValueError, "subsample_warmup must be an integer >= 0"),
    ({"subsample_size": 0}, ValueError, "subsample_size must be an integer >= 1"),
    ({"random_state": "seed"}, TypeError, "random_state must be None, an int"),
])
def test_bad_parameters(params, error, match):
    with pytest.raises(error, match=match):
        _fit(**params)


@pytest.mark.parametrize("X, error, match", [
    (X_OK[:, 0], ValueError, "Expected 2D array, got 1D array instead"),
    (X_OK[:0], ValueError, r"Found array with 0 sample\(s\) \(shape=\(0, 16\)\)"),
    (X_OK[:1], ValueError, "X has 1 sample, but OIVAE needs at least 2 observations"),
    (np.full((64, 16), "a"), ValueError, "could not convert string to float"),
    (np.where(np.eye(64, 16) > 0, np.nan, X_OK), ValueError,
     r"X contains 16 non-finite value\(s\).*first at sample 0, feature 0"),
    (np.where(np.eye(64, 16) > 0, np.inf, X_OK), ValueError, "NaN or Inf"),
    (X_OK[:, :15], ValueError, "groups describe 16 features, but X has 15 columns"),
])
def test_bad_data(X, error, match):
    with pytest.raises(error, match=match):
        _fit(X=X)


@pytest.mark.parametrize("groups, match", [
    ([[0, 1], [], list(range(2, 16))], "group 1 is empty"),
    ([list(range(8)), list(range(7, 16))], "feature 7 is in more than one group"),
    ([list(range(8)), list(range(8, 17))], "indices must be < n_features"),
    ([4, 4, 4, 4], "use GroupSpec.from_sizes"),
])
def test_bad_groups(groups, match):
    with pytest.raises(ValueError, match=match):
        _fit(groups=groups)


def test_wrong_feature_count_after_fit():
    model = _fit()
    for call in (model.transform, model.score, model.score_samples):
        with pytest.raises(ValueError, match="X has 15 features, but OIVAE is expecting 16 "
                                             "features as input"):
            call(X_OK[:, :15])
    with pytest.raises(ValueError, match="Z has 3 features, but the model was fitted with 2"):
        model.inverse_transform(np.zeros((2, 3)))


def test_not_fitted_error_is_sklearn_compatible():
    with pytest.raises(NotFittedError, match="not fitted yet. Call 'fit'"):
        OIVAE().transform(X_OK)
    assert issubclass(NotFittedError, (ValueError, AttributeError))


def test_resume_needs_checkpoint():
    with pytest.raises(ValueError, match="resume=True needs the checkpoint"):
        OIVAE(n_iter=2, batch_size=16, groups=GROUPS_OK).fit(X_OK, resume=True)


def test_nan_mid_fit_stops_and_restores(monkeypatch):
    """A NaN injected at iteration 23 names the term and iteration; weights stay finite."""
    from mne_oivae._engine import Network

    calls = {"n": 0}
    likelihood = Network.expected_log_likelihood

    def poisoned(self, x, z):
        out = likelihood(self, x, z)
        calls["n"] += 1
        if calls["n"] == 24:  # the 24th training step is iteration 23
            out = out * torch.nan
        return out

    monkeypatch.setattr(Network, "expected_log_likelihood", poisoned)
    model = OIVAE(n_components=2, n_iter=100, batch_size=16, n_init=1, verbose=False)
    with pytest.raises(DivergenceError,
                       match="reconstruction term of the ELBO became non-finite at "
                             "iteration 23.*restored to its last finite state "
                             r"\(iteration 20\)"):
        model.set_params(groups=GROUPS_OK).fit(X_OK)
    assert all(torch.isfinite(p).all() for p in model.module_.parameters())
    assert np.isfinite(model.group_weights_).all()
    assert model.n_iter_ == 20 and len(model.history_["elbo"]) == 5
    assert np.isfinite(model.transform(X_OK)).all()


def test_group_spec_passes_through():
    spec = GroupSpec.from_sizes([4, 4, 4, 4], names=list("abcd"))
    assert _fit(groups=spec).groups_.names == list("abcd")


def test_lam_warmup_auto_is_a_tenth_of_the_iterations():
    from mne_oivae._config import fit_config

    assert fit_config(OIVAE(n_iter=2500).get_params()).training.lam_warmup == 250
    assert fit_config(OIVAE(n_iter=2500, lam_warmup=7).get_params()).training.lam_warmup == 7
    assert OIVAE(n_iter=2500, lam_warmup=7).get_params()["lam_warmup"] == 7
