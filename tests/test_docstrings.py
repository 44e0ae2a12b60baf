"""Every public function and class has a complete numpydoc docstring and is documented.

Public names: ``__all__`` of the package, of its subpackages datasets, viz, metrics
and mocap, and of any other public module that defines one (for one of the listed
modules without ``__all__``, the functions and classes it defines whose names do
not start with an underscore). Each needs a numpydoc docstring without
errors, its parameters and returns documented, and an Examples section or a link
to a tutorial that exists; and doc/api.rst must list it.
"""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import mne_oivae

validate = pytest.importorskip("numpydoc.validate")

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
API = ROOT / "doc" / "api.rst"
LISTED = ("mne_oivae", "mne_oivae.datasets", "mne_oivae.viz", "mne_oivae.metrics",
          "mne_oivae.mocap")
# numpydoc checks that every documented name must pass: docstring present and
# parsable, parameters documented and matching the signature, returns documented.
CHECKS = {"GL08", "GL06", "GL07", "PR01", "PR02", "PR03", "PR04", "PR05", "PR06",
          "RT01", "SS01", "YD01"}
TUTORIAL_REF = re.compile(r":ref:`(?:[^`<]*<)?sphx_glr_auto_tutorials_(plot_\w+)\.py>?`")


def _public_modules():
    for name in LISTED:
        yield importlib.import_module(name)
    for info in pkgutil.walk_packages(mne_oivae.__path__, "mne_oivae."):
        if info.name in LISTED or any(p.startswith("_") for p in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        if hasattr(module, "__all__"):
            yield module


def _public_objects():
    """{object: documented dotted name}; the shortest public path wins."""
    found = {}
    for module in _public_modules():
        if hasattr(module, "__all__"):
            names = module.__all__
        else:
            names = [n for n, obj in vars(module).items() if not n.startswith("_")
                     and (inspect.isfunction(obj) or inspect.isclass(obj))
                     and obj.__module__ == module.__name__]
        for name in names:
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue  # subpackages, constants, __version__
            path = f"{module.__name__}.{name}"
            if obj not in found or len(path) < len(found[obj]):
                found[obj] = path
    return found


PUBLIC = _public_objects()
IDS = sorted(PUBLIC.values())
BY_PATH = {path: obj for obj, path in PUBLIC.items()}


def _import_path(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


def _sections(doc):
    return {m.group(1) for m in re.finditer(r"^\s*([A-Z][A-Za-z ]+)\n\s*-{3,}\s*$",
                                            doc or "", flags=re.MULTILINE)}


def test_public_api_found():
    """The collection works: the core names are there."""
    for name in ("mne_oivae.OIVAE", "mne_oivae.GroupSpec", "mne_oivae.read_oivae",
                 "mne_oivae.datasets.make_bars", "mne_oivae.viz.plot_group_weights",
                 "mne_oivae.metrics.match_components"):
        assert name in IDS


@pytest.mark.parametrize("path", IDS)
def test_numpydoc_valid(path):
    obj = BY_PATH[path]
    result = validate.validate(_import_path(obj))
    errors = [f"{code}: {msg}" for code, msg in result["errors"] if code in CHECKS]
    # exceptions and dataclass-like result containers take no documented parameters
    if inspect.isclass(obj) and (issubclass(obj, BaseException)
                                 or "Attributes" in _sections(obj.__doc__)):
        errors = [e for e in errors if not e.startswith(("PR01", "PR02"))]
    if "Returns" in _sections(obj.__doc__) or inspect.isclass(obj):
        errors = [e for e in errors if not e.startswith("RT01")]
    assert not errors, f"{path}: numpydoc problems:\n" + "\n".join(errors)


@pytest.mark.parametrize("path", IDS)
def test_example_or_tutorial(path):
    obj = BY_PATH[path]
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        pytest.skip("exceptions are documented by the functions that raise them")
    doc = inspect.getdoc(obj) or ""
    tutorials = TUTORIAL_REF.findall(doc)
    assert "Examples" in _sections(doc) or tutorials, (
        f"{path} has neither an Examples section nor a link to a tutorial "
        "(:ref:`sphx_glr_auto_tutorials_plot_<name>.py`)")
    for name in tutorials:
        assert (TUTORIALS / f"{name}.py").is_file(), (
            f"{path} links to the tutorial {name}.py, which is not in tutorials/")


def _api_entries():
    """Dotted names listed by the autosummary directives of doc/api.rst."""
    entries, module, in_summary = set(), None, False
    for line in API.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith(".. currentmodule::"):
            module = stripped.split("::")[1].strip()
        elif stripped.startswith(".. autosummary::"):
            in_summary = True
        elif in_summary and stripped and not line.startswith(" "):
            in_summary = False
        elif in_summary and stripped and not stripped.startswith(":"):
            entries.add(f"{module}.{stripped}")
    return entries


def test_api_reference_lists_every_public_name():
    missing = sorted(set(IDS) - _api_entries())
    assert not missing, f"doc/api.rst does not list: {missing}"
