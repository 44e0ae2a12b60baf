"""CMU loader, scaler, forward kinematics, pose plots, download and a small fit."""

import functools
import http.server
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from _mocap_fixtures import write_cmu_subject
from mne_oivae import GroupSpec
from mne_oivae.mocap import (ChannelScaler, MocapDataNotFoundError, MocapTrials,
                             fetch_cmu_mocap, forward_kinematics, load_cmu_trials,
                             read_amc, read_asf)
from mne_oivae.mocap import _load, _registry
from mne_oivae.mocap._kinematics import euler_matrix
from mne_oivae.presets import MOCAP_RECIPE

N_FRAMES = 120


@pytest.fixture(scope="module", autouse=True)
def _generated_files_are_not_cmu():
    """The stand-ins have CMU's layout but not its frame counts (see test_mocap_real)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_registry, "REGISTRY", {})
        yield


@pytest.fixture(scope="module")
def cmu_dir(tmp_path_factory):
    """Subject 7 in CMU's folder layout: walks 1-3 and the brisk walk 12."""
    return write_cmu_subject(tmp_path_factory.mktemp("cmu"), trials=(1, 2, 3, 12),
                             n_frames=N_FRAMES, layout="cmu")


@pytest.fixture(scope="module")
def train(cmu_dir):
    return load_cmu_trials(7, [1, 2], path=cmu_dir, download=False, verbose=False)


@pytest.fixture(scope="module")
def skeleton(cmu_dir):
    return read_asf(cmu_dir / "subjects" / "07" / "07.asf")


# -- loader -------------------------------------------------------------------------
def test_load_cmu_trials_layout(train, skeleton):
    """59 angles in 29 joints, joint names as groups, root translations dropped."""
    assert isinstance(train, MocapTrials)
    assert train.X.dtype == np.float32 and train.X.shape == (2 * N_FRAMES, 59)
    assert isinstance(train.groups, GroupSpec)
    assert train.groups.n_groups == 29 and train.groups.n_features == 59
    assert sorted(train.groups.sizes.tolist()) == [1] * 10 + [2] * 8 + [3] * 11
    assert train.groups.names[:3] == ["root", "lfemur", "ltibia"]
    assert "lhipjoint" not in train.groups.names  # no degrees of freedom
    assert not any(name.startswith("root_t") for name in train.channel_names)
    for name, idx in zip(train.groups.names, train.groups.indices):
        assert all(train.channel_names[i].rsplit("_", 1)[0] == name for i in idx)
    np.testing.assert_array_equal(train.n_frames, [N_FRAMES, N_FRAMES])
    assert train.trials == [1, 2] and train.subject == 7
    assert train.fnames[1].endswith("07_02.amc")
    # scaled to [0, 1] on the training data; constant channels (fingers) map to 0
    np.testing.assert_allclose(train.X.min(0), 0, atol=1e-6)
    constant = [train.channel_names.index(f"{s}fingers_rx") for s in "lr"]
    moving = np.setdiff1d(np.arange(59), constant)
    np.testing.assert_allclose(train.X.max(0)[moving], 1, atol=1e-6)
    assert (train.X[:, constant] == 0).all()
    assert "29 joints" in repr(train)
    # values agree with the file through the scaler
    motion = read_amc(train.fnames[0], skeleton)
    cols = [skeleton.channel_names.index(name) for name in train.channel_names]
    np.testing.assert_allclose(train.scaler.inverse_transform(train.X[:N_FRAMES]),
                               motion.data[:, cols], rtol=1e-5, atol=1e-4)


def test_load_is_fast(tmp_path):
    """Ten walk-length trials parse in well under a second of CPU time."""
    import time

    folder = write_cmu_subject(tmp_path, trials=range(1, 11), n_frames=400)
    start = time.process_time()  # CPU time: robust to other jobs on the machine
    data = load_cmu_trials(7, range(1, 11), path=folder, verbose=False)
    assert time.process_time() - start < 1.0
    assert data.X.shape == (4000, 59)


def test_load_test_trials_with_training_scaler(cmu_dir, train, skeleton):
    test = load_cmu_trials(7, 12, path=cmu_dir, scaler=train.scaler, verbose=False)
    assert test.scaler is train.scaler and test.trials == [12]
    raw = read_amc(test.fnames[0], skeleton).data
    cols = [skeleton.channel_names.index(name) for name in train.channel_names]
    np.testing.assert_allclose(test.X, train.scaler.transform(raw[:, cols]), atol=1e-6)
    assert test.X.min() < 0 or test.X.max() > 1  # a brisker walk leaves the range
    assert np.isfinite(test.X).all()


