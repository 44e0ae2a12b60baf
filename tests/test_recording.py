"""Real MEG end to end: evoked responses -> fsaverage forward/inverse -> OIVAECV -> report.

The steps of the tutorial "From a recording to networks" on the sample
subject's four evoked responses (``fetch_sample_evoked``): a fast variant on a
cropped copy (ico-3 sources and BEM, 0.35 s at 100 Hz, a few iterations) checks
shapes and the report, the slow one runs the tutorial's settings and checks
that the components carrying auditory responses weigh the auditory regions and
those carrying visual responses the visual regions.
"""

import re
from pathlib import Path

import mne
import numpy as np
import pooch
import pytest
from _source_fixtures import hcp_labels, meg_stc, src_ico3, subjects_dir  # noqa: F401
from mne.minimum_norm import apply_inverse, make_inverse_operator

from mne_oivae import OIVAE, OIVAECV, add_oivae_to_report, stc_to_groups
from mne_oivae.datasets import fetch_sample_evoked
from mne_oivae.presets import MEG_EVOKED_SELECTION, MEG_REGIONS, MEG_REGIONS_LAMS
from mne_oivae.results import normalize_components

MNE_FSAVERAGE = Path(mne.__file__).parent / "data" / "fsaverage"


@pytest.fixture(scope="module")
def sample_files(shared_data):
    return fetch_sample_evoked(shared_data / "mne_testing" / "meg", download=False,
                               verbose=False)


def _evokeds(fnames, tmax, decim, h_freq):
    evokeds = []
    for evoked in mne.read_evokeds(fnames["evoked"], verbose=False):
        evoked.pick("meg").apply_baseline((None, 0)).filter(None, h_freq, verbose=False)
        evoked.crop(None, tmax).decimate(decim)
        evoked.info["bads"] = ["MEG 2443"]
        evokeds.append(evoked)
    return evokeds


def _grouped(fnames, src, labels, ico, tmp_path, tmax=None, decim=4, h_freq=40.0):
    """The tutorial's forward, inverse and label time courses."""
    evokeds = _evokeds(fnames, tmax, decim, h_freq)
    (surf,) = mne.read_bem_surfaces(MNE_FSAVERAGE / "fsaverage-inner_skull-bem.fif",
                                    verbose=False)
    bem_dir = tmp_path / "fsaverage" / "bem"
    bem_dir.mkdir(parents=True)
    mne.write_surface(bem_dir / "inner_skull.surf", surf["rr"] * 1e3, surf["tris"])
    bem = mne.make_bem_solution(mne.make_bem_model(
        "fsaverage", ico=ico, conductivity=(0.3,), subjects_dir=tmp_path, verbose=False),
        verbose=False)
    fwd = mne.make_forward_solution(evokeds[0].info, MNE_FSAVERAGE / "fsaverage-trans.fif",
                                    src, bem, meg=True, eeg=False, verbose=False)
    inv = make_inverse_operator(evokeds[0].info, fwd, mne.read_cov(
        fnames["noise_cov"], verbose=False), loose=0.2, depth=0.8, verbose=False)
    stcs = [apply_inverse(evoked, inv, 1.0 / 9.0, "dSPM", pick_ori="normal", verbose=False)
            for evoked in evokeds]
    return evokeds, inv, stcs, stc_to_groups(stcs, labels, src=inv["src"], verbose=False)


def test_cropped_recording_to_report(sample_files, src_ico3, hcp_labels,  # noqa: F811
                                     subjects_dir, tmp_path):  # noqa: F811
    evokeds, inv, stcs, grouped = _grouped(sample_files, src_ico3, hcp_labels, ico=3,
                                           tmp_path=tmp_path, tmax=0.15, decim=6,
                                           h_freq=25.0)
    assert [e.comment for e in evokeds] == ["Left Auditory", "Right Auditory",
                                            "Left visual", "Right visual"]
    n_times = len(stcs[0].times)
    assert stcs[0].data.shape == (1284, n_times) and 33 <= n_times <= 37
    assert grouped.X.shape == (4 * n_times, 44)
    assert np.array_equal(grouped.epochs, np.repeat(np.arange(4), n_times))
    search = OIVAECV(OIVAE(groups=grouped.groups, n_components=4, n_iter=80, batch_size=32,
                           lam_warmup=0, n_init=1, random_state=0),
                     lams=(0.05, 0.01), cv=4, **MEG_EVOKED_SELECTION, verbose=False)
    search.fit(grouped.X, epochs=grouped.epochs)  # one fold per condition
    assert search.cv_scores_.shape == (2, 4) and np.isfinite(search.cv_scores_).all()
    assert search.lam_ == search.lams_[np.argmax(search.cv_scores_.mean(axis=1))]
    report = mne.Report(verbose=False)
    add_oivae_to_report(report, search, grouped, subjects_dir=subjects_dir,
                        brain_backend="flat", maps_fname=tmp_path / "nets",
                        src=inv["src"], verbose=False)
    (html,) = report.get_contents()[2]
    entries = re.findall(r'class="text-decoration-none">([^<]*)</a>', html)
    assert entries == ["oi-VAE", "Region weights", "Choosing lam", "Top regions",
                       "Component maps", "Map files"]
    assert html.count("<img") == 2 + search.active_components_.size
    assert (tmp_path / "nets-lh.func.gii").is_file()


