"""Per-group-loop oi-VAE: the benchmark reference for :mod:`benchmarks.speed`.

The original oi-VAE code runs one small network per group in a Python loop:
one ``W(g)``, one generator ``f_g``, one Gaussian likelihood and one proximal
step per group. :class:`LoopTrainer` does exactly that, with the same math as
the package's batched engine (:mod:`mne_oivae.engine`)
and a copy of the same parameter values, so that the two can be timed side by
side and checked against each other (``tests/test_engine_equivalence.py``).

It uses torch's defaults, as the original code does (Adam's per-tensor loop
on the CPU), and is generous to the loop where that is free: data arrive
already in the internal feature order, so each group is a contiguous slice
of the minibatch and no column gather is needed.
"""

import math

import torch
from torch import nn

from mne_oivae.engine import Trainer, shrink_columns

_LOG_2PI = math.log(2 * math.pi)


class LoopOIVAE(nn.Module):
    """One parameter set per group, copied from a batched ``Network`` of one replica.

    Parameters
    ----------
    module : mne_oivae.engine.Network
        Source of the architecture and of the parameter values (internal group
        order). Affine or hidden-layer generators (``group_latent_dim`` not None).
    """

    def __init__(self, module):
        super().__init__()
        if module.identity:
            raise ValueError("the loop reference covers group_latent_dim=int generators")
        self.act = module.activation.function
        sizes = [int(s) for s in module.layout.sizes]
        self.slices = [slice(a, a + s) for a, s in
                       zip([0, *torch.tensor(sizes).cumsum(0)[:-1].tolist()], sizes)]

        def copy(t):
            return nn.Parameter(t.detach().clone())

        self.register_buffer("noise_floor", module.noise_floor.clone())
        # the loop reads minibatches in the internal feature order
        encoder = [*module.enc_weights, module.enc_out_weight]
        encoder[0] = encoder[0][:, module.layout.feature_order]
        self.enc_weights = nn.ParameterList([copy(w) for w in encoder[:-1]])
        self.enc_biases = nn.ParameterList([copy(b) for b in module.enc_biases])
        self.enc_out_weight = copy(encoder[-1])
        self.enc_out_bias = copy(module.enc_out_bias)
        self.W = nn.ParameterList([copy(module.W[g]) for g in range(len(sizes))])
        self.gen_weights = nn.ModuleList()
        self.gen_biases = nn.ModuleList()
        self.out_weights = nn.ParameterList()
        self.feature_bias = nn.ParameterList()
        self.log_var = nn.ParameterList()
        for g, (sl, size) in enumerate(zip(self.slices, sizes)):
            self.gen_weights.append(nn.ParameterList([copy(w[g]) for w in module.gen_weights]))
            self.gen_biases.append(nn.ParameterList([copy(b[g, 0]) for b in module.gen_biases]))
            slot = module.layout.slot(g)
            self.out_weights.append(copy(module.out_weights[slot.bucket][slot.row][:, :size]))
            self.feature_bias.append(copy(module.feature_bias[sl]))
            self.log_var.append(copy(module.log_var[sl]))

    def encoder_parameters(self):
        return [*self.enc_weights, *self.enc_biases, self.enc_out_weight, self.enc_out_bias]

    def generator_parameters(self):
        return [p for g in range(len(self.slices)) for p in (
            *self.gen_weights[g], *self.gen_biases[g], self.out_weights[g],
            self.feature_bias[g])]

    def encode(self, x, std_multiplier=1.0):
        h = x
        for weight, bias in zip(self.enc_weights, self.enc_biases):
            h = self.act(torch.addmm(bias, h, weight.T))
        out = torch.addmm(self.enc_out_bias, h, self.enc_out_weight.T)
        mu, raw = out.chunk(2, dim=-1)
        return mu, (nn.functional.softplus(raw) + 1e-4) * std_multiplier

    def group_mean(self, g, z):
        """f_g(W(g) z) + b_g for one group."""
        h = z @ self.W[g].T
        for weight, bias in zip(self.gen_weights[g], self.gen_biases[g]):
            h = self.act(torch.addmm(bias, h, weight))
        return torch.addmm(self.feature_bias[g], h, self.out_weights[g])

    def log_likelihood(self, x, z):
        """sum over groups of log N(x(g); f_g(W(g) z), D_g), per observation."""
        total = 0.0
        for g, sl in enumerate(self.slices):
            mean = self.group_mean(g, z.reshape(-1, z.shape[-1])).reshape(
                *z.shape[:-1], -1)
            var = torch.exp(self.log_var[g]) + self.noise_floor
            quad = ((x[..., sl] - mean) ** 2 / var).sum(-1)
            total = total - 0.5 * (quad + torch.log(var).sum() + var.numel() * _LOG_2PI)
        return total

    def log_prior_theta(self, prior_scale):
        params = self.generator_parameters()
        sq = sum(p.pow(2).sum() for p in params)
        count = sum(p.numel() for p in params)
        return -0.5 * sq / prior_scale**2 - count * (math.log(prior_scale) + 0.5 * _LOG_2PI)


