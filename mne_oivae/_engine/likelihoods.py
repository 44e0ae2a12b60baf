"""Observation models p(x | f(z)): log-density, sampling and initialisation, each in one place.

Every likelihood factorises over features, with per-feature noise parameters
that live on the :class:`~mne_oivae._engine.network.Network` (one set per
replica) and a noise floor: the scale of a feature never falls below
``noise_floor`` (see :meth:`Likelihood.init_from_data`).

- :class:`Gaussian`: x_f ~ N(mean_f, var_f). Training uses the fused
  generator-and-likelihood kernel (:mod:`mne_oivae._engine.kernels`): the
  generator means are never materialised.
- :class:`StudentT`: x_f ~ mean_f + s_f t_nu, a Student-t with scale s_f and
  nu_f degrees of freedom (learned per feature, or one value set by the
  user). Its heavy tails give outliers (an all-zero motion-capture frame, an
  artefact in a source time course) a logarithmic, not a quadratic, cost.
  Training computes the means and lets autograd differentiate the density.
"""

import math

import numpy as np
import torch
from scipy.special import stdtrit

from .kernels import gaussian_log_likelihood

_LOG_2PI = math.log(2 * math.pi)
#: Degrees of freedom a learned Student-t starts from.
INITIAL_DOF = 10.0


class Likelihood:
    """The observation model of a network: a per-feature density with noise parameters.

    Subclasses name their parameters (``parameter_names``, each one value
    per feature) and implement :meth:`sample`, the density of one replica
    (:meth:`log_prob_elements`, or :meth:`log_prob` directly) and that of all
    replicas in training (:meth:`replicas_log_prob_elements`, or
    :meth:`expected_log_likelihood` directly, as the fused Gaussian does).
    """

    parameter_names = ("log_var",)

    def initial_parameters(self, n_features):
        """One replica's noise parameters before :meth:`init_from_data`."""
        return {name: torch.zeros(n_features) for name in self.parameter_names}

    @torch.no_grad()
    def init_from_data(self, network, replica, var, floor):
        """Start a replica's noise at the data's variance *var* (float64, internal order).

        *floor* (a float) is the least noise variance of a feature.
        """
        network.noise_floor[replica] = floor
        network.part("log_var", replica=replica).copy_(torch.log(var.clamp(min=floor)))

    def variance(self, network):
        """Squared noise scales of every replica and feature, (R, n_features)."""
        return (torch.exp(network.log_var).view(network.n_replicas, -1)
                + network.noise_floor[:, None])

    def log_prob_elements(self, network, x, mean):
        """log p(x_f | mean_f) of every element, replica 0's parameters; broadcasts."""
        raise NotImplementedError

    def log_prob(self, network, x, mean):
        """log p(x | mean) of one replica, summed over the features (last axis)."""
        return self.log_prob_elements(network, x, mean).sum(-1)

    def replicas_log_prob_elements(self, network, x, mean):
        """log p(x_f | mean_f) of every element, (m, R * n_features) with *mean*'s layout."""
        raise NotImplementedError

    def sample(self, network, mean, generator):
        """Draws of p(x | mean) of one replica, noise from *generator* (on the CPU)."""
        raise NotImplementedError

    def expected_log_likelihood(self, network, x_padded, z):
        """Mean over rows of log p(x | z) of every replica, (R,); see Network."""
        x = x_padded if network.padded_position is None else x_padded[
            :, network.padded_position]
        n_rep = network.n_replicas
        mean = network.means(z)
        elements = self.replicas_log_prob_elements(network, x, mean)
        return elements.view(len(x), n_rep, -1).sum(-1).mean(0)


class Gaussian(Likelihood):
    """x_f ~ N(mean_f, var_f), var_f = exp(log_var_f) + noise_floor."""

    def log_prob(self, network, x, mean):
        var = self.variance(network)[0]
        quad = ((x - mean) ** 2 / var).sum(-1)
        return -0.5 * (quad + torch.log(var).sum() + x.shape[-1] * _LOG_2PI)

    def sample(self, network, mean, generator):
        noise = torch.randn(mean.shape, generator=generator)
        return mean + noise.to(mean.device) * self.variance(network)[0].sqrt()

    def expected_log_likelihood(self, network, x_padded, z):
        u, out_weights = network.generator_inputs(z)
        weights, biases = network.generator_layers()
        return gaussian_log_likelihood(
            x_padded, u, network.feature_bias, network.log_var,
            network.feature_floors(), network.padded_position, network.generator_spec,
            weights, biases, out_weights)


class StudentT(Likelihood):
    """x_f = mean_f + s_f t with t ~ Student-t(nu_f); s_f^2 = exp(log_var_f) + noise_floor.

    Parameters
    ----------
    dof : float | None
        Degrees of freedom of every feature; ``None`` learns one per feature
        (``log_dof``), from :data:`INITIAL_DOF`.
    """

    def __init__(self, dof=None):
        self.dof = dof
        self.parameter_names = ("log_var",) if dof is not None else ("log_var", "log_dof")

    def initial_parameters(self, n_features):
        params = super().initial_parameters(n_features)
        if self.dof is None:
            params["log_dof"] = torch.full((n_features,), math.log(INITIAL_DOF))
        return params

    def degrees_of_freedom(self, network):
        """nu of every replica and feature, (R, n_features) (or a float when set)."""
        if self.dof is not None:
            return self.dof
        return torch.exp(network.log_dof).view(network.n_replicas, -1)

    def _elements(self, x, mean, scale_sq, nu):
        if not torch.is_tensor(nu):
            nu = torch.as_tensor(nu, dtype=x.dtype, device=x.device)
        half = (nu + 1) / 2
        return (torch.lgamma(half) - torch.lgamma(nu / 2)
                - 0.5 * torch.log(math.pi * nu * scale_sq)
                - half * torch.log1p((x - mean) ** 2 / (nu * scale_sq)))

    def log_prob_elements(self, network, x, mean):
        nu = self.degrees_of_freedom(network)
        return self._elements(x, mean, self.variance(network)[0],
                              nu if not torch.is_tensor(nu) else nu[0])

    def replicas_log_prob_elements(self, network, x, mean):
        nu = self.degrees_of_freedom(network)
        return self._elements(x, mean, self.variance(network).view(-1),
                              nu if not torch.is_tensor(nu) else nu.view(-1))

    def sample(self, network, mean, generator):
        uniform = torch.rand(mean.shape, generator=generator, dtype=torch.float64)
        nu = self.degrees_of_freedom(network)
        nu = np.asarray(nu if not torch.is_tensor(nu) else nu[0].detach().cpu().double())
        # inverse CDF: draws from the seeded torch generator, like the Gaussian's
        t = torch.as_tensor(stdtrit(nu, uniform.numpy().clip(1e-12, 1 - 1e-12)))
        return mean + t.to(mean) * self.variance(network)[0].sqrt()


def make_likelihood(name, dof=None):
    """The :class:`Likelihood` called *name* (a key of :data:`LIKELIHOODS`)."""
    return LIKELIHOODS[name](dof) if name == "student_t" else LIKELIHOODS[name]()


#: The observation models, by the name of the estimator's ``likelihood`` parameter.
LIKELIHOODS = {"gaussian": Gaussian, "student_t": StudentT}