def test_drop_constant_channels(cmu_dir, train):
    """The fingers never move: dropping them leaves 57 angles in 27 joints."""
    kept = load_cmu_trials(7, [1, 2], path=cmu_dir, drop_constant=True, verbose=False)
    assert kept.X.shape == (2 * N_FRAMES, 57) and kept.groups.n_groups == 27
    assert "lfingers" not in kept.groups.names and "lthumb" in kept.groups.names
    assert kept.scaler.channel_names_ == kept.channel_names
    np.testing.assert_array_equal(kept.X, np.delete(train.X, [
        train.channel_names.index(f"{s}fingers_rx") for s in "lr"], axis=1))
    test = load_cmu_trials(7, 12, path=cmu_dir, scaler=kept.scaler, verbose=False)
    assert test.channel_names == kept.channel_names and test.groups == kept.groups
    for scaler in (ChannelScaler(), ChannelScaler().fit(kept.X)):
        with pytest.raises(ValueError, match="not fitted or has no channel names"):
            load_cmu_trials(7, 12, path=cmu_dir, scaler=scaler, verbose=False)


def test_scaler_round_trip_and_constant_channels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4)) * [1, 10, 0, 3] + [0, 5, 7.12502, -2]
    scaler = ChannelScaler()
    assert "not fitted" in repr(scaler)
    with pytest.raises(RuntimeError, match="not fitted"):
        scaler.transform(X)
    Xs = scaler.fit_transform(X, channel_names=list("abcd"))
    assert Xs.min() == 0 and Xs.max() == 1 and (Xs[:, 2] == 0).all()
    np.testing.assert_allclose(scaler.inverse_transform(Xs), X)
    np.testing.assert_allclose(scaler.scale_[2], 1.0)
    assert scaler.channel_names_ == list("abcd") and "1 constant" in repr(scaler)
    np.testing.assert_allclose(scaler.transform(X[:, :] + [0, 0, 1, 0])[:, 2], 1.0)
    with pytest.raises(ValueError, match="4 features"):
        scaler.transform(X[:, :3])
    with pytest.raises(ValueError, match="channel_names has 2 entries"):
        ChannelScaler().fit(X, channel_names=["a", "b"])


def test_scaler_min_range_keeps_rounding_noise_small():
    """CMU's fingers: 7.125 or 7.12502 degrees, 0/1 noise unless the range is clamped."""
    fingers = np.array([[7.125], [7.12502], [7.125], [7.12502]])
    plain = ChannelScaler().fit_transform(fingers)
    np.testing.assert_allclose(plain.ravel(), [0, 1, 0, 1])
    clamped = ChannelScaler(min_range=0.1)
    np.testing.assert_allclose(clamped.fit_transform(fingers).ravel(),
                               [0, 2e-4, 0, 2e-4], atol=1e-9)
    assert clamped.scale_[0] == 0.1 and "1 constant" in repr(clamped)
    np.testing.assert_allclose(clamped.inverse_transform(clamped.transform(fingers)),
                               fingers)
    with pytest.raises(ValueError, match="min_range must be >= 0"):
        ChannelScaler(min_range=-1).fit(fingers)


def test_load_cmu_trials_bad_arguments(cmu_dir, train):
    with pytest.raises(TypeError, match="subject must be an int"):
        load_cmu_trials("7", [1], path=cmu_dir)
    with pytest.raises(ValueError, match="at least one trial"):
        load_cmu_trials(7, [], path=cmu_dir)
    with pytest.raises(ValueError, match="each trial number must be an integer >= 1"):
        load_cmu_trials(7, [0], path=cmu_dir)
    with pytest.raises(TypeError, match="scaler must be an instance of ChannelScaler"):
        load_cmu_trials(7, [1], path=cmu_dir, scaler="minmax")
    other = ChannelScaler().fit(np.ones((2, 59)), channel_names=[f"c{i}" for i in range(59)])
    with pytest.raises(ValueError, match="fitted on other channels"):
        load_cmu_trials(7, [1], path=cmu_dir, scaler=other, verbose=False)


