"""Named, tuned settings of :class:`mne_oivae.OIVAE` for the package's data sets.

Each preset is a plain dict of constructor parameters, used as
``OIVAE(**BARS, random_state=0)``; demos, tutorials and benchmarks import them
from here instead of copying numbers. Every preset says what it was tuned on
and what it was checked on.
"""

#: The paper's bars experiment (Fig. 2): 8 x 8 images, one group per row.
#: The estimator's defaults are this recipe (see :class:`~mne_oivae.OIVAE`,
#: Notes): K = 8, lam = 1, minibatches of 256, the group lasso ramped over the
#: first tenth of 10,000 iterations, best of three initialisations. Measured:
#: one component per row for 9 of 9 seeds (2048 images).
BARS = {"n_components": 8, "lam": 1.0, "n_iter": 10000, "batch_size": 256, "warmup": 0,
        "lam_warmup": "auto", "n_init": 3}

#: Share of a component's peak group weight at which a region counts as part
#: of that component's network: the threshold of
#: :func:`~mne_oivae.metrics.network_recovery_f1` in the MEG demo, tutorial
#: and ``benchmarks/network_grid.py`` (0.5: half of the strongest region).
NETWORK_THRESHOLD = 0.5

#: Region-level MEG functional networks (one feature per region, as
#: ``stc_to_groups(..., mode="mean_flip")`` gives), with ``lam`` chosen from the
#: data: ``OIVAECV(OIVAE(**MEG_REGIONS, groups=grouped.groups),
#: lams=MEG_REGIONS_LAMS).fit(grouped.X, epochs=grouped.epochs)``
#: (:class:`~mne_oivae.OIVAECV`). Affine generators (``group_latent_dim=1``,
#: no hidden layer): a linear group-sparse factor model, which recovers
#: planted networks whose regions follow their source monotonically (F1
#: 0.988 over ``benchmarks/network_grid.py``'s monotone cells); for regions
#: that respond nonlinearly, see :data:`MEG_REGIONS_DEEP`. One feature per group
#: gains far less likelihood per unit of ||W(g)[:, j]|| than the paper's
#: image rows, hence much smaller lams than the paper's 1; ramping lam up
#: over the first half lets components form before the group lasso can prune
#: them; the paper's K = 20 leaves room for ten networks and more (the surplus
#: is pruned; with 12 components, ten planted networks were recovered with
#: mean F1 0.76, with 20 with 0.99); the best of three initialisations by
#: training objective (a single one merged two networks in 6 of 18
#: simulations). The fixed ``lam`` = 0.02 is only the fallback for a plain
#: ``OIVAE(**MEG_REGIONS)``: about what the selection chooses in
#: ``benchmarks/network_grid.py`` (0.007 to 0.05 over its cells), where a
#: fixed 0.05 pruned networks on the harder cases.
MEG_REGIONS = {"n_components": 20, "lam": 0.02, "n_iter": 3000, "batch_size": 256,
               "warmup": 0, "lam_warmup": 1500, "n_init": 3}

#: Candidate lams of :class:`~mne_oivae.OIVAECV` for ``MEG_REGIONS``, a
#: 1-2-5 series from 0.2 (keeps only the strongest networks and shrinks them;
#: on the default simulation the four networks and nothing else) down to
#: 0.002 (prunes almost nothing).
MEG_REGIONS_LAMS = (0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002)

