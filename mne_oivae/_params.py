"""The estimator's parameters: validation, JSON form, training settings."""

import numbers

import numpy as np

from ._fused import ACTIVATIONS
from ._train import TrainConfig
from ._validation import check_float, check_int, check_option, validate_type


def validate_params(params):
    """Checked copy of :meth:`OIVAE.get_params <mne_oivae.OIVAE.get_params>`'s dict.

    Numbers become Python ints and floats, hidden widths tuples and
    ``lam_warmup="auto"`` a number of iterations.
    """
    p = dict(params)
    p["n_components"] = check_int(p["n_components"], "n_components", minimum=1)
    p["lam"] = check_float(p["lam"], "lam", minimum=0)
    if p["group_latent_dim"] is not None:
        p["group_latent_dim"] = check_int(p["group_latent_dim"], "group_latent_dim",
                                          minimum=1)
    for name in ("generator_hidden", "encoder_hidden"):
        value = p[name]
        validate_type(value, (tuple, list), name, "tuple of int")
        p[name] = tuple(check_int(v, f"{name} entries", minimum=1) for v in value)
    if p["group_latent_dim"] is None and p["generator_hidden"]:
        raise ValueError("identity generators (group_latent_dim=None) take no hidden "
                         f"layers, got generator_hidden={p['generator_hidden']}")
    check_option("activation", p["activation"], tuple(ACTIVATIONS))
    validate_type(p["activate_input"], bool, "activate_input")
    if p["group_latent_dim"] is None and p["activate_input"]:
        raise ValueError("identity generators (group_latent_dim=None) have no input to "
                         "activate; set group_latent_dim (e.g. 8) to use "
                         "activate_input=True")
    p["prior_scale"] = check_float(p["prior_scale"], "prior_scale", 0, strict=True)
    p["n_iter"] = check_int(p["n_iter"], "n_iter", minimum=1)
    p["batch_size"] = check_int(p["batch_size"], "batch_size", minimum=1)
    p["lr"] = check_float(p["lr"], "lr", 0, strict=True)
    p["mc_samples"] = check_int(p["mc_samples"], "mc_samples", minimum=1)
    p["warmup"] = check_int(p["warmup"], "warmup", minimum=0)
    if isinstance(p["lam_warmup"], str):
        check_option("lam_warmup", p["lam_warmup"], ("auto",))
        p["lam_warmup"] = p["n_iter"] // 10
    p["lam_warmup"] = check_int(p["lam_warmup"], "lam_warmup", minimum=0)
    p["kl_warmup"] = check_int(p["kl_warmup"], "kl_warmup", minimum=0)
    p["n_init"] = check_int(p["n_init"], "n_init", minimum=1)
    validate_type(p["device"], str, "device")
    return p


def train_config(params):
    """The trainer's settings from validated *params*."""
    return TrainConfig(**{k: params[k] for k in (
        "n_iter", "batch_size", "lr", "lam", "prior_scale", "mc_samples", "warmup",
        "lam_warmup", "kl_warmup")})


def params_to_json(params):
    """Estimator parameters as JSON data: numpy scalars as numbers, tuples as lists.

    ``groups`` is stored apart (as the fitted GroupSpec) and a random generator
    is not plain data: both are stored as ``None``.
    """
    out = {}
    for key, value in params.items():
        if key == "groups" or (key == "random_state"
                               and not isinstance(value, numbers.Integral)):
            value = None
        out[key] = _plain(value)
    return out


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list, np.ndarray)):
        return [_plain(v) for v in value]
    return value


def params_from_json(params, groups=None):
    """Estimator parameters from :func:`params_to_json`'s data, with *groups*."""
    out = dict(params, groups=groups)
    for key in ("generator_hidden", "encoder_hidden"):
        out[key] = tuple(out[key])
    return out
