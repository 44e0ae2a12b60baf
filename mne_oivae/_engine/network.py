"""The oi-VAE network: amortised encoder and batched group generators, R replicas at once.

A :class:`Network` holds R independent models of one architecture: every
parameter is the replicas' parameters concatenated along its first axis
(replica r's part is ``view(R, *shape)[r]``, see :meth:`Network.part`). A fitted
estimator holds one replica, whose parameters then have exactly the shapes of a
single model, so a single fit runs plain matmuls on its parameters as they are.
Restarts, lam paths and cross-validation folds train many together
(:mod:`mne_oivae._engine.training`): a bucket of the generators is then one
batched matmul over its groups of all replicas, which the concatenation along
the group axis already lists replica by replica.

Groups are reordered internally into a few *buckets* of similar size
(:mod:`mne_oivae._engine.layout`); each bucket's output layer is one batched
matmul padded to the bucket's largest group, so unequal group sizes (1-3 joint
angles, 20-700 vertices per region) cost a handful of kernels per step instead
of one per group. Files hold the parameters of one replica in a canonical form
that does not depend on the buckets (:meth:`Network.canonical_state`).
"""

import math
from dataclasses import dataclass

import torch
from torch import nn

from .kernels import ACTIVATIONS, GeneratorSpec, Workspace, hidden_layers, posterior
from .layout import GroupLayout, bucket_cost_for
from .likelihoods import make_likelihood

_LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class Architecture:
    """The shapes of a network: what files and checkpoints must agree on.

    Attributes
    ----------
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
    activate_input : bool
        Apply ``activation`` to W(g) z before the first layer: with no hidden
        layers, f_g(u) = V_g tanh(u) + b_g (the paper's motion-capture model).
    likelihood : str
        Observation model p(x | f(z)): a key of
        :data:`mne_oivae._engine.likelihoods.LIKELIHOODS`.
    dof : float | None
        Degrees of freedom of a Student-t likelihood; ``None`` learns them.

    Examples
    --------
    >>> from mne_oivae.engine import Architecture
    >>> deep = Architecture(n_components=20, group_latent_dim=4, generator_hidden=(16,),
    ...                     encoder_hidden=(32,), activation="tanh")
    """

    n_components: int
    group_latent_dim: int | None
    generator_hidden: tuple
    encoder_hidden: tuple
    activation: str
    activate_input: bool = False
    likelihood: str = "gaussian"
    dof: float | None = None


# Noise variances stay above this fraction of the mean feature variance. A feature
# that never varies (CMU's finger channels) otherwise gets a near-zero variance whose
# huge, noisy likelihood gradients shrink Adam's proximal threshold on its columns
# until they are never pruned (1e-3 was too small for that on walking data).
NOISE_FLOOR = 3e-2


def layout_for(indices, architecture, rows):
    """The group layout of a fit: output buckets sized for *rows* per minibatch.

    Parameters
    ----------
    indices : list of array of int
        Feature indices of every group.
    architecture : Architecture
    rows : int
        Rows of a training step's likelihood (minibatch times samples of z).

    Returns
    -------
    layout : GroupLayout
    """
    a = architecture
    width = (a.generator_hidden or (a.group_latent_dim or 1,))[-1]
    return GroupLayout(indices, bucket_cost_for(rows, width))


