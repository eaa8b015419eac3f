"""Deprecated: the price table is `pytest_cua.PRICES` now; this module goes in the next
release."""

import warnings

from ._core.pricing import PRICES, Price, dollars, price_of, table  # noqa: F401

warnings.warn("pytest_cua.pricing is deprecated and goes in the next release: use "
              "pytest_cua.PRICES", DeprecationWarning, stacklevel=2)
