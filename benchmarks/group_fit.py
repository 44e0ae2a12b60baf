"""A group study streamed from disk: memory, data-parallel training, per-subject maps.

Simulated subjects share planted networks with subject-specific variation:
every network's strength varies by subject (a gain drawn from [0.5, 1.5]) and
in every subject one region of one network is swapped for a region outside
all networks. A network k has a latent source ``z_k ~ N(0, 1)`` per time
point; each of its regions follows it through a monotone bend (``z + 0.3
tanh(2 z)``, standardised) with a random gain; every region also carries
background activity (sd 0.5) and is measured by ``--vertices`` features
(random gains in [0.5, 1.5] plus white noise, sd 1), one group per region.
Each subject is written to its own ``.npy`` file.

Measured, side by side in one run:

- ``rss_mb_10``, ``rss_mb_100``: peak resident memory (``ru_maxrss``) of a
  fresh process that fits the group model on 10 and on 100 subjects streamed
  from their files (``OIVAE.fit(list_of_paths)``, ``--rss-iter`` iterations:
  memory does not grow with them). The same for the concatenated array in
  memory is printed on a line before, for comparison, with the wall-clock
  time of the streamed fit over the in-memory one (the files were just
  written, so they are in the page cache: this is the cost of the reads, not
  of a disk).
- ``ddp_max_abs_diff``, ``ddp_time_ratio``: the group model on the first 10
  subjects fitted by 2 processes (``torchrun``, gloo, one thread each, the
  same global minibatch) and by 1: the largest difference of any group weight,
  and wall-clock t(2 processes) / t(1 process) (on a machine with 2 shared
  cores other jobs take part of it: the ratio is what this machine gave).
- ``group_f1``, ``subject_f1``: mean over the first 10 subjects and their
  networks of :func:`~mne_oivae.metrics.network_recovery_f1` against the
  subject's own networks (swapped region included), of the group map used
  for every subject and of every subject's own map
  (:func:`mne_oivae.group.subject_maps`, default ``refit="loadings"``); the
  line before gives them for the network with the swapped region alone, and
  for ``refit="loadings+encoder"``.

Usage::

    python benchmarks/group_fit.py [--subjects 100] [--n-times 4000] [--vertices 4]
        [--n-iter 3000] [--rss-iter 100] [--seed 0] [--dir /tmp/group_fit]

The last line is ``subjects=<n> rss_mb_10=<x> rss_mb_100=<x> ddp_max_abs_diff=<x>
ddp_time_ratio=<x> group_f1=<x> subject_f1=<x>``.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

N_REGIONS = 40
NETWORKS = [[0, 1, 2, 3], [8, 9, 10, 11], [16, 17, 18, 19], [24, 25, 26, 27]]
OUTSIDE = sorted(set(range(N_REGIONS)) - {r for net in NETWORKS for r in net})
N_QUALITY = 10  # subjects of the DDP and map-recovery measurements


def subject_networks(rng):
    """One subject's networks (one region swapped) and their strengths."""
    networks = [list(net) for net in NETWORKS]
    k = rng.integers(len(networks))
    networks[k][rng.integers(len(networks[k]))] = int(rng.choice(OUTSIDE))
    return networks, rng.uniform(0.5, 1.5, len(networks))


def simulate_subject(networks, strengths, n_times, vertices, rng):
    regions = 0.5 * rng.standard_normal((n_times, N_REGIONS))
    for net, strength in zip(networks, strengths):
        z = rng.standard_normal(n_times)
        bent = z + 0.3 * np.tanh(2 * z)
        bent /= bent.std()
        for r in net:
            regions[:, r] += strength * rng.uniform(0.7, 1.3) * bent
    gains = rng.uniform(0.5, 1.5, (N_REGIONS, vertices))
    X = (regions[:, :, None] * gains).reshape(n_times, -1)
    return (X + rng.standard_normal(X.shape)).astype(np.float32)


def _swapped(networks):
    """Index of the network whose region was swapped."""
    return next(k for k, (net, shared) in enumerate(zip(networks, NETWORKS)) if net != shared)


def write_subjects(folder, n_subjects, n_times, vertices, seed):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    truths = []
    for s in range(n_subjects):
        networks, strengths = subject_networks(rng)
        np.save(folder / f"sub-{s:03d}.npy",
                simulate_subject(networks, strengths, n_times, vertices, rng))
        truths.append(networks)
    return [folder / f"sub-{s:03d}.npy" for s in range(n_subjects)], truths


def groups(vertices):
    return np.repeat(np.arange(N_REGIONS), vertices)


def model(vertices, **kwargs):
    from mne_oivae import OIVAE
    from mne_oivae.presets import MEG_REGIONS

    return OIVAE(**{**MEG_REGIONS, **kwargs}, groups=groups(vertices), random_state=0,
                 device="cpu", verbose=False)


# -- workers (fresh processes) ------------------------------------------------
def rss_worker(args):
    import torch

    torch.set_num_threads(1)
    files = sorted(Path(args.dir).glob("sub-*.npy"))[:args.worker_subjects]
    start = time.perf_counter()
    X = files if args.mode == "streamed" else np.concatenate([np.load(f) for f in files])
    model(args.vertices, n_iter=args.rss_iter, n_init=1).fit(X)
    print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "seconds": time.perf_counter() - start}))


