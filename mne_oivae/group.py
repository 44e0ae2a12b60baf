"""Group studies: one model for many subjects, then every subject's own map.

The workflow of MEG group analyses (as in the group HMMs of osl-dynamics):

1. fit one **group model** on all subjects' data, concatenated along time:
   ``OIVAE(...).fit(recordings)`` with ``recordings`` a list of per-subject
   arrays, ``.npy`` files or HDF5 datasets, read from disk a minibatch at a
   time (the fit equals that of the concatenated array, bit for bit), on one
   process or data-parallel on several (``torchrun``; see the group-study
   tutorial);
2. derive every subject's **component-to-group map** from it with
   :func:`subject_maps`: W refitted on the subject's data alone, with the
   group's encoder, generators and noise fixed. The latent components keep
   the group model's meaning (the encoder is the group's), so the maps of all
   subjects share one component order and need no matching; a subject whose
   network is weaker has smaller weights, one whose network recruits another
   region has its weight there.

Cross-validating ``lam`` over subjects (:class:`~mne_oivae.OIVAECV`) keeps
every subject whole: with a list of recordings, folds leave whole recordings
out (:func:`subject_ids`).
"""

import copy
import dataclasses
import itertools

import numpy as np
import torch
from mne.utils import _check_option, logger

from ._config import fit_config, seed_sequence
from ._engine import Task, train
from ._pipeline import Setting, fitted_batch, model_rows, resolve_device
from ._progress import Progress, log_level
from ._recordings import as_recordings
from ._validation import check_data, check_float, check_int

__all__ = ["REFITS", "subject_ids", "subject_maps"]

#: What :func:`subject_maps` can refit per subject.
REFITS = ("loadings", "loadings+encoder")


def subject_ids(X):
    """The subject (recording) of every row of a list of recordings.

    Parameters
    ----------
    X : list
        Recordings as for :meth:`OIVAE.fit <mne_oivae.OIVAE.fit>`: arrays,
        memmaps, ``.npy`` paths or h5py datasets, one per subject.

    Returns
    -------
    ids : ndarray of int, shape (n_samples,)
        ``i`` for every row of recording ``i``: the ``epochs`` of
        :meth:`OIVAECV.fit <mne_oivae.OIVAECV.fit>` for folds of whole subjects
        (its default when it is given recordings).

    Examples
    --------
    >>> from mne_oivae.group import subject_ids
    >>> import numpy as np
    >>> subject_ids([np.zeros((2, 3)), np.zeros((3, 3))])
    array([0, 0, 1, 1, 1])
    """
    recordings = as_recordings(X)
    if recordings is None:
        raise TypeError("X must be a list of recordings (one 2-D array, memmap, .npy path "
                        f"or h5py dataset per subject), got {type(X).__name__}")
    return recordings.recording_ids()


