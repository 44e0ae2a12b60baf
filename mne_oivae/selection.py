"""The group-lasso strength chosen from the data (:class:`OIVAECV`), and the architecture."""

import copy
import time
from typing import NamedTuple

import numpy as np
from mne.utils import _check_option, _validate_type, logger, verbose, warn
from sklearn.base import BaseEstimator, TransformerMixin, clone

from ._docs import fill_doc
from ._validation import check_float, check_int
from ._pipeline import Setting
from ._progress import log_level
from .estimator import OIVAE, NotFittedError, check_X, fit_clones
from .metrics import map_agreement
from .multi_fit import cv_splits

__all__ = ["OIVAECV", "RULES", "ArchitectureChoice", "choose_architecture"]

#: How :class:`OIVAECV` turns held-out scores into one lam.
RULES = ("one_se", "max", "stability")


class OIVAECV(TransformerMixin, BaseEstimator):
    """oi-VAE with the group-lasso strength ``lam`` chosen by cross-validation.

    Every candidate ``lam`` is fitted on the training rows of every fold, all
    fits together as replicas of one model (:mod:`mne_oivae.multi_fit`), and
    scored by the importance-sampled log-likelihood of the fold's held-out rows
    (:meth:`OIVAE.score <mne_oivae.OIVAE.score>`). The chosen ``lam`` is then
    refitted on all rows (``best_estimator_``, with the estimator's ``n_init``).
    ``K`` needs no grid: set ``n_components`` above the number of networks you
    expect and the group lasso prunes the surplus to exact zeros; the active
    components of the chosen fit are the data's ``K``.

    Parameters
    ----------
    estimator : OIVAE | None
        Settings of every fit, ``groups`` included (its ``lam`` is replaced by
        each candidate). ``None`` uses ``OIVAE()``; for region-level MEG use
        ``OIVAE(**MEG_REGIONS, groups=grouped.groups)`` from
        :mod:`mne_oivae.presets`.
    lams : array-like of float | None
        Candidate strengths. ``None`` (default) is ``n_lams`` values spaced
        geometrically from 1 (the paper's ``lam``) down to 0.001.
    n_lams : int
        Number of candidates when ``lams`` is ``None``.
    cv : int | cross-validation generator | iterable
        Folds. An int gives that many :class:`~sklearn.model_selection.GroupKFold`
        folds of whole epochs when :meth:`fit` gets ``epochs``, and otherwise
        that many contiguous blocks of rows (unshuffled
        :class:`~sklearn.model_selection.KFold`: time points stay with their
        neighbours). Never shuffle time points across folds: neighbouring
        samples of a recording are near-copies of each other.
    rule : ``"one_se"`` | ``"max"`` | ``"stability"``
        How scores become one ``lam``. ``"max"``: the best mean held-out
        log-likelihood. ``"one_se"`` (default): the largest ``lam`` whose mean
        score is within one standard error (over folds) of the best, i.e. the
        sparsest map the data cannot tell from the best fit. ``"stability"``:
        the ``lam`` whose component-to-group maps agree best across folds
        (:func:`~mne_oivae.metrics.map_agreement`), among those that keep at
        least one component. All three are computed and kept in ``choices_``;
        see the Notes for why ``"one_se"`` is the default. No rule returns a
        ``lam`` whose fits keep no component (the null model) unless that
        model truly is the best; see the Notes.
    n_importance : int
        Importance samples per held-out observation.
    verbose : bool | str | int | None
        Log level of the selection and its fits (MNE's convention); ``None``
        uses the estimator's ``verbose``.

    Attributes
    ----------
    lams_ : ndarray, shape (n_lams,)
        Candidates, largest first.
    cv_scores_ : ndarray, shape (n_lams, n_splits)
        Held-out log-likelihood per observation of every candidate and fold.
    stability_ : ndarray, shape (n_lams,)
        Mean pairwise agreement of the folds' maps (1: the same map).
    n_active_ : ndarray of int, shape (n_lams, n_splits)
        Active components of every fold's fit.
    cv_group_weights_ : ndarray, shape (n_lams, n_splits, n_groups, n_components)
        ``group_weights_`` of every fold's fit.
    choices_ : dict
        The ``lam`` every rule chooses.
    lam_ : float
        The chosen ``lam`` (``choices_[rule]``, unless its refit keeps no
        component though its fold fits did; see the Notes).
    best_index_ : int
        Its index in ``lams_``.
    best_estimator_ : OIVAE
        Refitted on all rows with ``lam_``.
    group_weights_, active_components_, groups_, n_features_in_
        Those of ``best_estimator_``.

    See Also
    --------
    mne_oivae.viz.plot_lam_selection, mne_oivae.multi_fit.fit_lam_path

    Notes
    -----
    Held-out likelihood cannot prefer sparsity: a smaller ``lam`` always fits
    at least as well, so ``"max"`` tends to the smallest candidates and dense,
    seed-dependent maps. Too large a ``lam`` prunes networks the data need and
    costs much held-out likelihood. ``"one_se"`` takes the sparsest map whose
    loss against the best is within the noise of the cross-validation
    estimate, the usual rule for penalised models. Stability alone
    rewards maps that are reproducibly *incomplete* (a strong ``lam`` keeps
    the strongest network in every fold), so it is reported, not the default.
    The null model (a ``lam`` whose fits prune every component in every fold)
    is chosen only when its held-out scores beat those of the best candidate
    that keeps components by more than one standard error of their paired,
    fold-by-fold difference; else every rule chooses among the candidates
    that keep components in every fold. A ``lam`` whose fits prune every
    component in some folds only is never chosen (unless no candidate keeps
    components in every fold): its mean score mixes the two kinds of fit, and
    its refit on all the data may prune every component. A refit can still
    come out empty where every fold fit kept components (the refit keeps the
    best of ``n_init`` restarts on all the rows, the folds one restart each):
    the empty map is then not what the scores chose, and the next smaller
    candidate whose fold fits keep components is refitted instead, with a
    warning (``lam_`` then differs from ``choices_[rule]``). Where
    the data hold nothing a model of this architecture can use, every lam
    scores alike (to a few thousandths of a nat): the plain one-SE rule then
    took the largest lam and returned an empty map, though nothing showed
    that the empty map explains the data better.
    The path should bracket the highest held-out score. Where the largest
    candidate keeps components and scores best, a larger ``lam`` may score
    better still, and :meth:`fit` warns: with few effective samples (slow time
    courses, short recordings) the deep generators overfit at every ``lam``
    of a path tuned on other data (the physics page's slow MEG time
    courses).
    ``benchmarks/network_grid.py`` measures the three rules on planted networks
    of varied number, overlap, length and noise.

    Examples
    --------
    >>> from mne_oivae import OIVAE, OIVAECV  # doctest: +SKIP
    >>> from mne_oivae.presets import MEG_REGIONS  # doctest: +SKIP
    >>> model = OIVAECV(OIVAE(**MEG_REGIONS, groups=grouped.groups))  # doctest: +SKIP
    >>> model.fit(grouped.X, epochs=grouped.epochs)  # doctest: +SKIP
    >>> model.lam_, model.best_estimator_.active_components_  # doctest: +SKIP
    """

    def __init__(self, estimator=None, *, lams=None, n_lams=10, cv=5, rule="one_se",
                 n_importance=100, verbose=None):
        self.estimator = estimator
        self.lams = lams
        self.n_lams = n_lams
        self.cv = cv
        self.rule = rule
        self.n_importance = n_importance
        self.verbose = verbose

    def fit(self, X, y=None, *, epochs=None):
        """Fit every candidate on every fold, choose ``lam``, refit on all of *X*.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features) | list
        y : None
            Ignored.
        epochs : array-like, shape (n_samples,) | None
            Epoch (trial, recording) of every row: folds keep epochs whole.
            ``None`` with a list of recordings (one per subject, as for
            :meth:`OIVAE.fit <mne_oivae.OIVAE.fit>`): folds leave whole
            subjects out (:func:`mne_oivae.group.subject_ids`).

        Returns
        -------
        self : OIVAECV
        """
        estimator = OIVAE() if self.estimator is None else self.estimator
        _validate_type(estimator, OIVAE, "estimator", "OIVAE")
        _check_option("rule", self.rule, RULES)
        n_importance = check_int(self.n_importance, "n_importance", minimum=1)
        lams = self._candidates()
        template = clone(estimator)
        if self.verbose is not None:
            template.set_params(verbose=self.verbose)
        X = check_X(template, X)  # the only validation of X
        with log_level(template.verbose):
            splits = cv_splits(X, self.cv, epochs)
            logger.info(f"Fitting {len(lams)} lam values x {len(splits)} folds")
            fits = fit_clones(copy.copy(template).set_params(n_init=1), X,
                              [Setting(lam, train) for lam in lams for train, _ in splits],
                              validated=True)
            n_splits = len(splits)
            held_out = [X[test] for _, test in splits]
            scores = np.empty((len(lams), n_splits))
            n_active = np.empty((len(lams), n_splits), dtype=int)
            for i, model in enumerate(fits):
                scores[divmod(i, n_splits)] = model.score(held_out[i % n_splits],
                                                          n_importance=n_importance)
                n_active[divmod(i, n_splits)] = model.active_components_.size
            weights = np.stack([m.group_weights_ for m in fits]).reshape(
                len(lams), n_splits, *fits[0].group_weights_.shape)
            stability = np.array([_mean_agreement(w) for w in weights])
            self.lams_, self.cv_scores_, self.cv_group_weights_ = lams, scores, weights
            self.stability_, self.n_active_ = stability, n_active
            chosen = {rule: _choose(rule, scores, stability, n_active) for rule in RULES}
            self.choices_ = {rule: float(lams[i]) for rule, i in chosen.items()}
            self.best_index_ = chosen[self.rule]
            self.lam_ = float(lams[self.best_index_])
            logger.info(f"Chosen lam = {self.lam_:.4g} (rule {self.rule!r}); all rules: "
                        + ", ".join(f"{k} {v:.4g}" for k, v in self.choices_.items()))
            if len(lams) > 1 and _best_at_largest_lam(scores, n_active):
                warn(f"The highest held-out score is at the largest candidate lam "
                     f"({lams[0]:.4g}), whose fits keep components: a larger lam may "
                     f"score better still. Add larger lams (e.g. {2 * lams[0]:.4g} and "
                     f"{5 * lams[0]:.4g}) until the held-out score falls again.")
            self._refit(template, X)
        return self

    def _refit(self, template, X):
        """Refit the chosen lam on all rows; step down the path if that prunes what folds kept.

        The refit (``n_init`` restarts, the best kept) can prune every
        component at a lam whose fold fits (one restart each) all kept some:
        an empty map that the scores did not choose. The next smaller lam
        whose fold fits keep components is refitted instead.
        """
        kept = _kept_in_every_fold(self.n_active_)
        keeping = np.flatnonzero(kept)
        for index in [self.best_index_, *keeping[keeping > self.best_index_]]:
            if index != self.best_index_:
                warn(f"The refit at the chosen lam {self.lam_:.4g} keeps no component, "
                     f"though every fold fit at it kept some (at most "
                     f"{self.n_active_[self.best_index_].max()}); refitting at the next "
                     f"smaller lam, {self.lams_[index]:.4g}.")
            self.best_index_ = int(index)
            self.lam_ = float(self.lams_[index])
            self.best_estimator_, = fit_clones(template, X, [Setting(self.lam_)],
                                               validated=True)
            if self.best_estimator_.active_components_.size or not kept[index]:
                return

    def _candidates(self):
        if self.lams is None:
            n_lams = check_int(self.n_lams, "n_lams", minimum=1)
            return np.geomspace(1.0, 1e-3, n_lams)
        lams = np.sort([check_float(lam, "every lam", minimum=0)
                        for lam in np.atleast_1d(self.lams)])[::-1]
        if lams.size == 0:
            raise ValueError("lams is empty; give at least one group-lasso strength or "
                             "None for the default path")
        return lams

    # -- the chosen model ------------------------------------------------------
    def __sklearn_is_fitted__(self):
        return hasattr(self, "best_estimator_")

    def _best(self):
        if not hasattr(self, "best_estimator_"):
            raise NotFittedError("This OIVAECV instance is not fitted yet. Call 'fit' "
                                 "with appropriate arguments before using this estimator.")
        return self.best_estimator_

    @property
    def group_weights_(self):  # noqa: D102
        return self._best().group_weights_

    @property
    def active_components_(self):  # noqa: D102
        return self._best().active_components_

    @property
    def groups_(self):  # noqa: D102
        return self._best().groups_

    @property
    def n_features_in_(self):  # noqa: D102
        return self._best().n_features_in_

    def transform(self, X):
        """Posterior means of the chosen model; see :meth:`OIVAE.transform`."""
        return self._best().transform(X)

    def inverse_transform(self, Z):
        """Reconstructions by the chosen model; see :meth:`OIVAE.inverse_transform`."""
        return self._best().inverse_transform(Z)

    def score(self, X, y=None):
        """Mean held-out log-likelihood of the chosen model; see :meth:`OIVAE.score`."""
        return self._best().score(X, n_importance=self.n_importance)


