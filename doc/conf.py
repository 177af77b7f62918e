"""Sphinx configuration of the skdeepgen documentation.

Build (from the repository root)::

    python -m sphinx -W --keep-going -b html doc doc/_build/html

The gallery runs every script of ``examples/`` in quick mode
(``SKDEEPGEN_QUICK=1``: subsampled data, fewer epochs, smaller models);
``SKDEEPGEN_QUICK=0`` in the environment builds it with the full runs.
"""
import os
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))  # examples import each other's helpers

# Examples read this before sphinx-gallery runs them.
os.environ.setdefault("SKDEEPGEN_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "agg")

import skdeepgen  # noqa: E402

project = "skdeepgen"
author = "The skdeepgen developers"
copyright = "2026, The skdeepgen developers"
release = skdeepgen.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store",
                    "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5",
                    "auto_examples/*.json", "sg_execution_times.rst"]
templates_path = ["_templates"]

# -- autodoc / autosummary / numpydoc -------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True
# No network here: intersphinx is not used, so nothing fetches an inventory.

# -- MyST (the Markdown pages: design, results, parts of the user guide) --
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = []

# -- sphinx-gallery --------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/.*\.py$",   # execute every example
    "ignore_pattern": r"(__init__|_helpers)\.py$",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "plot_gallery": os.environ.get("SKDEEPGEN_PLOT_GALLERY", "True"),
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "show_memory": False,
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skdeepgen",),
    "min_reported_time": 1,
}

warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")

# -- HTML -----------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skdeepgen {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
html_show_sourcelink = False
