"""The batched engine computes the same objective and updates as a per-group loop.

``benchmarks/loop_reference.py`` is the speed benchmark's reference: one small
network, likelihood and proximal step per group, as in the original oi-VAE
code. These tests pin that it is the same model as the package's engine
(same loss terms, same parameters after training steps), so the benchmark's
ratios compare like with like. No timing here.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from mne_oivae._engine import (ACTIVATIONS, Architecture, GroupLayout, Network, Trainer,
                               TrainConfig)
from mne_oivae._engine.kernels import reparameterise

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from loop_reference import LoopOIVAE, LoopTrainer  # noqa: E402

# unequal sizes in a scrambled feature order: several padded buckets
SIZES = [3, 9, 1, 4, 9, 2, 7]


def _groups():
    perm = np.random.default_rng(0).permutation(sum(SIZES))
    edges = np.cumsum([0, *SIZES])
    return [perm[a:b] for a, b in zip(edges[:-1], edges[1:])]


def _module(group_latent_dim=2, hidden=(5,), bucket_cost=2.0, activation="tanh",
            activate_input=False):
    layout = GroupLayout(_groups(), bucket_cost)
    module = Network(layout, Architecture(3, group_latent_dim, hidden, (4,), activation,
                                          activate_input)).double()
    with torch.no_grad():
        module.log_var.uniform_(-0.5, 0.5, generator=torch.Generator().manual_seed(1))
        module.noise_floor.fill_(0.05)
    return module


def _config(**kwargs):
    cfg = dict(n_iter=100, batch_size=16, lr=1e-2, lam=0.3, prior_scale=0.7,
               mc_samples=2, warmup=2, lam_warmup=3)
    return TrainConfig(**{**cfg, **kwargs})


def _data():
    rng = np.random.default_rng(2)
    return torch.as_tensor(rng.standard_normal((64, sum(SIZES))) * 2 + 1)


def test_layout_has_padding_and_several_buckets():
    module = _module()
    assert len(module.layout.buckets) > 1
    assert module.n_padded > module.layout.n_features
    assert not module.layout.is_identity_order


def test_loop_reference_matches_batched_engine():
    """Same loss terms every step and same parameters after 8 Adam+prox steps."""
    module = _module()
    X = _data()
    reference = LoopOIVAE(module)
    loop = LoopTrainer(reference, X[:, module.layout.feature_order].contiguous(), _config(),
                       torch.Generator().manual_seed(5))
    batched = Trainer(module, X, _config(), [5], [_config().lam])
    np.testing.assert_allclose(batched.epoch(4).numpy(), loop.epoch(4).numpy(), rtol=1e-10)
    np.testing.assert_allclose(batched.epoch(4).numpy(), loop.epoch(4).numpy(), rtol=1e-10)

    sizes = module.layout.sizes
    starts = np.cumsum([0, *sizes[:-1]])
    for g, (start, size) in enumerate(zip(starts, sizes)):
        np.testing.assert_allclose(reference.W[g].detach(), module.W[g].detach(), rtol=1e-9,
                                   atol=1e-12)
        slot = module.layout.slot(g)
        out = module.out_weights[slot.bucket][slot.row]
        np.testing.assert_allclose(reference.out_weights[g].detach(), out[:, :size].detach(),
                                   rtol=1e-9, atol=1e-12)
        assert (out[:, size:] == 0).all()  # padding stays exactly zero
        for ref_w, w in zip(reference.gen_weights[g], module.gen_weights):
            np.testing.assert_allclose(ref_w.detach(), w[g].detach(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(reference.log_var[g].detach(),
                                   module.log_var[start:start + size].detach(), rtol=1e-9)
        np.testing.assert_allclose(reference.feature_bias[g].detach(),
                                   module.feature_bias[start:start + size].detach(),
                                   rtol=1e-9, atol=1e-12)
    encoder = [p.detach() for p in module.encoder_parameters()]
    encoder[0] = encoder[0][:, module.layout.feature_order]  # the loop's input order
    for ref_p, p in zip(reference.encoder_parameters(), encoder):
        np.testing.assert_allclose(ref_p.detach(), p, rtol=1e-9, atol=1e-12)
    # the group lasso did prune: both engines agree on exact zeros
    assert (module.group_norms() == 0).any()
    ref_norms = torch.stack([torch.linalg.vector_norm(w.detach(), dim=0) for w in reference.W])
    assert torch.equal(ref_norms == 0, module.group_norms()[0] == 0)


@pytest.mark.parametrize("group_latent_dim, hidden, activation, activate_input", [
    (2, (5,), "tanh", False), (1, (), "tanh", False), (None, (), "tanh", False),
    (3, (4, 6), "tanh", False), (2, (5, 3), "relu", False), (2, (5,), "softplus", False),
    (2, (5,), "elu", False), (2, (5,), "sigmoid", False), (2, (3,), "tanh", False),
    (2, (4, 3), "relu", False),  # last width <= 4: 9-wide buckets expand
    # f_g(u) = V tanh(u) + b, the paper's mocap generator: narrow buckets (p = 8)
    # and expanded ones (p = 2), alone and before hidden layers
    (8, (), "tanh", True), (2, (), "tanh", True), (2, (5,), "tanh", True),
    (2, (4, 3), "relu", True)])
def test_fused_likelihood_matches_decode(group_latent_dim, hidden, activation,
                                         activate_input):
    """expected_log_likelihood = mean log N(x; decode(z), D), values and gradients.

    The fused op recomputes hidden activations in its backward pass and
    differentiates every nonlinearity by hand; autograd through ``decode``
    is the reference.
    """
    module = _module(group_latent_dim, hidden, activation=activation,
                     activate_input=activate_input)
    order = module.layout.feature_order
    x = _data()[:10, order]  # internal order
    z = torch.randn(10, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)

    unfused = module.log_likelihood(x, module.decode(z)).mean()
    grads = torch.autograd.grad(unfused, list(module.parameters()), allow_unused=True)

    padded = x.new_zeros(10, module.n_padded)
    position = (torch.arange(len(order)) if module.padded_position is None
                else module.padded_position)
    padded[:, position] = x
    fused = module.expected_log_likelihood(padded, z).sum()
    fused_grads = torch.autograd.grad(fused, list(module.parameters()), allow_unused=True)

    assert fused.item() == pytest.approx(unfused.item(), rel=1e-12)
    for (name, _), a, b in zip(module.named_parameters(), grads, fused_grads):
        if a is None:
            assert b is None or not b.any(), name
        else:
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=name)


def test_tanh_matches_torch():
    x = torch.linspace(-12, 12, 20001, dtype=torch.float64, requires_grad=True)
    module = _module()
    y = module.activation.function(x)
    np.testing.assert_allclose(y.detach(), torch.tanh(x.detach()), atol=1e-14)
    (grad,) = torch.autograd.grad(y.sum(), x)
    np.testing.assert_allclose(grad, 1 - torch.tanh(x.detach()) ** 2, atol=1e-14)


def test_custom_gradients_pass_gradcheck():
    gen = torch.Generator().manual_seed(4)
    head = torch.randn(5, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    eps = torch.randn(2, 5, 3, generator=gen, dtype=torch.float64)
    for multiplier in (1.0, 0.1):
        assert torch.autograd.gradcheck(lambda h, m=multiplier: reparameterise(h, eps, m),
                                        (head,))
    assert torch.autograd.gradcheck(ACTIVATIONS["tanh"].function, (head,))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (none here)")
def test_fused_likelihood_on_cuda_matches_cpu():
    module = _module()
    order = module.layout.feature_order
    x = _data()[:10, order]
    z = torch.randn(10, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    padded = x.new_zeros(10, module.n_padded)
    padded[:, module.padded_position] = x
    values, grads = [], []
    for device in ("cpu", "cuda"):
        moved = module.to(device)
        value = moved.expected_log_likelihood(padded.clone().to(device),
                                              z.to(device)).sum()
        grads.append([g.cpu() for g in torch.autograd.grad(value, list(moved.parameters()),
                                                           allow_unused=True)
                      if g is not None])
        values.append(value.item())
    assert values[1] == pytest.approx(values[0], rel=1e-10)
    for a, b in zip(*grads):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-8, atol=1e-12)
