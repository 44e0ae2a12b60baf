"""Training loop: collapsed ELBO, Adam on networks, proximal Adam step on W.

Objective, in per-observation units (the reference code's convention)::

    J = 1/N sum_n ( E_q[log p(x_n | z)] - KL(q(z | x_n) || p(z)) )
        + log p(theta) - lam * sum_{g, j} ||W(g)[:, j]||_2

i.e. 1/N times the whole-data collapsed ELBO in which both priors, the
N(0, prior_scale^2) prior on the generator parameters theta and the group
lasso on W, count once per observation (raised to the power N). Their
strength relative to the likelihood therefore does not fade as the data set
grows: the same ``lam`` prunes the same way on 2,000 or 40,000 observations.
Both priors are needed together: W(g) z enters f_g through a linear layer,
so without a prior that holds theta to unit scale the group lasso could be
dodged by shrinking W and growing f_g's first-layer weights.

The gradient of log p(theta) is Adam's (coupled) weight decay
``1 / prior_scale**2`` on the generator parameters, so the prior costs no
autograd work per step; its value is recorded at the end of every epoch.
"""

import math
from dataclasses import dataclass

import torch

from ._fused import reparameterise
from ._layout import Padder

TERMS = ("reconstruction", "kl", "log_prior_theta", "group_lasso")


class DivergenceError(RuntimeError):
    """A loss term or a parameter became non-finite during :meth:`OIVAE.fit`."""


@dataclass
class TrainConfig:
    n_iter: int
    batch_size: int
    lr: float
    lam: float
    prior_scale: float
    mc_samples: int
    warmup: int
    lam_warmup: int
    kl_warmup: int = 0


class ProximalAdam:
    """Adam with a metric that is constant over each column W(g)[:, j].

    A column-wise scalar metric keeps the group soft-threshold exact, so every
    step is a true variable-metric proximal gradient step: its fixed points are
    the stationary points of J, and pruned columns are exactly zero. The metric
    is Adam's RMS gradient averaged over the column, so the step is invariant to
    the scale of the data (the reference code's plain SGD step of 1e-4 is not).

    *W* is (G, p, K), or (R, G, p, K) for R replicas trained together.
    """

    def __init__(self, W, lr, betas=(0.9, 0.999), eps=1e-8):
        self.W, self.lr, self.betas, self.eps = W, lr, betas, eps
        self.m = torch.zeros_like(W)
        self.v = torch.zeros_like(W)
        self.t = 0

    @torch.no_grad()
    def step(self, lam):
        """One step; *lam* is a float or a tensor of one value per replica, (R, 1, 1, 1)."""
        b1, b2 = self.betas
        self.t += 1
        grad = self.W.grad
        self.m.lerp_(grad, 1 - b1)
        self.v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        rms = (self.v.mean(dim=-2, keepdim=True) / (1 - b2**self.t)).sqrt_().add_(self.eps)
        step = self.lr / rms
        self.W.addcmul_(step, self.m, value=-1 / (1 - b1**self.t))
        if torch.is_tensor(lam) or lam > 0:
            shrink_columns(self.W, step * lam)

    def state_dict(self):
        return {"m": self.m, "v": self.v, "t": self.t}

    def load_state_dict(self, state):
        self.m.copy_(torch.as_tensor(state["m"]))
        self.v.copy_(torch.as_tensor(state["v"]))
        self.t = int(state["t"])


@torch.no_grad()
def shrink_columns(W, threshold):
    """Group soft-threshold of every column W[..., g, :, j], in place.

    ``W[g, :, j] <- W[g, :, j] / ||.|| * max(0, ||.|| - threshold[g, 0, j])``:
    the proximal operator of ``threshold * ||.||_2``. Columns whose norm is
    at most the threshold become exact zeros; a zero threshold leaves W exactly
    as it is.
    """
    # not linalg.vector_norm: ten times slower on small CPU tensors
    norms = W.square().sum(dim=-2, keepdim=True).sqrt_()
    factor = torch.clamp(1 - threshold / torch.clamp(norms, min=torch.finfo(W.dtype).tiny),
                         min=0)
    W.mul_(factor)


