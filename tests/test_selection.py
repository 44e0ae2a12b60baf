"""OIVAECV: lam chosen by cross-validation over whole epochs."""

import numpy as np
import pytest
from mne.utils import catch_logging
from sklearn.model_selection import KFold, cross_val_score

from mne_oivae import GroupSpec, NotFittedError, OIVAE, OIVAECV
from mne_oivae.metrics import map_agreement
from mne_oivae import selection
from mne_oivae._pipeline import Setting
from mne_oivae.selection import _best_at_largest_lam, _choose, chosen_lam_text
from mne_oivae.viz import plot_lam_selection


def _three_factors(seed=0, n_epochs=12, n_times=40):
    """Three latent factors, each driving two of six groups of three features."""
    rng = np.random.default_rng(seed)
    loadings = np.zeros((18, 3))
    for k in range(3):
        loadings[6 * k:6 * k + 6, k] = rng.uniform(0.8, 1.5, 6) * rng.choice([-1, 1], 6)
    Z = rng.standard_normal((n_epochs * n_times, 3))
    X = Z @ loadings.T + 0.5 * rng.standard_normal((len(Z), 18))
    return (X.astype(np.float32), GroupSpec.from_sizes([3] * 6),
            np.repeat(np.arange(n_epochs), n_times))


@pytest.fixture(scope="module")
def selected():
    X, groups, epochs = _three_factors()
    model = OIVAE(n_components=5, groups=groups, n_iter=800, batch_size=120, n_init=1,
                  random_state=0, verbose=False)
    return OIVAECV(model, lams=[3.0, 0.3, 0.1, 0.03], cv=4, n_importance=50,
                   verbose=False).fit(X, epochs=epochs), X, epochs


def test_path_scores_and_choice(selected):
    cv, X, _ = selected
    np.testing.assert_array_equal(cv.lams_, [3.0, 0.3, 0.1, 0.03])  # largest first
    assert cv.cv_scores_.shape == (4, 4) and cv.n_active_.shape == (4, 4)
    assert cv.cv_group_weights_.shape == (4, 4, 6, 5)
    # lam = 3 prunes every component and fits far worse than the others
    assert (cv.n_active_[0] == 0).all()
    assert cv.cv_scores_[0].mean() < cv.cv_scores_[1:].mean(axis=1).min() - 1
    assert set(cv.choices_) == {"one_se", "max", "stability"}
    assert cv.lam_ == cv.choices_["one_se"] == cv.lams_[cv.best_index_]
    assert cv.lam_ in (0.3, 0.1, 0.03)
    # the chosen model, refitted on all rows, drives the three factor pairs
    assert cv.best_estimator_.lam == cv.lam_
    weights = cv.group_weights_
    pairs = [weights[2 * k:2 * k + 2].sum(axis=0) for k in range(3)]
    owners = {int(np.argmax(p)) for p in pairs}
    assert len(owners) == 3
    assert cv.transform(X).shape == (len(X), 5)
    assert np.isfinite(cv.score(X[:40]))


@pytest.mark.filterwarnings("ignore:The highest held-out score:RuntimeWarning")  # toy fits
def test_verbose_controls_the_selection_log():
    X, groups, epochs = _three_factors(n_epochs=4)
    model = OIVAE(n_components=2, groups=groups, n_iter=20, batch_size=40, n_init=1,
                  random_state=0)
    for verbose, lines in ((False, 0), ("INFO", 1)):
        with catch_logging(verbose="INFO") as log:
            cv = OIVAECV(model, lams=[0.3, 0.03], cv=2, n_importance=5,
                         verbose=verbose).fit(X, epochs=epochs)
        assert log.getvalue().count("Chosen lam = ") == lines
    assert cv.n_features_in_ == 18


def test_rules():
    scores = np.array([[-9.0, -9.2, -8.8],    # lam 1: all pruned
                       [-5.0, -5.2, -4.8],    # lam 0.1: within one SE of the best
                       [-4.95, -5.05, -4.9],  # lam 0.01: best mean
                       [-5.5, -5.4, -5.6]])
    stability = np.array([1.0, 0.95, 0.7, 0.6])
    n_active = np.array([[0, 0, 0], [3, 3, 3], [5, 5, 4], [5, 5, 5]])
    assert _choose("max", scores, stability, n_active) == 2
    assert _choose("one_se", scores, stability, n_active) == 1
    assert _choose("stability", scores, stability, n_active) == 1  # lam 1 keeps nothing


def test_rules_return_the_null_model_only_when_it_is_truly_best():
    n_active = np.array([[0, 0, 0], [2, 3, 2], [4, 4, 4]])
    stability = np.array([1.0, 0.9, 0.8])
    # all three score alike (the nonlinear case): the empty model's
    # edge is within the noise, so no rule returns it
    scores = np.array([[-62.500, -62.400, -62.600],
                       [-62.501, -62.402, -62.599],
                       [-62.503, -62.401, -62.603]])
    for rule in ("max", "one_se", "stability"):
        assert _choose(rule, scores, stability, n_active) == 1
    # the empty model beats every fit with components in every fold: chosen
    scores[0] += 0.5
    for rule in ("max", "one_se", "stability"):
        assert _choose(rule, scores, stability, n_active) == 0
    # nothing keeps a component: the best score, empty as it is
    assert _choose("one_se", scores, stability, np.zeros((3, 3), int)) == 0


