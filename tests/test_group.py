"""Group studies: per-subject maps from a group model, folds of whole subjects."""

import numpy as np
import pytest

from mne_oivae import OIVAE, OIVAECV
from mne_oivae._recordings import Recordings
from mne_oivae.datasets import make_bars
from mne_oivae.group import subject_ids, subject_maps
from mne_oivae.multi_fit import cv_splits


@pytest.fixture(scope="module")
def group_fit():
    X, groups = make_bars(n_samples=600, random_state=0)
    # subject 2's networks are twice as strong as subject 0's and 1's
    parts = np.split(X, 3)
    mean = parts[2].mean(0)
    parts[2] = mean + 2 * (parts[2] - mean)
    model = OIVAE(n_components=8, groups=groups, n_iter=300, batch_size=64, n_init=1,
                  random_state=0, verbose=False).fit(parts)
    return parts, model


def test_subject_maps(group_fit):
    parts, model = group_fit
    maps = subject_maps(model, parts, n_iter=150)
    assert maps.shape == (3, *model.group_weights_.shape)
    same = subject_maps(model, np.concatenate(parts), np.repeat([5, 6, 7], 200), n_iter=150)
    np.testing.assert_array_equal(maps, same)  # one code path: list or array + subjects
    total = maps.sum(axis=(1, 2))
    assert total[2] > 1.3 * max(total[0], total[1])  # the stronger subject's map
    # components the group pruned stay pruned (the encoder never carries them)
    dead = model.group_weights_.max(axis=0) == 0
    assert (maps[:, :, dead] == 0).all()
    # the group model is left as it was
    np.testing.assert_array_equal(model.group_weights_,
                                  model.module_.layout.groups_to_canonical(
                                      model.module_.group_norms()[0].numpy()))


def test_subject_maps_with_encoder_refit(group_fit):
    parts, model = group_fit
    loadings = subject_maps(model, parts, n_iter=50)
    both = subject_maps(model, parts, refit="loadings+encoder", n_iter=50)
    assert both.shape == loadings.shape and not np.array_equal(both, loadings)
    encoder = model.module_.encoder_parameters()[0].detach().clone()
    subject_maps(model, parts, refit="loadings+encoder", n_iter=5)
    np.testing.assert_array_equal(model.module_.encoder_parameters()[0].detach(), encoder)


def test_subject_maps_bad_input(group_fit):
    parts, model = group_fit
    with pytest.raises(ValueError, match="Invalid value for the 'refit' parameter"):
        subject_maps(model, parts, refit="everything")
    with pytest.raises(ValueError, match="needs subjects"):
        subject_maps(model, np.concatenate(parts))
    with pytest.raises(ValueError, match="only for an array X"):
        subject_maps(model, parts, np.zeros(600))
    with pytest.raises(ValueError, match="the recordings have 3 features, but the group "
                                         "model was fitted on 64"):
        subject_maps(model, [p[:, :3] for p in parts])
    with pytest.raises(TypeError, match="list of recordings"):
        subject_ids(parts[0])


def test_folds_leave_whole_subjects_out(group_fit):
    parts, _ = group_fit
    recordings = Recordings(parts)
    ids = subject_ids(parts)
    np.testing.assert_array_equal(ids, np.repeat([0, 1, 2], 200))
    splits = cv_splits(recordings, 3)
    assert sorted(np.unique(ids[test]).tolist() for _, test in splits) == [[0], [1], [2]]
    for train, test in splits:
        assert not np.isin(ids[train], ids[test]).any()
    search = OIVAECV(OIVAE(n_components=4, groups=None, n_iter=10, n_init=1, random_state=0,
                           verbose=False), lams=[1.0, 0.1], cv=3, n_importance=5)
    search.fit([p[:, :6] for p in parts])
    assert search.cv_scores_.shape == (2, 3)
    assert search.best_estimator_.n_features_in_ == 6
