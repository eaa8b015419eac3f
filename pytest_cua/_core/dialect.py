"""The seam between the conversation and one vendor's wire format.

A `Dialect` builds the requests (history included), parses replies into a `ModelTurn`,
builds the results of actions, and sends with that vendor's SDK. A new vendor is one new
dialect (in `_providers`), not branches in the conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from .events import ComputerCall, FunctionCall, Image, ModelTurn


class Dialect(Protocol):
    """One vendor's computer use: what the loop needs, in the vendor's wire format."""

    provider: str
    model: str  # the model's name, as the service knows it
    tool: str  # the tool version, as cassettes and reports name it
    screenshot_limit: tuple[int, int]  # screenshots are scaled down to fit this box
    # Whether `call_result` tells the model why actions failed (Claude's `is_error`
    # results, Gemini's `error` responses); otherwise the loop says it in a text message.
    errors_in_results: bool

    def step_items(self, kind: str, instruction: str, image: Image, done: Sequence[str],
                   secrets: Sequence[str]) -> list[Any]: ...

    def call_result(self, call: ComputerCall, image: Image, acknowledged: list[dict],
                    errors: Sequence[str]) -> list[Any]: ...

    def function_result(self, call: FunctionCall, output: str) -> list[Any]: ...

    def text(self, text: str) -> list[Any]: ...

    def request(self, items: list[Any], display: tuple[int, int]) -> dict: ...

    def parse(self, response: Any) -> ModelTurn: ...

    def reset(self) -> None: ...

    def warm(self, client: Any) -> None:
        """Load what the SDK loads on its first request, before a request's quota slot is
        taken: a first request that leaves late would crowd the next one's window."""

    def send(self, client: Any, request: dict) -> Any:
        """The SDK call: its response, or, with the SDK's async client, an awaitable of it
        (driven by `drive.run` or `drive.arun`, like every other call)."""

    def fault(self, exc: BaseException) -> BaseException:
        """What a send raised, as the test should read it (`_providers.faults`)."""
