"""
.. _tut-bars:

================================
The model in thirty lines: bars
================================

The synthetic benchmark of the oi-VAE paper (Ainsworth et al., 2018, Sec. 6.1):
8 x 8 images in which one randomly chosen row is shaded. The groups are the image
rows, so a good model dedicates one latent component to each row. We fit oi-VAE
with the group lasso (``lam=1``, the paper's setting) and without it (``lam=0``,
a plain grouped VAE), and compare their component-to-group maps.
"""

# %%
# Data: 2048 images, one group per row
# ------------------------------------
# :func:`~mne_oivae.datasets.make_bars` returns the flattened images and a
# :class:`~mne_oivae.GroupSpec` that assigns the 8 pixels of each row to one group.
import matplotlib.pyplot as plt
import numpy as np

from mne_oivae import OIVAE
from mne_oivae.datasets import make_bars
from mne_oivae.metrics import match_components
from mne_oivae.viz import plot_group_weights

# sphinx_gallery_thumbnail_number = 2
X, groups = make_bars(n_samples=2048, random_state=0)
print(X.shape, groups)

fig, axes = plt.subplots(1, 6, figsize=(7, 1.5), layout="constrained")
for ax, image in zip(axes, X[:6]):
    ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=-0.1, vmax=0.6)
    ax.set_axis_off()
fig.suptitle("six training images")

# %%
# Fit with and without the group lasso
# ------------------------------------
# ``K = 8`` components. The estimator's defaults are the recipe that recovers
# the rows: minibatches of 256 images, Adam with ``lr=1e-2``, no encoder warm-up,
# the group lasso ramped up over the first 1000 of 10000 iterations, and the
# best of three initialisations (``n_init=3``, by their ELBO on the training rows). ``lam`` is the group-lasso strength per observation
# (see :doc:`/model`).
models = {lam: OIVAE(n_components=8, lam=lam, random_state=0, verbose=False,
                     groups=groups).fit(X)
          for lam in (1.0, 0.0)}

# %%
# The component-to-group maps
# ---------------------------
# ``group_weights_[g, j]`` is :math:`\|W^{(g)}_{:, j}\|_2`, how strongly component
# ``j`` drives row ``g``. With ``lam=1`` each row is driven by its own component
# and nearly all other weights are exact zeros; with ``lam=0`` every component
# drives every row a little: the map is dense and says nothing about structure.
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
for ax, (lam, model) in zip(axes, models.items()):
    plot_group_weights(model, normalize=True, axes=ax, show=False,
                       title=f"lambda = {lam:g}")

for lam, model in models.items():
    components, share = match_components(model.group_weights_)
    n_zero = int((model.group_weights_ == 0).sum())
    print(f"lambda = {lam:g}: rows -> components {components}, "
          f"share of each row's weight on its component: {np.round(share, 2)}, "
          f"{n_zero} of {model.group_weights_.size} weights exactly 0")

# %%
# What the components generate
# ----------------------------
# Decoding a code with only one active component shows what that component
# draws. Each oi-VAE component shades one row.
model = models[1.0]
components, _ = match_components(model.group_weights_)
codes = 2.0 * np.eye(model.n_components)[components]  # row g's component set to 2
images = model.inverse_transform(codes) - model.inverse_transform(np.zeros((1, 8)))
fig, axes = plt.subplots(1, 8, figsize=(9, 1.6), layout="constrained")
for g, (ax, image) in enumerate(zip(axes, images)):
    ax.imshow(image.reshape(8, 8), cmap="RdBu_r", vmin=-0.6, vmax=0.6)
    ax.set_title(f"z{components[g]}", fontsize=9)
    ax.set_axis_off()
fig.suptitle("change of the decoded image when one component is set to 2")

# %%
# Samples
# -------
# :meth:`~mne_oivae.OIVAE.sample` draws new images from the generative model.
samples = model.sample(6, random_state=1)
fig, axes = plt.subplots(1, 6, figsize=(7, 1.5), layout="constrained")
for ax, image in zip(axes, samples):
    ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=-0.1, vmax=0.6)
    ax.set_axis_off()
fig.suptitle("samples of oi-VAE (lambda = 1)")
plt.show()

# %%
# Next: :ref:`sphx_glr_auto_tutorials_plot_choose_k_lambda.py` shows how to pick
# ``n_components`` and ``lam`` when the answer is not known.
