"""Shared parameter documentation: every placeholder is filled, unknown ones are refused."""

import importlib
import inspect
import pkgutil

import pytest

import mne_oivae
from mne_oivae._docs import docdict, fill_doc


def _docstrings():
    for info in pkgutil.walk_packages(mne_oivae.__path__, "mne_oivae."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, lambda o: inspect.isfunction(o)
                                         or inspect.isclass(o)):
            if getattr(obj, "__module__", "") == module.__name__:
                yield obj.__qualname__, obj.__doc__ or ""
                for name, member in vars(obj).items() if inspect.isclass(obj) else ():
                    doc = getattr(member, "__doc__", None)
                    if callable(member) and doc:
                        yield f"{obj.__qualname__}.{name}", doc


def test_every_placeholder_is_filled_and_every_entry_used():
    docs = dict(_docstrings())
    assert not [name for name, doc in docs.items() if "%(" in doc and name != "fill_doc"]
    for key, text in docdict.items():
        first = text.strip().splitlines()[0]
        assert any(first in doc for doc in docs.values()), key  # no unused entry


def test_entries_take_the_placeholders_indentation():
    @fill_doc
    def f(verbose=None):
        """Do nothing.

        Parameters
        ----------
        %(verbose)s
        """

    assert "\n        verbose : bool | str | int | None\n            Control" in f.__doc__


def test_unknown_placeholder_is_refused():
    def f():
        """Do nothing: %(no_such_entry)s."""

    with pytest.raises(RuntimeError, match="Error documenting .*no_such_entry"):
        fill_doc(f)
