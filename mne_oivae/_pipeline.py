"""The one fit pipeline behind OIVAE.fit, fit_lam_path, fit_cv_folds and OIVAECV.

:func:`fit_models` takes a :class:`~mne_oivae._config.FitConfig`, validated data,
its groups and the settings to fit (a lam and training rows each), and returns
one fit per setting: the best of the configuration's restarts, all settings and
restarts trained together as the replicas of one engine run
(:func:`mne_oivae._engine.train`), with checkpoints when asked.
"""

import dataclasses
import math
import os
from typing import NamedTuple

import numpy as np
import torch
from mne.utils import logger

from ._checkpoint import load_checkpoint, save_checkpoint
from ._engine import CHUNK_BYTES, DivergenceError, Task, layout_for, train
from ._engine.data import StreamedRows
from ._engine.distributed import DataParallel
from ._progress import Progress
from ._recordings import RecordingError
from ._units import fit_scale, to_model_units

# Fewer observations leave the noise variances undefined.
MIN_SAMPLES = 2
DIVERGENCE_HINT = "Try a smaller lr, standardised data, or a longer warmup"


class Setting(NamedTuple):
    """One model to fit: its group-lasso strength and training rows (``None``: all)."""

    lam: float
    rows: object = None


class Fit(NamedTuple):
    """A fitted network (one replica), its history and the iterations it ran."""

    network: object
    history: dict
    n_iter: int


class Fits(NamedTuple):
    """What :func:`fit_models` returns: one :class:`Fit` per setting, the data's scale."""

    fits: list
    scale: float


class Checkpointing(NamedTuple):
    """Where and how often a fit writes its state, and whether it resumes from it."""

    fname: object
    every: int
    resume: bool


def fit_models(config, X, groups, settings, checkpointing=None):
    """Fit one model per setting (the best of ``len(config.seeds)`` restarts each).

    Parameters
    ----------
    config : FitConfig
    X : ndarray, shape (n_samples, n_features) | Recordings
        Validated data, in any units: the models see it divided by its
        pooled standard deviation (:mod:`mne_oivae._units`). Recordings
        (:class:`~mne_oivae._recordings.Recordings`) are read a minibatch at a
        time, with the same result as their concatenation in memory.
    groups : GroupSpec
    settings : list of Setting
    checkpointing : Checkpointing | None

    Returns
    -------
    fits : Fits

    Raises
    ------
    DivergenceError
        With ``fits`` holding every setting's best fit at its last finite state.
    """
    config = fitted_batch(config, X, settings)
    scale = fit_scale(X)
    parallel = DataParallel.current()
    if parallel is not None:
        parallel.check_same(data_shape=tuple(X.shape), data_scale=scale, seeds=config.seeds,
                            settings=[(s.lam, None if s.rows is None else len(s.rows))
                                      for s in settings],
                            configuration=repr(config))
    X_t = model_rows(X, scale, resolve_device(config.device, parallel))
    training = config.training
    layout = layout_for(groups.indices, config.architecture,
                        training.batch_size * training.mc_samples)
    tasks = [Task(seed, setting.lam, setting.rows) for setting in settings
             for seed in config.seeds]
    resume = None
    if checkpointing is not None and checkpointing.resume:
        resume = load_checkpoint(checkpointing.fname, config, X_t.shape, len(tasks), scale)
        if resume is not None:
            logger.info(f"Resuming from {checkpointing.fname} at iteration "
                        f"{resume['state']['iteration']}")
    done = 0 if resume is None else resume["state"]["iteration"] * len(tasks)
    if len(tasks) > 1:
        logger.info(f"Fitting {len(tasks)} models together")
    with Progress(training.n_iter * len(tasks), "oi-VAE fit" + "s" * (len(tasks) > 1),
                  done=done) as progress:

        def on_epoch(trainer, histories, n_done):
            progress.to(n_done)
            if checkpointing is not None and (parallel is None or parallel.rank == 0) and (
                    trainer.iteration >= training.n_iter
                    or trainer.iteration % checkpointing.every < trainer.steps_per_epoch):
                save_checkpoint(checkpointing.fname, trainer, config, histories, scale)

        try:
            fits = train(layout, config.architecture, tasks, X_t, training,
                         on_epoch=on_epoch, resume=resume,
                         chunk_bytes=None if checkpointing is not None else CHUNK_BYTES,
                         parallel=parallel)
        except RecordingError as err:
            raise RecordingError(f"{err}. {_resume_hint(checkpointing)}") from None
        except DivergenceError as err:
            restored = None if err.fits is None else _best_per_setting(
                err.fits, len(config.seeds))
            message = f"{err}. "
            if len(tasks) == 1:
                message += ("The model was restored to its last finite state (iteration "
                            f"{restored[0].n_iter}). ")
            error = DivergenceError(message + DIVERGENCE_HINT)
            error.fits = None if restored is None else Fits(restored, scale)
            raise error from None
    return Fits(_best_per_setting(fits, len(config.seeds)), scale)