def test_file_lookup(tmp_path, cmu_dir, monkeypatch):
    """Flat folders, CMU's subjects/07 layout and the environment variable all work."""
    flat = write_cmu_subject(tmp_path / "flat", trials=(1,), n_frames=10)
    asf, (amc,) = fetch_cmu_mocap(7, 1, path=flat, download=False)
    assert asf == flat / "07.asf" and amc == flat / "07_01.amc"
    asf, _ = fetch_cmu_mocap(7, [1], path=cmu_dir, download=False)
    assert asf == cmu_dir / "subjects" / "07" / "07.asf"
    monkeypatch.setenv(_load.PATH_ENV, str(flat))
    assert _load.search_folders()[0] == flat
    assert load_cmu_trials(7, 1, download=False, verbose=False).X.shape == (10, 59)


def test_data_not_found_message(tmp_path):
    with pytest.raises(MocapDataNotFoundError, match="Data not found") as info:
        load_cmu_trials(7, [1], path=tmp_path, download=False)
    message = str(info.value)
    assert "07.asf" in message and str(tmp_path) in message
    assert "http://mocap.cs.cmu.edu/subjects/07/" in message and "download=False" in message
    assert info.value.searched == [str(tmp_path)]


# -- download over a loopback HTTP server -------------------------------------------
@pytest.fixture
def http_root(tmp_path):
    """Serve generated files on 127.0.0.1 the way mocap.cs.cmu.edu lays them out."""
    root = write_cmu_subject(tmp_path / "server", trials=(1, 2), n_frames=10,
                             layout="cmu")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/subjects/"
    server.shutdown()
    server.server_close()


def test_download_from_loopback(tmp_path, http_root, monkeypatch):
    root, url = http_root
    served = root / "subjects" / "07"
    target = tmp_path / "cache"
    data = load_cmu_trials(7, [1, 2], path=target, base_url=url, verbose=False)
    assert data.X.shape == (20, 59)
    for name in ("07.asf", "07_01.amc", "07_02.amc"):
        assert (target / "subjects" / "07" / name).read_bytes() == \
            (served / name).read_bytes()
    # now local: found without the server, and checked against the registry
    monkeypatch.setenv(_load.URL_ENV, "http://127.0.0.1:9/unreachable/")
    assert load_cmu_trials(7, 1, path=target, verbose=False).X.shape == (10, 59)
    monkeypatch.setattr(_registry, "REGISTRY", {7: _registry.SubjectRecord(
        _registry._SUBJECT7_LAYOUT, {1: 316})})
    with pytest.raises(ValueError, match=r"07_01.amc has 10 frames, but CMU's trial "
                       r"07_01 has 316\. The file is truncated"):
        load_cmu_trials(7, 1, path=target, verbose=False)


@pytest.mark.parametrize("verbose, bar", [("INFO", True), ("WARNING", False)])
def test_download_progress_follows_log_level(tmp_path, http_root, capfd, verbose, bar):
    """Downloads show a bar at INFO and below and are silent at WARNING, as fits do."""
    _, url = http_root
    fetch_cmu_mocap(7, 1, path=tmp_path, base_url=url, verbose=verbose)
    err = capfd.readouterr().err
    assert ("100%" in err) is bar


def test_registry_rejects_another_channel_layout(skeleton, monkeypatch):
    """A skeleton whose channels differ from the registry's is named at the first change."""
    layout = _registry._SUBJECT7_LAYOUT
    monkeypatch.setattr(_registry, "REGISTRY", {7: _registry.SubjectRecord(
        layout.replace("ltibia=rx", "ltibia=rx,rz"), {})})
    with pytest.raises(ValueError, match=r"has 62 channels, and channel 11 is lfoot_rx "
                                         r"where CMU's skeleton has ltibia_rz \(of 63\)"):
        _registry.check_against_registry(7, skeleton, [], [], "URL")
    monkeypatch.setattr(_registry, "REGISTRY", {7: _registry.SubjectRecord(
        layout + " extra=rx", {})})
    with pytest.raises(ValueError, match=r"channel 63 is missing where CMU's skeleton has "
                                         r"extra_rx"):
        _registry.check_against_registry(7, skeleton, [], [], "URL")


def test_download_failures(tmp_path, http_root, monkeypatch):
    root, url = http_root
    with pytest.raises(MocapDataNotFoundError, match="07_05.amc.*failed") as info:
        fetch_cmu_mocap(7, 5, path=tmp_path, base_url=url)  # 404 on the server
    assert f"{url}07/07_05.amc" in str(info.value)


