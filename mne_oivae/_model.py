"""Torch modules of oi-VAE: amortised encoder and batched group generators.

All groups are computed with one set of batched tensor operations. Groups are
reordered internally into a few *buckets* of similar size; each bucket's output
layer is one batched matmul padded to the bucket's largest group, so unequal
group sizes (1-3 joint angles, 20-700 vertices per region) cost a handful of
kernels per step instead of one per group.
"""

import math

import numpy as np
import torch
from torch import nn

_LOG_2PI = math.log(2 * math.pi)
ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "softplus": nn.functional.softplus,
               "elu": nn.functional.elu, "sigmoid": torch.sigmoid}


class GroupLayout:
    """Internal order of groups and features, and the size buckets of the output layer.

    Parameters
    ----------
    indices : list of ndarray
        Feature indices of every group (original order).
    bucket_cost : float | None
        Padding cells a bucket must save to be worth one more batched matmul;
        ``None`` uses ``max(8, n_features / 20)``.
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


class OIVAEModule(nn.Module):
    """oi-VAE network: q(z|x) = N(mu(x), sigma(x)^2) and x(g) ~ N(f_g(W(g) z), D_g).

    Everything runs in the layout's internal feature order; the estimator
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
    """

    def __init__(self, layout, n_components, group_latent_dim, generator_hidden,
                 encoder_hidden, activation, generator):
        super().__init__()
        self.layout = layout
        self.act = ACTIVATIONS[activation]
        n_groups, n_feat, k = len(layout.sizes), layout.n_features, n_components
        self.identity = group_latent_dim is None
        p = int(layout.sizes.max()) if self.identity else group_latent_dim

        def uniform(*shape, fan_in):
            bound = 1.0 / math.sqrt(fan_in)
            return nn.Parameter((torch.rand(*shape, generator=generator) * 2 - 1) * bound)

        widths = [n_feat, *encoder_hidden]
        self.enc_weights = nn.ParameterList(
            [uniform(a, b, fan_in=a) for a, b in zip(widths[:-1], widths[1:])])
        self.enc_biases = nn.ParameterList(
            [uniform(b, fan_in=a) for a, b in zip(widths[:-1], widths[1:])])
        self.enc_out_weight = uniform(widths[-1], 2 * k, fan_in=widths[-1])
        self.enc_out_bias = nn.Parameter(torch.zeros(2 * k))

        # W(g) stored as (G, p, K): column j of W(g) is W[g, :, j]. Unit-scale
        # entries (as in the reference code) keep early proximal steps from
        # pruning columns before the likelihood has shaped them.
        self.W = nn.Parameter(torch.randn(n_groups, p, k, generator=generator))
        if self.identity:
            mask = torch.arange(p)[None, :] < torch.as_tensor(layout.sizes)[:, None]
            self.register_buffer("W_mask", mask[:, :, None].to(self.W.dtype))
            with torch.no_grad():
                self.W.mul_(self.W_mask)
        else:
            self.W_mask = None

        widths = [p, *generator_hidden]
        self.gen_weights = nn.ParameterList(
            [uniform(n_groups, a, b, fan_in=a) for a, b in zip(widths[:-1], widths[1:])])
        self.gen_biases = nn.ParameterList(
            [uniform(n_groups, 1, b, fan_in=a) for a, b in zip(widths[:-1], widths[1:])])
        if self.identity:
            self.out_weights = nn.ParameterList()
        else:
            self.out_weights = nn.ParameterList()
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
        self.feature_bias = nn.Parameter(torch.zeros(n_feat))
        self.log_var = nn.Parameter(torch.zeros(n_feat))
        for start, stop, width, valid in layout.buckets:
            if valid is not None:
                self.register_buffer(f"valid_{start}", torch.as_tensor(valid))
        if self.identity:
            flat = np.concatenate([g * p + np.arange(s) for g, s in enumerate(layout.sizes)])
            self.register_buffer("identity_valid", torch.as_tensor(flat))

    # -- parameter groups ----------------------------------------------------
    def encoder_parameters(self):
        return [*self.enc_weights, *self.enc_biases, self.enc_out_weight, self.enc_out_bias]

    def generator_parameters(self):
        """Parameters of the f_g, which carry the N(0, prior_scale^2) prior."""
        return [*self.gen_weights, *self.gen_biases, *self.out_weights, self.feature_bias]

    # -- forward -------------------------------------------------------------
    def encode(self, x, std_multiplier=1.0):
        """Mean and standard deviation of q(z|x), each (n, K)."""
        h = x
        for weight, bias in zip(self.enc_weights, self.enc_biases):
            h = self.act(torch.addmm(bias, h, weight))
        out = torch.addmm(self.enc_out_bias, h, self.enc_out_weight)
        mu, raw = out.chunk(2, dim=-1)
        return mu, (nn.functional.softplus(raw) + 1e-4) * std_multiplier

    def decode(self, z):
        """Mean of p(x|z) in internal feature order, (n, n_features)."""
        W = self.W if self.W_mask is None else self.W * self.W_mask
        h = torch.matmul(z, W.transpose(1, 2))  # (G, n, p)
        if self.identity:
            out = h.transpose(0, 1).reshape(z.shape[0], -1)[:, self.identity_valid]
            return out + self.feature_bias
        for weight, bias in zip(self.gen_weights, self.gen_biases):
            h = self.act(torch.baddbmm(bias, h, weight))
        outs = []
        for (start, stop, width, valid), weight in zip(self.layout.buckets, self.out_weights):
            y = torch.bmm(h[start:stop], weight).transpose(0, 1)
            y = y.reshape(z.shape[0], -1)
            outs.append(y if valid is None else y[:, getattr(self, f"valid_{start}")])
        out = outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)
        return out + self.feature_bias

    def log_likelihood(self, x, mean):
        """log N(x; mean, diag(exp(log_var))) summed over features; broadcasts."""
        inv_var = torch.exp(-self.log_var)
        quad = ((x - mean) ** 2 * inv_var).sum(-1)
        return -0.5 * (quad + self.log_var.sum() + x.shape[-1] * _LOG_2PI)

    def log_prior_theta(self, prior_scale):
        """log N(theta; 0, prior_scale^2 I) of the generator parameters."""
        params = [*self.gen_weights, *self.gen_biases, self.feature_bias]
        sq = sum(p.pow(2).sum() for p in params)
        for (start, *_), weight in zip(self.layout.buckets, self.out_weights):
            sq = sq + (weight.pow(2) * getattr(self, f"out_mask_{start}")).sum()
        count = sum(p.numel() for p in params) + sum(
            w.shape[1] * int(s) for w, s in zip(self.out_weights, self._bucket_features))
        return -0.5 * sq / prior_scale**2 - count * (math.log(prior_scale) + 0.5 * _LOG_2PI)

    def group_norms(self):
        """||W(g)[:, j]||_2 for every (internal group g, component j): (G, K)."""
        return torch.linalg.vector_norm(self.W.detach(), dim=1)

    def loading_matrix(self):
        """x = M z + b + noise for affine or identity generators: M, (n_features, K)."""
        eye = torch.eye(self.W.shape[-1], dtype=self.W.dtype, device=self.W.device)
        return (self.decode(eye) - self.decode(torch.zeros_like(eye))).T
