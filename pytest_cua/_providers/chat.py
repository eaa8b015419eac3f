"""Open-weight models behind an OpenAI-compatible chat completions endpoint.

vLLM, SGLang, TGI, Ollama and DashScope's compatible mode all serve
`POST /v1/chat/completions`; the model behind it speaks its family's grammar (`families`).
This dialect is the transport: the conversation as chat messages (the family's system
prompt, each step as a user message with the screenshot, each reply resent as the
assistant's text, each action's result as a new screenshot), sent with the `openai` SDK.

Small context windows: only the newest `family.images` screenshots are sent (servers cap
images per prompt, e.g. vLLM's `--limit-mm-per-prompt image=5`); older ones are replaced
by a line of text, so the turns stay in order. A reply the family's parser cannot read is
told to the model once, with the format it must use; a second one fails the step with the
raw text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .._core.events import ComputerCall, FunctionCall, Image, ModelTurn
from .._core.prompts import ANSWER_TOOL, NUDGE, VERDICT_TOOL, with_context
from .._run.pacing import paced_http_client
from ..errors import CuaConfigError, hidden_from_users
from ..settings import Settings
from . import families
from . import openai as openai_dialect
from .base import keep_newest_images

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors

PROVIDER = "openai-compatible"
LEFT_OUT = "(an earlier screenshot, left out to keep the prompt within the server's limit)"
MAX_TOKENS = 1024


def _image_part(image: Image) -> dict:
    return {"type": "image_url", "image_url": {"url": image.url}}


class ChatDialect:
    """One family's conversation over chat completions (see the module docstring)."""

    provider = PROVIDER
    screenshot_limit = (1280, 800)
    errors_in_results = True  # a failed action is said in the next screenshot's message

    def __init__(self, model: str, family: families.Family, extra_body: Mapping[str, Any]
                 | None = None, extra_headers: Mapping[str, str] | None = None) -> None:
        self.model, self.family, self.tool = model, family, family.name
        self.extra_body = dict(extra_body or {})
        self.extra_headers = dict(extra_headers or {})
        self._messages: list[dict] = []
        self._size = (1280, 720)  # the screenshot the model last saw: its points are on it
        self._kind = "act"
        self._problem = ""  # what was wrong with the last reply, told instead of the nudge

    def step_items(self, kind: str, instruction: str, image: Image, done: Sequence[str],
                   secrets: Sequence[str]) -> list[dict]:
        self._kind, self._size = kind, (image.width, image.height)
        text = families.step_prompt(self.family, kind, with_context(instruction, done, secrets))
        return [{"role": "user", "content": [{"type": "text", "text": text},
                                             _image_part(image)]}]

    def call_result(self, call: ComputerCall, image: Image, acknowledged: list[dict],
                    errors: Sequence[str]) -> list[dict]:
        if not image.zoomed:
            self._size = (image.width, image.height)
        content: list[dict] = [_image_part(image)]
        if errors:
            content.append({"type": "text", "text": "Some actions were not carried out:\n- "
                            + "\n- ".join(errors)})
        return [{"role": "user", "content": content}]

    def function_result(self, call: FunctionCall, output: str) -> list[dict]:
        if output == "recorded":  # the step's verdict or answer: nothing to tell
            return []
        return [{"role": "user", "content": output}]

    def text(self, text: str) -> list[dict]:
        if self._problem and text.startswith(NUDGE.split("{", 1)[0]):
            text = (f"Your last reply could not be used: {self._problem}. "
                    + families.format_reminder(self.family))
            self._problem = ""
        return [{"role": "user", "content": text}]

    def request(self, items: list[dict], display: tuple[int, int]) -> dict:
        self._messages.extend(items)
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system",
                          "content": families.system_prompt(self.family, self._size)},
                         *_newest_images(self._messages, self.family.images)],
            "temperature": 0,
            "max_tokens": MAX_TOKENS,
        }
        if self.extra_body:
            request["extra_body"] = dict(self.extra_body)
        if self.extra_headers:
            request["extra_headers"] = dict(self.extra_headers)
        return request

    def parse(self, response: Any) -> ModelTurn:
        choices = getattr(response, "choices", None) or []
        if not choices:
            from ..errors import CuaProviderError

            raise CuaProviderError("the model service returned no choices; retry the test")
        message = choices[0].message
        text = message.content or ""
        calls = [c.model_dump() for c in (message.tool_calls or [])]
        extra = getattr(message, "model_extra", None) or {}
        thinking = extra.get("reasoning_content") or extra.get("reasoning") or ""
        # Resent as text, tool calls in the family's own template: no tool-role messages,
        # so every server takes the history back.
        resent = text + "".join(
            "\n<tool_call>\n" + json.dumps({"name": c["function"]["name"],
                                            "arguments": _loads(c["function"]["arguments"])})
            + "\n</tool_call>" for c in calls)
        self._messages.append({"role": "assistant", "content": resent})
        usage = getattr(response, "usage", None)
        details = getattr(usage, "prompt_tokens_details", None)
        turn = ModelTurn(response_id=response.id, status=choices[0].finish_reason,
                         input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                         output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
                         cached_tokens=int(getattr(details, "cached_tokens", 0) or 0),
                         output_items=[{"role": "assistant", "content": resent}])
        parsed = families.parse(self.family, text, calls, self._size, self._kind)
        if not parsed.error and not (parsed.actions or parsed.verdict or
                                     parsed.answer is not None):
            parsed.error = "the reply holds no action and no ending"
        if parsed.error:
            self._problem = parsed.error
            turn.messages = [f"{resent.strip() or '(an empty reply)'} [unusable: {parsed.error}]"]
            return turn
        self._problem = ""
        turn.reasoning = [t for t in (thinking, parsed.thought) if t]
        if parsed.actions:
            turn.computer_calls = [ComputerCall(f"{response.id}-actions", parsed.actions,
                                                batched=True)]
        if parsed.verdict is not None:
            passed, reason = parsed.verdict
            turn.function_calls.append(FunctionCall(
                f"{response.id}-end", VERDICT_TOOL, json.dumps({"passed": passed,
                                                                "reason": reason})))
        if parsed.answer is not None:
            turn.function_calls.append(FunctionCall(
                f"{response.id}-end", ANSWER_TOOL, json.dumps({"answer": parsed.answer})))
        return turn

    def reset(self) -> None:
        self._messages = []
        self._problem = ""

    def warm(self, client: Any) -> None:
        client.chat.completions  # noqa: B018 - the SDK imports its request types on first use

    def send(self, client: Any, request: dict) -> Any:
        return client.chat.completions.create(**request)

    def fault(self, exc: BaseException) -> BaseException:
        return openai_dialect.FAULTS(exc)


