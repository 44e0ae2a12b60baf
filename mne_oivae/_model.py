"""Torch modules of oi-VAE: amortised encoder and batched group generators.

All groups are computed with one set of batched tensor operations. Groups are
reordered internally into a few *buckets* of similar size
(:mod:`mne_oivae._layout`); each bucket's output layer is one batched matmul
padded to the bucket's largest group, so unequal group sizes (1-3 joint angles,
20-700 vertices per region) cost a handful of kernels per step instead of one
per group. Files hold the parameters in a canonical form that does not depend
on the buckets (:meth:`OIVAEModule.canonical_state`). During training the generators
and the Gaussian likelihood are one fused, cache-blocked operation on a padded
copy of the minibatch (:mod:`mne_oivae._fused`,
:meth:`OIVAEModule.expected_log_likelihood`): the generator means are never
materialised, so a step makes a few passes over the minibatch.
"""

import math

import torch
from torch import nn

from ._fused import (ACTIVATIONS, GeneratorSpec, Workspace, gaussian_log_likelihood,
                     hidden_layers, posterior)
from ._layout import GroupLayout, bucket_cost_for

_LOG_2PI = math.log(2 * math.pi)


class OIVAEModule(nn.Module):
    """oi-VAE network: q(z|x) = N(mu(x), sigma(x)^2) and x(g) ~ N(f_g(W(g) z), D_g).

    The encoder reads features in the caller's order; the generators and the
    likelihood run in the layout's internal order, into which the estimator
    permutes data on the way in and out.

    Parameters
    ----------
    layout : GroupLayout
    n_components : int
        Latent dimension K.
    group_latent_dim : int | None
        Rows p of every W(g). ``None`` makes the generators the identity
        (W(g) is d_g x K): the group-sparse linear factor model.
    generator_hidden : tuple of int
        Hidden widths of every f_g; ``()`` makes f_g affine.
    encoder_hidden : tuple of int
        Hidden widths of the inference network; ``()`` is linear (the paper's).
    activation : str
        Nonlinearity of hidden layers.
    generator : torch.Generator
        Source of the random initialisation.
    activate_input : bool
        Apply ``activation`` to W(g) z before the first layer: with no hidden
        layers, f_g(u) = V_g tanh(u) + b_g (the paper's motion-capture model).
    """

    def __init__(self, layout, n_components, group_latent_dim, generator_hidden,
                 encoder_hidden, activation, generator, activate_input=False):
        super().__init__()
        self.layout = layout
        self.activation = ACTIVATIONS[activation]
        n_groups, n_feat, k = len(layout.sizes), layout.n_features, n_components
        self.identity = group_latent_dim is None
        p = int(layout.sizes.max()) if self.identity else group_latent_dim

        def uniform(*shape, fan_in):
            bound = 1.0 / math.sqrt(fan_in)
            return nn.Parameter((torch.rand(*shape, generator=generator) * 2 - 1) * bound)

        # Encoder weights are (out, in), as in torch.nn.Linear, and the first
        # layer's inputs are the features in the caller's order: training feeds
        # minibatches as they are, and the weight gradient g^T x is the faster
        # orientation of that (large) matmul.
        widths = [n_feat, *encoder_hidden]
        self.enc_weights = nn.ParameterList(
            [uniform(b, a, fan_in=a) for a, b in zip(widths[:-1], widths[1:])])
        self.enc_biases = nn.ParameterList(
            [uniform(b, fan_in=a) for a, b in zip(widths[:-1], widths[1:])])
        self.enc_out_weight = uniform(2 * k, widths[-1], fan_in=widths[-1])
        self.enc_out_bias = nn.Parameter(torch.zeros(2 * k))

        # W(g) stored as (G, p, K): column j of W(g) is W[g, :, j]. Unit-scale
        # entries (as in the reference code) keep early proximal steps from
        # pruning columns before the likelihood has shaped them.
        self.W = nn.Parameter(torch.randn(n_groups, p, k, generator=generator))
        if self.identity:
            with torch.no_grad():
                self.W.mul_(torch.arange(p)[None, :, None]
                            < torch.as_tensor(layout.sizes)[:, None, None])

        widths = [p, *generator_hidden]
        self.gen_weights = nn.ParameterList(
            [uniform(n_groups, a, b, fan_in=a) for a, b in zip(widths[:-1], widths[1:])])
        self.gen_biases = nn.ParameterList(
            [uniform(n_groups, 1, b, fan_in=a) for a, b in zip(widths[:-1], widths[1:])])
        self.out_weights = nn.ParameterList()
        if not self.identity:
            for bucket in layout.buckets:
                # Padding columns of a bucket are held at zero: no output, no prior.
                mask = torch.as_tensor(layout.padding_mask(bucket))
                weight = uniform(bucket.n_groups, widths[-1], bucket.width, fan_in=widths[-1])
                with torch.no_grad():
                    weight.mul_(mask[:, None, :])
                self.out_weights.append(weight)
        self.feature_bias = nn.Parameter(torch.zeros(n_feat))
        self.log_var = nn.Parameter(torch.zeros(n_feat))
        # A feature that never varies (a finger channel in motion capture) would
        # otherwise drive its variance to 0 and its likelihood to infinity, and
        # dominate the fit; init_output_statistics sets the floor from the data's scale.
        self.register_buffer("noise_floor", torch.zeros(()))
        if self.identity:  # one bucket: all features, loaded by z directly
            self.register_buffer("loading_rows", torch.as_tensor(layout.loading_rows(p)),
                                 persistent=False)
        self._set_padded_layout(layout.unpadded() if self.identity else layout.padded(),
                                activate_input)

    def _set_padded_layout(self, padded, activate_input, n_replicas=1):
        """The generators' buckets, and where every feature sits in their outputs."""
        self.padded = padded
        self._spec = GeneratorSpec(padded.buckets, self.activation, Workspace(),
                                   activate_input, n_replicas)
        self.n_padded = padded.n_padded
        self.register_buffer("padded_position", None if padded.position is None
                             else torch.as_tensor(padded.position), persistent=False)

    # -- parameter groups ----------------------------------------------------
    def encoder_parameters(self):
        return [*self.enc_weights, *self.enc_biases, self.enc_out_weight, self.enc_out_bias]

    def generator_parameters(self):
        """Parameters of the f_g, which carry the N(0, prior_scale^2) prior."""
        return [*self.gen_weights, *self.gen_biases, *self.out_weights, self.feature_bias]

    # -- forward -------------------------------------------------------------
    def encoder_head(self, x):
        """Output of the inference network, (n, 2K): see :func:`posterior`.

        *x* has the features in the caller's order, not the internal one.
        """
        h = x
        for weight, bias in zip(self.enc_weights, self.enc_biases):
            h = self.activation.function(torch.addmm(bias, h, weight.T))
        return torch.addmm(self.enc_out_bias, h, self.enc_out_weight.T)

    def encode(self, x):
        """Mean and standard deviation of q(z|x), each (n, K); caller's feature order."""
        return posterior(self.encoder_head(x))

    def _generator_inputs(self, z):
        """u = W(g) z^T (G, p, n) and the output weights V (one per bucket).

        The generators compute ``f(u[bucket.groups]^T) @ V`` per bucket. Identity
        generators are one bucket: u = z^T and V = the loadings.
        """
        n, k = z.shape
        if self.identity:
            loadings = self.W.reshape(-1, k).index_select(0, self.loading_rows)
            return z.T[None], [loadings.T[None]]
        u = torch.mm(self.W.reshape(-1, k), z.T).view(*self.W.shape[:2], n)
        return u, list(self.out_weights)

    def decode(self, z):
        """Mean of p(x|z) in internal feature order, (n, n_features)."""
        n = z.shape[0]
        u, weights = self._generator_inputs(z)
        outs = [torch.bmm(hidden_layers(u, self.gen_weights, self.gen_biases,
                                        self.activation, bucket.groups,
                                        activate_input=self._spec.activate_input)[-1],
                          V).transpose(0, 1)
                .reshape(n, -1) for bucket, V in zip(self._spec.buckets, weights)]
        out = outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)
        if self.padded_position is not None:
            out = out[:, self.padded_position]
        return out + self.feature_bias

    def expected_log_likelihood(self, x_padded, z):
        """Mean over rows of log p(x | z), fused with the generators.

        Parameters
        ----------
        x_padded : Tensor, (n, n_padded)
            Observations in the padded layout (feature f in column
            ``padded_position[f]``, any finite value in padding columns), one
            row per row of *z*, contiguous. **Overwritten** with residuals.
        z : Tensor, (n, K)

        Returns
        -------
        log_lik : Tensor, scalar
        """
        u, weights = self._generator_inputs(z)
        return gaussian_log_likelihood(
            x_padded, u, self.feature_bias, self.log_var, self.noise_floor,
            self.padded_position, self._spec, list(self.gen_weights), list(self.gen_biases),
            weights)[0]

    def release_workspace(self):
        """Free the scratch memory of :meth:`expected_log_likelihood`."""
        self._spec.workspace.clear()

    def noise_variance(self):
        """Diagonal of D: learned variances above a floor (see ``noise_floor``)."""
        return torch.exp(self.log_var) + self.noise_floor

    def log_likelihood(self, x, mean):
        """log N(x; mean, diag(noise_variance())) summed over features; broadcasts."""
        var = self.noise_variance()
        quad = ((x - mean) ** 2 / var).sum(-1)
        return -0.5 * (quad + torch.log(var).sum() + x.shape[-1] * _LOG_2PI)

    def log_prior_theta(self, prior_scale):
        """log N(theta; 0, prior_scale^2 I) of the generator parameters.

        A scalar, or one value per replica when the parameters carry a leading
        replica dimension (:class:`mne_oivae._replicas.ReplicaModule`).
        """
        lead = self.W.dim() - 3

        def total(t):
            return t.sum(tuple(range(lead, t.dim())))

        params = [*self.gen_weights, *self.gen_biases, self.feature_bias]
        sq = sum(total(p.pow(2)) for p in params)
        for bucket, weight in zip(self.layout.buckets, self.out_weights):
            mask = torch.as_tensor(self.layout.padding_mask(bucket), device=weight.device)
            sq = sq + total(weight.pow(2) * mask[:, None, :])
        # the output layers' weights without padding: (input width) x (features)
        n_out = 0 if self.identity else self.out_weights[0].shape[-2] * self.layout.n_features
        count = sum(p.shape[lead:].numel() for p in params) + n_out
        return -0.5 * sq / prior_scale**2 - count * (math.log(prior_scale) + 0.5 * _LOG_2PI)

    # -- canonical form ------------------------------------------------------
    def canonical_state(self, state=None):
        """The parameters in the form files hold: independent of the layout.

        Per-group parameters (W, the generators' hidden layers) have the groups
        in their original order; per-feature ones have the features in the
        caller's order on their last axis, without padding: the output bias,
        the noise variances, the output layers as one (width, n_features)
        matrix ``out_weight`` and, for identity generators, W as one
        (K, n_features) matrix ``loadings``.

        Parameters
        ----------
        state : dict of Tensor | None
            Tensors named and shaped as the module's parameters and buffers
            (Adam's moments, say); ``None`` is the module's state dict.

        Returns
        -------
        canonical : dict of Tensor
        """
        state = self.state_dict() if state is None else state
        canonical, out_weights = {}, []
        for name, value in state.items():
            value = value.detach().cpu()
            if name.startswith("out_weights."):
                out_weights.append(value)
            elif name == "W" and self.identity:
                canonical["loadings"] = self.layout.loadings_to_canonical(value)
            else:
                canonical[name] = self._reorderings(name)[0](value)
        if out_weights:
            canonical["out_weight"] = self.layout.unpad(out_weights)
        return canonical

    def internal_state(self, canonical):
        """The tensors of :meth:`canonical_state` in this module's names, shapes, layout.

        Parameters
        ----------
        canonical : dict of array-like

        Returns
        -------
        state : dict of Tensor
        """
        state = {}
        for name, value in canonical.items():
            value = torch.as_tensor(value)
            if name == "out_weight":
                state.update({f"out_weights.{i}": w
                              for i, w in enumerate(self.layout.pad(value))})
            elif name == "loadings":
                state["W"] = self.layout.loadings_from_canonical(value, self.W.shape[-2])
            else:
                state[name] = self._reorderings(name)[1](value)
        return state

    def _reorderings(self, name):
        """(to canonical, from canonical) of a parameter that is not padded."""
        if name in ("feature_bias", "log_var"):
            return self.layout.features_to_canonical, self.layout.features_from_canonical
        if name == "W" or name.startswith(("gen_weights.", "gen_biases.")):
            return self.layout.groups_to_canonical, self.layout.groups_from_canonical
        return _unchanged, _unchanged

    def group_norms(self):
        """||W(g)[:, j]||_2 for every (internal group g, component j): (..., G, K)."""
        return torch.linalg.vector_norm(self.W.detach(), dim=-2)

    def loading_matrix(self):
        """x = M z + b + noise for affine or identity generators: M, (n_features, K)."""
        eye = torch.eye(self.W.shape[-1], dtype=self.W.dtype, device=self.W.device)
        return (self.decode(eye) - self.decode(torch.zeros_like(eye))).T


