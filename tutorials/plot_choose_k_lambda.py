"""
.. _tut-choose-k-lambda:

============================================
Choosing the number of components and lambda
============================================

oi-VAE has two structural settings: the number of latent components ``K``
(``n_components``) and the group-lasso strength ``lam``. This tutorial picks them
the way one picks any density model's size, by the log-likelihood of held-out
data (:meth:`~mne_oivae.OIVAE.score`), and then checks what held-out likelihood
cannot see: whether the component-to-group map is the same when the fit starts
from another random seed.

We use the bars data (:ref:`sphx_glr_auto_tutorials_plot_bars.py`), whose answer
is known: 8 rows, so 8 components, one per row.
"""

# %%
import itertools

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import linear_sum_assignment

from mne_oivae import OIVAE
from mne_oivae.datasets import make_bars

X_train, groups = make_bars(n_samples=2048, random_state=0)
X_test, _ = make_bars(n_samples=1024, random_state=1)  # new images, same process

# %%
# Held-out log-likelihood over a grid
# -----------------------------------
# :meth:`~mne_oivae.OIVAE.score` is the mean importance-sampled
# :math:`\log p(x)` per test image (a lower bound that tightens with
# ``n_importance``; the paper's Table 2 uses the same estimate). Higher is
# better. Each fit is a single initialisation (``n_init=1``, so that the seeds
# can be compared below) and takes a few seconds on a laptop CPU.
n_components = (4, 8, 16)
lams = (0.0, 1.0, 3.0)
scores = np.empty((len(lams), len(n_components)))
n_active = np.empty_like(scores, dtype=int)
models = {}
for (i, lam), (k, K) in itertools.product(enumerate(lams), enumerate(n_components)):
    model = OIVAE(n_components=K, lam=lam, groups=groups, n_init=1, random_state=0,
                  verbose=False)
    model.fit(X_train)
    scores[i, k] = model.score(X_test, n_importance=100)
    n_active[i, k] = model.active_components_.size
    models[K, lam] = model

fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
for i, lam in enumerate(lams):
    ax.plot(n_components, scores[i], "o-", label=f"lambda = {lam:g}")
ax.set(xlabel="number of components K", ylabel="held-out log p(x) per image",
       xticks=n_components, title="held-out log-likelihood")
ax.legend()

print("active components (rows: lambda, columns: K)")
print("lambda " + "".join(f"{K:>6}" for K in n_components))
for lam, row in zip(lams, n_active):
    print(f"{lam:6g} " + "".join(f"{n:>6}" for n in row))

# %%
# Held-out likelihood rises steeply up to ``K = 8``, the true number of rows,
# and then stays flat: extra components add nothing. It decreases a little as
# ``lam`` grows (the group lasso trades some fit for sparsity); a ``lam`` so
# strong that it prunes components the data need would cost much more (watch
# the numbers of active components). So the likelihood chooses ``K``, and
# ``lam`` is the largest value that costs little held-out likelihood. With ``K`` larger
# than needed, ``lam`` prunes the surplus components to exact zeros.
#
# Is the map stable across random seeds?
# --------------------------------------
# A map worth interpreting must not depend on the initialisation. We fit
# ``K = 8`` from four seeds, with and without the group lasso. Components are
# only defined up to order, so before comparing two fits we align their
# components (Hungarian algorithm on the correlation of their weight profiles),
# then report the correlation between the aligned maps, every component scaled
# to a maximum of 1: 1 means the same component-to-group map.


def normalised(weights):
    peak = weights.max(axis=0, keepdims=True)
    return np.divide(weights, peak, out=np.zeros_like(weights), where=peak > 0)


def correlation(a, b):
    """Correlation of every column of a with every column of b (0 if constant)."""
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    norms = np.outer(np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0))
    return np.divide(a.T @ b, norms, out=np.zeros_like(norms), where=norms > 0)


def map_agreement(weights_a, weights_b):
    """Correlation of two group-weight maps after aligning their components."""
    a, b = normalised(weights_a), normalised(weights_b)
    _, order = linear_sum_assignment(correlation(a, b), maximize=True)
    return correlation(a.reshape(-1, 1), b[:, order].reshape(-1, 1))[0, 0]


seeds = range(4)
fits = {lam: [models[8, lam]] + [
    OIVAE(n_components=8, lam=lam, n_init=1, random_state=seed, verbose=False, groups=groups).fit(
        X_train) for seed in seeds[1:]] for lam in (1.0, 0.0)}

fig, axes = plt.subplots(2, len(seeds), figsize=(10, 4.8), layout="constrained",
                         sharex=True, sharey=True)
for row, (lam, lam_fits) in enumerate(fits.items()):
    for seed, ax, fit in zip(seeds, axes[row], lam_fits):
        ax.imshow(normalised(fit.group_weights_), cmap="Blues", vmin=0, vmax=1,
                  aspect="auto")
        ax.set_title(f"lambda = {lam:g}, seed {seed}", fontsize=9)
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
# That is what ``n_init`` in :class:`~mne_oivae.OIVAE` uses (three
# initialisations by default): it keeps the fit with the best training
# objective. On real data: choose ``K`` and ``lam`` by held-out likelihood, fit
# with ``n_init > 1``, and interpret the map only if it is stable across seeds.
plt.show()
