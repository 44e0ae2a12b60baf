"""The torch core: layout, proximal operator, ELBO terms against hand computations."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mne_oivae._engine import (Architecture, GroupLayout, Network, ProximalAdam, Trainer,
                               TrainConfig, shrink_columns, shrink_components)


def test_layout_buckets_cover_every_feature_once():
    sizes = [20, 700, 35, 21, 650, 300, 22, 1]
    edges = np.cumsum([0, *sizes])
    indices = [np.arange(a, b) for a, b in zip(edges[:-1], edges[1:])]
    layout = GroupLayout(indices)
    assert 1 < len(layout.buckets) <= 5
    assert sorted(layout.feature_order) == list(range(sum(sizes)))
    padded = sum(bucket.n_groups * bucket.width for bucket in layout.buckets)
    assert padded < 1.5 * sum(sizes)  # versus 8 * 700 = 5600 when padding to the max
    # a bucket's valid columns select exactly its groups' features
    for bucket in layout.buckets:
        assert layout.padding_mask(bucket).sum() == layout.sizes[bucket.groups].sum()
    position = layout.padded().position
    assert len(np.unique(position)) == sum(sizes) and position.max() < padded


def test_shrink_columns_exact():
    W = torch.tensor([[[3.0, 0.1], [4.0, 0.0]]])  # one group, p=2, K=2: norms 5 and 0.1
    shrink_columns(W, torch.tensor([[[1.0, 0.5]]]))
    # column 0: scaled by (5 - 1) / 5; column 1 is below the threshold: exact zero
    np.testing.assert_allclose(W[0, :, 0].numpy(), [2.4, 3.2], rtol=1e-6)
    assert (W[0, :, 1] == 0).all()


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, (3, 4, 2),
              elements=st.floats(-10, 10).filter(lambda v: v == 0 or abs(v) > 1e-100)),
       st.floats(0, 20))
def test_shrink_is_the_group_lasso_prox(w, t):
    """Closed form equals the prox: norm shrinks by t, direction kept, zero below t."""
    W = torch.tensor(w)
    norms = np.linalg.norm(w, axis=1)
    shrink_columns(W, torch.full((3, 1, 2), t, dtype=torch.float64))
    out = W.numpy()
    new_norms = np.linalg.norm(out, axis=1)
    np.testing.assert_allclose(new_norms, np.maximum(norms - t, 0), atol=1e-9)
    for g in range(3):
        for j in range(2):
            if norms[g, j] <= t:
                assert (out[g, :, j] == 0).all()  # machine-precision zeros
            else:
                np.testing.assert_allclose(out[g, :, j] / new_norms[g, j],
                                           w[g, :, j] / norms[g, j], atol=1e-9)


def test_proximal_adam_fixed_point_is_stationary():
    """Minimising 0.5||W - A||^2 + lam sum ||W_col|| converges to the prox of A."""
    A = torch.tensor([[[2.0, 0.3], [0.0, -0.2]]])
    W = torch.zeros_like(A, requires_grad=True)
    opt = ProximalAdam(W, lr=0.01)
    for _ in range(3000):
        W.grad = (W.detach() - A)
        opt.step(lam=0.5)
    expected = A.clone()
    shrink_columns(expected, torch.full((1, 1, 2), 0.5))
    np.testing.assert_allclose(W.detach().numpy(), expected.numpy(), atol=2e-3)
    assert (W[0, :, 1] == 0).all()


def test_shrink_components_is_the_component_prox():
    """A component's norm over all its groups shrinks by t; below t it is zero everywhere."""
    W = torch.tensor([[[3.0, 0.1], [0.0, 0.0]], [[0.0, 0.0], [4.0, 0.1]]])  # 2 groups, p=2
    shrink_components(W, torch.tensor([[[1.0, 0.5]]]))
    np.testing.assert_allclose(W[:, :, 0].numpy(), [[2.4, 0.0], [0.0, 3.2]], rtol=1e-6)
    assert (W[:, :, 1] == 0).all()  # norm 0.14 over both groups: exact zeros


def test_proximal_adam_hierarchical_fixed_point():
    """With the component norm, the fixed point is the hierarchical group lasso's prox of A.

    The two groups' columns are alike, so every column's metric is the same and the
    columns' soft-threshold followed by the components' is the exact prox.
    """
    A = torch.tensor([[[2.0, 0.25], [1.0, 0.15]], [[2.0, 0.25], [1.0, 0.15]]])
    W = torch.zeros_like(A, requires_grad=True)
    opt = ProximalAdam(W, lr=0.01, component_lasso=1.0)
    for _ in range(3000):
        W.grad = (W.detach() - A)
        opt.step(lam=0.2)
    expected = A.clone()
    shrink_columns(expected, 0.2)
    shrink_components(expected, 0.2)
    np.testing.assert_allclose(W.detach().numpy(), expected.numpy(), atol=2e-3)
    # column norms 0.29 -> 0.09 (kept by the group lasso), component norm 0.13: pruned
    assert (W[:, :, 1] == 0).all()
    assert (W[:, :, 0] != 0).all()


