"""Training checkpoints: a single fit's full state in an HDF5 file, resumed exactly.

The state is :meth:`mne_oivae._train.Trainer.state_dict`: parameters and
optimiser moments in the canonical form, so a checkpoint resumes in whatever
size-bucket layout the resuming run uses (bit-identically in the same one).
"""

import torch

from ._io import arrays_under, read_state, write_state
from ._params import params_from_json, params_to_json

# Parameters that fix the shapes of the state: a checkpoint resumes only a fit
# that has the same.
_SHAPE_PARAMS = ("n_components", "group_latent_dim", "generator_hidden", "encoder_hidden",
                 "activation", "activate_input", "batch_size")


def save_checkpoint(fname, trainer, params, history):
    """Write *trainer*'s state, the fit's parameters and its history so far (atomically).

    Parameters
    ----------
    fname : path-like
    trainer : Trainer
    params : dict
        The estimator's validated parameters.
    history : dict of list
    """
    state = trainer.state_dict()
    folders = {"module": state["module"],
               **{f"adam/{key}": value for key, value in state["adam"].items()},
               **{f"prox/{key}": value for key, value in state["prox"].items()}}
    arrays = {f"{folder}/{name}": value.cpu().numpy()
              for folder, tensors in folders.items() for name, value in tensors.items()}
    arrays["generator"] = state["generator"].numpy()
    meta = {"params": params_to_json(params), "shape": list(trainer.X.shape),
            "iteration": state["iteration"], "prox_t": state["prox_t"],
            "adam_step": state["adam_step"], "history": history}
    write_state(fname, "checkpoint", meta, arrays, overwrite=True)


def load_checkpoint(fname, trainer, params):
    """Continue *trainer* from checkpoint *fname*; return the history so far.

    Raises
    ------
    ValueError
        If the checkpoint comes from a fit with other shapes of parameters or
        data.
    """
    meta, arrays = read_state(fname, "checkpoint")
    saved = params_from_json(meta["params"])
    for key in _SHAPE_PARAMS:
        if saved[key] != params[key]:
            raise ValueError(f"checkpoint {fname} was made with {key}={saved[key]!r}, "
                             f"but this fit uses {key}={params[key]!r}")
    shape = list(trainer.X.shape)
    if shape != meta["shape"]:
        raise ValueError(f"checkpoint {fname} was made on data of shape "
                         f"{tuple(meta['shape'])}, got {tuple(shape)}")
    trainer.load_state_dict({
        "module": arrays_under(arrays, "module"),
        "adam": {key: arrays_under(arrays, f"adam/{key}")
                 for key in ("exp_avg", "exp_avg_sq")},
        "adam_step": meta["adam_step"],
        "prox": {key: arrays_under(arrays, f"prox/{key}") for key in ("m", "v")},
        "prox_t": meta["prox_t"], "generator": torch.as_tensor(arrays["generator"]),
        "iteration": meta["iteration"]})
    return {k: list(v) for k, v in meta["history"].items()}
