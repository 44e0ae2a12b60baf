"""The oi-VAE paper's motion-capture results, to set ours beside."""

#: Training-set sizes of the columns of :data:`PAPER_TABLE2`: the first 1, 2, 5
#: and 10 walk trials of CMU subject 7.
PAPER_TABLE2_TRIALS = (1, 2, 5, 10)

#: Table 2 of Ainsworth, Foti, Lee & Fox (ICML 2018), "Test log-likelihood for
#: VAE and oi-VAE trained on 1, 2, 5, or 10 trials of walk data": the
#: log-likelihood of the whole held-out trial (frames summed), ``"walk"`` a
#: held-out walk of subject 7, ``"brisk"`` the brisk walk 07_12, unseen in
#: training, with its all-zero first frame (which dominates the columns of 5 and
#: 10 trials). ``{model: {test: values for PAPER_TABLE2_TRIALS}}``; the models
#: are named as in ``benchmarks/mocap_table2.py``.
PAPER_TABLE2 = {
    "oi-VAE K=4": {"walk": (-2722, -214, 27, 70),
                   "brisk": (-664608, -13438602, -19289548, -19302680)},
    "oi-VAE K=8": {"walk": (-3196, -195, 29, 75),
                   "brisk": (-283352, -10305693, -19356218, -19302764)},
    "oi-VAE K=16": {"walk": (-3550, -188, 31, 108),
                    "brisk": (-198663, -6781047, -19299964, -19302924)},
    "VAE K=16": {"walk": (-3518, -251, 18, 114),
                 "brisk": (-723795, -15413445, -19302644, -19303072)},
}