def _unchanged(value):
    return value


def layout_for(groups, params):
    """The group layout of a fit: output buckets sized for its minibatch.

    Parameters
    ----------
    groups : GroupSpec
    params : dict
        The estimator's validated parameters.

    Returns
    -------
    layout : GroupLayout
    """
    width = (params["generator_hidden"] or (params["group_latent_dim"] or 1,))[-1]
    rows = params["batch_size"] * params["mc_samples"]
    return GroupLayout(groups.indices, bucket_cost_for(rows, width))


def build_module(layout, params, seed=0):
    """A freshly initialised module of the estimator's architecture *params*."""
    return OIVAEModule(layout, params["n_components"],
                       params["group_latent_dim"], params["generator_hidden"],
                       params["encoder_hidden"], params["activation"],
                       torch.Generator().manual_seed(seed), params["activate_input"])


# Noise variances stay above this fraction of the mean feature variance. A feature
# that never varies (CMU's finger channels) otherwise gets a near-zero variance whose
# huge, noisy likelihood gradients shrink Adam's proximal threshold on its columns
# until they are never pruned (1e-3 was too small for that on walking data).
NOISE_FLOOR = 3e-2


@torch.no_grad()
def init_output_statistics(module, X_t, rows=None):
    """Start the output bias at the data mean and the noise at the data variance.

    The noise floor is :data:`NOISE_FLOOR` times the mean feature variance.
    *rows* (a tensor of row indices, or ``None`` for all) are the training rows.
    """
    mean = torch.zeros(X_t.shape[1], dtype=torch.float64, device=X_t.device)
    sq = torch.zeros_like(mean)
    size = max(1, 2**20 // X_t.shape[1])  # float64 temporaries stay small
    chunks = X_t.split(size) if rows is None else (
        X_t.index_select(0, block) for block in torch.as_tensor(rows, device=X_t.device)
        .split(size))
    for chunk in chunks:
        mean += chunk.sum(0, dtype=torch.float64)
        sq += chunk.double().pow(2).sum(0)
    n = X_t.shape[0] if rows is None else len(rows)
    mean /= n
    var = (sq / n - mean.pow(2)).clamp(min=0)
    floor = NOISE_FLOOR * float(var.mean()) + 1e-12
    order = torch.as_tensor(module.layout.feature_order, device=X_t.device)
    module.feature_bias.copy_(mean[order])
    module.noise_floor.fill_(floor)
    module.log_var.copy_(torch.log(var[order].clamp(min=floor)))
