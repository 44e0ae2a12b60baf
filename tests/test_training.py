"""Replicas trained together give the fits of separate training, seed by seed.

A replica differs from a fit of its own only by float reassociation inside
batched matmuls (a bmm over replicas instead of one mm); in float64 every
parameter agrees to ``RTOL`` after tens of steps, and the proximal step
prunes the same columns. A single fit is one replica.
"""

import numpy as np
import pytest
import torch

from mne_oivae._engine import (Architecture, DivergenceError, GroupLayout, Network, Task,
                               Trainer, TrainConfig, train)

# unequal sizes in a scrambled feature order: several padded buckets
SIZES = [3, 9, 1, 4, 9, 2, 7]
RTOL, ATOL = 1e-9, 1e-12  # float64, 40 steps


def _groups():
    perm = np.random.default_rng(0).permutation(sum(SIZES))
    edges = np.cumsum([0, *SIZES])
    return [perm[a:b] for a, b in zip(edges[:-1], edges[1:])]


def _layout():
    return GroupLayout(_groups(), 2.0)


def _arch(group_latent_dim=2, hidden=(5,), encoder_hidden=(4,), activate_input=False):
    return Architecture(3, group_latent_dim, hidden, encoder_hidden, "tanh", activate_input)


def _config(**kwargs):
    cfg = dict(n_iter=40, batch_size=16, lr=1e-2, lam=0.0, prior_scale=0.7, mc_samples=2,
               warmup=2, lam_warmup=6)
    return TrainConfig(**{**cfg, **kwargs})


def _data(n=70):
    rng = np.random.default_rng(2)
    return torch.as_tensor(rng.standard_normal((n, sum(SIZES))) * 2 + 1)


def _alone(arch, task, X, config):
    """The fit of *task* on its own rows only, as a run of its own."""
    rows = slice(None) if task.rows is None else torch.as_tensor(task.rows)
    (fit,) = train(_layout(), arch, [Task(task.seed, task.lam)], X[rows].contiguous(), config)
    return fit


def _assert_same_fit(replica, alone, rtol=RTOL, atol=ATOL):
    for (name, a), b in zip(replica.named_parameters(), alone.parameters()):
        np.testing.assert_allclose(a.detach(), b.detach(), rtol=rtol, atol=atol, err_msg=name)
    assert torch.equal(replica.group_norms() == 0, alone.group_norms() == 0)


@pytest.mark.parametrize("group_latent_dim, hidden, encoder_hidden, activate_input", [
    (2, (5,), (4,), False), (1, (), (), False), (None, (), (), False),
    (3, (4, 6), (4,), False), (8, (), (), True)])  # the last: the paper's V tanh(u) + b
def test_replicas_match_separate_fits(group_latent_dim, hidden, encoder_hidden,
                                      activate_input):
    """Own seeds, lams and training rows (unequal folds) per replica, as separate fits."""
    X = _data()
    rng = np.random.default_rng(3)
    folds = [np.sort(rng.permutation(70)[:n]) for n in (60, 56, 64)]
    tasks = [Task(11, 0.0), Task(12, 0.3, folds[0]), Task(13, 1.0, folds[1]),
             Task(14, 0.3, folds[2])]
    arch = _arch(group_latent_dim, hidden, encoder_hidden, activate_input)
    config = _config()
    together = train(_layout(), arch, tasks, X, config)
    for fit, task in zip(together, tasks):
        alone = _alone(arch, task, X, config)
        _assert_same_fit(fit.network, alone.network)
        assert fit.history.keys() == alone.history.keys()
        for key in alone.history:
            np.testing.assert_allclose(fit.history[key], alone.history[key], rtol=1e-9,
                                       err_msg=key)
        assert fit.elbo == pytest.approx(alone.elbo, rel=1e-9)  # on its own rows
    assert any((fit.network.group_norms() == 0).any() for fit in together)  # pruned


