"""The estimator's parameters as one typed, frozen configuration, and their JSON form.

:func:`fit_config` validates :meth:`OIVAE.get_params
<mne_oivae.OIVAE.get_params>` once and returns a :class:`FitConfig`: the
network's :class:`~mne_oivae._engine.Architecture`, the
:class:`~mne_oivae._engine.TrainConfig` and the seeds of the initialisations.
Nothing downstream reads the parameter dict or changes the configuration (a
smaller minibatch for small data is a new configuration, made by
:func:`dataclasses.replace`).
"""

import numbers
from dataclasses import dataclass

import numpy as np
from mne.utils import _check_option, _validate_type

from ._engine import ACTIVATIONS, LIKELIHOODS, Architecture, TrainConfig
from ._validation import check_float, check_int


@dataclass(frozen=True)
class FitConfig:
    """Everything a fit needs from the estimator's parameters, validated.

    Attributes
    ----------
    architecture : Architecture
        The network's shapes and likelihood.
    training : TrainConfig
        The optimisation's settings.
    seeds : tuple of int
        One per initialisation (``n_init``), drawn from ``random_state``.
    device : str
        The ``device`` parameter.
    """

    architecture: Architecture
    training: TrainConfig
    seeds: tuple
    device: str


def fit_config(params):
    """The :class:`FitConfig` of :meth:`OIVAE.get_params <mne_oivae.OIVAE.get_params>`.

    Raises TypeError or ValueError naming the first invalid parameter.
    ``lam_warmup="auto"`` becomes a tenth of ``n_iter``.
    """
    p = dict(params)
    p["n_components"] = check_int(p["n_components"], "n_components", minimum=1)
    p["lam"] = check_float(p["lam"], "lam", minimum=0)
    p["component_lasso"] = check_float(p["component_lasso"], "component_lasso", minimum=0)
    if p["group_latent_dim"] is not None:
        p["group_latent_dim"] = check_int(p["group_latent_dim"], "group_latent_dim",
                                          minimum=1)
    for name in ("generator_hidden", "encoder_hidden"):
        value = p[name]
        _validate_type(value, (tuple, list), name, "tuple of int")
        p[name] = tuple(check_int(v, f"{name} entries", minimum=1) for v in value)
    if p["group_latent_dim"] is None and p["generator_hidden"]:
        raise ValueError("identity generators (group_latent_dim=None) take no hidden "
                         f"layers, got generator_hidden={p['generator_hidden']}")
    _check_option("activation", p["activation"], tuple(ACTIVATIONS))
    _validate_type(p["activate_input"], bool, "activate_input")
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
        _check_option("lam_warmup", p["lam_warmup"], ("auto",))
        p["lam_warmup"] = p["n_iter"] // 10
    p["lam_warmup"] = check_int(p["lam_warmup"], "lam_warmup", minimum=0)
    p["kl_warmup"] = check_int(p["kl_warmup"], "kl_warmup", minimum=0)
    p["subsample_warmup"] = check_int(p["subsample_warmup"], "subsample_warmup", minimum=0)
    p["subsample_size"] = check_int(p["subsample_size"], "subsample_size", minimum=1)
    p["n_init"] = check_int(p["n_init"], "n_init", minimum=1)
    _validate_type(p["device"], str, "device")
    _check_option("likelihood", p["likelihood"], tuple(LIKELIHOODS))
    if p["dof"] is not None:
        p["dof"] = check_float(p["dof"], "dof", 0, strict=True)
    architecture = Architecture(**{k: p[k] for k in (
        "n_components", "group_latent_dim", "generator_hidden", "encoder_hidden",
        "activation", "activate_input", "likelihood", "dof")})
    training = TrainConfig(**{k: p[k] for k in (
        "n_iter", "batch_size", "lr", "lam", "prior_scale", "mc_samples", "warmup",
        "lam_warmup", "kl_warmup", "subsample_warmup", "subsample_size",
        "component_lasso")})
    seeds = np.random.default_rng(seed_sequence(p["random_state"])).integers(
        2**62, size=p["n_init"])
    return FitConfig(architecture, training, tuple(int(s) for s in seeds), p["device"])


def seed_sequence(random_state):
    """*random_state* as a seed of :func:`numpy.random.default_rng`."""
    if isinstance(random_state, np.random.RandomState):
        return random_state.randint(2**31)
    if random_state is None or isinstance(random_state, (numbers.Integral,
                                                         np.random.Generator)):
        return random_state
    raise TypeError("random_state must be None, an int or a numpy Generator, got "
                    f"{type(random_state).__name__}")


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
    """Estimator parameters from :func:`params_to_json`'s data, with *groups*.

    Files written before the ``likelihood`` parameter hold Gaussian models.
    """
    out = {"likelihood": "gaussian", "dof": None, **params, "groups": groups}
    for key in ("generator_hidden", "encoder_hidden"):
        out[key] = tuple(out[key])
    return out
