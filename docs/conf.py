"""Sphinx configuration of the sklearn_sigmoidnet documentation site.

Build it with ``pip install -e '.[docs]'`` and
``sphinx-build -W --keep-going -b html docs docs/_build/html``. The Markdown
pages are read by myst-parser, the API pages come from the docstrings
(numpydoc), and the gallery in ``examples/`` is run by sphinx-gallery at every
build. No extension fetches anything over the network (no intersphinx), so the
build works offline.
"""

from pathlib import Path

import sklearn_sigmoidnet

HERE = Path(__file__).resolve().parent

# -- Project -----------------------------------------------------------------
project = "sklearn_sigmoidnet"
author = "The sklearn_sigmoidnet developers"
copyright = f"2026, {author}"
release = sklearn_sigmoidnet.__version__
version = ".".join(release.split(".")[:2])

# -- Extensions --------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# -- MyST (the Markdown pages) -------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "deflist", "colon_fence"]
myst_dmath_double_inline = True
myst_heading_anchors = 3

# -- autodoc, autosummary, numpydoc -------------------------------------------
autosummary_generate = True
# The estimator's own methods; those every scikit-learn estimator inherits
# (get_params, set_params, score, set_*_request) are documented by
# scikit-learn, and their docstrings refer to its pages.
autodoc_default_options = {"members": True}


def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    """scikit-learn adds ``set_fit_request`` and the like to the class itself;
    they are listed in the class template instead of documented here."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)


autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- sphinx-gallery -------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("sklearn_sigmoidnet",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sklearn_sigmoidnet": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "plot_gallery": "True",
    # an example that fails fails the build
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "within_subsection_order": "FileNameSortKey",
    "write_computation_times": True,
}

# -- HTML ------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_sigmoidnet {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
# Pages without sub-pages need no section navigation.
html_sidebars = {
    page: [] for page in ["getting_started", "derivation", "development", "changelog"]
}
html_static_path = []
html_show_sourcelink = True
html_copy_source = True
