"""Sensor-level simulation: cached forward models, the recording, its estimates."""

from pathlib import Path

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


def test_sample_file_checks_md5_and_downloads_into_the_cache(shared_data, tmp_path,
                                                            monkeypatch):
    import shutil

    import pooch

    from mne_oivae.datasets._sensor_files import sample_file

    calls = []

    def retrieve(url, known_hash, fname, path, progressbar):  # the network, offline
        calls.append(known_hash)
        Path(path).mkdir(parents=True, exist_ok=True)
        return shutil.copyfile(shared_data / "mne_testing" / "meg" / fname,
                               Path(path) / fname)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    monkeypatch.setenv("MNE_DATA", str(tmp_path / "mne_data"))  # no testing data
    monkeypatch.delenv("MNE_OIVAE_SHARED_DATA", raising=False)
    corrupt = tmp_path / "given"
    corrupt.mkdir()
    (corrupt / "test_erm-cov.fif").write_bytes(b"not the covariance")  # wrong checksum
    cached = tmp_path / "cache" / "mne_testing" / "test_erm-cov.fif"
    assert sample_file("test_erm-cov.fif", corrupt, tmp_path / "cache") == cached
    assert calls == ["md5:61a2d8033a3cabbed770adec6b2c5dde"]
    assert mne.read_cov(cached, verbose=False)["data"].shape[0] > 300
    assert sample_file("test_erm-cov.fif", corrupt, tmp_path / "cache") == cached
    assert len(calls) == 1  # found in the cache now


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


def test_projection_is_simulate_raws_for_a_still_head(sim):
    from mne_oivae.datasets._sensor_networks import _project

    fixed = mne.convert_forward_solution(sim.fwd, surf_ori=True, force_fixed=True,
                                         use_cps=True, verbose=False)
    simulator = mne.simulation.SourceSimulator(sim.src, tstep=1.0 / 100)
    waveforms = np.random.default_rng(0).standard_normal((3, 2500)) * 1e-9
    for label, waveform in zip(sim.labels[:3], waveforms):  # 2,500 samples: three chunks
        simulator.add_data(label, waveform, np.array([[0, 0, 1]]))
    info = sim.raw.info
    expected = mne.simulation.simulate_raw(info, simulator, forward=fixed, verbose=False)
    raw = _project(simulator, fixed, info)
    assert raw.ch_names == expected.ch_names and raw.n_times == 2500
    scale = np.abs(expected.get_data()).max()
    np.testing.assert_allclose(raw.get_data(), expected.get_data(), rtol=0, atol=1e-9 * scale)


def test_modulation_sets_how_envelopes_follow_the_drive(subjects_dir, data_path,  # noqa: F811
                                                         cache_dir, sim):
    from mne_oivae.source import amplitude_envelope

    flat = simulate_recording(sensors="eeg", coupling="nonlinear", n_epochs=3,
                              spacing="ico3", snr=4.0, modulation=0.0,
                              subjects_dir=subjects_dir, data_path=data_path,
                              cache_dir=cache_dir, random_state=0, verbose=False)
    np.testing.assert_array_equal(flat.latent, sim.latent)  # same draws, other envelopes
    epochs = np.repeat([0, 1, 2], 400)
    first = [members[0] for members in sim.true_sets]  # these regions follow the latent
    for recording, low, high in ((sim, 0.5, 1.0), (flat, -0.2, 0.2)):
        envelope, _ = amplitude_envelope(recording.activity, 100.0, recording.band, decim=5,
                                         epochs=epochs)
        slow = recording.latent[::5]
        corr = [np.corrcoef(envelope[:, r], slow[:, k])[0, 1] for k, r in enumerate(first)]
        assert low < np.median(np.abs(corr)) < high


