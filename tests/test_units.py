"""Data in any units: the same fit, and log-likelihoods shifted by the change of units."""

import numpy as np
import pytest

from mne_oivae import OIVAE, OIVAECV, read_oivae
from mne_oivae.datasets import make_bars
from mne_oivae.multi_fit import fit_lam_path

SCALES = [1e-15, 1e-12, 1e-9, 2.0**-20, 1e-3, 1e3, 1e9, 1e12, 1e15]


@pytest.fixture(scope="module")
def reference():
    X, groups = make_bars(n_samples=256, size=4, random_state=0)
    X_test, _ = make_bars(n_samples=64, size=4, random_state=1)
    model = OIVAE(n_components=4, groups=groups, n_iter=200, batch_size=64, n_init=1,
                  random_state=0, verbose=False).fit(X)
    return X, X_test, model


def _score(model, X):
    return model.score(X, n_importance=50)


@pytest.mark.parametrize("s", SCALES)
def test_fits_follow_the_units(reference, s):
    X, X_test, model = reference
    scaled = OIVAE(**model.get_params()).fit(X * s)  # float32 data in other units
    assert scaled.scale_ == pytest.approx(model.scale_ * s, rel=1e-6)
    np.testing.assert_allclose(scaled.group_weights_, model.group_weights_, rtol=1e-3,
                               atol=1e-4)
    np.testing.assert_allclose(scaled.transform(X_test * s), model.transform(X_test),
                               rtol=1e-3, atol=1e-4)
    z = model.transform(X_test[:5])
    np.testing.assert_allclose(scaled.inverse_transform(z) / s,
                               model.inverse_transform(z), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(scaled.sample(5, random_state=0) / s,
                               model.sample(5, random_state=0), rtol=1e-3, atol=1e-4)
    # log p(s x) = log p(x) - n_features ln(s): the Jacobian of the change of units
    shift = -X.shape[1] * np.log(s)
    assert _score(scaled, X_test * s) - shift == pytest.approx(_score(model, X_test),
                                                               abs=1e-3)


def test_a_power_of_two_gives_the_same_fit_bit_for_bit(reference):
    X, X_test, model = reference
    scaled = OIVAE(**model.get_params()).fit(X * 2.0**-40)
    np.testing.assert_array_equal(scaled.group_weights_, model.group_weights_)
    assert _score(scaled, X_test * 2.0**-40) == pytest.approx(  # float64 rounding
        _score(model, X_test) + 40 * 16 * np.log(2), rel=1e-14)


def test_squares_beyond_float_range(reference, tmp_path):
    """Values whose squares overflow float32 (1e30) or float64 (1e200) fit the same."""
    X, X_test, model = reference
    for s, dtype in ((1e30, np.float32), (1e200, np.float64)):
        big = (X.astype(np.float64) * s).astype(dtype)
        scaled = OIVAE(**model.get_params()).fit(big)
        np.testing.assert_allclose(scaled.group_weights_, model.group_weights_,
                                   rtol=1e-3, atol=1e-4)
        scaled.save(tmp_path / f"{s}.h5")
        read = read_oivae(tmp_path / f"{s}.h5")
        assert read.scale_ == scaled.scale_
        shift = -X.shape[1] * np.log(s)
        X_scaled = X_test.astype(np.float64) * s
        assert _score(read, X_scaled) - shift == pytest.approx(_score(model, X_test), abs=1e-3)
        assert np.isfinite(read.inverse_transform(read.transform(X_scaled))).all()


def test_data_in_other_units_than_the_fit_is_named(reference):
    X, X_test, model = reference
    with pytest.raises(ValueError, match="same units") as err:
        model.transform(X_test.astype(np.float64) * 1e40)
    assert "scale_ = " in str(err.value) and "float32's range" in str(err.value)
    with pytest.raises(ValueError, match="constant"):
        OIVAE(n_iter=2).fit(np.ones((10, 3)))


def test_lam_paths_use_the_same_scale(reference):
    X, X_test, model = reference
    params = model.get_params()
    path = fit_lam_path(OIVAE(**params), X * 1e-9, [params["lam"]])
    assert path[0].scale_ == pytest.approx(model.scale_ * 1e-9, rel=1e-6)
    np.testing.assert_allclose(path[0].group_weights_, model.group_weights_, rtol=1e-3,
                               atol=1e-4)


def test_lam_selection_follows_the_units(reference):
    """OIVAECV: the same choice, and held-out scores shifted by the change of units."""
    X, _, model = reference
    params = dict(model.get_params(), n_iter=100)
    searches = {s: OIVAECV(OIVAE(**params), lams=[1.0, 0.1], cv=2, n_importance=20,
                           verbose=False).fit(X * s) for s in (1.0, 1e-9)}
    shift = -X.shape[1] * np.log(1e-9)
    np.testing.assert_allclose(searches[1e-9].cv_scores_ - shift, searches[1.0].cv_scores_,
                               atol=1e-3)
    assert searches[1e-9].lam_ == searches[1.0].lam_
    assert searches[1e-9].best_estimator_.scale_ == pytest.approx(
        searches[1.0].best_estimator_.scale_ * 1e-9, rel=1e-6)
