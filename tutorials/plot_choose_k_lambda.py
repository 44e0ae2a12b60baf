"""
.. _tut-choose-k-lambda:

============================================
Choosing the number of components and lambda
============================================

oi-VAE has two structural settings: the number of latent components ``K``
(``n_components``) and the group-lasso strength ``lam``. This tutorial picks them
the way one picks any density model's size, by the log-likelihood of held-out
data (:meth:`~mne_oivae.OIVAE.score`), with scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV`; then it checks what held-out
likelihood cannot see: whether the component-to-group map is the same when the
fit starts from another random seed.
"""

# %%
import itertools

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, GroupKFold

from mne_oivae import OIVAE, fsaverage_subjects_dir, stc_to_groups
from mne_oivae.datasets import make_bars, simulate_networks
from mne_oivae.metrics import map_agreement
from mne_oivae.presets import MEG_REGIONS
from mne_oivae.viz import plot_group_weights

# %%
# Source time courses in epochs
# -----------------------------
# Twenty epochs of 100 time points of simulated source activity with four
# planted networks (see :ref:`tut-meg-networks`), one time course per region.
# Every time point is an observation (a row of ``X``); ``grouped.epochs`` says
# which epoch (source estimate) each row comes from.
subjects_dir = fsaverage_subjects_dir()
sim = simulate_networks(n_epochs=20, subjects_dir=subjects_dir, accept=True,
                        random_state=0)
grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src)
print(f"X: {grouped.X.shape[0]} time points x {grouped.X.shape[1]} regions, "
      f"{len(sim.stcs)} epochs; {len(sim.true_sets)} planted networks")

# %%
# Held-out log-likelihood over a grid, epoch by epoch
# ---------------------------------------------------
# :class:`~mne_oivae.OIVAE` is a scikit-learn estimator whose
# :meth:`~mne_oivae.OIVAE.score` is the mean importance-sampled
# :math:`\log p(x)` per held-out observation (a lower bound that tightens with
# ``n_importance``; the paper's Table 2 uses the same estimate), so
# :class:`~sklearn.model_selection.GridSearchCV` can choose ``K`` and ``lam``.
#
# The folds must keep **whole epochs** together: ``GroupKFold`` with the epoch
# of every row as ``groups``. Time points of one epoch are not independent
# draws: at MEG sampling rates neighbouring samples share slow activity, and
# one epoch shares its evoked response, its artefacts and its head position.
# A shuffled split puts near-copies of every test sample into the training
# set, so the held-out score rewards memorising the recording and favours
# models that are too large. (In ``search.fit``, ``groups`` are the
# cross-validation groups, the epochs; the feature groups, the regions, are
# the estimator's ``groups`` parameter.)
#
# Held-out likelihood alone always prefers less sparsity: the group lasso
# trades some fit for interpretability. So among the settings whose score is
# within one standard error of the best, ``refit`` takes the sparsest one (the
# largest ``lam``, then the smallest ``K``), the usual one-standard-error rule.
# To keep the grid quick, each fit runs half the preset's iterations (its
# three restarts train together as replicas of one model, at about 1.4 times
# the cost of one).


n_splits = 3


def sparsest_within_one_se(cv_results):
    """Index of the largest lam (then smallest K) within 1 SE of the best score."""
    mean = cv_results["mean_test_score"]
    # scikit-learn's std is over folds with ddof=0; the SE of the mean uses ddof=1
    se = cv_results["std_test_score"] / np.sqrt(n_splits - 1)
    best = np.argmax(mean)
    ok = np.flatnonzero(mean >= mean[best] - se[best])
    lam = np.asarray(cv_results["param_lam"], dtype=float)[ok]
    K = np.asarray(cv_results["param_n_components"], dtype=int)[ok]
    return int(ok[np.lexsort((K, -lam))[0]])


grid = {"n_components": [2, 4, 8], "lam": [0.02, 0.1]}
quick = dict(MEG_REGIONS, n_iter=1500, lam_warmup=750)
model = OIVAE(**quick, groups=grouped.groups, random_state=0, verbose=False)
search = GridSearchCV(model, grid, cv=GroupKFold(n_splits), refit=sparsest_within_one_se)
search.fit(grouped.X, groups=grouped.epochs)
print(f"chosen: {search.best_params_}, "
      f"{search.best_estimator_.active_components_.size} active components")

scores = {(params["lam"], params["n_components"]): score for params, score in zip(
    search.cv_results_["params"], search.cv_results_["mean_test_score"])}
fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
for lam in grid["lam"]:
    ax.plot(grid["n_components"], [scores[lam, K] for K in grid["n_components"]], "o-",
            label=f"lambda = {lam:g}")
ax.plot(search.best_params_["n_components"], search.cv_results_["mean_test_score"][
    search.best_index_], "k*", markersize=14, label="chosen")
ax.set(xlabel="number of components K", ylabel="held-out log p(x) per time point",
       xticks=grid["n_components"], title=f"{n_splits}-fold cross-validation by epoch")
ax.legend()

# %%
# Held-out likelihood rises steeply up to the four planted networks and only
# a little beyond. Choosing a ``K`` above the truth is safe: the chosen model,
# with ``K = 8``, has four active components, as the group lasso pruned the
# surplus to exact zeros. The stronger ``lam = 0.1`` costs held-out
# likelihood at every ``K``: it shrinks the weights the networks need. So the
# likelihood sets a lower bound on ``K`` (give the group lasso room), and
# ``lam`` is the largest value that costs little held-out likelihood.
#
# For ``lam`` alone there is a one-line shortcut without a grid:
# :class:`~mne_oivae.OIVAECV` fits a whole path of ``lam`` values on every
# fold together (as replicas of one model: 7 lams x 5 folds cost about ten
# single fits, scores and refit included), applies the same one-standard-error rule and refits the choice; ``K``
# needs no grid there, as the group lasso prunes the surplus of a generous
# ``n_components``. :ref:`tut-meg-networks` uses it.
#
# Is the map stable across random seeds?
# --------------------------------------
# A map worth interpreting must not depend on the initialisation. We use the
# bars data (:ref:`sphx_glr_auto_tutorials_plot_bars.py`), whose answer is
# known (8 rows, so 8 components, one per row), and fit ``K = 8`` from four
# seeds, with and without the group lasso. Components are only defined up to
# order, so :func:`~mne_oivae.metrics.map_agreement` aligns the components of
# two fits (Hungarian algorithm on the correlation of their weight profiles)
# and reports the correlation between the aligned maps, every component scaled
# to a maximum of 1: 1 means the same component-to-group map.


X_train, groups = make_bars(n_samples=2048, random_state=0)
X_test, _ = make_bars(n_samples=1024, random_state=1)  # new images, same process
seeds = range(4)
fits = {lam: [OIVAE(n_components=8, lam=lam, groups=groups, n_init=1, random_state=seed,
                    verbose=False).fit(X_train) for seed in seeds] for lam in (1.0, 0.0)}

fig, axes = plt.subplots(2, len(seeds), figsize=(10, 4.8), layout="constrained",
                         sharex=True, sharey=True)
for row, (lam, lam_fits) in enumerate(fits.items()):
    for seed, ax, fit in zip(seeds, axes[row], lam_fits):
        plot_group_weights(fit, normalize=True, axes=ax, show=False,
                           title=f"lambda = {lam:g}, seed {seed}")
    axes[row, 0].set_ylabel("row (group)")
for ax in axes[1]:
    ax.set_xlabel("component")

for lam, lam_fits in fits.items():
    weights = [fit.group_weights_ for fit in lam_fits]
    values = [map_agreement(a, b) for a, b in itertools.combinations(weights, 2)]
    print(f"lambda = {lam:g}: map correlation over {len(values)} pairs of seeds: "
          f"mean {np.mean(values):.2f}, min {np.min(values):.2f}")
    print("  seed  active  training objective  held-out log p(x)")
    for seed, fit in zip(seeds, lam_fits):
        print(f"  {seed:>4}  {fit.active_components_.size:>6}  "
              f"{fit.history_['elbo'][-1]:>18.2f}  "
              f"{fit.score(X_test, n_importance=100):>17.2f}")

# %%
# Without the group lasso the dense maps change from seed to seed, although
# their held-out likelihoods are alike: no single map deserves interpretation.
# With ``lam = 1`` the seeds that find one component per row give the same map
# up to the order of the components. A seed can also end in a poorer optimum,
# with two rows sharing a component and one component pruned; compare the
# training objective of the seeds, which includes the group-lasso penalty.
# ``n_init`` in :class:`~mne_oivae.OIVAE` (three initialisations by default)
# ranks the fits by its data term, their ELBO on all training rows after
# training, and keeps the best (see
# :ref:`which restart to keep <which-restart>`). On real data: choose ``K``
# and ``lam`` by held-out likelihood, fit with ``n_init > 1``, and interpret
# the map only if it is stable across seeds.
plt.show()