class Trainer:
    """Runs the optimisation of one :class:`OIVAEModule` on a data tensor.

    Parameters
    ----------
    module : OIVAEModule
    X : torch.Tensor, (n_samples, n_features)
        Data in the caller's feature order, on the module's device. Minibatches
        are gathered from it; it is never copied whole.
    config : TrainConfig
    generator : torch.Generator
        Source of minibatch orders and reparameterisation noise.
    """

    replica_dims = ()  # (R,) for R replicas trained together (ReplicaTrainer)

    def __init__(self, module, X, config, generator):
        self.module, self.X, self.config, self.generator = module, X, config, generator
        self.n_samples = X.shape[0]
        # The encoder reads minibatches in the caller's order, the likelihood in
        # the padded bucket layout.
        self.padder = Padder(module.padded.data_columns, X.device)
        self.optimizer = torch.optim.Adam(
            [{"params": [*module.encoder_parameters(), module.log_var]},
             {"params": module.generator_parameters(),
              "weight_decay": 1 / config.prior_scale**2}],
            lr=config.lr, **_adam_implementation(X.device))
        self.prox = ProximalAdam(module.W, config.lr)
        self.iteration = 0
        self.steps_per_epoch = max(1, self.n_samples // config.batch_size)
        self._buffers = None

    def minibatch(self, idx):
        """Rows *idx* of X: in the caller's order and in the padded layout.

        Both are written into buffers reused across steps (a fresh
        minibatch-sized allocation costs as much as a pass over it); the padded
        copy holds ``mc_samples`` stacked repeats and is overwritten by
        :meth:`terms`. With R replicas *idx* holds R rows per minibatch row,
        and a row of the padded copy holds the R replicas' rows.
        """
        n, reps = len(idx) // math.prod(self.replica_dims), self.config.mc_samples
        if self._buffers is None or self._buffers[0].shape[0] != len(idx):
            self._buffers = (self.X.new_empty(len(idx), self.X.shape[1]),
                             self.X.new_empty(n * reps, self.module.n_padded))
        xb, padded = self._buffers
        torch.index_select(self.X, 0, idx, out=xb)
        self.padder(xb.view(n, -1), padded[:n])
        for rep in range(1, reps):
            padded[rep * n:(rep + 1) * n].copy_(padded[:n])
        return xb, padded

    def terms(self, batch, std_multiplier):
        """Per-observation reconstruction and KL on a minibatch.

        *batch* comes from :meth:`minibatch`. log p(theta) is not a term of the
        step's loss: its gradient is applied by the optimiser's weight decay
        and its value is recorded once per epoch (:meth:`run`).
        """
        xb, padded = batch
        head = self.module.encoder_head(self._encoder_input(xb))
        z, kl = reparameterise(head, self._noise(head), std_multiplier)
        return self.module.expected_log_likelihood(padded, z), kl

    def _encoder_input(self, xb):
        return xb

    def _noise(self, head):
        """Standard normal draws for :func:`reparameterise`, (mc_samples, n, K)."""
        return torch.randn((self.config.mc_samples, len(head), head.shape[1] // 2),
                           generator=self.generator, device=head.device, dtype=head.dtype)

    def current_lam(self):
        ramp = self.config.lam_warmup
        if ramp <= 0 or self.iteration >= ramp:
            return self.config.lam
        return self.config.lam * self.iteration / ramp

    def kl_weight(self):
        """Weight of the KL term: grows linearly from 0 over ``kl_warmup`` iterations.

        Deep generators need it: a latent that only a nonlinear generator can
        use gives no gradient until the encoder carries it, and at full KL
        weight the encoder never starts (posterior collapse; see the model
        page of the documentation).
        """
        ramp = self.config.kl_warmup
        if ramp <= 0 or self.iteration >= ramp:
            return 1.0
        return self.iteration / ramp

    def epoch(self, n_steps):
        """Run *n_steps* iterations; return the (n_steps, [R,] 2) tensor of (rec, kl)."""
        cfg = self.config
        record = torch.empty(n_steps, *self.replica_dims, 2, device=self.X.device)
        order = self._epoch_order()
        for step in range(n_steps):
            record[step] = self.step(order[step], 0.1 if self.iteration < cfg.warmup else 1.0)
            self.iteration += 1
        return record

    def _epoch_order(self):
        """The rows of X of every step of an epoch, (steps_per_epoch, batch_size)."""
        size = self.steps_per_epoch * self.config.batch_size
        perm = torch.randperm(self.n_samples, generator=self.generator,
                              device=self.X.device)
        return perm[:size].view(self.steps_per_epoch, -1)

    def step(self, idx, std_multiplier):
        """One iteration on the rows *idx* of X; returns (rec, kl) without a graph."""
        rec, kl = self.terms(self.minibatch(idx), std_multiplier)
        weight = self.kl_weight()
        loss = (kl if weight == 1.0 else weight * kl) - rec
        self.optimizer.zero_grad(set_to_none=True)
        self.module.W.grad = None
        loss.sum().backward()
        self.optimizer.step()
        self.prox.step(self.current_lam())
        return torch.stack([rec, kl], -1).detach()

    def snapshot(self):
        return {k: v.detach().clone() for k, v in self.module.state_dict().items()}

    def check_finite(self, record, first_iteration):
        """Raise DivergenceError naming the first non-finite term or parameter."""
        bad = ~torch.isfinite(record)
        if bad.any():
            where = [int(i) for i in torch.nonzero(bad)[0]]  # step, [replica,] term
            replica = f" of replica {where[1]}" if len(where) == 3 else ""
            raise DivergenceError(
                f"the {TERMS[where[-1]]} term of the ELBO{replica} became non-finite at "
                f"iteration {first_iteration + where[0]}")
        for name, param in self.module.named_parameters():
            if not torch.isfinite(param).all():
                raise DivergenceError(
                    f"parameter {name} became non-finite between iterations "
                    f"{first_iteration} and {first_iteration + len(record) - 1}")

    def state_dict(self):
        """Everything needed to continue this run bit-identically (checkpoints).

        Parameters, Adam's moments and the proximal step's moments are in the
        canonical form (:meth:`OIVAEModule.canonical_state`), so a run resumes
        whatever the layout it continues in. Adam's step count is one number:
        every parameter gets a gradient at every iteration. Single-model
        trainers only (checkpoints follow one fit).
        """
        module, names = self.module, self._optimized_parameters()
        adam = self.optimizer.state_dict()["state"]
        moments = {key: module.canonical_state({name: adam[i][key] for i, name in
                                                enumerate(names)})
                   for key in ("exp_avg", "exp_avg_sq")}
        prox = {key: module.canonical_state({"W": value})
                for key, value in self.prox.state_dict().items() if key != "t"}
        return {"module": module.canonical_state(), "adam": moments,
                "adam_step": float(adam[0]["step"]) if adam else 0.0,
                "prox": prox, "prox_t": self.prox.t, "generator": self.generator.get_state(),
                "iteration": self.iteration}

    def load_state_dict(self, state):
        """Continue from a :meth:`state_dict` (of a run in any layout)."""
        module, device = self.module, self.X.device
        module.load_state_dict(module.internal_state(state["module"]))
        adam = self.optimizer.state_dict()
        moments = {key: module.internal_state(value) for key, value in state["adam"].items()}
        for i, name in enumerate(self._optimized_parameters()):
            adam["state"][i] = {"step": torch.tensor(float(state["adam_step"])),
                                **{key: value[name].to(device)
                                   for key, value in moments.items()}}
        self.optimizer.load_state_dict(adam)
        self.prox.load_state_dict({"t": state["prox_t"], **{
            key: module.internal_state(value)["W"] for key, value in state["prox"].items()}})
        self.generator.set_state(state["generator"])
        self.iteration = int(state["iteration"])

    def _optimized_parameters(self):
        """Names of the parameters Adam updates, in its order (its state's indices)."""
        names = {param: name for name, param in self.module.named_parameters()}
        return [names[param] for group in self.optimizer.param_groups
                for param in group["params"]]

    def run(self, history, on_epoch=None):
        """Train until ``config.n_iter`` iterations; append one entry per epoch to *history*.

        The reconstruction and KL terms are means over the epoch's steps; the
        priors (log p(theta), group lasso) are taken at the epoch's end.

        On divergence the module is restored to its state at the end of the last
        finite epoch before the error propagates.
        """
        try:
            self._epochs(history, on_epoch)
        finally:
            self.module.release_workspace()
        return history

    def _epochs(self, history, on_epoch):
        good = self.snapshot()
        while self.iteration < self.config.n_iter:
            first = self.iteration
            n_steps = min(self.steps_per_epoch, self.config.n_iter - first)
            try:
                record = self.epoch(n_steps)
                self.check_finite(record, first)
            except DivergenceError:
                self.module.load_state_dict(good)
                raise
            good = self.snapshot()
            self._record(history, record)
            if on_epoch is not None:
                on_epoch(self)

    def _record(self, history, record):
        """Append the epoch's terms to *history* (a list of R histories for replicas)."""
        with torch.no_grad():
            log_priors = self.module.log_prior_theta(self.config.prior_scale).view(-1)
        norms = self.module.group_norms().sum((-2, -1)).view(-1).tolist()
        histories = history if self.replica_dims else [history]
        for hist, (rec, kl), log_prior, lam, norm in zip(
                histories, record.mean(0).view(-1, 2).tolist(), log_priors.tolist(),
                self.lams, norms):
            penalty = -lam * norm
            for key, value in zip(("iteration", *TERMS, "elbo"),
                                  (self.iteration, rec, kl, log_prior, penalty,
                                   rec - kl + log_prior + penalty)):
                hist.setdefault(key, []).append(value)

    @property
    def lams(self):
        """Group-lasso strength of every replica."""
        return [self.config.lam]


def _adam_implementation(device):
    """Fused Adam where torch has it for *device*: a few kernels for all tensors.

    On a CPU it is about 3x faster than the per-tensor loop, which matters at
    small minibatches where the step is a millisecond.
    """
    fused_cpu = tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 4)
    return {"fused": True} if device.type == "cuda" or fused_cpu else {"foreach": True}
