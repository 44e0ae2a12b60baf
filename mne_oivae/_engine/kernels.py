"""The training hot path: the group generators and the Gaussian likelihood as one op.

:func:`gaussian_log_likelihood` runs the hidden layers and the output layer of
every generator f_g and the residual of the likelihood bucket by bucket
(groups of similar size, see :class:`mne_oivae._layout.GroupLayout`), so that
a bucket's hidden activations are still in the CPU's cache when its output
layer, its residual and, in the backward pass, its gradients use them. The
activations are not kept between the forward and the backward pass: the
backward pass recomputes them per bucket from ``W(g) z``, which costs a
few small matmuls but no trips through main memory (with hundreds of groups
the hidden activations are tens of megabytes). One autograd node for the
whole likelihood, noise variances included, also keeps the per-operation
cost low at small minibatches, where it, not arithmetic, sets the speed.
:func:`reparameterise` does the same for the encoder's output: q(z|x),
the reparameterised draw and the KL term.
"""

import math
from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import nn

_LOG_2PI = math.log(2 * math.pi)
# Buckets at most this wide compute their output-layer matmuls with the
# minibatch as the long dimension: MKL (torch 2.13) multiplies by a matrix of
# 1-8 columns up to 4x slower than by its transpose; wider buckets are as fast
# either way, and their residual is then read without a transposed access.
_NARROW = 8


def is_expanded(width, in_width):
    """Whether a bucket's likelihood is computed from ``h^T x`` and ``h^T h``.

    For groups much wider than the output layer's input (vertices of a region
    against a 32-unit hidden layer), ``sum_n (x - h V)^2 = sum_n x^2 -
    2 (h^T x) . V + V . (h^T h) V`` needs two large matmuls per step instead
    of three (forward and backward) and never writes the residual: a
    vertex-level step at batch 4096 runs 13 % faster. The price is float32
    cancellation when the residual is tiny next to x, harmless here: the
    noise variances stay above a floor, and a negative sum is clipped to 0.

    Parameters
    ----------
    width : int
        Features per group of the bucket (its padded width).
    in_width : int
        Input width of the output layer (last hidden width, or p if affine).

    Returns
    -------
    expanded : bool
        Whether the bucket takes the expanded form.

    Examples
    --------
    >>> from mne_oivae.engine import is_expanded
    >>> is_expanded(700, 32), is_expanded(3, 32)
    (True, False)
    """
    return width > _NARROW and width >= 2 * in_width


class Activation(NamedTuple):
    """A nonlinearity: autograd version, in-place version, derivative from its output.

    ``derivative(grad, y)`` overwrites *grad* (the gradient with respect to
    the output ``y``) with the gradient with respect to the input.
    """

    function: Callable
    inplace: Callable
    derivative: Callable

    def __reduce__(self):  # pickled by name (its derivatives are lambdas)
        name = next(k for k, v in ACTIVATIONS.items() if v is self)
        return _activation, (name,)


def _tanh_inplace(a):
    if a.device.type != "cpu":
        return a.tanh_()
    # tanh(x) = 2 sigmoid(2x) - 1, within 2e-7 of torch.tanh: torch's CPU tanh
    # kernel runs about 20x slower than its sigmoid (torch 2.13, AVX-512)
    return a.mul_(2).sigmoid_().mul_(2).sub_(1)


class _Tanh(torch.autograd.Function):
    """tanh with :func:`_tanh_inplace`'s forward, for autograd callers (encoder)."""

    @staticmethod
    def forward(ctx, x):
        y = _tanh_inplace(x.clone())
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return torch.ops.aten.tanh_backward(grad, y)


_aten = torch.ops.aten
def _activation(name):
    return ACTIVATIONS[name]


