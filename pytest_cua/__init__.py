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
    FaultKind,
)
from .settings import RecordMode, Settings
from .trail import Outcome, Source, StepResult, Trail

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
    "FaultKind",
    "Outcome",
    "RecordMode",
    "Settings",
    "Source",
    "StepResult",
    "Trail",
    "paced_http_client",
]