def test_replicas_match_separate_fits_with_a_subsample_warmup():
    """Each replica's subsample comes from its own seed and rows, as in a fit of its own."""
    X = _data()
    folds = [np.sort(np.random.default_rng(4).permutation(70)[:n]) for n in (64, 66)]
    tasks = [Task(21, 0.3), Task(22, 0.3, folds[0]), Task(23, 0.0, folds[1])]
    config = _config(subsample_warmup=12, subsample_size=20)
    for fit, task in zip(train(_layout(), _arch(), tasks, X, config), tasks):
        _assert_same_fit(fit.network, _alone(_arch(), task, X, config).network)


def test_subsample_warmup_draws_from_one_subset_then_from_all_rows():
    X = _data()
    fold = torch.arange(3, 70)
    network = Network(_layout(), _arch(), seeds=[5, 6]).double()
    config = _config(subsample_warmup=8, subsample_size=20)  # 4 steps per epoch
    trainer = Trainer(network, X, config, [5, 6], [0.0, 0.0], [fold, fold])
    seen = []
    for trainer.iteration in range(0, 16, 4):  # four epochs, two of them subsampled
        seen.append(trainer._epoch_order().view(4 * 16, 2))
    subsets = [trainer.subsample(r) for r in range(2)]
    for r, subset in enumerate(subsets):
        assert len(subset) == 20 and torch.equal(subset, subset.sort().values)
        assert set(subset.tolist()) <= set(fold.tolist())
        for epoch in seen[:2]:  # every row of the subset, over and over; nothing else
            assert set(epoch[:, r].tolist()) == set(subset.tolist())
        later = set(torch.cat([epoch[:, r] for epoch in seen[2:]]).tolist())
        assert len(later) > 50 and later <= set(fold.tolist())
    assert not torch.equal(subsets[0], subsets[1])  # drawn from each replica's seed
    small = Trainer(Network(_layout(), _arch(), seeds=[5]).double(), X,
                    _config(subsample_warmup=8, subsample_size=500), [5], [0.0])
    assert small.subsample(0) is None  # no more rows than the subset: all of them


def test_float32_replicas_match_separate_fits():
    """In float32 a short fit agrees with its separate twin to 1e-4."""
    X = _data().float()
    config = _config(n_iter=24)
    tasks = [Task(s, 0.5) for s in (3, 4, 5)]
    for fit, task in zip(train(_layout(), _arch(), tasks, X, config), tasks):
        _assert_same_fit(fit.network, _alone(_arch(), task, X, config).network, rtol=1e-4,
                         atol=1e-5)


def test_chunks_give_the_same_fits():
    X = _data()
    config = _config(n_iter=12)
    tasks = [Task(s, 0.2 * s) for s in range(5)]
    whole = train(_layout(), _arch(), tasks, X, config)
    chunked = train(_layout(), _arch(), tasks, X, config, chunk_bytes=1)  # one per chunk
    for a, b in zip(whole, chunked):
        _assert_same_fit(a.network, b.network)


def test_replicas_split_into_networks_of_their_own():
    layout, arch = _layout(), _arch()
    stacked = Network(layout, arch, seeds=[0, 1, 2]).double()
    assert stacked.n_replicas == 3 and stacked.slot_groups is not None  # groups reordered
    singles = [Network(layout, arch, seeds=[s]).double() for s in range(3)]
    assert stacked.n_padded == 3 * singles[0].n_padded
    for r, single in enumerate(singles):
        split = stacked.replica(r)
        for (name, pa), pb in zip(split.named_parameters(), single.parameters()):
            assert torch.equal(pa, pb), name  # the same initialisation from the same seed
        assert stacked.log_prior_theta(0.7)[r].item() == pytest.approx(
            single.log_prior_theta(0.7).item(), rel=1e-12)


