"""pytest-cua: end-to-end UI tests written as natural-language steps for a computer-use model."""

from ._agent.agent import AsyncCuaAgent, CuaAgent
from ._core.pricing import PRICES
from ._run.pacing import paced_http_client
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
    "PRICES",
    "AsyncCuaAgent",
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
    "paced_http_client",
]
