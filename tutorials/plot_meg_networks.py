"""
.. _tut-meg-networks:

====================================
Functional networks in MEG sources
====================================

The MEG experiment of the oi-VAE paper: every time point of the cortical source
estimates is one observation, every region of the HCP-MMP1 parcellation is one
group, and the group lasso makes each latent component drive a sparse set of
regions, a functional network. Here the source estimates are simulated on the
fsaverage brain with four planted networks, so we can check the recovered
networks against the truth before trusting the method on real data.

The pipeline is: :class:`mne.SourceEstimate` objects and labels
→ :func:`~mne_oivae.stc_to_groups` (data matrix and groups)
→ :class:`~mne_oivae.OIVAE`
→ :func:`~mne_oivae.component_maps` (a :class:`~mne.SourceEstimate` per
component) → the brain, or files for other tools
(:func:`~mne_oivae.save_component_maps`).
"""

# %%
# fsaverage and the HCP-MMP1 parcellation
# ---------------------------------------
# The template brain comes from :func:`mne.datasets.fetch_fsaverage` unless
# ``SUBJECTS_DIR`` already holds ``fsaverage``
# (:func:`~mne_oivae.fsaverage_subjects_dir` says what to do if it can't). The 44 regions of the combined
# HCP-MMP1 parcellation (22 per hemisphere, without the medial wall) are read,
# and downloaded if needed, by :func:`~mne_oivae.read_hcpmmp1_labels`;
# ``accept=True`` accepts the parcellation's license (see :doc:`/cite`).
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import mne
import nibabel as nib
import numpy as np

from mne_oivae import (OIVAE, OIVAECV, component_maps, fsaverage_subjects_dir,
                       read_hcpmmp1_labels, save_component_maps, stc_to_groups,
                       top_groups)
from mne_oivae.datasets import simulate_networks
from mne_oivae.metrics import network_recovery_f1
from mne_oivae.presets import MEG_REGIONS, MEG_REGIONS_LAMS
from mne_oivae.viz import (component_image, plot_group_interactions, plot_group_weights,
                           plot_lam_selection)

# sphinx_gallery_thumbnail_number = 4
subjects_dir = fsaverage_subjects_dir()
labels = read_hcpmmp1_labels(subjects_dir, accept=True)
print(f"{len(labels)} regions, e.g. {labels[0].name!r}")

brain = mne.viz.Brain("fsaverage", hemi="split", surf="inflated", views="lateral",
                      subjects_dir=subjects_dir, background="white", size=(900, 350),
                      show=False)
brain.add_annotation("HCPMMP1_combined", borders=False)
fig, ax = plt.subplots(figsize=(9, 3.5), layout="constrained")
ax.imshow(brain.screenshot())
ax.set_axis_off()
ax.set_title("HCP-MMP1 combined regions on the inflated fsaverage surface")
brain.close()

# %%
# Source estimates with planted networks
# --------------------------------------
# :func:`~mne_oivae.datasets.simulate_networks` simulates 20 epochs of 100
# source time points on an ico-3 source space. Four latent sources (visual,
# auditory, sensorimotor, frontoparietal) each drive a set of regions through
# random nonlinear maps; every region also has its own background activity and
# every vertex white noise. In a real analysis the source estimates come from
# :func:`mne.minimum_norm.apply_inverse_epochs` instead (pass its generator
# straight to :func:`~mne_oivae.stc_to_groups`).
sim = simulate_networks(n_epochs=20, subjects_dir=subjects_dir, accept=True,
                        random_state=0)
print(sim.stcs[0])
for name, regions in sim.networks.items():
    print(f"{name}: {', '.join(regions)}")

# %%
# From source estimates to grouped data
# -------------------------------------
# :func:`~mne_oivae.stc_to_groups` extracts one time course per label
# (``mode="mean_flip"``, which needs the source space for the sign flips) and
# z-scores every region. Every time point of every estimate becomes a row.
grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src)
print(grouped)

# %%
# Fit oi-VAE, with lambda chosen from the data
# --------------------------------------------
# With one time course per region every group is a single feature, which gains
# little likelihood per unit of :math:`\|W^{(g)}_{:, j}\|`: the paper's
# ``lam=1`` prunes everything here. How much smaller ``lam`` must be depends on
# the data (the number of networks, their overlap, the recording's length and
# noise), and a real recording has no ground truth to tune it against.
# :class:`~mne_oivae.OIVAECV` chooses it: every candidate of
# :data:`~mne_oivae.presets.MEG_REGIONS_LAMS` is fitted on 4/5 of the epochs
# and scored by the log-likelihood of the held-out fifth, all 35 fits trained
# together as replicas of one model. Folds keep epochs whole
# (``grouped.epochs`` says which estimate every row came from): neighbouring
# time points are near-copies of each other, so a fold that shared an epoch
# with the training rows would reward overfitting. The rule takes the largest
# ``lam`` whose score is within one standard error of the best (the sparsest
# map the data cannot tell from the best fit) and refits it on all epochs.
#
# :data:`~mne_oivae.presets.MEG_REGIONS` holds the rest of the recipe: twenty
# components, as in the paper (room for ten networks and more; the surplus
# is pruned), the penalty
# ramped up over the first 1500 iterations (``lam_warmup``) so that components
# form before the pruning starts, and the best of three initialisations by the
# ELBO on the training rows (a single one sometimes merges two networks).
search = OIVAECV(OIVAE(**MEG_REGIONS, groups=grouped.groups, random_state=0),
                 lams=MEG_REGIONS_LAMS, cv=5, verbose=False)
