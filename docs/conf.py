"""Sphinx configuration of the kmeans-harness documentation (``tox -e docs``; warnings are errors).

Pages are Markdown (myst-parser) except the API reference; docstrings are numpydoc.  No
intersphinx: the build must not need the network.
"""

import os
import sys

sys.path.insert(0, os.path.abspath("_ext"))  # argparse_cli: the CLI reference, generated from the parser

from harness import __version__  # noqa: E402  (the installed package, as the docs env installs it)

project = "kmeans-harness"
author = "kmeans-harness developers"
copyright = "kmeans-harness developers"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "numpydoc",
    "argparse_cli",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "cases", "Thumbs.db", ".DS_Store"]
myst_heading_anchors = 3  # README-style links to "page.md#a-heading" resolve

# autodoc + numpydoc: the public API as documented in the docstrings.
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc "Parameters" sections say the types, with shapes
autodoc_default_options = {"exclude-members": "__init__, __new__"}
numpydoc_show_class_members = False  # members are listed explicitly in api.rst
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# sphinx.ext.doctest: every example in the pages runs (``sphinx-build -b doctest``).
doctest_global_setup = """
import numpy as np
np.set_printoptions(precision=6, suppress=True)
"""

html_theme = "alabaster"
html_title = f"kmeans-harness {release}"
html_static_path = []