def test_elbo_is_the_data_term_on_all_rows():
    """With the parameters held still (lr 0), the ELBO agrees with the epoch's record."""
    X = _data(64)
    config = _config(n_iter=1, batch_size=64, lr=0.0, lam=0.3, warmup=0, lam_warmup=0,
                     mc_samples=400)
    trainer = Trainer(Network(_layout(), _arch(), seeds=[3]).double(), X, config, [3], [0.3])
    (history,) = trainer.run([{}])
    (elbo,) = trainer.elbo()
    assert elbo == pytest.approx(history["reconstruction"][-1] - history["kl"][-1],
                                 abs=0.2)  # the KL is 0.9, the priors hundreds


def test_elbo_on_fewer_rows_than_a_minibatch():
    """A minibatch larger than the training rows repeats them, as training does."""
    X = _data(10)
    trainer = Trainer(Network(_layout(), _arch(), seeds=[3]).double(), X,
                      _config(n_iter=4, batch_size=16), [3], [0.3])
    trainer.run([{}])
    (elbo,) = trainer.elbo()
    assert np.isfinite(elbo)


def test_elbo_leaves_the_run_unchanged():
    """Evaluating the ELBO mid-run (as a checkpoint may) changes neither it nor the run."""
    X = _data()
    config = _config(n_iter=16)
    runs = []
    for evaluate in (False, True):
        network = Network(_layout(), _arch(), seeds=[4, 5]).double()
        trainer = Trainer(network, X, config, [4, 5], [0.3, 0.0])

        def on_epoch(tr, evaluate=evaluate):
            if evaluate:
                assert tr.elbo() == tr.elbo()  # the same noise each time
        trainer.run([{}, {}], on_epoch=on_epoch)
        runs.append(network)
    for a, b in zip(*(run.parameters() for run in runs)):
        assert torch.equal(a, b)


def test_replicas_with_different_epochs_are_refused():
    X = _data()
    network = Network(_layout(), _arch(), seeds=[0, 1]).double()
    rows = [torch.arange(64), torch.arange(32)]
    with pytest.raises(ValueError, match=r"\[2, 4\] steps per epoch cannot train together"):
        Trainer(network, X, _config(), [0, 1], [0.1, 0.1], rows)


def test_divergence_names_the_replica_and_returns_every_replica():
    X = _data()
    X[5:, 0] = np.inf
    with pytest.raises(DivergenceError, match="of replica 0 became non-finite") as info:
        train(_layout(), _arch(), [Task(s, 0.1) for s in range(2)], X, _config())
    assert len(info.value.fits) == 2  # at their last finite epoch: here, none
    assert [fit.history for fit in info.value.fits] == [{}, {}]
    assert not any(np.isfinite(fit.elbo) for fit in info.value.fits)


@pytest.mark.parametrize("subsample_warmup", [0, 16])  # 16: resumed inside the warm-up
def test_checkpoint_state_resumes_replicas_exactly(subsample_warmup):
    """A run stopped after 3 epochs and resumed from its state ends where the whole run does."""
    X = _data()
    config = _config(n_iter=20, subsample_warmup=subsample_warmup, subsample_size=20)
    tasks = [Task(s, 0.3) for s in (1, 2)]
    whole = train(_layout(), _arch(), tasks, X, config)
    saved = {}

    def stop_after_three(trainer, histories, n_done):
        if trainer.iteration == 3 * trainer.steps_per_epoch:
            saved.update(state=trainer.state_dict(),
                         histories=[{k: list(v) for k, v in h.items()} for h in histories])

    train(_layout(), _arch(), tasks, X, config, on_epoch=stop_after_three)
    resumed = train(GroupLayout(_groups(), 0.0), _arch(), tasks, X, config, resume=saved)
    for a, b in zip(whole, resumed):
        for key, value in a.network.canonical_state().items():
            np.testing.assert_allclose(b.network.canonical_state()[key], value, rtol=1e-12,
                                       atol=1e-14, err_msg=key)
        assert a.history == b.history
