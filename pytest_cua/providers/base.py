"""Deprecated: `paced_http_client` is `pytest_cua.paced_http_client` now; this module goes
in the next release."""

import warnings

from .._run.pacing import paced_http_client  # noqa: F401

warnings.warn("pytest_cua.providers.base is deprecated and goes in the next release: use "
              "pytest_cua.paced_http_client", DeprecationWarning, stacklevel=2)