#: The paper's model for region-level MEG, used as :data:`MEG_REGIONS` is
#: (with :data:`MEG_REGIONS_DEEP_LAMS`): nonlinear generators
#: (``W(g) z`` of 4 dimensions into one tanh layer of 16 units), an encoder
#: with one hidden layer of 32 units, trained so that they do not collapse to
#: the null model nor settle with one region per component:
#:
#: - ``prior_scale=100``: the N(0, prior_scale^2) prior on the generator
#:   weights counts once per observation; at 1 it is a weight decay of 1
#:   that the bounded tanh layer cannot dodge (an affine generator can, by
#:   trading the scale of its output weight against W's) and the latent
#:   goes unused; at 10 the latent is used, but the fits stop in optima
#:   where most regions are pruned and a component holds one or two regions
#:   (see the model page, "Deep generators").
#: - ``kl_warmup=3000``: KL annealing. Where a region's link to its network
#:   is nonlinear, no gradient asks the encoder to carry the latent until it
#:   does; at full KL weight it never does (held-out score of the null model:
#:   on the nonlinear base case, seeds 0-1, every component pruned without
#:   the ramp, even with ``prior_scale=100``).
#: - 10,000 iterations, the group lasso ramped up over the first half: the
#:   network-wide components form slowly (3,000 iterations: F1 0.82 on the
#:   nonlinear base case, seeds 0-2, at lam 0.02; 10,000: 0.89).
#: - ``subsample_warmup=8000`` on ``subsample_size=2000`` rows: the first
#:   8,000 iterations draw their minibatches from one random subset of 2,000
#:   rows, about the size of the data the recipe was tuned on (the base
#:   case's 1,600-2,000 points, where it changes nothing). On 16,000 points
#:   the fits without it pruned most components (long case, lam 0.01, seeds
#:   0-4: F1 0.21-0.62); with it they find the networks and score 0.8-2.9
#:   nats per observation better held out (see the model page, "More data is
#:   harder").
#: - ``n_init=16``: the deep fits' optima differ more than the affine ones'
#:   (seven networks, seed 0, lam 0.02: F1 0.50-0.90 over eight restarts);
#:   ranked by their ELBO on the training rows, the kept restart beats the
#:   average one (mean F1 0.887 against 0.785 on 24 refits of eight
#:   restarts; the best of eight 0.920), so more restarts pay: by the
#:   selection, sixteen instead of eight moved seven networks from 0.833 to
#:   0.884 and the kept-aside base seeds from 0.819 to 0.889, and changed
#:   no other cell by more than 0.02 (see the model page, "Which restart to
#:   keep"). They cost only the refit of :class:`~mne_oivae.OIVAECV` (sixteen
#:   replicas trained together, about twice the time of eight), whose folds
#:   fit one each.
#: - ``component_lasso=1``: a second norm over all the groups of each
#:   component, as strong as the group lasso. The group lasso alone charges a
#:   network as much on two components as on one, and the fits split
#:   networks; with the norm one component is cheaper. By the selection it
#:   moved the nonlinear base cell from 0.913 to 0.967, seven networks from
#:   0.884 to 0.904, 20,000 points from 0.951 to 1.000 and the strong
#:   background from 0.672 to 0.721, and cost two networks 0.02 (0.976 to
#:   0.953; seeds 0-2; see the model page, "A penalty that prices a
#:   split"). Its shrinkage adds to the group lasso's,
#:   so :data:`MEG_REGIONS_DEEP_LAMS` starts one step lower.
#:
#: Otherwise as :data:`MEG_REGIONS`: K = 20. The fixed ``lam`` is the
#: fallback for a plain ``OIVAE(**MEG_REGIONS_DEEP)``. Measured
#: (``benchmarks/network_grid.py``'s
#: simulations, fits on the first 16 of 20 epochs, lam chosen by held-out
#: score on the last 4; see the model page, "Regions coupled nonlinearly"):
#: on the nonlinear base case F1 0.89-0.93 at lams 0.02-0.01 (seeds 0-2;
#: best baseline, amplitude-envelope correlation, 0.718) and 0.91 at 0.01
#: (kept-aside seeds 3-5; best baseline 0.688); two networks 0.86-0.92 (AEC
#: 0.812); seven networks 0.75-0.80 (AEC 0.753); 20,000 points 0.37-0.39
#: before ``subsample_warmup`` (AEC 0.869). By the selection
#: (:class:`~mne_oivae.OIVAECV`, 5 folds, one-SE rule, seeds 0-2; with
#: three restarts ranked by the history / eight / sixteen ranked by their
#: ELBO): base 0.901 / 0.913 / 0.913 (AEC 0.718), kept-aside seeds 3-5
#: 0.780 / 0.819 / 0.889 (AEC 0.688), two networks 0.952 / 0.976 / 0.976
#: (AEC 0.812), seven 0.773 / 0.833 / 0.884 (AEC 0.753), seven on the
#: kept-aside seeds 3-5 - / 0.907 / 0.924 (AEC 0.795), 20,000 points 0.893 /
#: 0.948 / 0.951 (AEC 0.869); 6-11 minutes per seed on a shared 2-core
#: machine with eight restarts. Monotone base case (three restarts):
#: F1 1.000 at every lam (seeds 0-2), as the affine recipe. These numbers
#: predate ``component_lasso``; the model page has the cells with it. Where a
#: region's own background is as strong as the network drive it does not
#: lead temporal ICA on envelopes by 0.1: the selection's lam prunes whole
#: networks (see the model page, "Cells added after the recipe was fixed").
MEG_REGIONS_DEEP = {"n_components": 20, "lam": 0.01, "group_latent_dim": 4,
                    "generator_hidden": (16,), "encoder_hidden": (32,), "prior_scale": 100.0,
                    "n_iter": 10000, "batch_size": 256, "warmup": 0, "lam_warmup": 5000,
                    "kl_warmup": 3000, "subsample_warmup": 8000, "subsample_size": 2000,
                    "n_init": 16, "component_lasso": 1.0}