class ArchitectureChoice(NamedTuple):
    """What :func:`choose_architecture` returns.

    Attributes
    ----------
    best : OIVAECV
        The fitted search of the chosen architecture (its ``best_estimator_``
        refitted on all rows at its chosen ``lam_``).
    index : int
        Position of the chosen search among the candidates.
    searches : list of OIVAECV
        Every candidate's fitted search.
    scores : ndarray, shape (n_candidates, n_folds)
        Held-out log-likelihood per observation of every candidate at the
        ``lam`` its search chose, fold by fold (the same folds for all).
    seconds : ndarray, shape (n_candidates,)
        Wall-clock time of every search (its folds and its refit).

    Examples
    --------
    >>> choice = choose_architecture(searches, X, epochs=epochs)  # doctest: +SKIP
    >>> choice.index, choice.scores.mean(axis=1), choice.seconds  # doctest: +SKIP
    (0, array([ -63.6, -183.4]), array([ 37., 327.]))
    """

    best: object
    index: int
    searches: list
    scores: np.ndarray
    seconds: np.ndarray


@fill_doc
@verbose
def choose_architecture(searches, X, *, epochs=None, verbose=None):
    """Choose the generator architecture, and its ``lam``, from the data.

    Every candidate is an :class:`OIVAECV` whose estimator has one
    architecture (affine generators as :data:`~mne_oivae.presets.MEG_REGIONS`,
    deep ones as :data:`~mne_oivae.presets.MEG_REGIONS_DEEP`, another
    ``group_latent_dim``, ...) with its own candidate lams. All are fitted on
    the same folds; each chooses its ``lam`` by its rule, and the architectures
    are compared by their held-out log-likelihood at that ``lam``, fold by
    fold. List the candidates from the simplest to the richest: a later one
    replaces the one chosen so far only if it beats it by more than one
    standard error of their paired fold differences (the rule that guards
    :class:`OIVAECV` against the null model), so a richer model must earn its
    keep. The cost is the sum of the searches' (``seconds``).

    Parameters
    ----------
    searches : list of OIVAECV
        At least two candidates, simplest first, with the same ``cv``; they
        are cloned, not changed.
    X : array-like, shape (n_samples, n_features) | list
        The data, as for :meth:`OIVAECV.fit`.
    epochs : array-like, shape (n_samples,) | None
        Epoch of every row, as for :meth:`OIVAECV.fit`.
    %(verbose)s

    Returns
    -------
    choice : ArchitectureChoice
        ``choice.best`` is the fitted search of the chosen architecture.

    Examples
    --------
    >>> from mne_oivae.presets import (MEG_REGIONS, MEG_REGIONS_LAMS,
    ...                                MEG_REGIONS_DEEP, MEG_REGIONS_DEEP_LAMS)
    >>> searches = [OIVAECV(OIVAE(**MEG_REGIONS, groups=grouped.groups),
    ...                     lams=MEG_REGIONS_LAMS),
    ...             OIVAECV(OIVAE(**MEG_REGIONS_DEEP, groups=grouped.groups),
    ...                     lams=MEG_REGIONS_DEEP_LAMS)]  # doctest: +SKIP
    >>> choice = choose_architecture(searches, grouped.X,
    ...                              epochs=grouped.epochs)  # doctest: +SKIP
    >>> choice.best.best_estimator_  # doctest: +SKIP
    """
    _validate_type(searches, (list, tuple), "searches", "list of OIVAECV")
    if len(searches) < 2:
        raise ValueError(f"choose_architecture compares candidates: give at least two "
                         f"OIVAECV searches, got {len(searches)}")
    for search in searches:
        _validate_type(search, OIVAECV, "every search", "OIVAECV")
    if any(search.cv != searches[0].cv for search in searches[1:]):
        raise ValueError("the searches have different cv "
                         f"({[search.cv for search in searches]}); give them the same cv "
                         "so that they are compared on the same folds")
    fitted, seconds = [], []
    for i, search in enumerate(searches):
        start = time.perf_counter()
        fitted.append(clone(search).fit(X, epochs=epochs))
        seconds.append(time.perf_counter() - start)
        logger.info(f"Candidate {i}: lam {fitted[-1].lam_:.4g}, held-out "
                    f"{fitted[-1].cv_scores_[fitted[-1].best_index_].mean():.4g} per "
                    f"observation ({seconds[-1]:.0f} s)")
    scores = np.stack([search.cv_scores_[search.best_index_] for search in fitted])
    index = 0
    for i in range(1, len(fitted)):
        if _beats(scores[i], scores[index]):
            index = i
    logger.info(f"Chosen: candidate {index}")
    return ArchitectureChoice(fitted[index], index, fitted, scores, np.array(seconds))


