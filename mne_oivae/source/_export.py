"""Component maps for the field's other tools: GIFTI (cortex) and NIfTI (volume)."""

import os
from contextlib import ExitStack
from pathlib import Path

import mne
import numpy as np
from mne.utils import _validate_type, logger, verbose

from .._docs import fill_doc
from .._io import atomic_write, check_writable
from ._stream import KINDS

_HEMIS = (("lh", "CortexLeft"), ("rh", "CortexRight"))


@verbose
@fill_doc
def save_component_maps(maps, fname, src, *, overwrite=False, verbose=None):
    """Write component maps as GIFTI (cortex) and NIfTI (volume) files.

    For FreeSurfer (freeview), Connectome Workbench, FSLeyes and other tools
    that read these formats with the subject's own surfaces and MRI.

    Parameters
    ----------
    maps : mne.SourceEstimate | mne.VolSourceEstimate | mne.MixedSourceEstimate
        Output of :func:`component_maps` (one "time" sample per component), or
        any estimate of that shape.
    fname : path-like
        Base name of the files, as for :meth:`mne.SourceEstimate.save`:

        - ``{fname}-lh.func.gii`` and ``{fname}-rh.func.gii`` for cortical
          maps: GIFTI functional files with one data array per component,
          named ``"component j"``, holding one value per vertex of the
          hemisphere's surface (e.g. ``surf/lh.white`` of the subject). The
          source vertices hold the maps' values and every other surface vertex
          holds 0: with a decimated source space (``"ico4"``, ``"oct6"``) only
          the source vertices are painted, so use a source space at the
          surface's resolution (for fsaverage, ``"ico5"`` on the ico-5
          surfaces) for a map that covers the cortex.
        - ``{fname}-vl.nii.gz`` for volume maps: a 4D NIfTI image on the grid of
          the MRI the volume source space was set up on (``mri=`` of
          :func:`mne.setup_volume_source_space`), one volume per component,
          interpolated from the source points as
          ``maps.as_volume(src, mri_resolution=True)``.

        A mixed estimate writes all three files.
    src : mne.SourceSpaces
        The source space of the maps (``inv["src"]``, ``fwd["src"]``, or the
        one passed to :func:`stc_to_groups`): it gives the number of surface
        vertices and the MRI grid.
    overwrite : bool
        Replace existing files. With False (default) nothing is written if any
        of the files exists. Every file is written under a temporary name and
        moved into place only once all of them are complete.
    %(verbose)s

    Returns
    -------
    fnames : list of pathlib.Path
        The files written.

    See Also
    --------
    component_maps

    Examples
    --------
    >>> fnames = save_component_maps(maps, "oivae_maps", src=inv["src"])  # doctest: +SKIP
    >>> import nibabel as nib  # doctest: +SKIP
    >>> lh = nib.load("oivae_maps-lh.func.gii")  # doctest: +SKIP
    >>> lh.darrays[2].data  # component 2 on every lh vertex  # doctest: +SKIP
    """
    import nibabel as nib

    _validate_type(maps, tuple(KINDS), "maps",
                   "SourceEstimate, VolSourceEstimate or MixedSourceEstimate")
    _validate_type(fname, "path-like", "fname")
    _validate_type(src, mne.SourceSpaces, "src")
    kind = KINDS[type(maps)]
    if src.kind != kind:
        raise ValueError(f"src is a {src.kind} source space but maps is a "
                         f"{type(maps).__name__}; pass the source space of the maps")
    if None not in (maps.subject, src._subject) and maps.subject != src._subject:
        raise ValueError(f"maps are on subject {maps.subject!r} but src on "
                         f"{src._subject!r}; pass the source space of the maps")
    base = Path(fname).expanduser()
    if base.name.endswith((".gii", ".nii", ".nii.gz")):
        raise ValueError(f"fname is the base name of the files (e.g. 'maps' for "
                         f"'maps-lh.func.gii'), got {base.name!r}")
    images = {}
    if kind in ("surface", "mixed"):
        data = np.split(maps.data, np.cumsum([len(v) for v in maps.vertices[:2]]))
        for (hemi, structure), s, vertno, values in zip(_HEMIS, src, maps.vertices,
                                                        data):
            images[base.with_name(f"{base.name}-{hemi}.func.gii")] = _gifti(
                values, vertno, s, hemi, structure)
    if kind in ("volume", "mixed"):
        images[base.with_name(f"{base.name}-vl.nii.gz")] = _nifti(maps, src, kind)
    for name in images:
        check_writable(name, overwrite)
    with ExitStack() as stack:
        for name, image in images.items():
            nib.save(image, stack.enter_context(atomic_write(name)))
    logger.info(f"Wrote {maps.data.shape[1]} component maps to "
                f"{', '.join(os.fspath(name) for name in images)}")
    return list(images)


def _gifti(values, vertno, s, hemi, structure):
    import nibabel as nib

    n_vertices = int(s["np"])
    if not np.isin(vertno, s["vertno"]).all():
        raise ValueError(
            f"the {hemi} maps do not match the surface of src: their {len(vertno)} "
            f"vertices (numbers up to {vertno.max()}) are not all among its "
            f"{len(s['vertno'])} source vertices of a {n_vertices}-vertex surface; pass "
            "the source space the estimates were computed on")
    full = np.zeros((n_vertices, values.shape[1]), dtype=np.float32)
    full[vertno] = values
    darrays = [nib.gifti.GiftiDataArray(full[:, j], intent="NIFTI_INTENT_NONE",
                                        datatype="NIFTI_TYPE_FLOAT32",
                                        meta={"Name": f"component {j}"})
               for j in range(full.shape[1])]
    return nib.gifti.GiftiImage(
        meta=nib.gifti.GiftiMetaData({"AnatomicalStructurePrimary": structure}),
        darrays=darrays)


def _nifti(maps, src, kind):
    vol_src = src[2:] if kind == "mixed" else src
    vol_maps = maps.volume() if kind == "mixed" else maps
    for k, (s, vertno) in enumerate(zip(vol_src, vol_maps.vertices)):
        if not np.array_equal(s["vertno"], vertno):
            raise ValueError(f"the maps' volume source points ({len(vertno)}) are not "
                             f"those of volume source space {k} of src "
                             f"({len(s['vertno'])}); pass the source space of the maps")
        if s.get("interpolator") is None:
            raise ValueError("the volume source space has no MRI grid to write on: set "
                             "it up with mri=<subject>/mri/T1.mgz (and the default "
                             "add_interpolator=True) in mne.setup_volume_source_space")
    image = vol_maps.as_volume(src, dest="mri", mri_resolution=True, format="nifti1")
    image.set_data_dtype(np.float32)
    image.header.set_xyzt_units("mm")  # the 4th axis counts components, not time
    image.header["pixdim"][4] = 1.0
    return image
