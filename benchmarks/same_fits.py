"""Same seeds, same fits: record fitted outputs and compare them bit for bit across versions.

Run once with ``--save ref.npz`` on one version of the package and with
``--compare ref.npz`` on another (same machine, same torch, one thread). For
each configuration (a single fit, restarts, a lam path, cross-validation
folds, deep generators with KL annealing, identity generators, activated
inputs with warm-ups) it records every fitted model's ``group_weights_``,
``transform`` and ``inverse_transform`` outputs, ``history_["elbo"]`` and
``score``; ``--compare`` prints, per configuration, whether every array is
identical (``torch.equal``) and the largest difference.

Only public names are used, so the script runs on any version of the package.

Usage::

    python benchmarks/same_fits.py --save ref.npz      # on the old version
    python benchmarks/same_fits.py --compare ref.npz   # on the new one
"""

import argparse

import numpy as np
import torch

from mne_oivae import OIVAE
from mne_oivae.datasets import make_bars
from mne_oivae.multi_fit import fit_cv_folds, fit_lam_path

BASE = dict(n_components=8, n_iter=300, random_state=3, device="cpu", verbose=False)
CONFIGS = {
    "single": dict(n_init=1),
    "restarts": dict(n_init=3),
    "deep+kl_warmup": dict(n_init=1, group_latent_dim=4, generator_hidden=(8,),
                           encoder_hidden=(16,), kl_warmup=100),
    "deep restarts": dict(n_init=2, group_latent_dim=4, generator_hidden=(8, 8),
                          activation="relu", kl_warmup=50),
    "identity": dict(n_init=1, group_latent_dim=None),
    "activate_input+warmups": dict(n_init=1, group_latent_dim=3, activate_input=True,
                                   mc_samples=2, warmup=20, lam_warmup=40),
    "lam path": dict(n_init=2, lams=[0.1, 1.0, 3.0]),
    "cv folds": dict(n_init=1, cv=3),
}


def outputs(X, groups):
    """{config/model/quantity: array} of every configuration."""
    Z = np.random.default_rng(0).standard_normal((16, BASE["n_components"]))
    out = {}
    for name, extra in CONFIGS.items():
        extra = dict(extra)
        lams, cv = extra.pop("lams", None), extra.pop("cv", None)
        model = OIVAE(**BASE, **extra, groups=groups)
        if lams is not None:
            models = fit_lam_path(model, X, lams)
        elif cv is not None:
            models = [fold.model for fold in fit_cv_folds(model, X, cv=cv)]
        else:
            models = [model.fit(X)]
        for i, m in enumerate(models):
            for key, value in (("group_weights", m.group_weights_),
                               ("transform", m.transform(X[:64])),
                               ("inverse_transform", m.inverse_transform(Z)),
                               ("elbo", m.history_["elbo"]),
                               ("score", np.array(m.score(X[:64], n_importance=20)))):
                out[f"{name}/{i}/{key}"] = np.asarray(value)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save")
    group.add_argument("--compare")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    X, groups = make_bars(n_samples=512, random_state=0)
    result = outputs(X, groups)
    if args.save:
        np.savez(args.save, **result)
        return
    reference = np.load(args.compare)
    assert sorted(reference.files) == sorted(result), "other configurations"
    all_same = True
    for name in CONFIGS:
        keys = [k for k in result if k.startswith(name + "/")]
        same = all(torch.equal(torch.as_tensor(result[k]), torch.as_tensor(reference[k]))
                   for k in keys)
        diff = max(float(np.max(np.abs(result[k] - reference[k]))) for k in keys)
        all_same &= same
        print(f"{name:<24} {len(keys):>3} arrays  identical={same}  max|diff|={diff:.3g}")
    print(f"all_identical={all_same}")


if __name__ == "__main__":
    main()