# -- forward kinematics -------------------------------------------------------------
def test_fk_zero_pose_is_cumulative_offsets(skeleton):
    positions = forward_kinematics(skeleton, np.zeros(skeleton.n_channels))
    assert positions.shape == (1, len(skeleton), 3)
    for b, bone in enumerate(skeleton.bones.values()):
        parent = skeleton.parents[b]
        expected = (skeleton.position if parent < 0
                    else positions[0, parent] + bone.length * bone.direction)
        np.testing.assert_allclose(positions[0, b], expected, atol=1e-12)


def test_fk_preserves_bone_lengths(skeleton):
    rng = np.random.default_rng(1)
    frames = rng.uniform(-180, 180, size=(20, skeleton.n_channels))
    positions = forward_kinematics(skeleton, frames)
    lengths = np.array([bone.length for bone in skeleton.bones.values()])
    parents = skeleton.parents
    seg = np.linalg.norm(positions[:, 1:] - positions[:, parents[1:]], axis=-1)
    np.testing.assert_allclose(seg, np.broadcast_to(lengths[1:], seg.shape), atol=1e-9)
    # translations move the whole body rigidly; metres use CMU's 0.45 length unit
    moved = frames.copy()
    moved[:, :3] += [1, 2, 3]
    np.testing.assert_allclose(forward_kinematics(skeleton, moved),
                               positions + [1, 2, 3], atol=1e-9)
    np.testing.assert_allclose(forward_kinematics(skeleton, frames, units="m"),
                               positions * 0.0254 / 0.45)


def test_fk_joint_rotations(skeleton):
    """Root yaw turns the whole body; a knee bend moves the shin but not the thigh."""
    names = skeleton.bone_names
    rest = forward_kinematics(skeleton, np.zeros(skeleton.n_channels))[0]
    yaw = np.zeros(skeleton.n_channels)
    yaw[skeleton.channel_names.index("root_ry")] = 90
    turned = forward_kinematics(skeleton, yaw)[0]
    np.testing.assert_allclose(turned, rest @ euler_matrix([0, 90, 0], "XYZ").T,
                               atol=1e-12)
    knee = np.zeros(skeleton.n_channels)
    knee[skeleton.channel_names.index("ltibia_rx")] = 60
    bent = forward_kinematics(skeleton, knee)[0]
    for name in ("lfemur", "rtibia", "head"):
        np.testing.assert_allclose(bent[names.index(name)], rest[names.index(name)])
    assert not np.allclose(bent[names.index("ltibia")], rest[names.index("ltibia")])
    # a subset of channels by name; the rest (root translation) is zero
    only = forward_kinematics(skeleton, [60.0], channel_names=["ltibia_rx"])[0]
    np.testing.assert_allclose(only, bent)


def test_euler_matrix_order():
    Rx = euler_matrix([90, 0, 0], "XYZ")
    np.testing.assert_allclose(Rx @ [0, 1, 0], [0, 0, 1], atol=1e-12)
    Ry = euler_matrix([0, 90, 0], "XYZ")
    np.testing.assert_allclose(Ry @ [0, 0, 1], [1, 0, 0], atol=1e-12)
    angles = [10, 20, 30]
    np.testing.assert_allclose(euler_matrix(angles, "XYZ"),
                               euler_matrix([0, 0, 30], "XYZ")
                               @ euler_matrix([0, 20, 0], "XYZ")
                               @ euler_matrix([10, 0, 0], "XYZ"))
    assert not np.allclose(euler_matrix(angles, "XYZ"), euler_matrix(angles, "ZYX"))


def test_fk_bad_input(skeleton):
    with pytest.raises(TypeError, match="skeleton must be a Skeleton"):
        forward_kinematics("07.asf", np.zeros(62))
    with pytest.raises(ValueError, match="61 columns but there are 62 channel names"):
        forward_kinematics(skeleton, np.zeros((2, 61)))
    with pytest.raises(ValueError, match="not channels of the skeleton"):
        forward_kinematics(skeleton, np.zeros((2, 1)), channel_names=["knee_rx"])
    with pytest.raises(ValueError, match="Invalid value for the 'units'"):
        forward_kinematics(skeleton, np.zeros(62), units="inch")


