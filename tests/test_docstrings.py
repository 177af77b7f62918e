"""Every docstring example in the package runs as a doctest."""
import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import skdeepgen

MODULES = sorted(m.name for m in pkgutil.walk_packages(skdeepgen.__path__, "skdeepgen.")
                 if ".__main__" not in m.name)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name, globs={"np": np})
             if t.examples and t.name.startswith(name)]
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
