"""pytest-cua: end-to-end UI tests written as natural-language steps for a computer-use model."""

from .agent import CuaAgent
from .errors import (
    CuaCheckFailed,
    CuaConfigError,
    CuaError,
    CuaMaxStepsExceeded,
    CuaProviderError,
    CuaSafetyCheckFailed,
    CuaStepFailed,
)
from .settings import Settings
from .trail import StepResult, Trail

__all__ = [
    "CuaAgent",
    "CuaCheckFailed",
    "CuaConfigError",
    "CuaError",
    "CuaMaxStepsExceeded",
    "CuaProviderError",
    "CuaSafetyCheckFailed",
    "CuaStepFailed",
    "Settings",
    "StepResult",
    "Trail",
]
