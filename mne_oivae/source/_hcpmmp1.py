"""fsaverage and its HCP-MMP1 parcellation as a list of MNE labels, found or fetched."""

from pathlib import Path

import mne
from mne.utils import _validate_type, verbose

from .._docs import fill_doc
from .._download import missing_data_message

#: Where :func:`mne.datasets.fetch_hcp_mmp_parcellation` downloads the annotations.
HCPMMP1_URLS = {"lh": "https://ndownloader.figshare.com/files/5528816",
                "rh": "https://ndownloader.figshare.com/files/5528819"}
#: The zip :func:`mne.datasets.fetch_fsaverage` downloads.
FSAVERAGE_URL = "https://osf.io/download/3bxqt?version=2"


@verbose
@fill_doc
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
    %(verbose)s

    Returns
    -------
    labels : list of mne.Label
        Labels of subject ``"fsaverage"``, sorted by name (``-lh`` / ``-rh``
        suffixes).

    Raises
    ------
    FileNotFoundError
        If there is no subjects directory, or the annotations are missing and
        cannot be downloaded (or written); the message says where they were
        looked for and how to provide them.

    Examples
    --------
    >>> labels = read_hcpmmp1_labels(subjects_dir, accept=True)  # doctest: +SKIP
    >>> len(labels)  # doctest: +SKIP
    44
    """
    _validate_type(combined, bool, "combined")
    _validate_type(accept, bool, "accept")
    subjects_dir = mne.utils.get_subjects_dir(subjects_dir)
    label_dir = None if subjects_dir is None else Path(subjects_dir) / "fsaverage" / "label"
    what = "the HCP-MMP1 parcellation (lh.HCPMMP1.annot, rh.HCPMMP1.annot)"
    provide = (f"Download {HCPMMP1_URLS['lh']} as lh.HCPMMP1.annot and "
               f"{HCPMMP1_URLS['rh']} as rh.HCPMMP1.annot into "
               f"{label_dir or '<subjects_dir>/fsaverage/label'} (writable: the "
               "combined parcellation is written beside them), or pass subjects_dir "
               "(or set SUBJECTS_DIR) to a FreeSurfer subjects folder whose fsaverage has "
               "them.")
    if subjects_dir is None:
        raise FileNotFoundError(missing_data_message(
            what, "no subjects folder (subjects_dir=None, SUBJECTS_DIR not set)", provide))
    try:
        mne.datasets.fetch_hcp_mmp_parcellation(subjects_dir=subjects_dir,
                                                combine=combined, accept=accept,
                                                verbose=verbose)
    except OSError as exc:  # requests' errors (connection, HTTP status) are OSErrors
        raise FileNotFoundError(missing_data_message(what, [label_dir], provide, exc)) \
            from None
    parc = "HCPMMP1_combined" if combined else "HCPMMP1"
    labels = mne.read_labels_from_annot("fsaverage", parc, subjects_dir=subjects_dir,
                                        verbose=verbose)
    if not include_unknown:
        labels = [label for label in labels if not label.name.startswith("???")]
    return labels


def fsaverage_subjects_dir(subjects_dir=None):
    """The subjects folder holding fsaverage: *subjects_dir*, ``SUBJECTS_DIR``, or a download.

    Without *subjects_dir* or ``SUBJECTS_DIR``, fsaverage is fetched by
    :func:`mne.datasets.fetch_fsaverage` (into ``MNE_DATA``, by default
    ``~/mne_data``).

    Parameters
    ----------
    subjects_dir : path-like | None
        A FreeSurfer subjects folder that holds ``fsaverage``.

    Returns
    -------
    subjects_dir : Path

    Raises
    ------
    FileNotFoundError
        If fsaverage is not in the given folder, or must be downloaded and
        cannot be; the message says where it looked and how to provide it.

    Examples
    --------
    >>> subjects_dir = fsaverage_subjects_dir()  # doctest: +SKIP
    >>> labels = read_hcpmmp1_labels(subjects_dir, accept=True)  # doctest: +SKIP
    """
    given = mne.utils.get_subjects_dir(subjects_dir)
    cache = Path(mne.get_config("MNE_DATA", str(Path.home() / "mne_data"))).expanduser()
    cache = cache / "MNE-fsaverage-data"
    provide = ("Set SUBJECTS_DIR (or pass --subjects-dir / subjects_dir) to a FreeSurfer "
               "subjects folder holding fsaverage, or download "
               f"{FSAVERAGE_URL} (fsaverage.zip) by hand and unzip it into "
               f"{given or cache}.")
    if given is not None:
        if not (Path(given) / "fsaverage" / "surf").is_dir():
            raise FileNotFoundError(missing_data_message("fsaverage", [given], provide))
        return Path(given)
    try:
        return Path(mne.datasets.fetch_fsaverage(verbose=False)).parent
    except OSError as exc:  # requests' errors (connection, HTTP status) are OSErrors
        raise FileNotFoundError(missing_data_message(
            "fsaverage", f"SUBJECTS_DIR (not set), {cache}", provide, exc,
            FSAVERAGE_URL)) from None
