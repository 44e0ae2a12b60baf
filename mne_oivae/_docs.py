"""Shared parameter documentation, MNE's docdict pattern: ``%(name)s`` and :func:`fill_doc`.

A parameter documented alike in several functions is written once here and
put into their docstrings by :func:`fill_doc` (under MNE's ``@verbose``, which
then finds nothing left to fill)::

    @fill_doc
    def f(model, verbose=None):
        '''One line.

        Parameters
        ----------
        %(model_fitted)s
        %(verbose)s
        '''
"""

import textwrap

docdict = {}

docdict["accept_hcpmmp1"] = """
accept : bool
    Accept the HCP-MMP1 license if the parcellation must be downloaded (see
    :func:`mne_oivae.read_hcpmmp1_labels`)."""

docdict["model_fitted"] = """
model : OIVAE
    A fitted model."""

docdict["n_importance"] = """
n_importance : int
    Importance samples per observation."""

docdict["out_dir"] = """
out_dir : path-like
    Folder for the PNG files (created if needed)."""

docdict["random_state_importance"] = """
random_state : None | int | numpy.random.Generator
    Seed of the importance samples."""

docdict["show"] = """
show : bool
    Show the figure (no-op on non-interactive backends)."""

docdict["skeleton_pose"] = """
skeleton : Skeleton
    From :func:`mne_oivae.mocap.read_asf` (or ``MocapTrials.skeleton``)."""

docdict["time_courses"] = """
X : array-like, shape (n_samples, n_regions)
    Time courses, one column per region, rows in time order.
sfreq : float
    Sampling frequency of ``X`` in Hz."""

docdict["units_pose"] = """
units : ``"m"`` | ``"file"``
    Length units of the axes."""

docdict["verbose"] = """
verbose : bool | str | int | None
    Control verbosity of the logging output (MNE's convention)."""


def fill_doc(f):
    """Fill the ``%(name)s`` entries of *f*'s docstring from :data:`docdict`.

    Every entry is indented as its placeholder is.
    """
    docstring = f.__doc__
    if not docstring:
        return f
    lines = docstring.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()),
                 default=0)
    entries = {name: textwrap.indent(text.strip("\n"), " " * indent).lstrip()
               for name, text in docdict.items()}
    try:
        f.__doc__ = docstring % entries
    except (KeyError, TypeError, ValueError) as err:
        raise RuntimeError(f"Error documenting {f.__qualname__}: {err!r}") from None
    return f
