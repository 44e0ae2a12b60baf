import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mne_oivae import GroupSpec
from mne_oivae.groups import as_group_spec


def test_constructors_agree():
    a = GroupSpec([np.array([0, 1]), np.array([2, 3, 4])], names=["a", "b"])
    b = GroupSpec.from_sizes([2, 3], names=["a", "b"])
    c = GroupSpec.from_labels(["a", "a", "b", "b", "b"])
    assert a == b == c
    assert a.n_groups == 2 and a.n_features == 5
    np.testing.assert_array_equal(a.sizes, [2, 3])
    np.testing.assert_array_equal(a.feature_group, [0, 0, 1, 1, 1])
    assert GroupSpec.from_dict(a.to_dict()) == a


def test_labels_keep_order_of_first_appearance():
    spec = GroupSpec.from_labels([3, 1, 3, 2])
    assert spec.names == ["3", "1", "2"]
    np.testing.assert_array_equal(spec.indices[0], [0, 2])


@pytest.mark.parametrize("indices, kwargs, match", [
    ([[0, 1], []], {}, "group 1 is empty"),
    ([[0, 1], [1, 2]], {}, "feature 1 is in more than one group"),
    ([[0, 0, 1]], {}, "feature 0 is in more than one group"),
    ([[0, 5]], {"n_features": 3}, "indices must be < n_features"),
    ([[0, -1]], {}, "negative feature index"),
    ([[0], [2]], {}, "1 feature.* belong to no group"),
    ([[0.5, 1]], {}, "integer feature indices"),
    ([[0], [1]], {"names": ["a"]}, "names has 1 entries but there are 2 groups"),
    ([[0], [1]], {"names": ["a", "a"]}, "group names must be unique"),
    ([], {}, "at least one group"),
])
def test_invalid_groups(indices, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        GroupSpec(indices, **kwargs)


def test_from_sizes_rejects_bad_sizes():
    with pytest.raises(ValueError, match="group 1 has size 0"):
        GroupSpec.from_sizes([2, 0])
    with pytest.raises(ValueError, match="non-empty 1D list of integers"):
        GroupSpec.from_sizes([1.5, 2])


def test_as_group_spec():
    spec = as_group_spec([[0, 1], [2]], 3)
    assert spec.n_groups == 2
    assert as_group_spec(np.array([0, 0, 1]), 3).n_groups == 2
    with pytest.raises(ValueError, match="use GroupSpec.from_sizes"):
        as_group_spec([2, 1], 3)
    with pytest.raises(ValueError, match="groups describe 3 features, but X has 4"):
        as_group_spec(GroupSpec.from_sizes([2, 1]), 4)
    with pytest.raises(TypeError, match="groups must be a GroupSpec"):
        as_group_spec("abc", 3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=12), st.randoms(use_true_random=False))
def test_any_partition_round_trips(sizes, rnd):
    """A random permutation cut into groups is always a valid, lossless spec."""
    perm = list(range(sum(sizes)))
    rnd.shuffle(perm)
    edges = np.cumsum([0, *sizes])
    indices = [np.array(perm[a:b]) for a, b in zip(edges[:-1], edges[1:])]
    spec = GroupSpec(indices)
    assert spec.n_features == sum(sizes)
    for g, idx in enumerate(indices):
        assert (spec.feature_group[idx] == g).all()
    assert GroupSpec.from_labels(spec.feature_group).n_groups == len(sizes)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 9), min_size=1, max_size=4), min_size=1,
                max_size=5))
def test_overlap_is_always_detected(groups):
    flat = [i for g in groups for i in g]
    n_features = max(flat) + 1
    valid = len(set(flat)) == len(flat) and set(flat) == set(range(n_features))
    if valid:
        assert GroupSpec([np.array(g) for g in groups]).n_features == n_features
    else:
        with pytest.raises(ValueError):
            GroupSpec([np.array(g) for g in groups])