#: Candidate lams of :class:`~mne_oivae.OIVAECV` for ``MEG_REGIONS_DEEP``: the
#: weak prior (``prior_scale=100``) lets W's scale trade against the first
#: layer's cheaply, so the same pruning takes larger lams than with
#: :data:`MEG_REGIONS` (on the nonlinear base case without the component
#: norm, at 0.1 about one network survives, at 0.01 all four); with the
#: component norm the path is one step lower than it was (0.1-0.005), and the
#: one-SE rule chose 0.005-0.02 on every region-level nonlinear cell measured.
#: On slow (2 Hz) MEG time courses of 5 minutes the held-out score is best at
#: 0.05, the path's top, and :class:`~mne_oivae.OIVAECV` warns so; lams up to
#: 0.5 did not map the networks better there (physics page, "The same methods
#: on the true activity"). On 10 and 20 minutes the one-SE rule took 0.02 in
#: seven of twelve selections and 0.005 in one (physics page, "Longer recordings").
MEG_REGIONS_DEEP_LAMS = (0.05, 0.02, 0.01, 0.005, 0.002)

#: The reference implementation's motion-capture model (Sec. 6.2), for data from
#: :func:`~mne_oivae.mocap.load_cmu_trials` (one group per joint, angles scaled
#: to [0, 1] with ranges clamped below at 0.1 degree): K = 16 (the paper also
#: uses 4 and 8), group input size p = 8, generators
#: ``f_g(u) = V_g tanh(u) + b_g`` (``activate_input=True``, no hidden layer), a
#: linear encoder, 10 Monte Carlo samples, minibatches of 64, the encoder's
#: standard deviation x0.1 for the first 1,000 iterations, one initialisation,
#: no group-lasso ramp. The paper's lambda = 1 weighs the group lasso once
#: against the whole-data objective; ``lam`` is per frame, so it is 1 / N: here
#: for trials 1-10 (N = 3,791 frames), ``1 / n_frames`` for other training sets.
#: Measured on trials 1-10 (5,000 iterations, seeds 0-2): ``lam=1`` per frame
#: prunes all 29 joints; ``lam=1/3791`` prunes none, and the clavicles,
#: fingers and toes keep 10-13 % of the total weight (K = 4, 8, 16; 25-27 %
#: for the clavicles and fingers alone before the model divided the data by
#: ``scale_``): their W is left near its initialisation, as V_g goes to 0
#: instead.
MOCAP_PAPER = {"n_components": 16, "lam": 1.0 / 3791, "group_latent_dim": 8,
               "generator_hidden": (), "encoder_hidden": (), "activation": "tanh",
               "activate_input": True, "n_iter": 5000, "batch_size": 64,
               "mc_samples": 10, "warmup": 1000, "lam_warmup": 0, "n_init": 1}

