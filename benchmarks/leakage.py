"""Leakage in simulated estimates, before and after symmetric orthogonalisation.

For recordings of :func:`mne_oivae.datasets.simulate_recording` (four random
networks, monotone couplings, defaults otherwise), compares the true region
activity with the label time courses of the inverse solution
(``stc_to_groups``, ``mode="mean_flip"``), all in the alpha band:

- zero-lag |r| between regions that share no network (their true rhythms are
  independent: what the estimates add is leakage), without and with
  :func:`mne_oivae.source.symmetric_orthogonalize`;
- the same for the amplitude envelopes (``decim=5``);
- within-network envelope |r| (the coupling to be found), and the fidelity of
  the network regions' envelopes (|r| between true and estimated envelope).

Run: ``python benchmarks/leakage.py [--sensors eeg meg] [--seeds 0 1]``
(``--subjects-dir``, ``--data-path`` as for ``sensor_networks.py``).
"""

import argparse

import mne
import numpy as np

from mne_oivae import stc_to_groups
from mne_oivae.datasets import simulate_recording
from mne_oivae.source import amplitude_envelope, symmetric_orthogonalize

DECIM = 5


def measure(sim):
    """Every measure of the module docstring for one recording: {name: (true, est, orth)}."""
    n_times = sim.stcs[0].shape[1]
    sfreq = 1.0 / sim.stcs[0].tstep
    epochs = np.repeat(np.arange(len(sim.stcs)), n_times)
    in_network = np.zeros(len(sim.labels), bool)
    in_network[np.concatenate(sim.true_sets)] = True
    pairs = np.triu(np.outer(~in_network, ~in_network), 1)
    est = stc_to_groups(sim.stcs, sim.labels, src=sim.src, standardize=None,
                        verbose=False).X.astype(np.float64)

    def alpha(x):
        return np.concatenate([mne.filter.filter_data(x[epochs == e].T, sfreq, *sim.band,
                                                      verbose=False).T
                               for e in range(len(sim.stcs))])

    def envelope(x):
        return amplitude_envelope(x, sfreq, decim=DECIM, epochs=epochs)[0]

    def within(x):
        return np.mean([np.abs(np.corrcoef(x[:, s].T)[np.triu_indices(len(s), 1)]).mean()
                        for s in sim.true_sets])

    true, est = alpha(sim.activity), alpha(est)
    tcs = (true, est, symmetric_orthogonalize(est))
    envs = [envelope(x) for x in tcs]
    return {
        "zero-lag |r|, no-network pairs": [np.abs(np.corrcoef(x.T)[pairs]).mean()
                                           for x in tcs],
        "envelope |r|, no-network pairs": [np.abs(np.corrcoef(x.T)[pairs]).mean()
                                           for x in envs],
        "envelope |r|, within networks": [within(x) for x in envs],
        "network envelope fidelity": [1.0] + [
            np.mean([abs(np.corrcoef(a, b)[0, 1])
                     for a, b in zip(envs[0][:, in_network].T, x[:, in_network].T)])
            for x in envs[1:]],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensors", nargs="+", default=["eeg", "meg"],
                        choices=["eeg", "meg"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--subjects-dir", default=None)
    parser.add_argument("--data-path", default=None)
    args = parser.parse_args(argv)
    mne.set_log_level("WARNING")
    print(f"{'':<8}{'measure':<34}{'true':>8}{'estimated':>11}{'orthogonalised':>16}")
    for sensors in args.sensors:
        rows = [measure(simulate_recording(4, sensors=sensors, subjects_dir=args.subjects_dir,
                                           data_path=args.data_path, random_state=seed))
                for seed in args.seeds]
        for name in rows[0]:
            true, est, orth = np.mean([r[name] for r in rows], axis=0)
            print(f"{sensors:<8}{name:<34}{true:8.3f}{est:11.3f}{orth:16.3f}", flush=True)


if __name__ == "__main__":
    main()
