"""add_oivae_to_report: the sections an OIVAE or OIVAECV adds to an mne.Report."""

import re

import mne
import nibabel as nib
import numpy as np
import pytest
from _source_fixtures import hcp_labels, meg_stc, src_ico3, subjects_dir  # noqa: F401
from _volume_fixtures import REGIONS, atlas_fname, random_vol_stc, vol_src  # noqa: F401

from mne_oivae import OIVAE, OIVAECV, add_oivae_to_report, stc_to_groups, top_groups

FAST = {"n_components": 4, "lam": 0.05, "n_iter": 60, "batch_size": 24, "warmup": 0,
        "lam_warmup": 0, "n_init": 1, "random_state": 0, "verbose": False}


@pytest.fixture(scope="module")
def grouped(meg_stc, hcp_labels, src_ico3):  # noqa: F811
    """Real MEG estimates cut into three 'epochs' of 8 time points."""
    stcs = [meg_stc.copy().crop(meg_stc.times[8 * k], meg_stc.times[8 * k + 7])
            for k in range(3)]
    return stc_to_groups(stcs, hcp_labels, src=src_ico3, verbose=False)


@pytest.fixture(scope="module")
def model(grouped):
    return OIVAE(groups=grouped.groups, **FAST).fit(grouped.X)


@pytest.fixture(scope="module")
def search(grouped):
    cv = OIVAECV(OIVAE(groups=grouped.groups, **FAST), lams=(0.5, 0.01), cv=3)
    return cv.fit(grouped.X, epochs=grouped.epochs)


def _report():
    return mne.Report(title="test", verbose=False)


_ENTRY = re.compile(r'<span class="me-auto"><a href="#[^"]*" '
                    r'class="text-decoration-none">([^<]*)</a>')


def _section(report, title):
    """{entry title: entry HTML} of the report's section *title*, in order."""
    titles, tags, htmls = report.get_contents()
    (html,) = [h for t, tag, h in zip(titles, tags, htmls) if t == title and "oivae" in tag]
    parts = _ENTRY.split(html)  # [before, section title, body, entry, body, ...]
    assert parts[1] == title
    return dict(zip(parts[3::2], parts[4::2]))


def test_oivae_section_without_brains(model):
    report = add_oivae_to_report(_report(), model, title="fit", verbose=False)
    section = _section(report, "fit")
    assert list(section) == ["Region weights", "Top regions"]
    assert section["Region weights"].count("<img") == 1
    table = section["Top regions"]
    active = model.active_components_
    assert active.size > 0 and table.count("<tr>") == active.size + 1  # + header
    for name, share in top_groups(model, k=1, norm="total")[active[0]]:
        assert f"{name} ({100 * share:.0f}%)" in table


@pytest.mark.filterwarnings("ignore:The highest held-out score:RuntimeWarning")  # toy fits
def test_oivaecv_section_with_flat_maps_and_files(search, grouped, src_ico3,  # noqa: F811
                                                  subjects_dir, tmp_path):  # noqa: F811
    report = add_oivae_to_report(_report(), search, grouped, title="cv",
                                 subjects_dir=subjects_dir, brain_backend="flat",
                                 maps_fname=tmp_path / "nets", src=src_ico3,
                                 verbose=False)
    section = _section(report, "cv")
    assert list(section) == ["Region weights", "Choosing lam", "Top regions",
                             "Component maps", "Map files"]
    active = search.active_components_
    assert active.size > 0
    maps_html = section["Component maps"]
    assert maps_html.count("<img") == active.size  # one slider image per component
    for j in active:
        assert f"component {j}" in maps_html
    assert f"chosen lam = {search.lam_:.3g} ({search.rule} rule)" in section["Choosing lam"]
    # the files listed are the GIFTI maps of the chosen model
    lh = tmp_path / "nets-lh.func.gii"
    assert str(lh) in section["Map files"]
    data = np.stack([d.data for d in nib.load(lh).darrays], axis=1)
    assert data.shape == (10242, search.best_estimator_.n_components)
    # existing files: an error before the report changes
    with pytest.raises(FileExistsError, match="overwrite=True"):
        add_oivae_to_report(report, search, grouped, title="again",
                            maps_fname=tmp_path / "nets", src=src_ico3, verbose=False)
    assert report.get_contents()[0] == ["cv"]