# -- plots --------------------------------------------------------------------------
def test_plot_pose_and_poses(train, skeleton):
    import matplotlib.pyplot as plt

    from mne_oivae.viz import plot_pose, plot_poses

    fig = plot_pose(skeleton, np.zeros(skeleton.n_channels), title="rest", show=False)
    (ax,) = fig.axes
    assert ax.name == "3d" and ax.get_title() == "rest"
    assert len(ax.lines) == len(skeleton) - 1  # one segment per bone
    colors = {line.get_color() for line in ax.lines}
    assert len(colors) == 3  # left, right, centre
    fig = plot_poses(train.skeleton, train.X[:7], scaler=train.scaler, show=False)
    assert len(fig.axes) == 7
    fig = plot_poses(skeleton, np.zeros((2, 62)), n_cols=1, titles=["a", "b"],
                     show=False)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    with pytest.raises(ValueError, match="use plot_poses"):
        plot_pose(skeleton, np.zeros((2, 62)), show=False)
    with pytest.raises(ValueError, match="titles has 1 entries for 2 poses"):
        plot_poses(skeleton, np.zeros((2, 62)), titles=["a"], show=False)
    with pytest.raises(ValueError, match="59 columns but there are 62"):
        plot_poses(skeleton, train.X[:2], show=False)  # scaled data needs the scaler
    plt.close("all")


# -- model --------------------------------------------------------------------------
def test_fit_oivae_on_cmu_layout(train, cmu_dir):
    from mne_oivae import OIVAE

    model = OIVAE(n_components=4, lam=0.1, n_iter=60, batch_size=64, random_state=0,
                  verbose=False, groups=train.groups).fit(train.X)
    assert model.group_weights_.shape == (29, 4)
    assert model.groups_.names == train.groups.names
    test = load_cmu_trials(7, 12, path=cmu_dir, scaler=train.scaler, verbose=False)
    assert np.isfinite(model.score(test.X, n_importance=5))
    samples = model.sample(3, random_state=0)
    positions = forward_kinematics(train.skeleton,
                                   train.scaler.inverse_transform(samples),
                                   channel_names=train.channel_names)
    assert positions.shape == (3, 31, 3) and np.isfinite(positions).all()


def test_demo_on_generated_data(cmu_dir, tmp_path, capsys):
    from mne_oivae._demo import mocap

    result = mocap.run(tmp_path / "out", quick=True, path=cmu_dir, download=False,
                       n_components=4, lam=0.1, n_iter=40, verbose=False)
    out = capsys.readouterr().out
    assert "top 3 joints" in out and "walk trials 1-2" in out
    assert len(result["files"]) == 3 and all(f.is_file() for f in result["files"])
    assert result["model"].group_weights_.shape == (29, 4)  # the paper's 29 joints


def test_demo_reports_missing_data(tmp_path):
    from mne_oivae._demo import mocap

    with pytest.raises(MocapDataNotFoundError, match="Data not found") as info:
        mocap.run(tmp_path / "out", quick=True, path=tmp_path / "none", download=False)
    assert str(tmp_path / "none") in str(info.value)


def test_top_joints_table():
    from mne_oivae._demo.mocap import top_joints_table

    def fitted(weights):  # what the table reads of a fitted model
        weights = np.asarray(weights)
        return SimpleNamespace(group_weights_=weights, groups_=GroupSpec.from_sizes(
            [1] * len(weights), names=list("abcd"[:len(weights)])))

    weights = [[0.0, 3.0], [1.0, 1.0], [0.0, 0.0], [3.0, 0.0]]
    table = top_joints_table(fitted(weights), k=2).splitlines()
    assert table[1].split() == ["0", "4.00", "d", "(75%),", "b", "(25%)"]
    assert table[2].split() == ["1", "4.00", "a", "(75%),", "b", "(25%)"]
    assert "no active component" in top_joints_table(fitted(np.zeros((2, 2))))


# -- Table 2 benchmark script -------------------------------------------------------
BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "mocap_table2.py"


def _benchmark_module(name="mocap_table2"):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, BENCHMARK.with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_table2_script_without_data(tmp_path, capsys):
    bench = _benchmark_module()
    assert bench.main(["--path", str(tmp_path), "--no-download"]) == 2
    err = capsys.readouterr().err
    assert "Data not found" in err and str(tmp_path) in err