ACTIVATIONS = {
    "tanh": Activation(
        _Tanh.apply, _tanh_inplace,
        lambda grad, y: _aten.tanh_backward.grad_input(grad, y, grad_input=grad)),
    "relu": Activation(
        torch.relu, torch.relu_,
        lambda grad, y: _aten.threshold_backward.grad_input(grad, y, 0, grad_input=grad)),
    "softplus": Activation(
        nn.functional.softplus, nn.functional.softplus,
        # softplus' = sigmoid(x) = 1 - exp(-softplus(x))
        lambda grad, y: grad.mul_(torch.expm1(-y).neg_())),
    "elu": Activation(
        nn.functional.elu, nn.functional.elu_,
        lambda grad, y: _aten.elu_backward.grad_input(grad, 1.0, 1, 1, True, y,
                                                      grad_input=grad)),
    "sigmoid": Activation(
        torch.sigmoid, torch.sigmoid_,
        lambda grad, y: _aten.sigmoid_backward.grad_input(grad, y, grad_input=grad)),
}


class Workspace:
    """Scratch tensors reused from call to call, grown to the largest request.

    A bucket's temporaries are megabytes; allocated afresh every step they
    come back from the C library as new pages whose first touch (page
    faults) can cost more than the arithmetic done on them. One training run
    at a time may use a workspace.
    """

    def __init__(self):
        self._buffers = {}

    def clear(self):
        """Release the buffers (a fitted model keeps no scratch memory)."""
        self._buffers.clear()

    def get(self, name, shape, like):
        """An uninitialised tensor of *shape* with *like*'s dtype and device."""
        numel = math.prod(shape)
        buffer = self._buffers.get(name)
        if (buffer is None or buffer.numel() < numel or buffer.dtype != like.dtype
                or buffer.device != like.device):
            buffer = self._buffers[name] = like.new_empty(numel)
        return buffer[:numel].view(shape)


class GeneratorSpec(NamedTuple):
    """The generators' static structure and scratch space.

    ``buckets`` are the :class:`~mne_oivae._layout.Bucket` of the padded layout
    (:class:`~mne_oivae._layout.PaddedLayout`); with ``n_replicas``
    independent models of one architecture every bucket lists its groups
    replica by replica, and the features are the replicas' features one
    replica after the other.
    """

    buckets: list
    activation: Activation
    workspace: Workspace
    activate_input: bool = False  # f_g(u) = layers(activation(u)), e.g. V tanh(u) + b
    n_replicas: int = 1


def hidden_layers(u, weights, biases, activation, groups, workspace=None,
                  activate_input=False):
    """Hidden layers of some groups: a list of (groups, n, width) activations.

    The list starts with the input, ``u[groups]`` transposed, then (if
    *activate_input*) its activation, and ends with the input of the output
    layer.

    Parameters
    ----------
    u : Tensor, (G, p, n)
        ``W(g) z`` of every group, one column per observation.
    weights, biases : list of Tensor
        Per layer, (G, in, out) and (G, 1, out).
    activation : Activation
    groups : slice
        The groups' span.
    workspace : Workspace | None
        Where to write the outputs (no autograd); ``None`` allocates them,
        differentiably when autograd is on.
    activate_input : bool
        Apply *activation* to the input before the first layer.
    """
    act = activation.function if torch.is_grad_enabled() else activation.inplace
    outputs = [u[groups].transpose(1, 2)]
    if activate_input:
        out = outputs[0].clone() if workspace is None else workspace.get(
            "activated", outputs[0].shape, u).copy_(outputs[0])
        outputs.append(act(out))
    for layer, (weight, bias) in enumerate(zip(weights, biases)):
        out = None if workspace is None else workspace.get(
            f"hidden{layer}", (len(outputs[0]), u.shape[2], weight.shape[2]), u)
        outputs.append(act(torch.baddbmm(bias[groups], outputs[-1], weight[groups], out=out)))
    return outputs


