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
# better. Each fit takes a few seconds on a laptop CPU.
n_components = (4, 8, 12, 16)
lams = (0.0, 0.3, 1.0, 3.0)
scores = np.empty((len(lams), len(n_components)))
n_active = np.empty_like(scores, dtype=int)
models = {}
for (i, lam), (k, K) in itertools.product(enumerate(lams), enumerate(n_components)):
    model = OIVAE(n_components=K, lam=lam, random_state=0, verbose=False)
    model.fit(X_train, groups)
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
# and then stays flat or falls: extra components only add noise. It barely
# depends on ``lam`` as long as the group lasso is not so strong that it prunes
# components the data need (compare the numbers of active components). So the
# likelihood chooses ``K``; among the ``lam`` values that fit equally well, the
# largest gives the sparsest and most interpretable map. With ``K`` larger than
# needed, ``lam`` prunes the surplus components to exact zeros.
#
# Is the map stable across random seeds?
# --------------------------------------
# A map worth interpreting must not depend on the initialisation. We fit
# ``K = 8`` from five seeds, with and without the group lasso. Components are
# only defined up to order, so before comparing two fits we align their
# components (Hungarian algorithm on the correlation of their weight profiles),
# then report the correlation between the aligned maps, every component scaled
# to a maximum of 1: 1 means the same component-to-group map.


def normalised(weights):
    peak = weights.max(axis=0, keepdims=True)
    return np.divide(weights, peak, out=np.zeros_like(weights), where=peak > 0)


def map_agreement(weights_a, weights_b):
    """Correlation of two group-weight maps after aligning their components."""
    a, b = normalised(weights_a), normalised(weights_b)
    similarity = np.nan_to_num(np.corrcoef(a.T, b.T)[: a.shape[1], a.shape[1]:])
    _, order = linear_sum_assignment(similarity, maximize=True)
    return np.corrcoef(a.ravel(), b[:, order].ravel())[0, 1]


seeds = range(5)
agreement = {}
fig, axes = plt.subplots(2, len(seeds), figsize=(11, 4.6), layout="constrained",
                         sharex=True, sharey=True)
for row, lam in enumerate((1.0, 0.0)):
    fits = [models[8, lam] if seed == 0 else
            OIVAE(n_components=8, lam=lam, random_state=seed, verbose=False).fit(
                X_train, groups) for seed in seeds]
    weights = [fit.group_weights_ for fit in fits]
    agreement[lam] = [map_agreement(a, b) for a, b in itertools.combinations(weights, 2)]
    for seed, ax, w in zip(seeds, axes[row], weights):
        ax.imshow(normalised(w), cmap="Blues", vmin=0, vmax=1, aspect="auto")
        ax.set_title(f"lambda = {lam:g}, seed {seed}", fontsize=9)
    axes[row, 0].set_ylabel("row (group)")
for ax in axes[1]:
    ax.set_xlabel("component")

for lam, values in agreement.items():
    print(f"lambda = {lam:g}: map correlation over the {len(values)} pairs of seeds: "
          f"mean {np.mean(values):.2f}, min {np.min(values):.2f}")

# %%
# With ``lam = 1`` every seed gives the same map up to the order of the
# components (one row per component); without the group lasso the dense maps
# change from seed to seed, although their held-out likelihoods are similar.
# This is the point of oi-VAE: the group lasso makes the component-to-group map
# identifiable enough to interpret. On real data, check both: choose ``K`` and
# ``lam`` by held-out likelihood, then keep the map only if it is stable across
# seeds (``n_init`` in :class:`~mne_oivae.OIVAE` fits several seeds and keeps the
# one with the best training objective).
plt.show()