def test_table2_formatting():
    bench = _benchmark_module()
    # two frames per test: sums are twice the per-frame means
    scores = {(name, n, test): np.full(2, -10.0 * (k + 1) + n)
              for k, (name, _, _) in enumerate(bench.MODELS)
              for n in bench.N_TRAIN for test in bench.TESTS}
    per_frame = bench.format_table(scores).splitlines()
    assert per_frame[2].split() == ["oi-VAE", "K=4"] + ["-9.0", "-8.0", "-5.0", "0.0"] * 3
    assert len(per_frame) == 2 + len(bench.MODELS)
    summed = bench.format_table(scores, "sum").splitlines()
    assert summed[5].split()[2:6] == ["-78", "-76", "-70", "-60"]  # the VAE row
    # best oi-VAE (K=4) minus the VAE (the 4th model)
    assert bench.gains(scores) == dict(walk_gain_1=30.0, walk_gain_2=30.0,
                                       brisk_gain_1=30.0, brisk_gain_2=30.0)
    # beside the paper's Table 2: two lines per model, ours (sums) then the paper's
    beside = bench.format_beside_paper(scores).splitlines()
    assert len(beside) == 2 + 2 * len(bench.MODELS)
    assert beside[8].split()[:6] == ["VAE", "K=16", "ours", "-78", "-76", "-70"]
    assert beside[9].split()[:5] == ["paper", "-3,518", "-251", "18", "114"]
    assert beside[9].split()[5] == "-723,795" and beside[9].split()[-1] == "-"
    # oi-VAE K=4 ahead of the VAE everywhere; the paper has the VAE ahead on the
    # walk with 10 trials only
    assert bench.order_agreement(scores) == dict(paper_walk_order_agrees="3/4",
                                                 paper_brisk_order_agrees="4/4")
    flipped = {key: -value for key, value in scores.items()}
    assert bench.order_agreement(flipped) == dict(paper_walk_order_agrees="1/4",
                                                  paper_brisk_order_agrees="0/4")


def test_figures_statistics(skeleton):
    figures = _benchmark_module("mocap_figures")
    names = ["lfemur", "ltibia", "lfoot", "rfemur", "head"]
    dist = figures.tree_distances(skeleton, names)
    # lfemur - ltibia - lfoot is a chain; lfemur - lhipjoint - root - rhipjoint - rfemur
    assert dist[0, 1] == 1 and dist[0, 2] == 2 and dist[0, 3] == 4
    assert (dist == dist.T).all() and not dist.diagonal().any()
    leg = np.array([[3.0, 0], [2, 0], [1, 0], [0, 3], [0, 2]])  # one component a leg
    leg[:, 1] = [0, 0.5, 0, 3, 2]
    assert figures.top_joint_distance(leg, dist) == pytest.approx(
        np.mean([(1 + 2 + 1) / 3, (dist[1, 3] + dist[1, 4] + dist[3, 4]) / 3]))
    observed, null, p_value = figures.coherence(leg, dist, n_permutations=200)
    assert observed == figures.top_joint_distance(leg, dist)
    assert observed < null and p_value < 0.5  # closer than permuted labels
    scattered = np.array([[3.0, 0], [0, 0.5], [1, 0], [0, 3], [2, 2]])  # far joints
    observed, null, p_value = figures.coherence(scattered, dist, n_permutations=200)
    assert observed > null and p_value > 0.5
    assert figures.pruned_share(np.array([[1.0], [3.0]]), ["ltoes", "lfemur"]) == 0.25
    channels = ["ltibia_rx", "lfemur_rx"]  # knee -10..170, thigh -160..20; 1 degree slack
    frames = np.array([[0.0, 0.0], [175.0, 0.0], [20.0, -170.0], [170.5, 10.0]])
    outside, below = figures.plausibility(skeleton, frames, channels, floor=-100.0)
    assert outside == pytest.approx(2 / 8) and below == 0.0
    _, below = figures.plausibility(skeleton, frames, channels, floor=10.0)
    assert below == 1.0


def test_table2_paper_lambda_is_per_whole_data():
    bench = _benchmark_module()
    assert bench.model_params("paper", 4, None, 316)["lam"] == pytest.approx(1 / 316)
    assert bench.model_params("paper", 16, 0.0, 316)["lam"] == 0.0
    recipe = bench.model_params("recipe", 8, None, 316)
    assert recipe["lam"] == MOCAP_RECIPE["lam"] and recipe["n_components"] == 8