def _resume_hint(checkpointing):
    if checkpointing is None:
        return ("Fit with checkpoint=fname to be able to continue a fit after such an "
                "error")
    return (f"The fit's state at its last checkpoint is in {checkpointing.fname}: restore "
            f"the recording and call fit again with checkpoint={str(checkpointing.fname)!r}, "
            "resume=True to continue from there (the result is the same as that of an "
            "uninterrupted fit)")


def model_rows(X, scale, device):
    """*X* in model units on *device*: one tensor, or a reader of recordings on disk."""
    if isinstance(X, np.ndarray):
        return torch.from_numpy(to_model_units(X, scale)).to(device)
    return StreamedRows(X.shape, lambda start, stop: to_model_units(X[start:stop], scale),
                        lambda idx: to_model_units(X.take(idx), scale), device)


def fitted_batch(config, X, settings):
    """*config*, with minibatches of at most the smallest setting's training rows.

    Replicas share one minibatch size. Raises ValueError when a setting has
    fewer than :data:`MIN_SAMPLES` rows.
    """
    smallest = min(len(X) if s.rows is None else len(s.rows) for s in settings)
    folds = any(s.rows is not None for s in settings)
    if smallest < MIN_SAMPLES and folds:
        raise ValueError(f"The smallest training fold has {smallest} row, but OIVAE "
                         f"needs at least {MIN_SAMPLES}; use fewer folds")
    if smallest < MIN_SAMPLES:
        raise ValueError(f"X has {smallest} sample, but OIVAE needs at least "
                         f"{MIN_SAMPLES} observations (rows of X) to estimate noise "
                         "variances; pass more time points or trials")
    batch_size = config.training.batch_size
    if batch_size <= smallest:
        return config
    rows = "training rows of the smallest fold" if folds else "observations"
    logger.info(f"batch_size={batch_size} is more than the {smallest} {rows}: every "
                f"minibatch holds {smallest} rows")
    return dataclasses.replace(config, training=dataclasses.replace(
        config.training, batch_size=smallest))


def _best_per_setting(fits, n_init):
    """The :class:`Fit` with the highest final ELBO among each setting's restarts."""
    best = []
    for start in range(0, len(fits), n_init):
        restarts = fits[start:start + n_init]
        elbos = [fit.elbo if math.isfinite(fit.elbo) else -math.inf for fit in restarts]
        kept = int(np.argmax(elbos))
        if n_init > 1:
            logger.info("Restarts' ELBO per observation on the training rows: " + ", ".join(
                f"{value:.4g}" for value in elbos) + f"; kept restart {kept}")
        network, history, _ = restarts[kept]
        n_iter = int(history["iteration"][-1]) if history.get("iteration") else 0
        best.append(Fit(network, history, n_iter))
    return best


def resolve_device(device, parallel=None):
    """The torch device of the ``device`` parameter (``"auto"``: CUDA when available).

    In a data-parallel fit (*parallel*), ``"cuda"`` is the GPU of the process's
    local rank (``LOCAL_RANK``, set by ``torchrun``).
    """
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and parallel is not None:
        device = f"cuda:{os.environ.get('LOCAL_RANK', '0')}"
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto', got "
                         f"{device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was requested but CUDA is not available to "
                         "torch on this machine; use device='cpu' or 'auto'")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'auto', got {device!r}")
    return dev
