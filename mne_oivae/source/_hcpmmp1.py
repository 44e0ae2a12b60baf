"""The HCP-MMP1 parcellation on fsaverage as a list of MNE labels."""

import mne
from mne.utils import _validate_type, verbose


@verbose
def read_hcpmmp1_labels(subjects_dir=None, combined=True, *, accept=False,
                        include_unknown=False, verbose=None):
    """Read the HCP-MMP1.0 parcellation of fsaverage, fetching it if needed.

    Built on :func:`mne.datasets.fetch_hcp_mmp_parcellation`, which downloads
    the annotations (Glasser et al. 2016, projected on fsaverage by Mills 2016)
    into ``subjects_dir/fsaverage/label`` unless they are already there, and
    writes the combined version next to them (so that directory must be
    writable).

    Parameters
    ----------
    subjects_dir : path-like | None
        FreeSurfer subjects directory holding ``fsaverage`` (see
        :func:`mne.datasets.fetch_fsaverage`); ``None`` uses ``SUBJECTS_DIR``
        from the MNE configuration or the environment.
    combined : bool
        If True (default), the 23 regions per hemisphere of
        ``HCPMMP1_combined`` (Glasser et al. 2016, supplementary table); else
        the 180 areas per hemisphere of ``HCPMMP1``.
    accept : bool
        Accept the HCP-MMP license (https://balsa.wustl.edu/WN56) so a
        download needs no interactive prompt. Use of the parcellation is
        subject to those terms; ``False`` asks on the console when the files
        are missing.
    include_unknown : bool
        Keep the ``"???"`` labels (the medial wall, outside the parcellation).
        Default False, which gives the 44 combined regions used in the oi-VAE
        MEG experiment.
    verbose : bool | str | int | None
        Control verbosity of the logging output (MNE's convention).

    Returns
    -------
    labels : list of mne.Label
        Labels of subject ``"fsaverage"``, sorted by name (``-lh`` / ``-rh``
        suffixes).

    Examples
    --------
    >>> labels = read_hcpmmp1_labels(subjects_dir, accept=True)  # doctest: +SKIP
    >>> len(labels)  # doctest: +SKIP
    44
    """
    _validate_type(combined, bool, "combined")
    _validate_type(accept, bool, "accept")
    mne.datasets.fetch_hcp_mmp_parcellation(subjects_dir=subjects_dir, combine=combined,
                                            accept=accept, verbose=verbose)
    parc = "HCPMMP1_combined" if combined else "HCPMMP1"
    labels = mne.read_labels_from_annot("fsaverage", parc, subjects_dir=subjects_dir,
                                        verbose=verbose)
    if not include_unknown:
        labels = [label for label in labels if not label.name.startswith("???")]
    return labels
