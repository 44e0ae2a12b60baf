"""Sensor-level simulation: cached forward models, the recording, its estimates."""

import mne
import numpy as np
import pytest
from _source_fixtures import subjects_dir  # noqa: F401

from mne_oivae import stc_to_groups
from mne_oivae.datasets import make_fsaverage_forward, simulate_recording


@pytest.fixture(scope="module")
def data_path(shared_data):
    path = shared_data / "mne_testing" / "meg"
    if not (path / "test-ave.fif.gz").is_file():
        pytest.skip(f"shared test data incomplete: {path} lacks test-ave.fif.gz")
    return path


@pytest.fixture(scope="module")
def eeg_info(data_path):
    info = mne.io.read_info(data_path / "test-ave.fif.gz", verbose=False)
    return mne.pick_info(info, mne.pick_types(info, meg=False, eeg=True))


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def test_forward_is_cached(eeg_info, subjects_dir, cache_dir, monkeypatch):  # noqa: F811
    calls = []
    build = mne.make_forward_solution
    monkeypatch.setattr(mne, "make_forward_solution",
                        lambda *a, **k: calls.append(1) or build(*a, **k))
    first = make_fsaverage_forward(eeg_info, spacing="ico3", subjects_dir=subjects_dir,
                                   cache_dir=cache_dir, verbose=False)
    again = make_fsaverage_forward(eeg_info, spacing="ico3", subjects_dir=subjects_dir,
                                   cache_dir=cache_dir, verbose=False)
    assert len(calls) == 1  # the second call reads the cache
    assert len(list((cache_dir / "forward").glob("*-fwd.fif"))) == 1
    assert first.ch_names == again.ch_names == eeg_info.ch_names
    np.testing.assert_allclose(first["sol"]["data"], again["sol"]["data"])
    assert 0 < first["nsource"] <= 1284  # the sphere model drops sources outside it
    # other sensors are another model
    moved = eeg_info.copy()
    with moved._unlock():
        moved["chs"][0]["loc"][:3] += 0.01
    make_fsaverage_forward(moved, spacing="ico3", subjects_dir=subjects_dir,
                           cache_dir=cache_dir, verbose=False)
    assert len(calls) == 2


@pytest.fixture(scope="module")
def sim(subjects_dir, data_path, cache_dir):  # noqa: F811
    return simulate_recording(sensors="eeg", coupling="nonlinear", n_epochs=3,
                              epoch_duration=4.0, spacing="ico3", snr=4.0,
                              subjects_dir=subjects_dir, data_path=data_path,
                              cache_dir=cache_dir, random_state=0, verbose=False)


def test_simulated_recording(sim):
    assert len(sim.stcs) == 3 and sim.stcs[0].shape[1] == 400
    assert sim.raw.info["sfreq"] == 100.0 and len(sim.raw.ch_names) == 60
    assert sim.latent.shape == (1200, 4) and sim.activity.shape == (1200, len(sim.labels))
    names = [label.name for label in sim.labels]
    for members, regions in zip(sim.true_sets, sim.networks.values()):
        assert [names[g] for g in members] == list(regions)
    # nonlinear coupling: a network's regions are (nearly) uncorrelated in truth
    for members in sim.true_sets:
        corr = np.corrcoef(sim.activity[:, members].T)
        assert np.abs(corr[np.triu_indices(len(members), 1)]).max() < 0.3
    grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src, standardize=None,
                            verbose=False)
    assert grouped.X.shape == (1200, len(sim.labels))
    # the estimates carry the true activity of the network regions
    members = np.concatenate(sim.true_sets)
    fidelity = [abs(np.corrcoef(sim.activity[:, r], grouped.X[:, r])[0, 1]) for r in members]
    assert np.median(fidelity) > 0.3
    # and leakage: regions with independent activity correlate in the estimates
    others = np.setdiff1d(np.arange(len(sim.labels)), members)
    true = np.abs(np.corrcoef(sim.activity[:, others].T))[np.triu_indices(len(others), 1)]
    est = np.abs(np.corrcoef(grouped.X[:, others].T))[np.triu_indices(len(others), 1)]
    assert est.mean() > 2 * true.mean()
    orth = stc_to_groups(sim.stcs, sim.labels, src=sim.src, orthogonalize=True,
                         envelope=sim.band, decim=5, verbose=False)
    assert orth.X.shape == (240, len(sim.labels))
    np.testing.assert_array_equal(orth.epochs, np.repeat([0, 1, 2], 80))


def test_recording_errors(subjects_dir, data_path, cache_dir, eeg_info):  # noqa: F811
    fwd = make_fsaverage_forward(eeg_info, spacing="ico4", subjects_dir=subjects_dir,
                                 cache_dir=cache_dir, verbose=False)
    with pytest.raises(ValueError, match="forward/source-space mismatch"):
        simulate_recording(sensors="eeg", spacing="ico3", fwd=fwd, subjects_dir=subjects_dir,
                           data_path=data_path, cache_dir=cache_dir)
    with pytest.raises(ValueError, match="Nyquist"):
        simulate_recording(sensors="eeg", band=(40, 60), subjects_dir=subjects_dir,
                           data_path=data_path)
    with pytest.raises(ValueError, match="'sensors'"):
        simulate_recording(sensors="ecog", subjects_dir=subjects_dir, data_path=data_path)


@pytest.mark.slow
def test_meg_recording(subjects_dir, data_path, cache_dir):  # noqa: F811
    # builds the one-layer BEM solution of fsaverage once (minutes), then the MEG forward
    sim = simulate_recording(sensors="meg", coupling="monotone", n_epochs=3,
                             spacing="ico3", method="eLORETA", subjects_dir=subjects_dir,
                             data_path=data_path, cache_dir=cache_dir, random_state=0,
                             verbose=False)
    assert len(sim.raw.ch_names) == 306 and sim.fwd["nsource"] == 1284
    assert len(list((cache_dir / "forward").glob("*bem-sol.fif"))) == 1
    grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src, standardize=None,
                            verbose=False)
    members = np.concatenate(sim.true_sets)
    fidelity = [abs(np.corrcoef(sim.activity[:, r], grouped.X[:, r])[0, 1]) for r in members]
    assert np.median(fidelity) > 0.3