#: The package's motion-capture recipe: the paper's generators (p = 8,
#: ``V_g tanh(u) + b_g``) trained as :data:`BARS` is (one Monte Carlo sample, no
#: encoder warm-up, the group lasso ramped over the first tenth), with
#: ``lam=0.1`` per frame and a N(0, 10^2) prior on the generator weights. Tuned
#: on CMU subject 7's walks 1-10 (seeds 0-2, 5,000 iterations, K = 16) in the
#: model's units (the angles divided by their pooled standard deviation,
#: ``scale_`` = 0.17), judged by anatomy: the knees (ltibia, rtibia, 0-74
#: degrees) must stay and the joints that never move (clavicles, fingers) must
#: go. Measured: ltibia 5.6-7.5 % and rtibia 4.2-5.5 % of the total weight
#: (ltibia third-heaviest joint in 2 of 3 seeds), clavicles and fingers exactly
#: zero, the jittery toes 1.5-1.8 %, held-out walk 07_11 +47 to +52 nats per
#: frame. The prior matters because the model now sees the angles 6x larger
#: than the [0, 1] scaling: with ``prior_scale=1`` (lam 0.2, the recipe tuned
#: before ``scale_``) only 3 components stay, a knee is pruned in 2 of 3 seeds
#: and the still joints keep 6 %; ``prior_scale`` 3 leaves them 3 %; 6, 10 and
#: 20 are alike with lam 0.1; lam 0.2-0.3 halves the knees (2-3 %); ``lr`` 0.03
#: costs 45 nats per frame held out. The previous linear recipe (p = 1, lam
#: 0.1) pruned both knees in 4 of 6 fits: a knee's angle is not a linear
#: function of the gait phase. Checked on what it was not tuned on
#: (``benchmarks/mocap_table2.py``, ``benchmarks/mocap_figures.py``, 3 seeds):
#: K = 4 and 8, 1-5 training trials, the held-out walks; see the
#: motion-capture tutorial for the numbers.
MOCAP_RECIPE = {"n_components": 16, "lam": 0.1, "group_latent_dim": 8,
                "generator_hidden": (), "activation": "tanh", "activate_input": True,
                "prior_scale": 10.0, "n_iter": 5000, "batch_size": 64, "mc_samples": 1,
                "warmup": 0, "lam_warmup": "auto", "n_init": 1}

#: How :class:`~mne_oivae.OIVAECV` chooses ``lam`` for :data:`MEG_REGIONS` on a
#: few averaged responses (one evoked source estimate per condition, each
#: condition one fold), as in the tutorial "From a recording to networks":
#: ``OIVAECV(OIVAE(**MEG_REGIONS, ...), lams=MEG_REGIONS_LAMS, cv=n_conditions,
#: **MEG_EVOKED_SELECTION)``: the highest mean held-out log-likelihood. With
#: so few folds, each a different condition, the standard error over folds
#: measures how much the conditions differ, not the lams, so the one-SE band
#: reaches far up the path. Measured on the four evoked responses of
#: :func:`~mne_oivae.datasets.fetch_sample_evoked` (dSPM on fsaverage, 44
#: HCP-MMP1 regions, 150 Hz): held-out scores -64.8, -64.2, -63.6, -64.8,
#: -65.7, -65.7, -65.7 from lam 0.2 down to 0.002; the folds' scores spread
#: over 6 nats at every lam, the lams' means over 2; standard error 1.2-1.6.
#: ``"one_se"`` takes lam 0.1 (0.2 before the null-model guard, which pruned
#: every component): 5 components, one of which carries the responses to
#: three of the four conditions; ``"max"`` takes 0.05: 15 components, with
#: the right-ear tones and the right-field checkerboards on components of
#: their own (auditory, resp. visual regions; see the tutorial).
MEG_EVOKED_SELECTION = {"rule": "max"}

__all__ = ["BARS", "MEG_REGIONS", "MEG_REGIONS_LAMS", "MEG_REGIONS_DEEP",
           "MEG_REGIONS_DEEP_LAMS", "MOCAP_PAPER", "MOCAP_RECIPE", "NETWORK_THRESHOLD",
           "MEG_EVOKED_SELECTION"]
