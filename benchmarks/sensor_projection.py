"""Memory and time of the sensor projection of simulate_recording, against simulate_raw.

:func:`mne_oivae.datasets.simulate_recording` projects its sources to the
sensors with :func:`mne.apply_forward_raw`, a chunk of the
:class:`mne.simulation.SourceSimulator` at a time, because
:func:`mne.simulation.simulate_raw` holds a copy of the gain matrix for every
time point of a chunk (channels x sources x 1,000 samples). Both project the
same random waveforms on every HCP-MMP1 region of the recording's source
space through its fixed-orientation forward model (306 MEG channels, ico-4 by
default); each runs in a fresh process, which reports its peak resident memory
and the time of the projection. The last line is
``seconds=<s> channels=<n> spacing=<s> memory_ratio=<simulate_raw / ours>
time_ratio=<simulate_raw / ours> max_abs_diff=<relative to the signal's peak>``.

``simulate_raw`` needs about 12 GB with the MEG channels on ico-4.

Run: ``python benchmarks/sensor_projection.py [--sensors meg] [--seconds 20]
[--spacing ico4]`` (``--subjects-dir``, ``--data-path`` as for ``sensor_networks.py``).
"""

import argparse
import multiprocessing
import resource
import time

import mne
import numpy as np

from mne_oivae.datasets import simulate_recording
from mne_oivae.datasets._sensor_networks import _project

SFREQ = 100.0


def project(how, args):
    """Runs in a fresh process: (sensor data, peak RSS in GB, seconds of the projection)."""
    mne.set_log_level("WARNING")
    sim = simulate_recording(sensors=args.sensors, n_epochs=1, spacing=args.spacing,
                             sfreq=SFREQ, subjects_dir=args.subjects_dir,
                             data_path=args.data_path, random_state=0)
    fixed = mne.convert_forward_solution(sim.fwd, surf_ori=True, force_fixed=True,
                                         use_cps=True)
    simulator = mne.simulation.SourceSimulator(sim.src, tstep=1.0 / SFREQ)
    rng = np.random.default_rng(0)
    for label in sim.labels:
        simulator.add_data(label, 1e-9 * rng.standard_normal(int(args.seconds * SFREQ)),
                           np.array([[0, 0, 1]]))
    info = sim.raw.info
    del sim
    start = time.perf_counter()
    if how == "simulate_raw":
        raw = mne.simulation.simulate_raw(info, simulator, forward=fixed, n_jobs=1)
    else:
        raw = _project(simulator, fixed, info)
    seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    return raw.get_data(), peak_gb, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensors", default="meg", choices=("meg", "eeg"))
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--spacing", default="ico4")
    parser.add_argument("--subjects-dir", default=None)
    parser.add_argument("--data-path", default=None)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    results = {}
    for how in ("simulate_raw", "apply_forward_raw"):
        with context.Pool(1) as pool:
            results[how] = pool.apply(project, (how, args))
        print(f"{how:>18}: peak memory {results[how][1]:.2f} GB, "
              f"projection {results[how][2]:.1f} s", flush=True)
    (ref, ref_gb, ref_s), (ours, our_gb, our_s) = results.values()
    diff = np.abs(ours - ref).max() / np.abs(ref).max()
    print(f"seconds={args.seconds:g} channels={ref.shape[0]} "
          f"spacing={args.spacing} memory_ratio={ref_gb / our_gb:.2f} "
          f"time_ratio={ref_s / our_s:.1f} max_abs_diff={diff:.1e}")


if __name__ == "__main__":
    main()
