"""OIVAE estimator: API contract, exact likelihood, persistence."""

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from mne_oivae import GroupSpec, NotFittedError, OIVAE, _pipeline, read_oivae
from mne_oivae._engine import train
from mne_oivae.datasets import make_bars


@pytest.fixture(scope="module")
def linear_data():
    rng = np.random.default_rng(0)
    loadings = np.zeros((6, 2))
    loadings[:3, 0] = [1.0, 0.8, -0.6]
    loadings[3:, 1] = [0.9, -1.2, 0.5]
    X = rng.standard_normal((600, 2)) @ loadings.T + 0.3 * rng.standard_normal((600, 6))
    return X.astype(np.float32), GroupSpec.from_sizes([1, 2, 3], names=["a", "b", "c"])


@pytest.fixture(scope="module")
def fitted(linear_data):
    X, groups = linear_data
    return OIVAE(n_components=3, lam=0.05, n_iter=1500, batch_size=100, warmup=100,
                 n_init=1, random_state=0, verbose=False, groups=groups).fit(X)


def test_fit_attributes(fitted, linear_data):
    X, groups = linear_data
    assert fitted.group_weights_.shape == (3, 3)
    assert (fitted.group_weights_ >= 0).all()
    assert fitted.n_features_in_ == 6 and fitted.groups_ == groups
    assert fitted.n_iter_ == 1500
    assert set(fitted.history_) == {"iteration", "reconstruction", "kl", "log_prior_theta",
                                    "group_lasso", "elbo"}
    n_epochs = len(fitted.history_["elbo"])
    assert n_epochs == 1500 // (600 // 100)
    # the objective improves during training
    assert fitted.history_["elbo"][-10:].mean() > fitted.history_["elbo"][:10].mean()
    np.testing.assert_allclose(
        fitted.history_["elbo"],
        fitted.history_["reconstruction"] - fitted.history_["kl"]
        + fitted.history_["log_prior_theta"] + fitted.history_["group_lasso"], rtol=1e-6)
    assert fitted.transform(X).shape == (600, 3)
    assert fitted.sample(7, random_state=0).shape == (7, 6)
    np.testing.assert_array_equal(fitted.sample(3, random_state=1),
                                  fitted.sample(3, random_state=1))
    assert fitted.get_params()["n_components"] == 3
    assert "n_components=3" in repr(fitted)


def test_score_equals_exact_marginal_likelihood():
    """Affine generators make oi-VAE linear-Gaussian: log p(x) is known exactly."""
    rng = np.random.default_rng(1)
    X = (rng.standard_normal((400, 2)) @ rng.standard_normal((2, 5))
         + 0.5 * rng.standard_normal((400, 5))).astype(np.float32)
    groups = GroupSpec([np.array([4, 0]), np.array([1, 2, 3])])  # permuted features
    for latent_dim in (1, None):  # affine and identity generators
        model = OIVAE(n_components=2, lam=0.0, group_latent_dim=latent_dim, n_iter=800,
                      batch_size=100, n_init=1, random_state=0, verbose=False,
                      groups=groups).fit(X)
        module = model.module_
        with torch.no_grad():
            M = module.loading_matrix().double().numpy()
            b = module.feature_bias.double().numpy()
            D = module.likelihood.variance(module)[0].double().numpy()
        order = module.layout.feature_order
        Xi = X[:50][:, order] / model.scale_  # the module works in the model's units
        exact = (multivariate_normal(b, M @ M.T + np.diag(D)).logpdf(Xi)
                 - 5 * np.log(model.scale_))
        estimate = model.score_samples(X[:50], n_importance=4000)
        np.testing.assert_allclose(estimate, exact, atol=0.05)
        assert model.score(X[:50], n_importance=4000) == pytest.approx(exact.mean(), abs=0.02)


def test_lam_prunes_to_exact_zeros(linear_data):
    X, groups = linear_data
    sparse = OIVAE(n_components=4, lam=0.5, n_iter=1500, batch_size=100, n_init=1,
                   random_state=0, verbose=False, groups=groups).fit(X)
    dense = OIVAE(n_components=4, lam=0.0, n_iter=300, batch_size=100, n_init=1,
                  random_state=0, verbose=False, groups=groups).fit(X)
    assert (sparse.group_weights_ == 0).sum() >= 4
    assert len(sparse.active_components_) < 4
    assert (dense.group_weights_ > 0).all()


def test_component_lasso_prunes_whole_components(linear_data):
    """The norm over a component's groups prunes surplus components and is in the history."""
    X, groups = linear_data
    fits = {alpha: OIVAE(n_components=4, lam=0.02, component_lasso=alpha, n_iter=1500,
                         batch_size=100, n_init=1, random_state=1, verbose=False,
                         groups=groups).fit(X) for alpha in (0.0, 3.0)}
    assert len(fits[3.0].active_components_) < len(fits[0.0].active_components_)
    W = fits[3.0].group_weights_
    first, second = (set(np.flatnonzero(w > 0.5)) for w in (W[0] + W[1], W[2]))
    assert len(first) == len(second) == 1 and first != second  # a factor per component
    penalty = 0.02 * (W.sum() + 3.0 * np.sqrt((W**2).sum(0)).sum())
    np.testing.assert_allclose(fits[3.0].history_["group_lasso"][-1], -penalty, rtol=1e-5)