def subject_maps(model, X, subjects=None, *, refit="loadings", n_iter=1000, lam=None,
                 random_state=0, verbose=None):
    """Every subject's component-to-group map from a fitted group model.

    For each subject, W (the latent-to-group matrices) is refitted on the
    subject's rows alone, starting from the group's W, with the group model's
    encoder, generators and noise variances fixed, by the same proximal Adam
    steps and group lasso as the group fit. All subjects train together as
    replicas of one model (:mod:`mne_oivae._engine`). The refit tells which
    groups each component drives in the subject (a region the subject's
    network recruits instead of the group's gains the weight).

    How strongly is the other half: the group's encoder reads a subject with
    twice the network activity as twice the latent activity, so the refitted
    W stays near the group's. Every column j of subject s's map is therefore
    multiplied by the spread of component j in s (the standard deviation of
    its posterior means, by the subject's encoder) over its spread in all
    subjects (pooled, by the group's encoder): the map's ``[g, j]`` is how
    much group g moves, in that subject, with a typical change of component
    j in the group.

    Parameters
    ----------
    model : OIVAE
        The group model, fitted on all subjects.
    X : list | array-like, shape (n_samples, n_features)
        The subjects' data, in the units of the group fit: a list of
        recordings as for :meth:`OIVAE.fit <mne_oivae.OIVAE.fit>` (one per
        subject, read from disk a minibatch at a time), or one array with
        *subjects*.
    subjects : array-like, shape (n_samples,) | None
        The subject of every row of an array *X*; ``None`` for a list (one
        subject per recording).
    refit : ``"loadings"`` | ``"loadings+encoder"``
        What is refitted per subject: W alone (default), or W and the
        encoder. With W alone, the group's encoder still reads a region that
        the subject's network does not recruit, and does not read the one it
        recruits instead, so such a swap shows only in part (see the Notes);
        refitting the encoder too lets it follow the subject, at the price of
        more freedom: components may drift from the group's.
    n_iter : int
        Proximal Adam iterations of every subject's refit.
    lam : float | None
        Group-lasso strength of the refits; ``None``: the group model's.
    random_state : None | int | numpy.random.Generator
        Seed of the minibatch orders and noise.
    verbose : bool | str | int | None
        Log level (MNE's convention); ``None``: the model's.

    Returns
    -------
    maps : ndarray, shape (n_subjects, n_groups, n_components)
        ``maps[s]`` is subject s's ``group_weights_`` (refitted, times the
        spread ratio above), in the group model's component order; subjects
        in the order of the list, or of ``np.unique(subjects)``.

    Notes
    -----
    Measured by ``benchmarks/group_fit.py`` (10 simulated subjects sharing
    four planted networks of four regions, every subject with its own
    network strengths and one region of one network swapped for another;
    ``MEG_REGIONS``; F1 of :func:`~mne_oivae.metrics.network_recovery_f1`
    against each subject's own networks, mean over subjects and networks),
    on three simulation seeds (0, 1, 2):

    - the group map used for every subject: F1 0.913, 0.940, 0.938 (the
      network with the swapped region: 0.754, 0.761, 0.750);
    - ``refit="loadings"``: 0.947, 0.962, 0.960 (swapped: 0.831, 0.861,
      0.854). The swapped-out region keeps part of its weight: the fixed
      encoder still reads it into the network's component, so its refitted
      W still finds it related;
    - ``refit="loadings+encoder"``: 0.932, 0.955, 0.931 (swapped: 0.943,
      0.919, 0.864): the swap is found more often, but the freer encoder
      spreads the other networks over more components, and their weaker
      regions fall below the map threshold more often.

    Examples
    --------
    >>> from mne_oivae import OIVAE  # doctest: +SKIP
    >>> from mne_oivae.presets import MEG_REGIONS  # doctest: +SKIP
    >>> files = [f"sub-{i:03d}.npy" for i in range(100)]  # doctest: +SKIP
    >>> model = OIVAE(**MEG_REGIONS, groups=groups, random_state=0).fit(files)  # doctest: +SKIP
    >>> maps = subject_maps(model, files)  # doctest: +SKIP
    >>> maps.shape  # doctest: +SKIP
    (100, 44, 20)
    """
    model._check_fitted()
    _check_option("refit", refit, REFITS)
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    lam = model.lam if lam is None else check_float(lam, "lam", minimum=0)
    data, rows = _subject_rows(model, X, subjects)
    config = fit_config(model.get_params())
    settings = [Setting(lam, r) for r in rows]
    config = fitted_batch(config, data, settings)
    training = dataclasses.replace(config.training, n_iter=n_iter, lam=lam, warmup=0,
                                   lam_warmup=0, kl_warmup=0, subsample_warmup=0)
    seed = int(np.random.default_rng(seed_sequence(random_state)).integers(2**62))
    network = model.module_
    device = network.W.device
    tasks = [Task(seed, lam, torch.as_tensor(r, device=device)) for r in rows]
    with log_level(model.verbose if verbose is None else verbose):
        logger.info(f"Refitting the {refit} of {len(rows)} subjects")
        with Progress(n_iter * len(tasks), "subject maps") as progress:
            fits = train(network.layout, config.architecture, tasks,
                         model_rows(data, model.scale_, resolve_device(str(device))),
                         training, on_epoch=lambda tr, h, done: progress.to(done),
                         warm_start=network, refit_encoder=refit == "loadings+encoder")
    group_spread = np.stack([model.transform(data[r]).std(axis=0) for r in rows])
    spread = group_spread if refit == "loadings" else np.stack(
        [_with_network(model, fit.network).transform(data[r]).std(axis=0)
         for fit, r in zip(fits, rows)])
    overall = np.sqrt(np.average(group_spread**2, axis=0, weights=[len(r) for r in rows]))
    ratio = np.divide(spread, overall, out=np.zeros_like(spread), where=overall > 0)
    return np.stack([_group_weights(fit.network) for fit in fits]) * ratio[:, None, :]


def _with_network(model, network):
    """A shallow copy of fitted *model* that encodes with *network*."""
    subject = copy.copy(model)
    subject.module_ = network.eval()
    return subject


def _subject_rows(model, X, subjects):
    """The data (array or recordings) and every subject's rows in it."""
    recordings = as_recordings(X)
    if recordings is not None:
        if subjects is not None:
            raise ValueError("subjects is only for an array X: a list of recordings holds "
                             "one subject each")
        data = recordings
        edges = recordings.offsets
        rows = [np.arange(a, b) for a, b in itertools.pairwise(edges)]
    else:
        data = check_data(X, "X", n_features=model.n_features_in_)
        if subjects is None:
            raise ValueError("an array X needs subjects, the subject of every row (or pass "
                             "a list with one recording per subject)")
        subjects = np.asarray(subjects)
        if subjects.shape != (len(data),):
            raise ValueError(f"subjects must give the subject of every row of X "
                             f"({len(data)}), got shape {subjects.shape}")
        rows = [np.flatnonzero(subjects == s) for s in np.unique(subjects)]
    if data.shape[1] != model.n_features_in_:
        raise ValueError(f"the recordings have {data.shape[1]} features, but the group "
                         f"model was fitted on {model.n_features_in_}")
    return data, rows


def _group_weights(network):
    norms = network.group_norms()[0].cpu().numpy().astype(np.float64)
    return network.layout.groups_to_canonical(norms)