class LoopTrainer(Trainer):
    """Adam on the networks and a per-group proximal Adam step on every W(g).

    Mirrors :class:`mne_oivae.engine.Trainer` (same objective, same noise
    draws from the same generator, same updates) with one small tensor per
    group; the epochs (minibatch order, warm-ups) are the Trainer's own, only
    the step differs. ``X`` must be in the module's internal feature order.
    """

    def __init__(self, model, X, config, generator):
        # the state Trainer's epochs use, without its batched buffers and optimisers
        self.model, self.X, self.config = model, X, config
        self.generator, self.generators, self.rows, self.n_replicas = (generator, [generator],
                                                                        None, 1)
        self.parallel = None  # one process
        self.n_samples = X.shape[0]
        self.optimizer = torch.optim.Adam(
            [*model.encoder_parameters(), *model.generator_parameters(), *model.log_var],
            lr=config.lr)
        self.prox_state = [(torch.zeros_like(w), torch.zeros_like(w)) for w in model.W]
        self.t = 0
        self.iteration = 0
        self.steps_per_epoch = max(1, self.n_samples // config.batch_size)

    def terms(self, xb, std_multiplier):
        cfg, model = self.config, self.model
        mu, sd = model.encode(xb, std_multiplier)
        eps = torch.randn((cfg.mc_samples, *mu.shape), generator=self.generator,
                          device=mu.device, dtype=mu.dtype)
        z = mu + sd * eps
        rec = model.log_likelihood(xb, z).mean()
        kl = 0.5 * (mu.pow(2) + sd.pow(2) - 1 - 2 * torch.log(sd)).sum(-1).mean()
        return rec, kl, model.log_prior_theta(cfg.prior_scale)

    def current_lam(self):
        ramp = self.config.lam_warmup
        if ramp <= 0 or self.iteration >= ramp:
            return self.config.lam
        return self.config.lam * self.iteration / ramp

    @torch.no_grad()
    def prox_step(self, lam, betas=(0.9, 0.999), eps=1e-8):
        b1, b2 = betas
        self.t += 1
        for W, (m, v) in zip(self.model.W, self.prox_state):
            grad = W.grad
            m.mul_(b1).add_(grad, alpha=1 - b1)
            v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
            rms = (v.mean(dim=0, keepdim=True) / (1 - b2**self.t)).sqrt_().add_(eps)
            step = self.config.lr / rms
            W.addcmul_(step, m, value=-1 / (1 - b1**self.t))
            if lam > 0:  # the package's soft-threshold, on this group's (p, K) slice
                shrink_columns(W[None], step[None] * lam)
            W.grad = None

    def step(self, idx, std_multiplier):
        rec, kl, log_prior = self.terms(self.X.index_select(0, idx), std_multiplier)
        loss = kl - rec - log_prior
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.prox_step(self.current_lam())
        return torch.stack([rec, kl]).detach()
