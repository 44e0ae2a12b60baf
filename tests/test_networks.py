"""simulate_networks ground truth and the network recovery F1 metric."""

import numpy as np
import pytest
from _source_fixtures import subjects_dir  # noqa: F401

from mne_oivae import OIVAE, OIVAECV, read_hcpmmp1_labels, stc_to_groups
from mne_oivae._demo.meg import run
from mne_oivae.datasets import simulate_networks
from mne_oivae.metrics import network_recovery_f1
from mne_oivae.presets import MEG_REGIONS, MEG_REGIONS_LAMS


@pytest.fixture(scope="module")
def sim(subjects_dir):  # noqa: F811
    return simulate_networks(subjects_dir=subjects_dir, random_state=0, verbose=False)


def test_simulation_plants_networks(sim):
    assert len(sim.networks) >= 4 and len(sim.labels) >= 40
    assert len(sim.true_sets) == len(sim.networks)
    names = [label.name for label in sim.labels]
    for members, regions in zip(sim.true_sets, sim.networks.values()):
        assert [names[g] for g in members] == list(regions)
    assert len(sim.stcs) == 20 and sim.latent.shape == (2000, len(sim.networks))
    stc = sim.stcs[0]
    assert stc.subject == "fsaverage" and stc.data.shape == (1284, 100)
    assert all(v.max() < 10242 for v in stc.vertices)
    assert np.isclose(stc.tstep, 0.01)
    assert 1e-10 < np.abs(stc.data).mean() < 1e-8
    # the truth is in the data: a network region follows its latent source
    X = stc_to_groups(sim.stcs, sim.labels, src=sim.src).X
    for k, members in enumerate(sim.true_sets):
        corr = np.corrcoef(np.c_[sim.latent[:, k], X].T)[0, 1:]
        assert np.all(np.abs(corr[members]) > 0.5)
        assert np.abs(np.delete(corr, np.concatenate(sim.true_sets))).max() < 0.15


def test_simulation_is_seeded_and_configurable(subjects_dir):  # noqa: F811
    custom = {"pair": ["Primary Visual Cortex (V1)-lh", "Premotor Cortex-rh"]}
    kwargs = {"n_epochs": 2, "n_times": 10, "spacing": "ico4",
              "subjects_dir": subjects_dir, "verbose": False}
    small = simulate_networks(custom, random_state=1, **kwargs)
    assert small.networks == {"pair": tuple(custom["pair"])}
    assert len(small.stcs) == 2 and small.stcs[0].data.shape == (5124, 10)
    same = simulate_networks(custom, random_state=1, **kwargs)
    other = simulate_networks(custom, random_state=2, **kwargs)
    assert np.array_equal(same.stcs[1].data, small.stcs[1].data)
    assert not np.array_equal(other.stcs[1].data, small.stcs[1].data)
    with pytest.raises(ValueError, match=r"networks\['bad'\].*unknown \['V9-lh'\]"):
        simulate_networks({"bad": ["V9-lh"]}, subjects_dir=subjects_dir)
    with pytest.raises(ValueError, match="n_epochs must be an integer >= 1"):
        simulate_networks(n_epochs=0, subjects_dir=subjects_dir)


def test_linear_factor_analysis_finds_planted_networks(sim):
    """The metric and the truth agree: a sparse linear signal is recoverable."""
    from sklearn.decomposition import FactorAnalysis

    X = stc_to_groups(sim.stcs, sim.labels, src=sim.src).X
    fa = FactorAnalysis(len(sim.true_sets), rotation="varimax", random_state=0).fit(X)
    f1, components = network_recovery_f1(sim.true_sets, fa.components_.T)
    assert f1.mean() > 0.9
    assert sorted(components) == list(range(len(sim.true_sets)))


def test_network_recovery_f1():
    truth = [[0, 1, 2], [3, 4]]
    weights = np.zeros((6, 3))
    weights[[0, 1, 2], 1] = [1.0, 0.8, 0.6]
    weights[[3, 4, 5], 2] = [-2.0, 1.5, 0.2]  # signed loadings count by magnitude
    f1, components = network_recovery_f1(truth, weights)
    assert np.allclose(f1, 1) and np.array_equal(components, [1, 2])
    f1, _ = network_recovery_f1(truth, weights, threshold=0.7)  # drops group 2
    assert np.allclose(f1, [0.8, 1.0])
    # one component for two networks: the second stays unmatched
    f1, components = network_recovery_f1(truth, weights[:, [1]])
    assert np.allclose(f1, [1, 0]) and np.array_equal(components, [0, -1])
    # a spurious extra group costs precision
    weights[5, 2] = 1.9
    assert np.isclose(network_recovery_f1(truth, weights)[0][1], 0.8)
    with pytest.raises(ValueError, match="threshold"):
        network_recovery_f1(truth, weights, threshold=0)
    with pytest.raises(ValueError, match=r"true_sets\[0\]"):
        network_recovery_f1([[7]], weights)


@pytest.mark.slow
def test_oivae_recovers_planted_networks(sim):
    grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src)
    model = OIVAE(random_state=0, verbose=False, **MEG_REGIONS,
                  groups=grouped.groups).fit(grouped.X)
    f1, _ = network_recovery_f1(sim.true_sets, model.group_weights_)
    assert f1.mean() >= 0.8


@pytest.mark.slow
def test_lam_selection_recovers_overlapping_networks(subjects_dir):  # noqa: F811
    """Seven networks, three sharing a region with another, 800 noisy samples.

    The former fixed ``lam=0.05`` (with 8 components) kept 4-5 components here
    (mean F1 0.69 over three seeds); the lam chosen by cross-validation is
    smaller and recovers the networks.
    """
    names = [label.name for label in read_hcpmmp1_labels(subjects_dir)]
    order = np.random.default_rng(1000).permutation(len(names))
    networks, start = {}, 0
    for k in range(7):
        networks[f"network {k}"] = [names[i] for i in order[start:start + 3 + k % 2]]
        start += 3 + k % 2
    for k in (0, 2, 4):
        networks[f"network {k + 1}"].append(networks[f"network {k}"][0])
    sim = simulate_networks(networks, n_epochs=8, noise=1.5, background=0.7,
                            subjects_dir=subjects_dir, random_state=0, verbose=False)
    grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src, verbose=False)
    cv = OIVAECV(OIVAE(**MEG_REGIONS, groups=grouped.groups, random_state=0),
                 lams=MEG_REGIONS_LAMS, verbose=False).fit(grouped.X, epochs=grouped.epochs)
    assert cv.lam_ < 0.05
    f1, _ = network_recovery_f1(sim.true_sets, cv.group_weights_)
    assert f1.mean() >= 0.9


def test_demo_meg_quick(subjects_dir, tmp_path, capsys):  # noqa: F811
    f1 = run(tmp_path, quick=True, subjects_dir=subjects_dir)
    out = capsys.readouterr().out
    assert "network 'visual'" in out and "mean best-match F1" in out
    assert "chosen by 5-fold cross-validation over epochs among 7 values" in out
    assert (tmp_path / "meg_lam_selection.png").exists()
    assert f1.shape == (4,)
    assert (tmp_path / "meg_group_interactions.png").exists()
    assert 1 <= len(list(tmp_path.glob("meg_component_*.png"))) <= 2