def _initial_parameters(layout, a, generator):
    """One replica's freshly initialised parameters, in the network's order."""
    n_groups, n_feat, k = len(layout.sizes), layout.n_features, a.n_components
    p = _rows_of_w(layout, a)

    def uniform(*shape, fan_in):
        bound = 1.0 / math.sqrt(fan_in)
        return (torch.rand(*shape, generator=generator) * 2 - 1) * bound

    # Encoder weights are (out, in), as in torch.nn.Linear, and the first
    # layer's inputs are the features in the caller's order: training feeds
    # minibatches as they are, and the weight gradient g^T x is the faster
    # orientation of that (large) matmul.
    widths = [n_feat, *a.encoder_hidden]
    pairs = list(zip(widths[:-1], widths[1:]))
    params = {f"enc_weights.{i}": uniform(b, c, fan_in=c) for i, (c, b) in enumerate(pairs)}
    params.update({f"enc_biases.{i}": uniform(b, fan_in=c) for i, (c, b) in enumerate(pairs)})
    params["enc_out_weight"] = uniform(2 * k, widths[-1], fan_in=widths[-1])
    params["enc_out_bias"] = torch.zeros(2 * k)
    # W(g) stored as (G, p, K): column j of W(g) is W[g, :, j]. Unit-scale
    # entries (as in the reference code) keep early proximal steps from
    # pruning columns before the likelihood has shaped them.
    W = torch.randn(n_groups, p, k, generator=generator)
    if a.group_latent_dim is None:
        W.mul_(torch.arange(p)[None, :, None] < torch.as_tensor(layout.sizes)[:, None, None])
    params["W"] = W
    widths = [p, *a.generator_hidden]
    pairs = list(zip(widths[:-1], widths[1:]))
    params.update({f"gen_weights.{i}": uniform(n_groups, c, b, fan_in=c)
                   for i, (c, b) in enumerate(pairs)})
    params.update({f"gen_biases.{i}": uniform(n_groups, 1, b, fan_in=c)
                   for i, (c, b) in enumerate(pairs)})
    if a.group_latent_dim is not None:
        for i, bucket in enumerate(layout.buckets):
            # Padding columns of a bucket are held at zero: no output, no prior.
            mask = torch.as_tensor(layout.padding_mask(bucket))
            weight = uniform(bucket.n_groups, widths[-1], bucket.width, fan_in=widths[-1])
            params[f"out_weights.{i}"] = weight.mul_(mask[:, None, :])
    params["feature_bias"] = torch.zeros(n_feat)
    params.update(make_likelihood(a.likelihood, a.dof).initial_parameters(n_feat))
    return params


def _rows_of_w(layout, a):
    return int(layout.sizes.max()) if a.group_latent_dim is None else a.group_latent_dim