def _choose(rule, scores, stability, n_active):
    """Index (into lams, largest first) that *rule* picks.

    Every rule chooses among the candidates that keep components in every
    fold. A candidate whose fits prune every component in every fold is the
    null model: it is chosen only if it is truly the best, its scores beating
    those of the best candidate that keeps components by more than one
    standard error of their paired (fold by fold) difference. A candidate
    that prunes everything in some folds only is neither: its mean mixes the
    null model's scores with those of fits that kept components, and its
    refit on all the data may come out either way. Where no candidate keeps
    components in every fold, the best mean is chosen.
    """
    mean = scores.mean(axis=1)
    alive = np.flatnonzero(_kept_in_every_fold(n_active))
    if alive.size == 0:
        return int(np.argmax(mean))
    best_alive = int(alive[np.argmax(mean[alive])])
    null = np.flatnonzero(n_active.max(axis=1) == 0)
    if null.size:
        best_null = int(null[np.argmax(mean[null])])
        if _beats(scores[best_null], scores[best_alive]):
            return best_null
    if rule == "max":
        return best_alive
    if rule == "one_se":
        se = _se(scores[best_alive])
        return int(alive[np.flatnonzero(mean[alive] >= mean[best_alive] - se)[0]])
    return int(alive[np.argmax(stability[alive])])


