"""Replicas trained together give the fits of sequential training, seed by seed.

A replica differs from its sequential fit only by float reassociation inside
batched matmuls (a bmm over replicas instead of one mm); in float64 every
parameter agrees to ``RTOL`` after tens of steps, and the proximal step
prunes the same columns.
"""

import numpy as np
import pytest
import torch

from mne_oivae._layout import GroupLayout
from mne_oivae._model import OIVAEModule
from mne_oivae._replicas import ReplicaModule, ReplicaTask, ReplicaTrainer, fit_replicas
from mne_oivae._train import DivergenceError, Trainer, TrainConfig

# unequal sizes in a scrambled feature order: several padded buckets
SIZES = [3, 9, 1, 4, 9, 2, 7]
RTOL, ATOL = 1e-9, 1e-12  # float64, 40 steps


def _groups():
    perm = np.random.default_rng(0).permutation(sum(SIZES))
    edges = np.cumsum([0, *SIZES])
    return [perm[a:b] for a, b in zip(edges[:-1], edges[1:])]


def _module(seed, group_latent_dim=2, hidden=(5,), encoder_hidden=(4,),
            activate_input=False):
    layout = GroupLayout(_groups(), 2.0)
    module = OIVAEModule(layout, 3, group_latent_dim, hidden, encoder_hidden, "tanh",
                         torch.Generator().manual_seed(seed), activate_input).double()
    with torch.no_grad():
        module.log_var.uniform_(-0.5, 0.5, generator=torch.Generator().manual_seed(seed + 1))
        module.noise_floor.fill_(0.05 * (1 + seed))
    return module


def _config(**kwargs):
    cfg = dict(n_iter=40, batch_size=16, lr=1e-2, lam=0.0, prior_scale=0.7, mc_samples=2,
               warmup=2, lam_warmup=6)
    return TrainConfig(**{**cfg, **kwargs})


def _data(n=70):
    rng = np.random.default_rng(2)
    return torch.as_tensor(rng.standard_normal((n, sum(SIZES))) * 2 + 1)


def _sequential(task, X, config):
    rows = slice(None) if task.rows is None else torch.as_tensor(task.rows)
    config = TrainConfig(**{**config.__dict__, "lam": task.lam})
    trainer = Trainer(task.module, X[rows].contiguous(), config,
                      torch.Generator().manual_seed(task.seed))
    return trainer.run({})


def _assert_same_fit(replica, sequential, rtol=RTOL, atol=ATOL):
    for (name, a), b in zip(replica.named_parameters(), sequential.parameters()):
        np.testing.assert_allclose(a.detach(), b.detach(), rtol=rtol, atol=atol, err_msg=name)
    assert torch.equal(replica.group_norms() == 0, sequential.group_norms() == 0)


@pytest.mark.parametrize("group_latent_dim, hidden, encoder_hidden, activate_input", [
    (2, (5,), (4,), False), (1, (), (), False), (None, (), (), False),
    (3, (4, 6), (4,), False), (8, (), (), True)])  # the last: the paper's V tanh(u) + b
def test_replicas_match_sequential_fits(group_latent_dim, hidden, encoder_hidden,
                                        activate_input):
    """Own seeds, lams and training rows (unequal folds) per replica, as sequential fits."""
    X = _data()
    rng = np.random.default_rng(3)
    folds = [np.sort(rng.permutation(70)[:n]) for n in (60, 56, 64)]
    specs = [(11, 0.0, None), (12, 0.3, folds[0]), (13, 1.0, folds[1]), (14, 0.3, folds[2])]
    config = _config()

    def tasks():
        return [ReplicaTask(_module(seed, group_latent_dim, hidden, encoder_hidden,
                                    activate_input), seed, lam, rows)
                for seed, lam, rows in specs]

    together, alone = tasks(), tasks()
    histories = fit_replicas(together, X, config)
    for t_rep, t_seq, history in zip(together, alone, histories):
        reference = _sequential(t_seq, X, config)
        _assert_same_fit(t_rep.module, t_seq.module)
        assert history.keys() == reference.keys()
        for key in reference:
            np.testing.assert_allclose(history[key], reference[key], rtol=1e-9, err_msg=key)
    assert any((t.module.group_norms() == 0).any() for t in together)  # the lasso pruned


def test_float32_replicas_match_sequential_fits():
    """In float32 a short fit agrees with its sequential twin to 1e-4."""
    X = _data().float()
    config = _config(n_iter=24, lam=0.0)
    seeds = (3, 4, 5)
    together = [ReplicaTask(_module(s).float(), s, 0.5) for s in seeds]
    alone = [ReplicaTask(_module(s).float(), s, 0.5) for s in seeds]
    fit_replicas(together, X, config)
    for t_rep, t_seq in zip(together, alone):
        _sequential(t_seq, X, config)
        _assert_same_fit(t_rep.module, t_seq.module, rtol=1e-4, atol=1e-5)


def test_chunks_give_the_same_fits():
    X = _data()
    config = _config(n_iter=12)
    specs = [(s, 0.2 * s) for s in range(5)]
    whole = [ReplicaTask(_module(s), s, lam) for s, lam in specs]
    chunked = [ReplicaTask(_module(s), s, lam) for s, lam in specs]
    fit_replicas(whole, X, config)
    fit_replicas(chunked, X, config, chunk_bytes=1)  # one replica per chunk
    for a, b in zip(whole, chunked):
        _assert_same_fit(a.module, b.module)


def test_replica_layout_round_trips():
    modules = [_module(s) for s in range(3)]
    replica = ReplicaModule(modules)
    assert replica.W.shape == (3, *modules[0].W.shape)
    assert replica.slot_groups is not None  # several buckets: groups reordered
    assert replica.n_padded == 3 * modules[0].n_padded
    targets = [_module(s + 10) for s in range(3)]
    replica.unstack(targets)
    for a, b in zip(modules, targets):
        for pa, pb in zip(a.parameters(), b.parameters()):
            assert torch.equal(pa, pb)
    log_priors = replica.log_prior_theta(0.7)
    assert log_priors.shape == (3,)
    for value, module in zip(log_priors, modules):
        assert value.item() == pytest.approx(module.log_prior_theta(0.7).item(), rel=1e-12)


def test_replicas_with_different_epochs_are_refused():
    X = _data()
    modules = [_module(s) for s in range(2)]
    rows = [torch.arange(64), torch.arange(32)]
    with pytest.raises(ValueError, match=r"\[2, 4\] steps per epoch cannot train together"):
        ReplicaTrainer(ReplicaModule(modules), X, _config(), [torch.Generator()] * 2,
                       [0.1, 0.1], rows)


def test_divergence_names_the_replica():
    X = _data()
    X[5:, 0] = np.inf
    with pytest.raises(DivergenceError, match="of replica 0 became non-finite"):
        fit_replicas([ReplicaTask(_module(s), s, 0.1) for s in range(2)], X, _config())
