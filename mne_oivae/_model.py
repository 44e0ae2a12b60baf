"""Torch modules of oi-VAE: amortised encoder and batched group generators.

All groups are computed with one set of batched tensor operations. Groups are
reordered internally into a few *buckets* of similar size; each bucket's output
layer is one batched matmul padded to the bucket's largest group, so unequal
group sizes (1-3 joint angles, 20-700 vertices per region) cost a handful of
kernels per step instead of one per group. During training the generators
and the Gaussian likelihood are one fused, cache-blocked operation on a padded
copy of the minibatch (:mod:`mne_oivae._fused`,
:meth:`OIVAEModule.expected_log_likelihood`): the generator means are never
materialised, so a step makes a few passes over the minibatch.
"""

import math

import numpy as np
import torch
from torch import nn

from ._fused import (ACTIVATIONS, GeneratorSpec, gaussian_log_likelihood, hidden_layers,
                     posterior)

_LOG_2PI = math.log(2 * math.pi)


class GroupLayout:
    """Internal order of groups and features, and the size buckets of the output layer.

    Parameters
    ----------
    indices : list of ndarray
        Feature indices of every group (original order).
    bucket_cost : float | None
        Padding cells a bucket must save to be worth one more batched matmul;
        ``None`` uses ``max(8, n_features / 20)``. The estimator passes
        :func:`bucket_cost_for` of its minibatch size.
    """

    def __init__(self, indices, bucket_cost=None):
        sizes = np.array([len(i) for i in indices])
        n_features = int(sizes.sum())
        cost = max(8.0, n_features / 20) if bucket_cost is None else bucket_cost
        order = np.argsort(-sizes, kind="stable")
        bounds = _optimal_buckets(sizes[order], cost)
        self.group_order = order  # internal group position -> original group index
        self.buckets = []  # (first group, stop group, padded width, valid flat columns)
        for start, stop in zip(bounds[:-1], bounds[1:]):
            width = int(sizes[order[start]])
            valid = np.concatenate([g * width + np.arange(sizes[order[start + g]])
                                    for g in range(stop - start)])
            self.buckets.append((int(start), int(stop), width,
                                 None if valid.size == (stop - start) * width else valid))
        self.feature_order = np.concatenate([indices[g] for g in order])
        self.is_identity_order = bool(np.array_equal(self.feature_order,
                                                     np.arange(n_features)))
        self.sizes = sizes[order]
        self.n_features = n_features


def _optimal_buckets(sorted_sizes, cost):
    """Split sizes (descending) into contiguous buckets minimising padded cells + cost."""
    n = len(sorted_sizes)
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    prev = np.zeros(n + 1, dtype=int)
    for stop in range(1, n + 1):
        for start in range(stop):
            total = best[start] + (stop - start) * sorted_sizes[start] + cost
            if total < best[stop]:
                best[stop], prev[stop] = total, start
    bounds = [n]
    while bounds[-1] > 0:
        bounds.append(prev[bounds[-1]])
    return bounds[::-1]


def bucket_cost_for(n_rows, out_width):
    """Padding cells that cost as much time as one more output bucket.

    A bucket adds about a dozen kernel launches (~0.1 ms on a CPU); a padded
    cell costs ``n_rows`` rows of arithmetic (``6 * out_width`` flops forward
    and backward) and of memory traffic (a few passes of 4 bytes), so small
    minibatches favour few wide buckets and large ones many tight buckets.

    Parameters
    ----------
    n_rows : int
        Rows of the output layer per step (minibatch size times MC samples).
    out_width : int
        Input width of the output layer (last hidden width, or p if affine).

    Returns
    -------
    cost : float
    """
    return max(1.0, 5e5 / (n_rows * (out_width + 28)))


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
            for start, stop, width, _ in layout.buckets:
                # Padding columns of a bucket are held at zero: no output, no prior.
                mask = (torch.arange(width)[None, :]
                        < torch.as_tensor(layout.sizes[start:stop])[:, None])
                self.register_buffer(f"out_mask_{start}", mask[:, None, :].float())
                weight = uniform(stop - start, widths[-1], width, fan_in=widths[-1])
                with torch.no_grad():
                    weight.mul_(mask[:, None, :])
                self.out_weights.append(weight)
        self._bucket_features = [int(layout.sizes[start:stop].sum())
                                 for start, stop, _, _ in layout.buckets]
        if self.identity:  # one bucket: all features, loaded by z directly
            self._spec = GeneratorSpec.from_buckets([(0, 1)], [n_feat], self.activation)
        else:
            self._spec = GeneratorSpec.from_buckets(
                [(a, b) for a, b, *_ in layout.buckets],
                [width for *_, width, _ in layout.buckets], self.activation,
                activate_input)
        self.feature_bias = nn.Parameter(torch.zeros(n_feat))
        self.log_var = nn.Parameter(torch.zeros(n_feat))
        # A feature that never varies (a finger channel in motion capture) would
        # otherwise drive its variance to 0 and its likelihood to infinity, and
        # dominate the fit; the estimator sets the floor from the data's scale.
        self.register_buffer("noise_floor", torch.zeros(()))
        self._register_padding(p)

    def _register_padding(self, p):
        """Where every internal feature sits in the padded output layout.

        The padded layout is the buckets' outputs side by side, each bucket
        (n, groups, width) flattened, so it has ``n_padded`` columns;
        ``padded_position`` gives the column of every internal feature (``None``
        when there is no padding). Identity generators are one unpadded bucket
        and use ``loading_rows``: the row of W, reshaped to (G * p, K), that
        loads each feature.
        """
        sizes = self.layout.sizes
        self.n_padded = self._spec.blocks[-1][3]
        position = None
        if self.identity:
            rows = np.concatenate([g * p + np.arange(s) for g, s in enumerate(sizes)])
            self.register_buffer("loading_rows", torch.as_tensor(rows), persistent=False)
        elif self.n_padded > self.layout.n_features:
            position = np.concatenate([
                start + (np.arange(stop - start) if valid is None else valid)
                for (_, _, start, stop, _), (*_, valid) in zip(self._spec.blocks,
                                                               self.layout.buckets)])
        self.register_buffer("padded_position",
                             None if position is None else torch.as_tensor(position),
                             persistent=False)

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

        The generators compute ``f(u[a:b]^T) @ V`` per bucket. Identity
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
                                        self.activation, a, b,
                                        activate_input=self._spec.activate_input)[-1],
                          V).transpose(0, 1)
                .reshape(n, -1) for (a, b, *_), V in zip(self._spec.blocks, weights)]
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
        for (start, *_), weight in zip(self.layout.buckets, self.out_weights):
            sq = sq + total(weight.pow(2) * getattr(self, f"out_mask_{start}"))
        count = sum(p.shape[lead:].numel() for p in params) + sum(
            w.shape[lead + 1] * int(s) for w, s in zip(self.out_weights, self._bucket_features))
        return -0.5 * sq / prior_scale**2 - count * (math.log(prior_scale) + 0.5 * _LOG_2PI)

    def group_norms(self):
        """||W(g)[:, j]||_2 for every (internal group g, component j): (..., G, K)."""
        return torch.linalg.vector_norm(self.W.detach(), dim=-2)

    def loading_matrix(self):
        """x = M z + b + noise for affine or identity generators: M, (n_features, K)."""
        eye = torch.eye(self.W.shape[-1], dtype=self.W.dtype, device=self.W.device)
        return (self.decode(eye) - self.decode(torch.zeros_like(eye))).T