def test_outside_amplitude_quiets_the_rhythms_of_regions_in_no_network(
        subjects_dir, data_path, cache_dir, sim):  # noqa: F811
    quiet = simulate_recording(sensors="eeg", coupling="nonlinear", n_epochs=3,
                               spacing="ico3", snr=4.0, outside_amplitude=0.1,
                               subjects_dir=subjects_dir, data_path=data_path,
                               cache_dir=cache_dir, random_state=0, verbose=False)
    network = np.concatenate(sim.true_sets)
    outside = np.setdiff1d(np.arange(len(sim.labels)), network)
    np.testing.assert_array_equal(quiet.activity[:, network], sim.activity[:, network])
    # same draws: the difference is 0.9 of the rhythm; what is left without it is slow
    rhythm = (sim.activity[:, outside] - quiet.activity[:, outside]) / 0.9
    slow = quiet.activity[:, outside] - 0.1 * rhythm
    freqs = np.fft.rfftfreq(len(slow), 1 / 100.0)
    alpha = (freqs >= sim.band[0]) & (freqs <= sim.band[1])

    def alpha_power(x):
        return (np.abs(np.fft.rfft(x, axis=0)[alpha]) ** 2).sum(0)

    assert np.all(alpha_power(slow) < 1e-3 * alpha_power(rhythm))
    assert np.all(rhythm.std(0) > 0.5)


def test_lcmv_beamformer_estimates_the_same_recording(subjects_dir, data_path,  # noqa: F811
                                                      cache_dir, sim):
    lcmv = simulate_recording(sensors="eeg", coupling="nonlinear", n_epochs=3,
                              epoch_duration=4.0, spacing="ico3", snr=4.0, method="LCMV",
                              subjects_dir=subjects_dir, data_path=data_path,
                              cache_dir=cache_dir, random_state=0, verbose=False)
    assert isinstance(lcmv.inv, mne.beamformer.Beamformer)
    assert lcmv.inv["pick_ori"] == "normal" and lcmv.inv["weight_norm"] == "unit-noise-gain"
    np.testing.assert_array_equal(lcmv.activity, sim.activity)
    np.testing.assert_array_equal(lcmv.raw.get_data(), sim.raw.get_data())
    assert len(lcmv.stcs) == 3 and lcmv.stcs[0].data.shape == sim.stcs[0].data.shape
    assert lcmv.stcs[0].subject == "fsaverage"
    grouped = stc_to_groups(lcmv.stcs, lcmv.labels, src=lcmv.src, standardize=None,
                            verbose=False)
    members = np.concatenate(lcmv.true_sets)
    fidelity = [abs(np.corrcoef(lcmv.activity[:, r], grouped.X[:, r])[0, 1]) for r in members]
    assert np.median(fidelity) > 0.3
    assert not np.allclose(lcmv.stcs[0].data, sim.stcs[0].data)


def test_recording_errors(subjects_dir, data_path, cache_dir, eeg_info):  # noqa: F811
    fwd = make_fsaverage_forward(eeg_info, spacing="ico4", subjects_dir=subjects_dir,
                                 cache_dir=cache_dir, verbose=False)
    with pytest.raises(ValueError, match="forward/source-space mismatch"):
        simulate_recording(sensors="eeg", spacing="ico3", fwd=fwd, subjects_dir=subjects_dir,
                           data_path=data_path, cache_dir=cache_dir)
    with pytest.raises(ValueError, match="Nyquist"):
        simulate_recording(sensors="eeg", band=(40, 60), subjects_dir=subjects_dir,
                           data_path=data_path)
    with pytest.raises(ValueError, match="modulation"):
        simulate_recording(sensors="eeg", modulation=-1.0, subjects_dir=subjects_dir,
                           data_path=data_path)
    with pytest.raises(ValueError, match="outside_amplitude must be >= 0"):
        simulate_recording(sensors="eeg", outside_amplitude=-0.5, subjects_dir=subjects_dir,
                           data_path=data_path)
    with pytest.raises(ValueError, match="'sensors'"):
        simulate_recording(sensors="ecog", subjects_dir=subjects_dir, data_path=data_path)
    with pytest.raises(ValueError, match="'method'.*LCMV"):
        simulate_recording(sensors="eeg", method="beamformer", subjects_dir=subjects_dir,
                           data_path=data_path)


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