def test_a_lam_that_prunes_everything_in_some_folds_only_is_not_chosen():
    # measured (benchmarks/sensor_networks.py, EEG time courses orthogonalised,
    # nonlinear couplings, seed 2): lam 0.05 pruned every component in two of
    # three folds and kept 20 in the other, which alone gave it the best mean;
    # chosen, its refit on all the data pruned every component (F1 0)
    scores = np.array([[-61.974, -63.615, -62.284],
                       [-61.986, -63.857, -62.274]])
    n_active = np.array([[0, 20, 0], [20, 20, 20]])
    stability = np.array([0.5, 0.5])
    for rule in ("max", "one_se", "stability"):
        assert _choose(rule, scores, stability, n_active) == 1
    # where no lam keeps components in every fold: the best mean
    assert _choose("one_se", scores, stability, np.array([[0, 20, 0], [0, 0, 20]])) == 0


def test_warns_when_the_path_stops_below_the_best_lam():
    # 60 rows, deep generators: every lam of the path overfits, the largest least
    X, groups, epochs = _three_factors(n_epochs=6, n_times=10)
    model = OIVAE(n_components=5, groups=groups, group_latent_dim=4, generator_hidden=(32,),
                  prior_scale=100.0, n_iter=600, batch_size=60, n_init=1, random_state=0,
                  verbose=False)
    with pytest.warns(RuntimeWarning, match=r"largest candidate lam \(0.1\).*e.g. 0.2 and 0.5"):
        cv = OIVAECV(model, lams=[0.1, 0.01], cv=3, n_importance=20,
                     verbose=False).fit(X, epochs=epochs)
    assert cv.cv_scores_[0].mean() > cv.cv_scores_[1].mean() + 5
    assert (cv.n_active_[0] > 0).all()


def test_best_at_largest_lam():
    n_active = np.array([[3, 3], [4, 4], [5, 5]])
    rising = np.array([[-5.0, -5.2], [-6.0, -6.1], [-7.0, -7.2]])
    assert _best_at_largest_lam(rising, n_active)
    assert not _best_at_largest_lam(rising[::-1], n_active)
    # a largest lam that prunes everything in a fold bounds the path from above
    assert not _best_at_largest_lam(rising, np.array([[0, 3], [4, 4], [5, 5]]))


def _empty_first_refits(monkeypatch, n_empty):
    """Make the first *n_empty* refits of OIVAECV prune every component.

    As a refit can (the best of n_init restarts on all rows) where every fold
    fit kept components. Returns the lams refitted, in order.
    """
    real, refits = selection.fit_clones, []

    def fit_clones(template, X, settings, **kwargs):
        if len(settings) == 1 and settings[0].rows is None:  # the refit
            refits.append(settings[0].lam)
            if len(refits) <= n_empty:
                return real(template, X, [Setting(100.0)], **kwargs)  # prunes everything
        return real(template, X, settings, **kwargs)

    monkeypatch.setattr(selection, "fit_clones", fit_clones)
    return refits


def test_an_empty_refit_steps_down_the_path(monkeypatch):
    X, groups, epochs = _three_factors()
    model = OIVAE(n_components=5, groups=groups, n_iter=400, batch_size=120, n_init=1,
                  random_state=0, verbose=False)
    refits = _empty_first_refits(monkeypatch, 1)
    with pytest.warns(RuntimeWarning, match=r"refit at the chosen lam 0.3 keeps no component, "
                      r"though every fold fit at it kept some .*next smaller lam, 0.1"):
        cv = OIVAECV(model, lams=[0.3, 0.1, 0.03], cv=3, rule="stability", n_importance=20,
                     verbose=False).fit(X, epochs=epochs)
    assert cv.choices_["stability"] == 0.3 and (cv.n_active_ > 0).all()
    assert refits == [0.3, 0.1]
    assert cv.lam_ == cv.best_estimator_.lam == cv.lams_[cv.best_index_] == 0.1
    assert cv.active_components_.size > 0
    assert chosen_lam_text(cv) == "0.1 (stability rule; its 0.3 refitted with no component)"
    # with no smaller candidate, the empty refit stands
    monkeypatch.undo()
    refits = _empty_first_refits(monkeypatch, 1)
    cv = OIVAECV(model, lams=[0.1], cv=3, n_importance=20, verbose=False).fit(X, epochs=epochs)
    assert refits == [0.1] and cv.active_components_.size == 0


