"""What differs between the Python versions pytest-cua supports (3.10 and later)."""

from __future__ import annotations

import sys
from enum import Enum

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - Python 3.10
    class StrEnum(str, Enum):
        """Members are their values: equal to, hashed, printed and formatted as them."""

        def __str__(self) -> str:
            return str(self.value)

__all__ = ["StrEnum"]
