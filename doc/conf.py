"""Sphinx configuration of the mne-oivae documentation.

The build runs offline: no intersphinx, MathJax served from the build itself, and
the tutorials read their data from local folders (``sphinxext/oivae_docs.py``).
"""

import sys
from pathlib import Path

import mne
import torch

import mne_oivae

DOC = Path(__file__).resolve().parent
ROOT = DOC.parent
sys.path.insert(0, str(DOC / "sphinxext"))

from oivae_docs import prepare_data, skip_metadata_requests  # needs the sys.path above

prepare_data(DOC / "_build" / "data", ROOT)
# The tutorial models are small: one intra-op thread avoids the OpenMP start-up and
# spin-wait costs that dominate at this size on a 2-core machine (as in the tests).
torch.set_num_threads(1)
# MNE's info messages (3D theme detection, Talairach fallback of the small
# fsaverage) would clutter the tutorials' output.
mne.set_log_level("WARNING")

project = "mne-oivae"
author = "mne-oivae developers"
copyright = "2026, mne-oivae developers"
release = mne_oivae.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # copies MathJax into _static: equations render offline
    "matplotlib.sphinxext.plot_directive",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_tutorials/*.ipynb", "auto_tutorials/*.py",
                    "auto_tutorials/*.zip"]
root_doc = "index"
default_role = "py:obj"
nitpicky = False

# -- autodoc / autosummary / numpydoc ------------------------------------------
autosummary_generate = True
autodoc_default_options = {"inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False  # the class template lists the methods
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- matplotlib plot directive (the model diagram) -------------------------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]

# -- HTML ------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"mne-oivae {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 1,
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
}
html_sidebars = {"install": [], "changelog": [], "cite": [], "model": [],
                 "performance": []}
html_show_sourcelink = False
html_last_updated_fmt = None

# -- sphinx-gallery ----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": [str(ROOT / "tutorials")],
    "gallery_dirs": ["auto_tutorials"],
    "filename_pattern": r"/plot_",
    "within_subsection_order": "oivae_docs.TutorialOrder",
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("mne_oivae",),
    "image_scrapers": ("matplotlib",),
    "capture_repr": (),  # the tutorials print what they want shown
    # An error in a tutorial fails the build (reported at its end, all tutorials run).
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "min_reported_time": 1,
    "show_memory": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "reset_modules": ("matplotlib", "seaborn"),
}


def setup(app):
    app.connect("autodoc-skip-member", skip_metadata_requests)