@pytest.mark.slow
def test_auditory_and_visual_components(sample_files, hcp_labels, subjects_dir,  # noqa: F811
                                        tmp_path):
    """The tutorial's numbers: responses to tones weigh auditory regions, to checkerboards
    visual ones (measured with seeds 0-2 of the fits: the contrasts hold in all three)."""
    src = mne.setup_source_space("fsaverage", "ico4", subjects_dir=subjects_dir,
                                 add_dist=False, verbose=False)
    _, _, stcs, grouped = _grouped(sample_files, src, hcp_labels, ico=4,
                                   tmp_path=tmp_path)  # the tutorial's settings
    search = OIVAECV(OIVAE(**MEG_REGIONS, groups=grouped.groups, random_state=0),
                     lams=MEG_REGIONS_LAMS, cv=4, **MEG_EVOKED_SELECTION, verbose=False)
    search.fit(grouped.X, epochs=grouped.epochs)
    model = search.best_estimator_
    active = model.active_components_
    assert active.size >= 4
    times = stcs[0].times
    latents = search.transform(grouped.X).reshape(4, len(times), -1)
    window, baseline = (times >= 0.05) & (times <= 0.25), times < 0
    response = (np.sqrt((latents[:, window] ** 2).mean(axis=1))
                / latents[:, baseline].std(axis=1))
    shares = normalize_components(model.group_weights_, "total")
    names = grouped.groups.names
    auditory = [g for g, name in enumerate(names) if "Auditory" in name]
    visual = [g for g, name in enumerate(names) if "Visual" in name]
    assert (len(auditory), len(visual)) == (4, 10)
    excess = np.zeros_like(response)
    excess[:, active] = np.maximum(response[:, active] - 1.0, 0.0)
    maps = excess @ shares.T
    maps /= maps.sum(axis=1, keepdims=True)
    on_auditory, on_visual = maps[:, auditory].sum(axis=1), maps[:, visual].sum(axis=1)
    # conditions: left/right auditory, left/right visual
    assert on_auditory[:2].mean() > on_auditory[2:].mean() + 0.03
    assert on_visual[2:].mean() > on_visual[:2].mean() + 0.05
    # the component responding most to the right-ear tones (6 trials) is auditory:
    # twice the share that an even spread (4 of 44 regions) would give
    right_auditory = active[np.argmax(response[1, active])]
    assert shares[auditory, right_auditory].sum() > 2 * 4 / 44


def test_fetch_sample_evoked_downloads_into_the_first_folder(shared_data, tmp_path,
                                                             monkeypatch):
    import shutil

    calls = []

    def retrieve(url, known_hash, fname, path, progressbar):  # the network, offline
        calls.append((url, known_hash))
        Path(path).mkdir(parents=True, exist_ok=True)
        return shutil.copyfile(shared_data / "mne_testing" / "meg" / fname,
                               Path(path) / fname)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    monkeypatch.setenv("MNE_OIVAE_SAMPLE_MEG_PATH", str(tmp_path / "meg"))
    # no copy anywhere else: an empty MNE_DATA and cache, no shared copy (which
    # benchmarks/mocap_table2.py, imported by other tests, sets)
    monkeypatch.setenv("MNE_DATA", str(tmp_path / "mne_data"))  # missing: no testing data
    monkeypatch.setattr(pooch, "os_cache", lambda name: tmp_path / "cache")
    monkeypatch.delenv("MNE_OIVAE_SHARED_DATA", raising=False)
    fnames = fetch_sample_evoked(verbose=False)
    assert fnames == {"evoked": tmp_path / "meg" / "test-ave.fif.gz",
                      "noise_cov": tmp_path / "meg" / "sample_audvis-cov.fif"}
    assert [h for _, h in calls] == ["md5:06d06d0c4f3f154a33054e65e83aee60",
                                     "md5:91cd4feea5bc8b18177351407d11787b"]
    assert fetch_sample_evoked(verbose=False) == fnames and len(calls) == 2  # found now


def test_fetch_sample_evoked_errors(shared_data, tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match=r"test-ave.fif.gz is in none of: "
                       rf"{re.escape(str(tmp_path))}\. Downloading is off.*"
                       r"github.com/mne-tools/mne-python.*MD5 06d06d0c"):
        fetch_sample_evoked(tmp_path, download=False)
    (tmp_path / "test-ave.fif.gz").write_bytes(b"not the evoked file")  # wrong checksum
    with pytest.raises(FileNotFoundError, match="test-ave.fif.gz is in none of"):
        fetch_sample_evoked(tmp_path, download=False)

    def refused(url, **kwargs):
        raise ConnectionError(f"no network to reach {url}")  # an OSError, as requests'

    monkeypatch.setattr(pooch, "retrieve", refused)
    with pytest.raises(FileNotFoundError, match=r"downloading it from https://github.com"
                       r".*failed \(no network.*\)\. Download .* or pass path="):
        fetch_sample_evoked(tmp_path / "empty")


def test_estimates_without_epochs_for_oivaecv(meg_stc, hcp_labels):  # noqa: F811
    one = stc_to_groups(meg_stc, hcp_labels, mode="mean", verbose=False)
    search = OIVAECV(OIVAE(groups=one.groups, n_iter=5), lams=(0.1, 0.01))
    with pytest.raises(TypeError, match=r"X is a GroupedSource, not a data matrix: pass "
                       r"its X attribute.*fit\(data.X, epochs=data.epochs\)"):
        search.fit(one)
    # one continuous estimate: a single epoch, nothing to fold by
    with pytest.raises(ValueError, match=r"every row of X the same epoch: folds of whole "
                       r"epochs need at least 2.*apply_inverse_epochs.*without epochs="):
        search.fit(one.X, epochs=one.epochs)
    with pytest.raises(TypeError, match="X is a GroupedSource"):
        OIVAE(groups=one.groups).fit(one)
