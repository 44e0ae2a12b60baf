"""The training runs behind :meth:`mne_oivae.OIVAE.fit`: one fit, or many as replicas.

From validated data and parameters: the data tensor on its device in the
model's units, the group layout and one seed per initialisation
(:func:`fit_inputs`); a single fit with
checkpoints (:func:`new_trainer`, :func:`run_with_checkpoints`); restarts, lam
paths and cross-validation folds trained together (:func:`fit_together`).
"""

import numbers
from typing import NamedTuple

import numpy as np
import torch
from mne.utils import logger

from ._checkpoint import save_checkpoint
from ._layout import GroupLayout
from ._model import build_module, init_output_statistics, layout_for
from ._params import train_config
from ._progress import Progress
from ._replicas import ReplicaTask, fit_replicas
from ._train import DivergenceError, Trainer
from ._units import fit_scale, to_model_units
from .groups import GroupSpec

# Fewer observations leave the noise variances undefined.
MIN_SAMPLES = 2
DIVERGENCE_HINT = "Try a smaller lr, standardised data, or a longer warmup"


class FitInputs(NamedTuple):
    """What every training run of one :meth:`~mne_oivae.OIVAE.fit` starts from."""

    params: dict  # validated; batch_size at most the number of observations
    X: torch.Tensor  # in the model's units: X / scale
    spec: GroupSpec
    layout: GroupLayout
    seeds: np.ndarray  # one per initialisation
    scale: float  # of X, see mne_oivae._units


def fit_inputs(X, params, spec, random_state, n_rows=None):
    """The :class:`FitInputs` of a fit on validated *X* with validated *params*.

    *n_rows* is the number of training rows of the smallest fit when fits
    train on subsets of *X* (cross-validation folds); ``None``: all of *X*.
    """
    n_samples = X.shape[0] if n_rows is None else n_rows
    rows = ("observations" if n_rows is None
            else "training rows of the smallest fold")
    if n_samples < MIN_SAMPLES and n_rows is not None:
        raise ValueError(f"The smallest training fold has {n_samples} row, but OIVAE "
                         f"needs at least {MIN_SAMPLES}; use fewer folds")
    if n_samples < MIN_SAMPLES:
        raise ValueError(f"X has {n_samples} sample, but OIVAE needs at least "
                         f"{MIN_SAMPLES} observations (rows of X) to estimate noise "
                         "variances; pass more time points or trials")
    if params["batch_size"] > n_samples:
        logger.info(f"batch_size={params['batch_size']} is more than the {n_samples} "
                    f"{rows}: every minibatch holds {n_samples} rows")
        params["batch_size"] = n_samples
    scale = fit_scale(X)
    X_t = as_tensor(to_model_units(X, scale), resolve_device(params["device"]))
    seeds = np.random.default_rng(seed_sequence(random_state)).integers(
        2**62, size=params["n_init"])
    return FitInputs(params, X_t, spec, layout_for(spec, params), seeds, scale)


def new_module(X_t, layout, params, seed, rows=None):
    """A module initialised from *seed*, its outputs from the data (*rows*: all if None)."""
    module = build_module(layout, params, seed).to(X_t.device)
    init_output_statistics(module, X_t, rows)
    return module


def new_trainer(X_t, layout, params, seed):
    """The trainer of a single fit from *seed*, and its empty history."""
    module = new_module(X_t, layout, params, seed)
    generator = torch.Generator(device=X_t.device).manual_seed(seed)
    return Trainer(module, X_t, train_config(params), generator), {}


def run_with_checkpoints(trainer, history, params, checkpoint, check_every):
    """Train to ``n_iter`` iterations, writing *checkpoint* (if not None) as it goes.

    Raises
    ------
    DivergenceError
        With the module at its last finite state, which the message names.
    """
    n_iter = trainer.config.n_iter
    with Progress(n_iter, "oi-VAE fit", done=trainer.iteration) as progress:

        def on_epoch(tr):
            progress.to(tr.iteration)
            done = tr.iteration >= n_iter
            if checkpoint is not None and (done or tr.iteration % check_every
                                           < tr.steps_per_epoch):
                save_checkpoint(checkpoint, tr, params, history)

        try:
            trainer.run(history, on_epoch=on_epoch)
        except DivergenceError as err:
            raise DivergenceError(
                f"{err}. The model was restored to its last finite state (iteration "
                f"{last_iteration(history)}). {DIVERGENCE_HINT}") from None


def fit_together(X_t, layout, params, tasks):
    """Fit one model per (seed, lam, rows) task, trained together as replicas.

    Restarts (``n_init``; each initialisation can end in a different local
    optimum, told apart by the objective), lam paths and cross-validation
    folds: each replica is the fit a single ``n_init=1`` fit with that seed
    and lam on those rows would give (``rows=None``: all of X), up to
    float reassociation. Returns a list of ``(module, history)``.
    """
    tasks = [ReplicaTask(new_module(X_t, layout, params, seed, rows), seed, lam, rows)
             for seed, lam, rows in tasks]
    logger.info(f"Fitting {len(tasks)} models together")
    with Progress(params["n_iter"] * len(tasks), "oi-VAE fits") as progress:
        try:
            histories = fit_replicas(tasks, X_t, train_config(params),
                                     progress=progress.to)
        except DivergenceError as err:
            raise DivergenceError(f"{err}. {DIVERGENCE_HINT}") from None
    return [(task.module, history) for task, history in zip(tasks, histories)]


def best(fits):
    """The (module, history) of *fits* with the highest final objective."""
    return max(fits, key=lambda fit: np.mean(fit[1]["elbo"][-5:]))


def last_iteration(history):
    """The iteration at the end of the last recorded epoch (0 before any)."""
    return int(history["iteration"][-1]) if history.get("iteration") else 0


def resolve_device(device):
    """The torch device of the ``device`` parameter (``"auto"``: CUDA when available)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
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


def as_tensor(X, device):
    """The float32 array *X* as a tensor on *device* (sharing *X*'s memory on a CPU)."""
    return torch.from_numpy(X).to(device)


def seed_sequence(random_state):
    """*random_state* as a seed of :func:`numpy.random.default_rng`."""
    if isinstance(random_state, np.random.RandomState):
        return random_state.randint(2**31)
    if random_state is None or isinstance(random_state, (numbers.Integral,
                                                         np.random.Generator)):
        return random_state
    raise TypeError("random_state must be None, an int or a numpy Generator, got "
                    f"{type(random_state).__name__}")