def chosen_lam_text(search):
    """The chosen lam of a fitted :class:`OIVAECV` and how it was chosen, for captions."""
    text = f"{search.lam_:.3g} ({search.rule} rule"
    if search.choices_[search.rule] != search.lam_:
        text += f"; its {search.choices_[search.rule]:.3g} refitted with no component"
    return text + ")"


def _best_at_largest_lam(scores, n_active):
    """Whether the path stops too low: its largest lam keeps components and scores best.

    Held-out likelihood usually rises as lam falls, until the model overfits;
    where even the largest candidate is the best of those that keep components,
    the best lam may lie above the path (few effective samples: slow, smooth
    time courses, short recordings).
    """
    return bool(_kept_in_every_fold(n_active)[0]
                and _choose("max", scores, None, n_active) == 0)


def _kept_in_every_fold(n_active):
    """Which candidates' fold fits all keep at least one component."""
    return n_active.min(axis=1) > 0


def _se(values):
    """Standard error of the mean of fold scores."""
    return values.std(ddof=1) / np.sqrt(values.size)


def _beats(a, b):
    """Whether fold scores *a* beat *b* by more than one SE of the paired difference."""
    return (a - b).mean() > _se(a - b)


def _mean_agreement(weights):
    values = [map_agreement(a, b) for i, a in enumerate(weights) for b in weights[i + 1:]]
    return float(np.mean(values))