def test_save_read_round_trip(fitted, linear_data, tmp_path):
    X, _ = linear_data
    fname = fitted.save(tmp_path / "model.h5")
    model = read_oivae(fname)
    np.testing.assert_array_equal(model.group_weights_, fitted.group_weights_)
    np.testing.assert_array_equal(model.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(model.sample(5, random_state=3),
                                  fitted.sample(5, random_state=3))
    for (k, a), (_, b) in zip(model.module_.state_dict().items(),
                              fitted.module_.state_dict().items()):
        assert torch.equal(a, b), k
    assert model.get_params() == fitted.get_params()
    assert model.groups_ == fitted.groups_
    for key, value in fitted.history_.items():
        np.testing.assert_array_equal(model.history_[key], value)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        fitted.save(fname)
    fitted.save(fname, overwrite=True)


def test_fit_is_deterministic_and_returns_self():
    X, groups = make_bars(n_samples=128, random_state=0)
    a = OIVAE(n_components=4, n_iter=50, batch_size=32, random_state=7, verbose=False,
              groups=groups)
    assert a.fit(X) is a
    b = OIVAE(n_components=4, n_iter=50, batch_size=32, random_state=7,
              verbose=False, groups=groups).fit(X)
    for pa, pb in zip(a.module_.parameters(), b.module_.parameters()):
        assert torch.equal(pa, pb)


def test_n_init_keeps_the_restart_of_highest_elbo(monkeypatch):
    X, groups = make_bars(n_samples=128, random_state=0)
    finished = []

    def recording_fit(*args, **kwargs):
        fits = train(*args, **kwargs)
        finished.extend((fit.elbo, fit.network) for fit in fits)
        return fits

    monkeypatch.setattr(_pipeline, "train", recording_fit)
    model = OIVAE(n_components=4, n_iter=60, batch_size=32, n_init=3, random_state=0,
                  verbose=False, groups=groups).fit(X)
    assert len(finished) == 3
    assert len({score for score, _ in finished}) == 3  # different initialisations
    assert model.module_ is max(finished, key=lambda item: item[0])[1]
    assert model.n_iter_ == 60 and len(model.history_["elbo"]) == 60 // 4


def test_restarts_are_the_single_fits_of_their_seeds(monkeypatch):
    """n_init restarts, trained as replicas, are the n_init=1 fits of their seeds."""
    X, groups = make_bars(n_samples=128, random_state=0)
    model = OIVAE(n_components=4, n_iter=40, batch_size=32, n_init=3, random_state=0,
                  verbose=False, groups=groups)
    runs = []

    def recording_fit(layout, architecture, tasks, X, config, **kwargs):
        fits = train(layout, architecture, tasks, X, config, **kwargs)
        runs.append((layout, architecture, tasks, X, config, fits))
        return fits

    monkeypatch.setattr(_pipeline, "train", recording_fit)
    model.fit(X)
    ((layout, architecture, tasks, X_t, config, fits),) = runs
    assert len(tasks) == 3
    for task, fit in zip(tasks, fits):
        (alone,) = train(layout, architecture, [task], X_t, config)
        for a, b in zip(fit.network.parameters(), alone.network.parameters()):
            np.testing.assert_allclose(a.detach(), b.detach(), rtol=1e-4, atol=1e-5)


def test_not_fitted():
    model = OIVAE()
    for call in (lambda: model.transform(np.zeros((2, 3))), lambda: model.sample(2),
                 lambda: model.score(np.zeros((2, 3))), lambda: model.save("x.h5")):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call()


def test_activated_input_generator(linear_data, tmp_path):
    """f_g(u) = V_g tanh(u) + b_g: decodes as such, and survives save and read."""
    X, groups = linear_data
    model = OIVAE(n_components=2, lam=0.05, groups=groups, group_latent_dim=3,
                  activate_input=True, n_iter=30, batch_size=100, n_init=1,
                  random_state=0, verbose=False).fit(X)
    module = model.module_
    z = torch.randn(4, 2, generator=torch.Generator().manual_seed(0))
    u = torch.einsum("gpk,nk->gnp", module.W.detach(), z)
    g = list(module.layout.group_order).index(2)  # group "c", 3 features
    slot = module.layout.slot(g)
    V = module.out_weights[slot.bucket][slot.row].detach()
    columns = [list(module.layout.feature_order).index(f) for f in (3, 4, 5)]
    expected = torch.tanh(u[g]) @ V[:, :3] + module.feature_bias.detach()[columns]
    np.testing.assert_allclose(model.inverse_transform(z.numpy())[:, 3:],
                               expected.numpy() * model.scale_, rtol=1e-5, atol=1e-6)
    again = read_oivae(model.save(tmp_path / "tanh.h5"))
    assert again.activate_input
    np.testing.assert_array_equal(again.inverse_transform(z.numpy()),
                                  model.inverse_transform(z.numpy()))
    with pytest.raises(ValueError, match="identity generators .* activate_input"):
        OIVAE(groups=groups, group_latent_dim=None, activate_input=True).fit(X)
    with pytest.raises(TypeError, match="activate_input"):
        OIVAE(groups=groups, activate_input="yes").fit(X)