class Network(nn.Module):
    """R oi-VAE networks: q(z|x) = N(mu(x), sigma(x)^2) and x(g) ~ p(x(g) | f_g(W(g) z)).

    The encoder reads features in the caller's order; the generators and the
    likelihood run in the layout's internal order, into which callers permute
    data on the way in and out.

    Parameters
    ----------
    layout : GroupLayout
    architecture : Architecture
    seeds : sequence of int
        One per replica: the seed of its random initialisation.

    Examples
    --------
    >>> from mne_oivae.engine import Architecture, GroupLayout, Network
    >>> layout = GroupLayout([[0, 1], [2, 3, 4]])
    >>> network = Network(layout, Architecture(3, 1, (), (), "tanh"), seeds=[0, 1])
    >>> network.n_replicas
    2
    """

    def __init__(self, layout, architecture, seeds=(0,)):
        super().__init__()
        self.layout, self.architecture = layout, architecture
        self.activation = ACTIVATIONS[architecture.activation]
        self.likelihood = make_likelihood(architecture.likelihood, architecture.dof)
        self.identity = architecture.group_latent_dim is None
        self.n_replicas = n_rep = len(seeds)
        replicas = [_initial_parameters(layout, architecture,
                                        torch.Generator().manual_seed(int(seed)))
                    for seed in seeds]
        for owner in ("enc_weights", "enc_biases", "gen_weights", "gen_biases", "out_weights"):
            setattr(self, owner, nn.ParameterList())
        # one replica's shape of every parameter and buffer (see part())
        self.shapes = {name: tuple(value.shape) for name, value in replicas[0].items()}
        self.shapes["noise_floor"] = ()
        for name in replicas[0]:
            owner, _, leaf = name.rpartition(".")
            joined = nn.Parameter(torch.cat([r[name] for r in replicas]))
            if owner:  # the lists' parameters come in order
                getattr(self, owner).append(joined)
            else:
                setattr(self, leaf, joined)
        # A feature that never varies (a finger channel in motion capture) would
        # otherwise drive its variance to 0 and its likelihood to infinity, and
        # dominate the fit; the likelihood's init_from_data sets the floor from the
        # data's scale. One per replica.
        self.register_buffer("noise_floor", torch.zeros(n_rep))
        if self.identity:  # one bucket: all features, loaded by z directly
            p = _rows_of_w(layout, architecture)
            self.register_buffer("loading_rows", torch.as_tensor(layout.loading_rows(p)),
                                 persistent=False)
        single = layout.unpadded() if self.identity else layout.padded()
        self.padded = padded = single if n_rep == 1 else single.replicated(n_rep)
        self.generator_spec = GeneratorSpec(padded.buckets, self.activation, Workspace(),
                                   architecture.activate_input, n_rep)
        self.n_padded = padded.n_padded
        for name, index in (("padded_position", padded.position),
                            ("slot_groups", getattr(padded, "slot_groups", None))):
            self.register_buffer(name, None if index is None else torch.as_tensor(index),
                                 persistent=False)

    # -- parameter groups ----------------------------------------------------
    def encoder_parameters(self):
        return [*self.enc_weights, *self.enc_biases, self.enc_out_weight, self.enc_out_bias]

    def generator_parameters(self):
        """Parameters of the f_g, which carry the N(0, prior_scale^2) prior."""
        return [*self.gen_weights, *self.gen_biases, *self.out_weights, self.feature_bias]

    def noise_parameters(self):
        """Parameters of the likelihood's noise (variances, degrees of freedom)."""
        return [self.get_parameter(name) for name in self.likelihood.parameter_names]

    # -- forward -------------------------------------------------------------
    def encoder_head(self, x):
        """Output of the inference networks: see :func:`posterior`.

        *x* has the features in the caller's order: (R, n, n_features), or
        (n, n_features) for one replica, whose output is then (n, 2K).
        """
        h = x
        for weight, bias in zip(self.enc_weights, self.enc_biases):
            h = self.activation.function(self._affine(bias, h, weight))
        return self._affine(self.enc_out_bias, h, self.enc_out_weight)

    def _affine(self, bias, x, weight):
        """``bias + x @ weight^T`` of every replica; one plain matmul for one replica."""
        if self.n_replicas == 1:
            return torch.addmm(bias, x, weight.T)
        n_rep = self.n_replicas
        return torch.baddbmm(bias.view(n_rep, 1, -1), x,
                             weight.view(n_rep, -1, weight.shape[-1]).transpose(1, 2))

    def encode(self, x):
        """Mean and standard deviation of q(z|x) of one replica, each (n, K).

        *x* is (n, n_features) in the caller's feature order.
        """
        return posterior(self.encoder_head(x))

    def _by_bucket(self, t):
        """A per-group tensor (R * G, ...) in the buckets' group order."""
        return t if self.slot_groups is None else t.index_select(0, self.slot_groups)

    def generator_inputs(self, z):
        """u = W(g) z^T, (R * G, p, m), and the output weights V (one per bucket).

        *z* is (R, m, K), or (m, K) for one replica. The generators compute
        ``f(u[bucket.groups]^T) @ V`` per bucket. Identity generators are one
        bucket: u = z^T and V = the loadings.
        """
        n_rep, (m, k) = self.n_replicas, z.shape[-2:]
        if self.identity:
            loadings = self.W.view(n_rep, -1, k).index_select(1, self.loading_rows)
            return z.view(n_rep, m, k).transpose(1, 2), [loadings.transpose(1, 2)]
        if n_rep == 1:  # W's groups are in the buckets' order
            return torch.mm(self.W.view(-1, k), z.T).view(-1, self.W.shape[1], m), \
                list(self.out_weights)
        u = torch.bmm(self.W.view(n_rep, -1, k), z.transpose(1, 2))
        return self._by_bucket(u.view(-1, self.W.shape[1], m)), list(self.out_weights)

    def generator_layers(self):
        """Hidden weights and biases of all replicas' groups in the buckets' order."""
        return ([self._by_bucket(w) for w in self.gen_weights],
                [self._by_bucket(b) for b in self.gen_biases])

    def means(self, z):
        """Means of p(x | z) of every replica, (m, R * n_features).

        *z* is (R, m, K), or (m, K) for one replica; the features are the
        internal ones, replica after replica.
        """
        m = z.shape[-2]
        u, out_weights = self.generator_inputs(z)
        weights, biases = self.generator_layers()
        outs = [torch.bmm(hidden_layers(u, weights, biases, self.activation, bucket.groups,
                                        activate_input=self.generator_spec.activate_input)[-1],
                          V).transpose(0, 1).reshape(m, -1)
                for bucket, V in zip(self.generator_spec.buckets, out_weights)]
        out = outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)
        if self.padded_position is not None:
            out = out[:, self.padded_position]
        return out + self.feature_bias

    def decode(self, z):
        """Mean of p(x|z) of one replica in internal feature order, (n, n_features)."""
        return self.means(z)

    def expected_log_likelihood(self, x_padded, z):
        """Mean over rows of log p(x | z) of every replica, (R,).

        Parameters
        ----------
        x_padded : Tensor, (m, n_padded)
            Observations in the padded layout (feature f in column
            ``padded_position[f]``, any finite value in padding columns), one
            row per row of *z* (row i holds every replica's i-th row),
            contiguous. **Overwritten** (the fused Gaussian writes residuals).
        z : Tensor, (R, m, K), or (m, K) for one replica
        """
        return self.likelihood.expected_log_likelihood(self, x_padded, z)

    def release_workspace(self):
        """Free the scratch memory of :meth:`expected_log_likelihood`."""
        self.generator_spec.workspace.clear()

    def feature_floors(self):
        """Every replica's noise floor for each of its features, (R * n_features,)."""
        version = (self.noise_floor._version, self.noise_floor.data_ptr())
        if getattr(self, "_floors", (None,))[0] != version:  # set once per run
            self._floors = (version, self.noise_floor[:, None].expand(
                self.n_replicas, self.layout.n_features).reshape(-1))
        return self._floors[1]

    def part(self, name, value=None, replica=0):
        """Replica *replica*'s part of parameter or buffer *name* (a view).

        *value* is a tensor shaped as that parameter (Adam's moments, say);
        ``None`` is the parameter itself.
        """
        if value is None:
            value = self.get_buffer(name) if name == "noise_floor" else self.get_parameter(name)
        return value.view(self.n_replicas, *self.shapes[name])[replica]

    def log_likelihood(self, x, mean):
        """log p(x | mean) of one replica, summed over features; broadcasts."""
        return self.likelihood.log_prob(self, x, mean)

    def sample_noise(self, mean, generator):
        """Draws of p(x | mean) of one replica: *mean* plus noise from *generator*."""
        return self.likelihood.sample(self, mean, generator)

    def log_prior_theta(self, prior_scale):
        """log N(theta; 0, prior_scale^2 I) of every replica's generator parameters, (R,)."""
        n_rep = self.n_replicas

        def total(t):
            return t.reshape(n_rep, -1).sum(1)

        params = [*self.gen_weights, *self.gen_biases, self.feature_bias]
        sq = sum(total(p.pow(2)) for p in params)
        for bucket, weight in zip(self.layout.buckets, self.out_weights):
            mask = torch.as_tensor(self.layout.padding_mask(bucket), device=weight.device)
            sq = sq + total(weight.view(n_rep, *mask.shape[:1], *weight.shape[1:]).pow(2)
                            * mask[:, None, :])
        # the output layers' weights without padding: (input width) x (features)
        n_out = 0 if self.identity else self.out_weights[0].shape[-2] * self.layout.n_features
        count = sum(p.numel() // n_rep for p in params) + n_out
        return -0.5 * sq / prior_scale**2 - count * (math.log(prior_scale) + 0.5 * _LOG_2PI)

    # -- canonical form ------------------------------------------------------
    def canonical_state(self, state=None, replica=0):
        """One replica's parameters in the form files hold: independent of the layout.

        Per-group parameters (W, the generators' hidden layers) have the groups
        in their original order; per-feature ones have the features in the
        caller's order on their last axis, without padding: the output bias,
        the noise parameters, the output layers as one (width, n_features)
        matrix ``out_weight`` and, for identity generators, W as one
        (K, n_features) matrix ``loadings``.

        Parameters
        ----------
        state : dict of Tensor | None
            Tensors named and shaped as the network's parameters and buffers
            (Adam's moments, say); ``None`` is the network's state dict.
        replica : int
            Which replica.

        Returns
        -------
        canonical : dict of Tensor
        """
        state = self.state_dict() if state is None else state
        canonical, out_weights = {}, []
        for name, value in state.items():
            value = self.part(name, value.detach(), replica).cpu().clone()
            if name.startswith("out_weights."):
                out_weights.append(value)
            elif name == "W" and self.identity:
                canonical["loadings"] = self.layout.loadings_to_canonical(value)
            else:
                canonical[name] = self._reorderings(name)[0](value)
        if out_weights:
            canonical["out_weight"] = self.layout.unpad(out_weights)
        return canonical

    def internal_state(self, canonicals):
        """Tensors of :meth:`canonical_state` (one per replica) in this network's form.

        Parameters
        ----------
        canonicals : list of dict of array-like
            One per replica.

        Returns
        -------
        state : dict of Tensor
            Named and shaped as the network's state dict.
        """
        per_replica = [self._internal_replica(c) for c in canonicals]
        return {name: torch.stack([s[name] for s in per_replica]).reshape(
                    len(canonicals) * self.shapes[name][0] if self.shapes[name] else -1,
                    *self.shapes[name][1:])
                for name in per_replica[0]}

    def _internal_replica(self, canonical):
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
        if name == "feature_bias" or name in self.likelihood.parameter_names:
            return self.layout.features_to_canonical, self.layout.features_from_canonical
        if name == "W" or name.startswith(("gen_weights.", "gen_biases.")):
            return self.layout.groups_to_canonical, self.layout.groups_from_canonical
        return _unchanged, _unchanged

    @torch.no_grad()
    def init_from_data(self, replica, X, rows=None):
        """Start a replica's output bias at the data mean and its noise at the data variance.

        The noise floor is :data:`NOISE_FLOOR` times the mean feature variance.
        *X* is a row source (:mod:`mne_oivae._engine.data`) in the caller's
        feature order; *rows* (a tensor of row indices, or ``None`` for all)
        are the replica's training rows.
        """
        mean = torch.zeros(X.shape[1], dtype=torch.float64, device=X.device)
        sq = torch.zeros_like(mean)
        size = max(1, 2**20 // X.shape[1])  # float64 temporaries stay small
        for chunk in X.blocks(size, rows):
            mean += chunk.sum(0, dtype=torch.float64)
            sq += chunk.double().pow(2).sum(0)
        n = X.shape[0] if rows is None else len(rows)
        mean /= n
        var = (sq / n - mean.pow(2)).clamp(min=0)
        floor = NOISE_FLOOR * float(var.mean()) + 1e-12
        order = torch.as_tensor(self.layout.feature_order, device=X.device)
        self.part("feature_bias", replica=replica).copy_(mean[order])
        self.likelihood.init_from_data(self, replica, var[order], floor)

    def replica(self, r):
        """Replica *r* as a network of its own (a copy), e.g. a fitted model."""
        single = Network(self.layout, self.architecture).to(self.W.device, self.W.dtype)
        single.load_state_dict({name: self.part(name, value, r).reshape(
            single.state_dict()[name].shape) for name, value in self.state_dict().items()})
        return single

    def group_norms(self):
        """||W(g)[:, j]||_2 for every (replica, internal group g, component j): (R, G, K)."""
        norms = torch.linalg.vector_norm(self.W.detach(), dim=-2)
        return norms.view(self.n_replicas, -1, norms.shape[-1])

    def loading_matrix(self):
        """x = M z + b + noise for affine or identity generators: M, (n_features, K)."""
        eye = torch.eye(self.W.shape[-1], dtype=self.W.dtype, device=self.W.device)
        return (self.decode(eye) - self.decode(torch.zeros_like(eye))).T


def _unchanged(value):
    return value
