"""Memory and time of simulate_recording against the simulate_raw projection it replaced.

:func:`mne_oivae.datasets.simulate_recording` projects its sources to the
sensors with :func:`mne.apply_forward_raw`, a chunk of the
:class:`mne.simulation.SourceSimulator` at a time, because
:func:`mne.simulation.simulate_raw` holds a copy of the gain matrix for every
time point of a chunk (channels x sources x 1,000 samples). Each side runs in
a fresh process, which reports its peak resident memory and time:

- ``simulate_recording``: a whole recording of ``--seconds`` (sources,
  projection, sensor noise, dSPM inverse);
- ``simulate_raw``: only the projection that ``simulate_recording`` made
  before, of random waveforms of the same length on every region of the
  recording's source space, through its fixed-orientation forward model.

Both include loading the cached forward model. The last line is
``seconds=<s> channels=<n> spacing=<s> memory_ratio=<simulate_raw / simulate_recording>
time_ratio=<simulate_raw / simulate_recording>``; the ratios understate the
gain, as the new side does the whole simulation. That both projections give the
same sensor data is checked by ``tests/test_sensor_networks.py``.

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

SFREQ = 100.0


def run(how, args):
    """Runs in a fresh process: (number of channels, peak RSS in GB, seconds)."""
    mne.set_log_level("WARNING")
    settings = dict(sensors=args.sensors, n_epochs=1, spacing=args.spacing, sfreq=SFREQ,
                    subjects_dir=args.subjects_dir, data_path=args.data_path, random_state=0)
    if how == "simulate_recording":
        start = time.perf_counter()
        info = simulate_recording(epoch_duration=args.seconds, **settings).raw.info
    else:
        sim = simulate_recording(epoch_duration=1.0, **settings)
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
        mne.simulation.simulate_raw(info, simulator, forward=fixed, n_jobs=1)
    seconds = time.perf_counter() - start
    return len(info.ch_names), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, seconds


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
    for how in ("simulate_raw", "simulate_recording"):
        with context.Pool(1) as pool:
            results[how] = pool.apply(run, (how, args))
        print(f"{how:>18}: peak memory {results[how][1]:.2f} GB, {results[how][2]:.1f} s",
              flush=True)
    (channels, ref_gb, ref_s), (_, our_gb, our_s) = results.values()
    print(f"seconds={args.seconds:g} channels={channels} spacing={args.spacing} "
          f"memory_ratio={ref_gb / our_gb:.2f} time_ratio={ref_s / our_s:.1f}")


if __name__ == "__main__":
    main()
