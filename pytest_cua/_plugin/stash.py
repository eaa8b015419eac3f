"""What pytest-cua keeps on a test item: written by the fixtures, read by the report hooks.

The keys live here, below both, so that neither imports the other.
"""

from __future__ import annotations

import pytest

from .._replay.cassettes import Tape
from ..settings import Settings
from ..trail import Trail

TRAIL = pytest.StashKey[Trail]()  # every step of every agent of the test
SETTINGS = pytest.StashKey[Settings]()  # the test's resolved settings
TAPE = pytest.StashKey[Tape]()  # its cassette, when cassettes are on
PASSED = pytest.StashKey[bool]()  # the call phase passed: what a cassette is written on
ATTEMPT = pytest.StashKey[int]()  # the run of the test (pytest-rerunfailures) they belong to
OUTPUT = pytest.StashKey[str]()  # pytest-playwright's output folder for the test
VIEWPORT = pytest.StashKey[tuple[int, int]]()  # the first agent's page size (the export's)


def trail_of(item: pytest.Item) -> Trail | None:
    """The trail recorded for a test, for reporters and users' own hooks."""
    return item.stash.get(TRAIL, None)
