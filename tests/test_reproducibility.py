"""Bit-identical fits across processes, and checkpoints that resume exactly."""

import subprocess
import sys

import pytest
import torch

from mne_oivae import OIVAE
from mne_oivae._engine import Trainer
from mne_oivae.datasets import make_bars

SCRIPT = """
import hashlib, torch
torch.set_num_threads(1)
from mne_oivae import OIVAE
from mne_oivae.datasets import make_bars
X, groups = make_bars(n_samples=256, size=4, random_state=0)
model = OIVAE(n_components=3, n_iter=60, batch_size=32, random_state=123,
              verbose=False, groups=groups).fit(X)
digest = hashlib.sha256()
for name, value in model.module_.state_dict().items():
    digest.update(name.encode() + value.numpy().tobytes())
print(digest.hexdigest())
"""


def test_same_random_state_is_bit_identical_across_processes():
    digests = [subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True,
                              text=True, check=True).stdout.strip() for _ in range(2)]
    assert len(digests[0]) == 64 and digests[0] == digests[1]


def _params(model):
    return {k: v.clone() for k, v in model.module_.state_dict().items()}


@pytest.mark.parametrize("n_init", [1, 3])
def test_checkpoint_resume_is_exact(tmp_path, monkeypatch, n_init):
    """A fit (or restarts, as replicas) stopped mid-run resumes to the uninterrupted fit."""
    X, groups = make_bars(n_samples=128, size=4, random_state=0)
    kwargs = dict(n_components=3, n_iter=80, batch_size=32, n_init=n_init, random_state=5,
                  verbose=False)
    reference = _params(OIVAE(**kwargs, groups=groups).fit(X))

    ckpt = tmp_path / "fit.h5"
    epoch = Trainer.epoch
    calls = {"n": 0}

    def crash_after_ten_epochs(self, n_steps):
        calls["n"] += 1
        if calls["n"] == 11:
            raise KeyboardInterrupt("power cut")
        return epoch(self, n_steps)

    monkeypatch.setattr(Trainer, "epoch", crash_after_ten_epochs)
    with pytest.raises(KeyboardInterrupt):
        OIVAE(**kwargs, groups=groups).fit(X, checkpoint=ckpt, checkpoint_every=8)
    monkeypatch.undo()
    assert ckpt.exists()

    resumed = OIVAE(**kwargs, groups=groups).fit(X, checkpoint=ckpt, checkpoint_every=8,
                                  resume=True)
    for key, value in _params(resumed).items():
        assert torch.equal(value, reference[key]), key
    assert resumed.n_iter_ == 80 and len(resumed.history_["elbo"]) == 20


def test_checkpoint_from_other_settings_is_refused(tmp_path):
    X, groups = make_bars(n_samples=64, size=4, random_state=0)
    ckpt = tmp_path / "fit.h5"
    OIVAE(n_components=3, n_iter=8, batch_size=32, n_init=1, verbose=False,
          groups=groups).fit(
        X, checkpoint=ckpt)
    with pytest.raises(ValueError, match="made with n_components=3, but this fit uses "
                                         "n_components=4"):
        OIVAE(n_components=4, n_iter=16, batch_size=32, n_init=1, verbose=False,
              groups=groups).fit(
            X, checkpoint=ckpt, resume=True)
    with pytest.raises(ValueError, match="made with n_init=1, but this fit uses n_init=3"):
        OIVAE(n_components=3, n_iter=16, batch_size=32, n_init=3, verbose=False,
              groups=groups).fit(X, checkpoint=ckpt, resume=True)