def ddp_worker(args):
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    parallel = "WORLD_SIZE" in os.environ
    if parallel:
        dist.init_process_group("gloo")
    files = sorted(Path(args.dir).glob("sub-*.npy"))[:N_QUALITY]
    start = time.perf_counter()
    fitted = model(args.vertices, n_iter=args.ddp_iter, n_init=1).fit(files)
    elapsed = time.perf_counter() - start
    if not parallel or dist.get_rank() == 0:
        np.save(args.out, fitted.group_weights_)
        print(json.dumps({"seconds": elapsed}))
    if parallel:
        dist.destroy_process_group()


def _run(cmd):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=100)
    parser.add_argument("--n-times", type=int, default=4000)
    parser.add_argument("--vertices", type=int, default=4)
    parser.add_argument("--n-iter", type=int, default=3000)
    parser.add_argument("--map-iter", type=int, default=1000)
    parser.add_argument("--rss-iter", type=int, default=100)
    parser.add_argument("--ddp-iter", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", default="/tmp/group_fit")
    parser.add_argument("--worker", choices=["rss", "ddp"])
    parser.add_argument("--mode", choices=["streamed", "memory"], default="streamed")
    parser.add_argument("--worker-subjects", type=int)
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.worker:
        return {"rss": rss_worker, "ddp": ddp_worker}[args.worker](args)

    import torch

    from mne_oivae.group import REFITS, subject_maps
    from mne_oivae.metrics import network_recovery_f1
    from mne_oivae.presets import NETWORK_THRESHOLD

    torch.set_num_threads(1)
    folder = Path(args.dir)
    files, truths = write_subjects(folder, args.subjects, args.n_times, args.vertices,
                                   args.seed)
    size_mb = sum(f.stat().st_size for f in files) / 2**20
    print(f"{args.subjects} subjects x {args.n_times} times x "
          f"{N_REGIONS * args.vertices} features on disk: {size_mb:.0f} MB")
    me = [sys.executable, __file__, "--dir", str(folder), "--vertices", str(args.vertices),
          "--rss-iter", str(args.rss_iter), "--ddp-iter", str(args.ddp_iter)]
    rss, seconds = {}, {}
    for mode in ("streamed", "memory"):
        for n in (N_QUALITY, args.subjects):
            out = _run(me + ["--worker", "rss", "--mode", mode, "--worker-subjects", str(n)])
            rss[mode, n], seconds[mode, n] = out["rss_mb"], out["seconds"]
    print(f"in memory: rss_mb_{N_QUALITY}={rss['memory', N_QUALITY]:.0f} "
          f"rss_mb_{args.subjects}={rss['memory', args.subjects]:.0f}; time of the "
          "streamed fit (reading included) / the in-memory one (loading included): "
          + ", ".join(f"{n} subjects {seconds['streamed', n] / seconds['memory', n]:.2f}"
                      for n in (N_QUALITY, args.subjects)))

    one = _run(me + ["--worker", "ddp", "--out", str(folder / "one.npy")])
    two = _run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                "--nproc-per-node=2", *me[1:], "--worker", "ddp",
                "--out", str(folder / "two.npy")])
    w1, w2 = np.load(folder / "one.npy"), np.load(folder / "two.npy")
    ddp_diff = float(np.abs(w1 - w2).max())
    print(f"ddp: 1 process {one['seconds']:.1f} s, 2 processes {two['seconds']:.1f} s, "
          f"same pruned columns: {bool(np.array_equal(w1 == 0, w2 == 0))}")

    start = time.perf_counter()
    group = model(args.vertices, n_iter=args.n_iter).fit(files[:N_QUALITY])
    truths = truths[:N_QUALITY]
    maps = {refit: subject_maps(group, files[:N_QUALITY], refit=refit, n_iter=args.map_iter)
            for refit in REFITS}
    print(f"group fit and {N_QUALITY} x {len(REFITS)} subject maps: "
          f"{time.perf_counter() - start:.0f} s; "
          f"{group.active_components_.size} active components")

    def f1(subject_maps):
        """F1 per subject and network, and that of the network with the swapped region."""
        scores = np.array([network_recovery_f1(truth, m, NETWORK_THRESHOLD)[0]
                           for truth, m in zip(truths, subject_maps)])
        return scores, np.mean([s[_swapped(t)] for s, t in zip(scores, truths)])

    shared_f1 = network_recovery_f1(NETWORKS, group.group_weights_, NETWORK_THRESHOLD)[0]
    group_f1, group_swapped = f1([group.group_weights_] * N_QUALITY)
    print(f"group map vs the shared networks: F1 {shared_f1.mean():.3f}; vs every "
          f"subject's networks: {group_f1.mean():.3f} (network with the swapped region: "
          f"{group_swapped:.3f})")
    for refit, subject in maps.items():
        scores, swapped = f1(subject)
        print(f"subject maps, refit={refit!r}: F1 {scores.mean():.3f} (network with the "
              f"swapped region: {swapped:.3f})")
    subject_f1 = f1(maps[REFITS[0]])[0]
    print(f"subjects={args.subjects} rss_mb_10={rss['streamed', N_QUALITY]:.0f} "
          f"rss_mb_100={rss['streamed', args.subjects]:.0f} ddp_max_abs_diff={ddp_diff:.2e} "
          f"ddp_time_ratio={two['seconds'] / one['seconds']:.2f} "
          f"group_f1={np.mean(group_f1):.3f} subject_f1={np.mean(subject_f1):.3f}")


if __name__ == "__main__":
    main()
