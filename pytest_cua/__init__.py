"""pytest-cua: end-to-end UI tests written as natural-language steps for a computer-use model."""

from .agent import CuaAgent
from .errors import (
    CuaBudgetExceeded,
    CuaCassetteError,
    CuaCheckFailed,
    CuaConfigError,
    CuaDomainBlocked,
    CuaError,
    CuaMaxStepsExceeded,
    CuaProviderError,
    CuaReplayMismatch,
    CuaSafetyCheckFailed,
    CuaStepFailed,
)
from .settings import Settings
from .trail import StepResult, Trail

__all__ = [
    "CuaAgent",
    "CuaBudgetExceeded",
    "CuaCassetteError",
    "CuaCheckFailed",
    "CuaConfigError",
    "CuaDomainBlocked",
    "CuaError",
    "CuaMaxStepsExceeded",
    "CuaProviderError",
    "CuaReplayMismatch",
    "CuaSafetyCheckFailed",
    "CuaStepFailed",
    "Settings",
    "StepResult",
    "Trail",
]
