"""Wall time of a paper-scale MEG fit: 41,000 observations, 44 groups, K = 20, 10,000 iterations.

The data are simulated label time courses with the paper's shape (44 regions,
one time course each; a sparse low-rank signal plus noise). The model is
oi-VAE with K = 20, one latent dimension per region (p = 1), affine region
generators, lam = 0.05 (the MEG demo's), batch 256, one initialisation. The fit
runs on the CPU and, when torch sees a CUDA GPU, again on the GPU.

The last line is ``cpu_s=<seconds> gpu_s=<seconds or nan>``.

Usage::

    python benchmarks/meg_fit_time.py [--threads 1] [--n-iter 10000]
"""

import argparse
import time

import numpy as np
import torch

from mne_oivae import OIVAE

N_SAMPLES, N_GROUPS, N_COMPONENTS = 41000, 44, 20


def simulate(seed=0):
    rng = np.random.default_rng(seed)
    sources = rng.standard_normal((N_SAMPLES, 6))
    mixing = rng.standard_normal((6, N_GROUPS)) * (rng.random((6, N_GROUPS)) < 0.3)
    X = sources @ mixing + 0.5 * rng.standard_normal((N_SAMPLES, N_GROUPS))
    return X.astype(np.float32)


def fit_seconds(X, device, n_iter):
    model = OIVAE(n_components=N_COMPONENTS, lam=0.05, group_latent_dim=1, n_iter=n_iter,
                  batch_size=256, n_init=1, random_state=0, device=device, verbose=False,
                  groups=np.arange(N_GROUPS))
    start = time.perf_counter()
    model.fit(X)
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--n-iter", type=int, default=10000)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    X = simulate()
    print(f"data {X.shape[0]} x {X.shape[1]} float32, K = {N_COMPONENTS}, p = 1, affine, "
          f"batch 256, {args.n_iter} iterations, torch {torch.__version__}")
    times = {}
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        seconds, model = fit_seconds(X, device, args.n_iter)
        times[device] = seconds
        name = torch.cuda.get_device_name() if device == "cuda" else (
            f"CPU, {torch.get_num_threads()} thread(s)")
        print(f"{device}: {seconds:.1f} s ({1e3 * seconds / args.n_iter:.2f} ms per iteration) "
              f"on {name}; {len(model.active_components_)} active components, final ELBO "
              f"{model.history_['elbo'][-1]:.2f}", flush=True)
    print(f"cpu_s={times['cpu']:.1f} gpu_s={times.get('cuda', float('nan')):.1f}")


if __name__ == "__main__":
    main()
