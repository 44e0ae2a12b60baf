"""Data-parallel fits on 2 CPU processes (gloo, loopback) equal the fit of 1 process."""

import socket

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mne_oivae import OIVAE
from mne_oivae.datasets import make_bars

PARAMS = dict(n_components=12, n_iter=150, batch_size=64, lr=2e-2, n_init=1, device="cpu",
              verbose=False)


def _data():
    return make_bars(n_samples=256, random_state=0)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rank(rank, world, port, out, random_states, n_samples):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world)
    try:
        X, groups = _data()
        model = OIVAE(groups=groups, random_state=random_states[rank], **PARAMS)
        try:
            model.fit(X[:n_samples[rank]])
        except ValueError as err:
            np.save(f"{out}{rank}.npy", np.array(str(err)))
            return
        np.save(f"{out}{rank}.npy", model.group_weights_)
    finally:
        dist.destroy_process_group()


def _spawn(tmp_path, random_states=(0, 0), n_samples=(256, 256)):
    out = str(tmp_path / "rank")
    mp.spawn(_rank, args=(2, _free_port(), out, random_states, n_samples), nprocs=2)
    return [np.load(f"{out}{r}.npy") for r in range(2)]


def test_two_processes_fit_like_one(tmp_path):
    X, groups = _data()
    single = OIVAE(groups=groups, random_state=0, **PARAMS).fit(X).group_weights_
    ranks = _spawn(tmp_path)
    np.testing.assert_array_equal(ranks[0], ranks[1])  # identical updates on every rank
    assert np.abs(ranks[0] - single).max() < 1e-4
    np.testing.assert_array_equal(ranks[0] == 0, single == 0)  # the same pruned columns
    assert (single == 0).any(axis=0).sum() >= 1


@pytest.mark.parametrize("what, kwargs", [
    ("random_state", dict(random_states=(0, 1))),
    ("data_shape", dict(n_samples=(256, 200))),
])
def test_ranks_that_disagree_are_refused(tmp_path, what, kwargs):
    messages = _spawn(tmp_path, **kwargs)
    for message in messages:
        assert "processes of the data-parallel fit disagree on" in str(message)
        assert ("seeds" if what == "random_state" else what) in str(message)
