"""The known values in annotation.agreement's docstrings hold."""
import doctest

import annotation.agreement


def test_the_docstring_examples_hold():
    result = doctest.testmod(annotation.agreement)
    assert result.attempted >= 2 and result.failed == 0