def test_proximal_adam_component_norm_stays_within_a_replica():
    """Replicas trained together shrink their components as each would alone."""
    A = torch.randn(2 * 3, 2, 4, generator=torch.Generator().manual_seed(0))
    lams = torch.tensor([0.05, 0.4]).repeat_interleave(3).view(-1, 1, 1)
    together = torch.zeros_like(A, requires_grad=True)
    alone = [torch.zeros(3, 2, 4, requires_grad=True) for _ in range(2)]
    optimizers = [ProximalAdam(together, lr=0.05, n_replicas=2, component_lasso=2.0)] + [
        ProximalAdam(W, lr=0.05, component_lasso=2.0) for W in alone]
    for _ in range(200):
        together.grad = together.detach() - A
        optimizers[0].step(lams)
        for r, (W, opt) in enumerate(zip(alone, optimizers[1:])):
            W.grad = W.detach() - A[3 * r:3 * r + 3]
            opt.step(lams[3 * r:3 * r + 3])
    np.testing.assert_allclose(together.detach().numpy(),
                               torch.cat(alone).detach().numpy(), atol=1e-6)
    assert together[3:].detach().abs().sum() < together[:3].detach().abs().sum()


def _tiny_module(seed=0, hidden=()):
    layout = GroupLayout([np.array([2]), np.array([0, 1])])  # groups reordered inside
    gen = torch.Generator().manual_seed(seed)
    module = Network(layout, Architecture(2, 1, hidden, (), "tanh"), [seed]).double()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * 0.5)
        for weight, bucket in zip(module.out_weights, layout.buckets):
            weight.mul_(torch.as_tensor(layout.padding_mask(bucket))[:, None, :])
    return module


def test_elbo_terms_match_hand_computation():
    module = _tiny_module()
    x = torch.tensor([[0.3, -1.0, 2.0], [1.5, 0.2, -0.4]], dtype=torch.float64)
    cfg = TrainConfig(n_iter=1, batch_size=2, lr=1e-2, lam=1.0, prior_scale=0.7,
                      mc_samples=1, warmup=0, lam_warmup=0)
    trainer = Trainer(module, x, cfg, [3], [cfg.lam])
    rec, kl = trainer.terms(trainer.minibatch(torch.arange(2)), 1.0)
    log_prior = module.log_prior_theta(cfg.prior_scale)

    # by hand, in the original feature order, from the same noise
    eps = torch.randn((1, 2, 2), generator=torch.Generator().manual_seed(3),
                      dtype=torch.float64)[0].numpy()
    P = {k: v.detach().numpy() for k, v in module.named_parameters()}
    order = module.layout.feature_order
    xi = x.numpy()[:, order]  # internal order: groups sorted by size
    out = x.numpy() @ P["enc_out_weight"].T + P["enc_out_bias"]  # caller's order
    mu, sd = out[:, :2], (np.log1p(np.exp(out[:, 2:])) + 1e-4)
    z = mu + sd * eps
    # internal group 0 = original group 1 (features 0, 1), internal 1 = original 0
    mean = np.empty((2, 3))
    pos = 0
    for ig, size in enumerate(module.layout.sizes):
        u = z @ P["W"][ig].T                     # (n, p)
        y = u @ P["out_weights.0"][ig][:, :size]  # (n, size)
        mean[:, pos:pos + size] = y
        pos += size
    mean += P["feature_bias"]
    var = np.exp(P["log_var"])
    ll = -0.5 * (((xi - mean) ** 2 / var) + np.log(var) + np.log(2 * np.pi)).sum(1)
    kl_hand = 0.5 * (mu**2 + sd**2 - 1 - 2 * np.log(sd)).sum(1)
    theta = np.concatenate([P["feature_bias"],
                            P["out_weights.0"][0, :, :2].ravel(),
                            P["out_weights.0"][1, :, :1].ravel()])
    lp = (-0.5 * theta**2 / 0.49 - np.log(0.7) - 0.5 * np.log(2 * np.pi)).sum()
    np.testing.assert_allclose(rec.item(), ll.mean(), rtol=1e-10)
    np.testing.assert_allclose(kl.item(), kl_hand.mean(), rtol=1e-10)
    np.testing.assert_allclose(log_prior.item(), lp, rtol=1e-10)
    assert sorted(order) == [0, 1, 2] and list(order) == [0, 1, 2]


def test_padding_carries_no_output_and_no_prior():
    module = _tiny_module(hidden=(3,))
    # bucket holds groups of sizes 2 and 1 padded to width 2: one padded column
    assert len(module.layout.buckets) == 1
    mask = torch.as_tensor(module.layout.padding_mask(module.layout.buckets[0]))[:, None, :]
    assert mask.sum() == 3 and (module.out_weights[0] * ~mask == 0).all()
    z = torch.randn(4, 2, dtype=torch.float64)
    assert module.decode(z).shape == (4, 3)
    n_prior = sum(p.numel() for p in [*module.gen_weights, *module.gen_biases,
                                      module.feature_bias]) + 3 * 3
    scale = 1.0
    expected_const = -n_prior * (math.log(scale) + 0.5 * math.log(2 * math.pi))
    with torch.no_grad():
        for p in module.generator_parameters():
            p.zero_()
    assert module.log_prior_theta(scale).item() == pytest.approx(expected_const)
