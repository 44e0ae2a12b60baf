"""Text tables of fitted models in the language of joints."""

import numpy as np

from ..results import fitted_weights, top_groups


def top_joints_table(model, k=3, n_components=None):
    """Text table of the *k* heaviest joints of the active components of *model*.

    Parameters
    ----------
    model : OIVAE
        A model fitted on joint-grouped data, such as
        :func:`load_cmu_trials` gives.
    k : int
        Joints listed per component.
    n_components : int | None
        List only this many components, the heaviest; ``None``: all active ones.

    Returns
    -------
    table : str
        One row per component, by decreasing total weight (the sum of its
        column of ``group_weights_``); every joint is followed by its share of
        the component's weight.

    Examples
    --------
    >>> print(top_joints_table(model, n_components=5))  # doctest: +SKIP
    """
    total = fitted_weights(model).sum(axis=0)
    top = top_groups(model, k=k, norm="total")
    active = [j for j in np.argsort(-total, kind="stable") if total[j] > 0]
    rows = [f"{'component':>9}  {'weight':>6}  top {k} joints (share of the "
            "component's weight)"]
    for j in active[:n_components]:
        joints = ", ".join(f"{name} ({share:.0%})" for name, share in top[j])
        rows.append(f"{j:>9}  {total[j]:6.2f}  {joints}")
    if not active:
        rows.append("(no active component: every weight was pruned; lower lam)")
    return "\n".join(rows)