def test_works_with_sklearn_cross_validation(selected):
    """The CV estimator inside scikit-learn's outer cross-validation (nested CV)."""
    X, groups, _ = _three_factors(n_epochs=6)
    inner = OIVAECV(OIVAE(n_components=3, groups=groups, n_iter=100, batch_size=60,
                          n_init=1, random_state=0, verbose=False),
                    lams=[0.3, 0.03], cv=2, n_importance=10)
    scores = cross_val_score(inner, X, cv=KFold(2))
    assert scores.shape == (2,) and np.isfinite(scores).all()


def test_bad_input():
    X, groups, epochs = _three_factors(n_epochs=3)
    model = OIVAE(n_components=2, groups=groups, n_iter=10, n_init=1, verbose=False)
    with pytest.raises(ValueError, match="cv=5 folds of whole epochs need at least 5 "
                                         "epochs, got 3"):
        OIVAECV(model).fit(X, epochs=epochs)
    with pytest.raises(ValueError, match="epochs must give the epoch of every row"):
        OIVAECV(model, cv=2).fit(X, epochs=epochs[:-1])
    with pytest.raises(ValueError, match="lams is empty"):
        OIVAECV(model, lams=[]).fit(X)
    with pytest.raises(ValueError, match="every lam must be >= 0"):
        OIVAECV(model, lams=[0.1, -1]).fit(X)
    with pytest.raises(ValueError, match="Invalid value for the 'rule' parameter"):
        OIVAECV(model, rule="aic").fit(X)
    with pytest.raises(TypeError, match="estimator must be an instance of OIVAE"):
        OIVAECV(object()).fit(X)
    with pytest.raises(NotFittedError, match="OIVAECV instance is not fitted"):
        OIVAECV(model).transform(X)


def test_default_path_is_geometric():
    cv = OIVAECV(n_lams=4)
    np.testing.assert_allclose(cv._candidates(), [1.0, 0.1, 0.01, 0.001])


def test_map_agreement():
    rng = np.random.default_rng(0)
    W = rng.uniform(size=(6, 3))
    assert map_agreement(W, W[:, [2, 0, 1]] * [1.0, 3.0, 0.5]) == pytest.approx(1.0)
    assert map_agreement(W, rng.uniform(size=(6, 3))) < 0.9
    assert map_agreement(W, np.zeros((6, 3))) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        map_agreement(W, W[:, :2])


def test_plot_lam_selection(selected):
    cv, _, _ = selected
    fig = plot_lam_selection(cv, show=False)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert any(f"chosen lam = {cv.lam_:.3g}" in t.get_text()
               for t in ax.get_legend().get_texts())
    with pytest.raises(ValueError, match="must be a fitted OIVAECV"):
        plot_lam_selection(OIVAECV(), show=False)


@pytest.mark.filterwarnings("ignore:The highest held-out score:RuntimeWarning")  # toy fits
def test_choose_architecture_prefers_the_simpler_unless_beaten():
    """A richer candidate must beat the simpler one by one paired SE to be chosen."""
    from mne_oivae import choose_architecture

    X, groups, epochs = _three_factors(seed=1)
    base = dict(n_components=5, groups=groups, batch_size=120, n_init=1, random_state=0,
                verbose=False)
    trained = OIVAECV(OIVAE(n_iter=800, **base), lams=[0.3, 0.1], cv=3, n_importance=30)
    barely = OIVAECV(OIVAE(n_iter=5, **base), lams=[0.3, 0.1], cv=3, n_importance=30)
    # the barely trained model, listed first, loses to the trained one
    choice = choose_architecture([barely, trained], X, epochs=epochs, verbose=False)
    assert choice.index == 1 and choice.best is choice.searches[1]
    assert choice.scores.shape == (2, 3) and choice.seconds.shape == (2,)
    assert (choice.scores[1] > choice.scores[0]).all()
    np.testing.assert_array_equal(choice.scores[1],
                                  choice.best.cv_scores_[choice.best.best_index_])
    assert hasattr(choice.best, "best_estimator_") and trained.__dict__.get("lam_") is None
    # two equal candidates: the first (simplest) is kept
    same = choose_architecture([trained, trained], X, epochs=epochs, verbose=False)
    assert same.index == 0
    np.testing.assert_array_equal(same.scores[0], same.scores[1])


def test_choose_architecture_bad_input():
    from mne_oivae import choose_architecture

    X, groups, epochs = _three_factors()
    search = OIVAECV(OIVAE(groups=groups), lams=[0.1], cv=3)
    with pytest.raises(ValueError, match="at least two"):
        choose_architecture([search], X, epochs=epochs)
    with pytest.raises(TypeError, match="every search must be an instance of OIVAECV"):
        choose_architecture([search, OIVAE()], X, epochs=epochs)
    with pytest.raises(ValueError, match="different cv.*same cv"):
        choose_architecture([search, OIVAECV(OIVAE(groups=groups), lams=[0.1], cv=4)], X,
                            epochs=epochs)
