"""Training checkpoints: the full state of a run's replicas in an HDF5 file, resumed exactly.

The state is :meth:`mne_oivae._engine.Trainer.state_dict`: every replica's
parameters and optimiser moments in the canonical form, so a checkpoint resumes
in whatever size-bucket layout the resuming run uses (bit-identically in the
same one).
"""

import dataclasses
from pathlib import Path

import torch

from ._io import arrays_under, read_state, write_state


def save_checkpoint(fname, trainer, config, histories, scale):
    """Write *trainer*'s state, the fit's configuration and histories so far (atomically).

    Parameters
    ----------
    fname : path-like
    trainer : Trainer
    config : FitConfig
    histories : list of dict of list
        One per replica.
    scale : float
        The data's scale (:mod:`mne_oivae._units`): a fingerprint of the data.
    """
    state = trainer.state_dict()
    folders = {"network": state["network"],
               **{f"adam/{key}": value for key, value in state["adam"].items()},
               **{f"prox/{key}": value for key, value in state["prox"].items()}}
    arrays = {f"replica{r}/{folder}/{name}": value.cpu().numpy()
              for folder, replicas in folders.items()
              for r, tensors in enumerate(replicas) for name, value in tensors.items()}
    arrays.update({f"generator{r}": g.numpy() for r, g in enumerate(state["generators"])})
    meta = {"architecture": _plain(dataclasses.asdict(config.architecture)),
            "batch_size": config.training.batch_size, "shape": list(trainer.X.shape),
            "n_replicas": trainer.n_replicas, "iteration": state["iteration"],
            "prox_t": state["prox_t"], "adam_step": state["adam_step"],
            "histories": histories, "scale": scale}
    write_state(fname, "checkpoint", meta, arrays, overwrite=True)


def load_checkpoint(fname, config, shape, n_replicas, scale):
    """The state and histories to continue a run from checkpoint *fname*, if it exists.

    Returns
    -------
    resume : dict | None
        ``{"state": ..., "histories": ...}`` for :func:`mne_oivae._engine.train`;
        ``None`` when there is no file yet.

    Raises
    ------
    ValueError
        If the checkpoint comes from a fit with other shapes of parameters,
        replicas or data, or from other data (another *scale*).
    """
    if not Path(fname).expanduser().is_file():
        return None
    meta, arrays = read_state(fname, "checkpoint")
    if "architecture" not in meta:
        raise ValueError(f"checkpoint {fname} was written by an older mne-oivae (one "
                         "model, no replicas) and cannot be resumed; fit without resume")
    saved = dict(meta["architecture"], batch_size=meta["batch_size"],
                 n_replicas=meta["n_replicas"])
    wanted = dict(_plain(dataclasses.asdict(config.architecture)),
                  batch_size=config.training.batch_size, n_replicas=n_replicas)
    for key, value in wanted.items():
        if saved[key] != value:
            raise ValueError(f"checkpoint {fname} was made with {_name(key)}={saved[key]!r}, "
                             f"but this fit uses {_name(key)}={value!r}")
    if list(shape) != meta["shape"]:
        raise ValueError(f"checkpoint {fname} was made on data of shape "
                         f"{tuple(meta['shape'])}, got {tuple(shape)}")
    if meta.get("scale", scale) != scale:
        raise ValueError(f"checkpoint {fname} was made on other data (pooled standard "
                         f"deviation {meta['scale']!r}, this data's is {scale!r}): resume "
                         "on the data the fit started with")
    replicas = range(n_replicas)

    def per_replica(folder):
        return [arrays_under(arrays, f"replica{r}/{folder}") for r in replicas]

    state = {"network": per_replica("network"),
             "adam": {key: per_replica(f"adam/{key}") for key in ("exp_avg", "exp_avg_sq")},
             "adam_step": meta["adam_step"],
             "prox": {key: per_replica(f"prox/{key}") for key in ("m", "v")},
             "prox_t": meta["prox_t"], "iteration": meta["iteration"],
             "generators": [torch.as_tensor(arrays[f"generator{r}"]) for r in replicas]}
    histories = [{k: list(v) for k, v in h.items()} for h in meta["histories"]]
    return {"state": state, "histories": histories}


def _name(key):
    return "n_init" if key == "n_replicas" else key


def _plain(value):
    """Tuples as lists, as JSON gives them back."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