def _loads(arguments: Any) -> Any:
    try:
        return json.loads(arguments) if isinstance(arguments, str) else arguments
    except ValueError:
        return arguments


def _newest_images(messages: list[dict], keep: int) -> list[dict]:
    """The messages with only the newest `keep` screenshots; older ones become a line of
    text in their place."""
    out = [{**m, "content": list(m["content"])} if isinstance(m.get("content"), list) else m
           for m in messages]
    keep_newest_images(((m["content"], n) for m in reversed(out)
                        if isinstance(m.get("content"), list)
                        for n in reversed(range(len(m["content"])))
                        if m["content"][n].get("type") == "image_url"),
                       keep, lambda _: {"type": "text", "text": LEFT_OUT})
    return out


def build_client(settings: Settings, env: Mapping[str, str], *,
                 asynchronous: bool = False) -> Any:
    """The `openai` SDK's client on the server's address (OPENAI_BASE_URL): the same
    variables the SDK reads; a local server takes any key."""
    import openai

    base_url = env.get("OPENAI_BASE_URL")
    if not base_url:
        raise CuaConfigError(
            "provider 'openai-compatible' needs OPENAI_BASE_URL, the server's /v1 address "
            "(vLLM and SGLang: http://localhost:8000/v1, Ollama: http://localhost:11434/v1); "
            "OPENAI_API_KEY is only needed by a hosted server (DashScope); a local one takes "
            "any key")
    cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    # vLLM's documented placeholder when no key is set: local servers do not check it.
    return cls(api_key=env.get("OPENAI_API_KEY") or "EMPTY", base_url=base_url,
               timeout=settings.timeout, max_retries=0,
               http_client=paced_http_client(openai, asynchronous))