search.fit(grouped.X, epochs=grouped.epochs)
print(f"lam chosen by each rule: {search.choices_}")
fig = plot_lam_selection(search, show=False)

# %%
# At the largest ``lam`` every fold keeps four components, one per planted
# network, but fits worse: the penalty shrinks the weights the networks need.
# The held-out score rises as ``lam`` drops and levels off at about 0.02;
# below that nearly all twenty components survive (the numbers above the
# points: active components per fold) without a better held-out fit. The
# map is most stable across folds at the strong end, where only the four
# networks survive. ``search.best_estimator_`` is the chosen model, an
# ordinary fitted :class:`~mne_oivae.OIVAE`. Its weights are shown as they
# are, not scaled per component: four components carry the networks; a
# component may also take a single region's own background activity, and
# components whose weights are still tiny (below 0.01) when training stops
# count as active but do not show.
model = search.best_estimator_
print(f"active components: {model.active_components_.tolist()}")
print("total weight of each:", np.round(model.group_weights_.sum(axis=0)[
    model.active_components_], 3).tolist())
fig = plot_group_weights(model, show=False,
                         title=f"region weights of every component (lam = {search.lam_:g})")

# %%
# Recovered versus planted networks
# ---------------------------------
# Each planted network is matched to one component
# (:func:`~mne_oivae.metrics.network_recovery_f1`: a component's network is the
# set of regions with at least half of its peak weight). For every match we list
# the strongest regions of the component (:func:`~mne_oivae.top_groups`),
# their weight relative to the peak, and whether they were planted.
f1, matched = network_recovery_f1(sim.true_sets, model.group_weights_)
tops = top_groups(model, k=max(len(regions) for regions in sim.networks.values()) + 2,
                  norm="peak")
for (name, regions), score, comp in zip(sim.networks.items(), f1, matched):
    print(f"\n{name} network -> component {comp}, F1 = {score:.2f}")
    if comp < 0:
        continue
    for region, weight in tops[comp]:
        print(f"  {region:<48} {weight:4.2f}  {'planted' if region in regions else ''}")

# %%
# This simulation is an easy case: the planted networks are disjoint and their
# maps monotone, so linear methods find them as well.
# ``benchmarks/network_grid.py`` compares oi-VAE (with the selection above)
# with factor analysis, ICA, PCA and sparse PCA over twelve harder cases (2 to
# 10 networks, shared regions, 300 to 20,000 time points, more noise, stronger
# background): see :ref:`choosing-lam` for the numbers, including where
# sparse PCA, the linear counterpart of the group lasso, does better. What
# oi-VAE adds is a nonlinear generator per region and exact zeros in the map.
#
# Component maps on the brain
# ---------------------------
# :func:`~mne_oivae.component_maps` paints every component's region
# weights on the vertices of the regions: a :class:`~mne.SourceEstimate` whose
# j-th "time" sample is component j. :func:`~mne_oivae.viz.plot_component`
# shows one component on the inflated surface (a :class:`mne.viz.Brain`). The
# truth is painted the same way: a region of a planted network gets weight 1.
maps = component_maps(model, grouped)
membership = np.zeros((len(sim.labels), len(sim.true_sets)))
for k, members in enumerate(sim.true_sets):
    membership[members, k] = 1.0
truth = grouped.paint(membership)


def brain_image(stc, index):  # the panel titles say what is shown
    return component_image(stc, index, "fsaverage", subjects_dir, size=(700, 500),
                           title="")


fig, axes = plt.subplots(len(sim.networks), 2, figsize=(9, 3.4 * len(sim.networks)),
                         layout="constrained")
for row, (name, comp) in enumerate(zip(sim.networks, matched)):
    axes[row, 0].imshow(brain_image(truth, row))
    axes[row, 0].set_title(f"planted: {name}")
    if comp >= 0 and model.group_weights_[:, comp].any():
        axes[row, 1].imshow(brain_image(maps, int(comp)))
    axes[row, 1].set_title(f"recovered: component {comp} (F1 = {f1[row]:.2f})")
for ax in axes.ravel():
    ax.set_axis_off()

# %%
# Maps for FreeSurfer, Workbench and FSLeyes
# ------------------------------------------
# :func:`~mne_oivae.save_component_maps` writes the maps in the field's common
# formats: a GIFTI functional file per hemisphere, with one named data array per
# component and one value per vertex of the fsaverage surface (the source
# vertices hold the map, the others 0), which freeview overlays on
# ``fsaverage/surf/lh.inflated`` and Connectome Workbench and FSLeyes open as
# well. Volume and mixed source spaces also get a NIfTI image on the MRI grid.
# We write to a temporary folder and read the left hemisphere back with nibabel.
out_dir = Path(tempfile.mkdtemp())
fnames = save_component_maps(maps, out_dir / "meg_networks", src=sim.src)
lh = nib.load(fnames[0])
lh_values = np.stack([array.data for array in lh.darrays], axis=1)
print(f"{[f.name for f in fnames]}: {len(lh.darrays)} arrays "
      f"({lh.darrays[0].meta['Name']!r}, ...) of {lh_values.shape[0]} vertices")
n_lh = len(maps.vertices[0])
print("source vertices hold the maps:",
      np.array_equal(lh_values[maps.vertices[0]], np.float32(maps.data[:n_lh])))

# %%
# Regions that share components
# -----------------------------
# Folding the component-to-region graph into a region-by-region matrix
# (:func:`~mne_oivae.group_interactions`: two regions are connected by
# the components they share) gives the connectivity-circle view of the paper.
# Left-hemisphere regions are on the left half of the circle.
fig = plot_group_interactions(model, n_lines=60, show=False)
plt.show()
