"""Many fits of one model at once: lam paths and cross-validation folds.

Every fit here is trained as a replica of the others (see
:func:`mne_oivae.estimator.fit_clones`): a step of ten region-level models
costs about what a step of one does, and each fit is the one a separate
:meth:`OIVAE.fit <mne_oivae.OIVAE.fit>` with the same settings would give, up
to float reassociation. The data is never copied per fit.
"""

from typing import NamedTuple

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, check_cv
from mne.utils import _validate_type

from ._pipeline import Setting
from ._recordings import Recordings
from ._validation import check_float
from .estimator import OIVAE, check_X, fit_clones

__all__ = ["fit_lam_path", "fit_cv_folds", "FoldFit"]


def fit_lam_path(model, X, lams):
    """Fit *model* once for every group-lasso strength in *lams*, all together.

    Fit ``i`` is ``sklearn.base.clone(model).set_params(lam=lams[i]).fit(X)``:
    the same ``random_state`` gives every lam the same initialisations, and
    with ``n_init > 1`` each lam keeps its best restart.

    Parameters
    ----------
    model : OIVAE
        The settings of every fit (not fitted itself).
    X : array-like, shape (n_samples, n_features)
    lams : array-like of float
        Group-lasso strengths, each >= 0.

    Returns
    -------
    models : list of OIVAE
        One fitted model per lam, in the order of *lams*.

    Examples
    --------
    >>> from mne_oivae import OIVAE
    >>> from mne_oivae.datasets import make_bars
    >>> from mne_oivae.multi_fit import fit_lam_path
    >>> X, groups = make_bars(n_samples=256, random_state=0)
    >>> model = OIVAE(groups=groups, n_iter=100, n_init=1, verbose=False)
    >>> models = fit_lam_path(model, X, [0.1, 1.0])
    >>> [m.lam for m in models]
    [0.1, 1.0]
    """
    _validate_type(model, OIVAE, "model")
    lams = [check_float(lam, "every lam", minimum=0) for lam in np.atleast_1d(lams)]
    if not lams:
        raise ValueError("lams is empty; give at least one group-lasso strength")
    return fit_clones(clone(model), X, [Setting(lam) for lam in lams])


class FoldFit(NamedTuple):
    """A model fitted on one cross-validation fold.

    Attributes
    ----------
    model : OIVAE
        Fitted on ``X[train]``.
    train : ndarray of int
        Training rows.
    test : ndarray of int
        Held-out rows.

    Examples
    --------
    See :func:`fit_cv_folds`.
    """

    model: OIVAE
    train: np.ndarray
    test: np.ndarray


def fit_cv_folds(model, X, cv=5, *, epochs=None):
    """Fit *model* on the training rows of every cross-validation fold, all together.

    Fold ``i`` is ``sklearn.base.clone(model).fit(X[train_i])``, except that
    every fold's data is divided by the scale of all of *X* (``scale_``, one
    number; see :class:`~mne_oivae.OIVAE`), so that the folds train on one
    copy of X; score it with ``fold.model.score(X[fold.test])``. All folds share one minibatch size:
    ``batch_size``, or the number of training rows of the smallest fold if
    that is smaller (said in the log).

    Parameters
    ----------
    model : OIVAE
        The settings of every fit.
    X : array-like, shape (n_samples, n_features)
    cv : int | cross-validation generator | iterable
        As for :func:`sklearn.model_selection.cross_validate`, with *epochs*
        as its ``groups``. An int is that many
        :class:`~sklearn.model_selection.GroupKFold` folds of whole epochs
        when *epochs* is given, and otherwise that many contiguous blocks of
        rows (unshuffled :class:`~sklearn.model_selection.KFold`). Never
        shuffle time points across folds: neighbouring samples of a recording
        are near-copies of each other.
    epochs : array-like, shape (n_samples,) | None
        Epoch (trial, recording) of every row: folds keep epochs whole.
        ``None`` with a list of recordings (subjects): folds keep every
        recording whole.

    Returns
    -------
    folds : list of FoldFit

    Examples
    --------
    >>> import numpy as np
    >>> from mne_oivae import OIVAE
    >>> from mne_oivae.datasets import make_bars
    >>> from mne_oivae.multi_fit import fit_cv_folds
    >>> X, groups = make_bars(n_samples=600, random_state=0)
    >>> model = OIVAE(groups=groups, n_iter=50, n_init=1, verbose=False)
    >>> folds = fit_cv_folds(model, X, cv=3)
    >>> scores = [fold.model.score(X[fold.test], n_importance=10) for fold in folds]
    >>> len(scores)
    3
    """
    _validate_type(model, OIVAE, "model")
    template = clone(model)
    X = check_X(template, X)
    splits = cv_splits(X, cv, epochs)
    models = fit_clones(template, X, [Setting(model.lam, train) for train, _ in splits],
                        validated=True)
    return [FoldFit(fitted, train, test) for fitted, (train, test) in zip(models, splits)]


def cv_splits(X, cv, epochs=None):
    """(train, test) rows of every fold of *cv*; see :func:`fit_cv_folds`.

    Recordings (a list given to fit) without *epochs* keep every recording whole.
    """
    n_samples = len(X)
    if epochs is None and isinstance(X, Recordings):
        epochs = X.recording_ids()
    if epochs is not None:
        epochs = np.asarray(epochs)
        if epochs.shape != (n_samples,):
            raise ValueError(f"epochs must give the epoch of every row of X "
                             f"({n_samples}), got shape {epochs.shape}")
    if isinstance(cv, (int, np.integer)) and epochs is not None:
        n_epochs = np.unique(epochs).size
        if n_epochs < 2:
            raise ValueError(
                "epochs gives every row of X the same epoch: folds of whole epochs need "
                "at least 2 epochs. Source estimates of one continuous recording have no "
                "epochs: pass several estimates to stc_to_groups (e.g. from "
                "mne.minimum_norm.apply_inverse_epochs, or stc.crop() into blocks), or "
                "fit without epochs= for contiguous blocks of time points")
        if cv > n_epochs:
            raise ValueError(f"cv={cv} folds of whole epochs need at least {cv} "
                             f"epochs, got {n_epochs}; use cv <= {n_epochs}")
        cv = GroupKFold(cv)
    splits = [(np.asarray(train), np.asarray(test))
              for train, test in check_cv(cv).split(X, groups=epochs)]
    if len(splits) < 2:
        raise ValueError("cv must give at least 2 folds")
    return splits