def test_auto_backend_and_no_active_component(model, grouped, subjects_dir,  # noqa: F811
                                              monkeypatch):
    import mne_oivae.viz._brain as brain_mod

    monkeypatch.setattr(brain_mod, "_can_render_3d", lambda: False)  # no display here
    report = add_oivae_to_report(_report(), model, grouped, subjects_dir=subjects_dir,
                                 verbose=False)
    maps_html = _section(report, "oi-VAE")["Component maps"]
    assert maps_html.count("<img") == model.active_components_.size
    # every component pruned: the table says so and no maps are drawn
    pruned = OIVAE(groups=grouped.groups, **{**FAST, "lam": 50.0}).fit(grouped.X)
    assert pruned.active_components_.size == 0
    report = add_oivae_to_report(_report(), pruned, grouped, subjects_dir=subjects_dir,
                                 title="pruned", verbose=False)
    section = _section(report, "pruned")
    assert list(section) == ["Region weights", "Top regions"]
    assert "pruned every component" in section["Top regions"]


def test_bad_input(model, grouped, search):
    report = _report()
    with pytest.raises(TypeError, match="report must be an instance of mne.Report"):
        add_oivae_to_report("report.html", model)
    with pytest.raises(TypeError, match="model must be an instance of OIVAE or OIVAECV"):
        add_oivae_to_report(report, grouped)
    with pytest.raises(ValueError, match="not fitted.*fit it first"):
        add_oivae_to_report(report, OIVAE(groups=grouped.groups))
    with pytest.raises(ValueError, match=r"OIVAECV\) is not fitted.*model.fit"):
        add_oivae_to_report(report, OIVAECV(OIVAE(groups=grouped.groups)))
    with pytest.raises(TypeError, match="grouped must be an instance of GroupedSource"):
        add_oivae_to_report(report, model, grouped.X)
    with pytest.raises(ValueError, match="maps_fname needs.*src="):
        add_oivae_to_report(report, model, grouped, maps_fname="nets")
    with pytest.raises(ValueError, match="n_regions must be"):
        add_oivae_to_report(report, model, n_regions=0)
    with pytest.raises(ValueError, match="Invalid value for the 'brain_backend'"):
        add_oivae_to_report(report, model, grouped, brain_backend="3d")
    other = OIVAE(**FAST).fit(grouped.X[:, ::-1].copy())
    with pytest.raises(ValueError, match="model was not fitted on these groups"):
        add_oivae_to_report(report, other, grouped)
    assert report.get_contents()[0] == []  # nothing added by a failed call


def test_volume_maps_are_written_not_drawn(vol_src, atlas_fname, tmp_path):  # noqa: F811
    stcs = [random_vol_stc([vol_src[0]["vertno"]], 12, seed) for seed in range(2)]
    grouped = stc_to_groups(stcs, list(REGIONS), mode="mean", src=vol_src,
                            atlas=atlas_fname, verbose=False)
    model = OIVAE(groups=grouped.groups, **{**FAST, "lam": 0.0}).fit(grouped.X)
    report = add_oivae_to_report(_report(), model, grouped, maps_fname=tmp_path / "vol",
                                 src=vol_src, verbose=False)
    section = _section(report, "oi-VAE")
    assert list(section) == ["Region weights", "Top regions", "Map files"]
    assert (tmp_path / "vol-vl.nii.gz").is_file()
    with pytest.raises(ValueError, match="draws cortical maps, but the data are volume"):
        add_oivae_to_report(_report(), model, grouped, brain_backend="flat")
