"""Every example in the package's docstrings runs and gives what it shows.

The docstrings are the API documentation a notebook user reads; an example that has drifted from
the code misleads them, so the examples are tests.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import coder

MODULES = sorted(m.name for m in pkgutil.iter_modules(coder.__path__, "coder."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples failed in {name}"