def gaussian_log_likelihood(x, u, feature_bias, log_var, noise_floor, position, spec,
                            weights, biases, out_weights):
    """Mean over rows of log N(x; f(u) + b, diag(exp(log_var) + noise_floor)).

    Parameters
    ----------
    x : Tensor, (n, n_padded)
        Observations in the padded layout, contiguous. **Overwritten** with the
        residuals (and, in the backward pass, with their gradient).
    u : Tensor, (G, p, n)
        ``W(g) z`` of every group, one column per observation (``z.T[None]``
        for identity generators).
    feature_bias, log_var : Tensor, (n_features,)
        Per-feature bias b and log noise variance (internal feature order).
    noise_floor : Tensor, scalar or (n_features,)
        Added to the noise variances.
    position : Tensor of int | None
        Column of every feature in the padded layout (``None``: no padding).
    spec : GeneratorSpec
    weights, biases : list of Tensor
        Hidden layers, (G, in, out) and (G, 1, out).
    out_weights : list of Tensor
        Output layer of every bucket, (groups, width_in, width_out).

    Returns
    -------
    log_lik : Tensor, (spec.n_replicas,)
        One value per replica (features ``r * F`` to ``(r + 1) * F - 1``).
    """
    return _GaussianLogLikelihood.apply(x, u, feature_bias, log_var, noise_floor, position,
                                        spec, len(weights), *weights, *biases, *out_weights)


def _bmm(a, b, out):
    """``torch.bmm(a, b, out=out)``, as an element-wise product when it is one.

    A batch of outer products (one region, one feature: p = width = 1) costs
    MKL about a microsecond per matrix, ten times the product's cost; the
    element-wise product gives the same numbers.
    """
    if a.shape[2] == 1:
        return torch.mul(a, b, out=out)
    return torch.bmm(a, b, out=out)


def _to_padded(values, position, n_padded):
    """Per-feature values in the padded layout (0 in padding columns)."""
    if position is None:
        return values
    return values.new_zeros(n_padded).index_copy_(0, position, values)


class _GaussianLogLikelihood(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, u, feature_bias, log_var, noise_floor, position, spec, n_layers,
                *params):
        weights, biases, outs = _split(params, n_layers)
        n, n_padded = x.shape
        ws = spec.workspace
        bias = _to_padded(feature_bias, position, n_padded)
        sq = x.new_empty(n_padded)
        expansions = []  # per expanded bucket: h^T r and sum_n r, both small
        for bucket, V in zip(spec.buckets, outs):
            groups, columns, width, n_groups = (bucket.groups, bucket.columns, bucket.width,
                                                bucket.n_groups)
            h = hidden_layers(u, weights, biases, spec.activation, groups, ws,
                              spec.activate_input)[-1]
            cols = x[:, columns].view(n, n_groups, width)
            cols.sub_(bias[columns].view(n_groups, width))
            square = ws.get("square", cols.shape, x)
            if is_expanded(width, V.shape[1]):
                h_t = h.transpose(1, 2)
                hr = torch.bmm(h_t, cols.transpose(0, 1))  # h^T x, then h^T r below
                CV = torch.bmm(torch.bmm(h_t, h), V)
                block = torch.sum(torch.mul(cols, cols, out=square), 0)
                block -= (hr * V).sum(1).mul_(2) - (CV * V).sum(1)
                sq[columns] = block.clamp_(min=0).view(-1)
                expansions.append((hr.sub_(CV), cols.sum(0) - torch.bmm(
                    h.sum(1, keepdim=True), V).squeeze(1)))
                continue
            if width <= _NARROW:  # (groups, width, n) = V^T h^T
                mean = _bmm(V.transpose(1, 2), h.transpose(1, 2),
                            ws.get("mean", (n_groups, width, n), x)).permute(2, 0, 1)
            else:
                mean = torch.bmm(h, V, out=ws.get("mean", (n_groups, n, width), x))
                mean = mean.transpose(0, 1)
            cols.sub_(mean)
            torch.sum(torch.mul(cols, cols, out=square).view(n, -1), 0, out=sq[columns])
        if position is not None:
            sq = sq[position]
        var = log_var.exp().add_(noise_floor)
        ctx.spec, ctx.n_layers, ctx.residual, ctx.expansions = spec, n_layers, x, expansions
        ctx.save_for_backward(u, position, sq, var, noise_floor, *params)
        n_rep = spec.n_replicas
        n_feat = len(var) // n_rep
        return -0.5 * ((sq / var).view(n_rep, n_feat).sum(1) / n
                       + var.log().view(n_rep, n_feat).sum(1) + n_feat * _LOG_2PI)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        u, position, sq, var, noise_floor, *params = ctx.saved_tensors
        spec, n_layers, ws = ctx.spec, ctx.n_layers, ctx.spec.workspace
        weights, biases, outs = _split(params, n_layers)
        need = ctx.needs_input_grad
        act_in = int(spec.activate_input)  # hs[act_in] is the first weighted layer's input
        residual, ctx.residual = ctx.residual, None
        expansions, ctx.expansions = iter(ctx.expansions), None
        n, n_padded = residual.shape
        if spec.n_replicas > 1:  # the gradient of every replica's value, per feature
            grad = grad[:, None].expand(-1, len(var) // spec.n_replicas).reshape(-1)
        # log_lik = -0.5 * (sum_f sq_f / (n var_f) + log var_f) + const
        grad_log_var = (sq / (n * var)).sub_(1).mul_(var - noise_floor).mul_(grad * 0.5) \
            .div_(var)
        # d log_lik / d mean = -2 r * d log_lik / d sq = r / (n var)
        scale = _to_padded(grad / (n * var), position, n_padded)
        grad_bias = residual.new_empty(n_padded)
        grad_u = u.new_empty(u.shape) if need[1] else None
        grad_weights = [torch.empty_like(w) for w in weights]
        grad_biases = [torch.empty_like(b_) for b_ in biases]
        grad_outs = []
        for bucket, V in zip(spec.buckets, outs):
            groups, columns, width, n_groups = (bucket.groups, bucket.columns, bucket.width,
                                                bucket.n_groups)
            hs = hidden_layers(u, weights, biases, spec.activation, groups, ws,
                               spec.activate_input)
            g_shape = hs[-1].shape
            if is_expanded(width, V.shape[1]):
                # the gradient of the means is q = r * scale; r was never written:
                # h^T q = (h^T r) * scale and q V^T = x (V s)^T - h (V s V^T)
                hr, r_sum = next(expansions)
                block_scale = scale[columns].view(n_groups, 1, width)
                grad_outs.append(hr.mul_(block_scale))
                grad_bias[columns] = r_sum.mul_(block_scale.squeeze(1)).view(-1)
                Vs = V * block_scale
                x_t = residual[:, columns].view(n, n_groups, width).transpose(0, 1)
                if not (n_layers or act_in):
                    if need[1]:  # (groups, p, n)
                        torch.bmm(Vs, x_t.transpose(1, 2), out=grad_u[groups]).baddbmm_(
                            torch.bmm(Vs, V.transpose(1, 2)), hs[0].transpose(1, 2),
                            alpha=-1)
                    continue
                g = torch.bmm(x_t, Vs.transpose(1, 2),
                              out=ws.get(f"grad{n_layers - 1}", g_shape, x_t))
                g.baddbmm_(hs[-1], torch.bmm(Vs, V.transpose(1, 2)), alpha=-1)
            else:
                cols = residual[:, columns].mul_(scale[columns])
                torch.sum(cols, 0, out=grad_bias[columns])
                q = cols.view(n, n_groups, width).transpose(0, 1)
                grad_outs.append(torch.bmm(q.transpose(1, 2), hs[-1]).transpose(1, 2)
                                 if width <= _NARROW else torch.bmm(hs[-1].transpose(1, 2), q))
                if not (n_layers or need[1]):
                    continue
                if not (n_layers or act_in):  # (groups, p, n) = V q^T
                    _bmm(V, q.transpose(1, 2), grad_u[groups])
                    continue
                g = torch.bmm(q, V.transpose(1, 2),
                              out=ws.get(f"grad{n_layers - 1}", g_shape, q))
            for layer in reversed(range(n_layers)):
                spec.activation.derivative(g, hs[layer + act_in + 1])
                torch.bmm(hs[layer + act_in].transpose(1, 2), g,
                          out=grad_weights[layer][groups])
                torch.sum(g, 1, keepdim=True, out=grad_biases[layer][groups])
                if layer or act_in:
                    g = torch.bmm(g, weights[layer][groups].transpose(1, 2),
                                  out=ws.get(f"grad{layer - 1}", hs[layer + act_in].shape,
                                             g))
                elif need[1]:  # (groups, p, n), the transposed product: p is narrow
                    torch.bmm(weights[0][groups], g.transpose(1, 2), out=grad_u[groups])
            if act_in and need[1]:
                spec.activation.derivative(g, hs[1])
                grad_u[groups] = g.transpose(1, 2)
        if position is not None:
            grad_bias = grad_bias[position]
        return (None, grad_u, grad_bias, grad_log_var, None, None, None, None,
                *grad_weights, *grad_biases, *grad_outs)


def posterior(head, std_multiplier=1.0):
    """Mean and standard deviation of q(z|x) from the encoder's output (n, 2K)."""
    mu, raw = head.chunk(2, dim=-1)
    # contiguous: torch's element-wise kernels are 4-10x slower on strided views
    sd = nn.functional.softplus(raw.contiguous()) + 1e-4
    return mu, sd if std_multiplier == 1.0 else sd * std_multiplier


def reparameterise(head, eps, std_multiplier):
    """Draws ``z = mu + sd * eps`` from q(z|x) and the mean KL(q(z|x) || N(0, I)).

    Parameters
    ----------
    head : Tensor, (..., n, 2K)
        Encoder output, as for :func:`posterior`; a leading dimension holds
        independent replicas.
    eps : Tensor, (..., S, n, K)
        Standard normal noise, S draws per row.
    std_multiplier : float
        Factor on the standard deviation (warm-up).

    Returns
    -------
    z : Tensor, (..., S * n, K)
    kl : Tensor, (...)
        Mean over rows, summed over components.
    """
    return _Reparameterise.apply(head, eps, std_multiplier)


class _Reparameterise(torch.autograd.Function):
    @staticmethod
    def forward(ctx, head, eps, std_multiplier):
        mu, sd = posterior(head, std_multiplier)
        n, k = mu.shape[-2:]
        z = torch.addcmul(mu.unsqueeze(-3), sd.unsqueeze(-3), eps).view(*mu.shape[:-2], -1, k)
        rows = (-2, -1)
        kl = ((mu.square().sum(rows) + sd.square().sum(rows)) / 2
              - sd.log().sum(rows)) / n - k / 2
        ctx.std_multiplier = std_multiplier
        ctx.save_for_backward(head, eps, mu, sd)
        return z, kl

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_z, grad_kl):
        head, eps, mu, sd = ctx.saved_tensors
        n, k = mu.shape[-2:]
        grad_z = grad_z.view(eps.shape)
        scale = (grad_kl / n)[..., None, None]
        grad_mu = grad_z.sum(-3).add_(mu * scale)
        grad_sd = (grad_z * eps).sum(-3).add_((sd - sd.reciprocal()) * scale)
        # d sd / d raw = std_multiplier * sigmoid(raw)
        grad_raw = grad_sd.mul_(torch.sigmoid(head[..., k:].contiguous())).mul_(
            ctx.std_multiplier)
        return torch.cat([grad_mu, grad_raw], dim=-1), None, None


def _split(params, n_layers):
    """(hidden weights, hidden biases, output weights) from the flat parameter list."""
    return params[:n_layers], params[n_layers:2 * n_layers], params[2 * n_layers:]
