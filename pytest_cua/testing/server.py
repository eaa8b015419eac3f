"""A scripted fake model server: real HTTP, real wire formats, strict checks.

It serves OpenAI's Responses API (here), Anthropic's Messages API (`messages`) and Gemini's
generateContent (`gemini`) from the same scripts, written in our action vocabulary.

The real `openai` SDK talks to it through OPENAI_BASE_URL (or as AzureOpenAI through
AZURE_OPENAI_ENDPOINT). Every request is checked against the SDK's own request types and
the computer-use protocol rules (`checks`); every response is built and validated with
the SDK's `Response` type. A violation is answered with HTTP 400 and kept in
`server.errors`, so it fails loudly.
"""

from __future__ import annotations

import itertools
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from openai.types.responses import Response

from .checks import Issued, check_request, check_typed, decode_image, image_urls
from .quota import RateLimit
from .script import ComputerCall, Fault, Turn


def _route(name: str) -> Any:
    """The Anthropic (`messages`) or Gemini (`gemini`) route, imported when first used: each
    needs its vendor's SDK, which a suite on OpenAI alone does not install."""
    import importlib

    return importlib.import_module(f"{__package__}.{name}")


# SO_TIMESTAMPNS (Linux): the kernel stamps each segment when it arrives. Python has no name
# for it.
_KERNEL_STAMP = 35 if sys.platform == "linux" else 0


def _arrival(connection: socket.socket) -> float:
    """When the next request on `connection` reached this machine, as a service counts it.

    The handler thread of a busy process (8 browsers starting on 2 cores) reads a request up
    to half a second after it came; a quota stamped then would count a request sent on time
    next to a later one. The kernel's receive stamp of its first byte is the arrival, read
    with a peek that leaves the bytes for the request parser. SDK clients do not pipeline,
    so nothing of the next request is buffered when this waits for it."""
    if _KERNEL_STAMP:
        try:
            data, ancillary, _, _ = connection.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
        except OSError:
            return time.time()
        for level, kind, stamp in ancillary:
            if data and level == socket.SOL_SOCKET and kind == _KERNEL_STAMP:
                seconds, nanoseconds = struct.unpack("qq", stamp[:16])
                return seconds + nanoseconds / 1e9
    return time.time()


@dataclass
class RecordedRequest:
    """One request as the server received it, for tests to inspect."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    errors: list[str] = field(default_factory=list)
    response: dict | None = None
    status: int = 200
    received: float = 0.0  # time.perf_counter() when the request arrived
    replied: float = 0.0  # ... and when its reply was written: client time is between

    @property
    def input(self) -> list[dict]:
        value = (self.body or {}).get("input") if isinstance(self.body, dict) else None
        return value if isinstance(value, list) else []

    def items(self, kind: str) -> list[dict]:
        return [i for i in self.input if isinstance(i, dict) and i.get("type") == kind]

    @property
    def chat(self) -> bool:
        return self.path.endswith("/chat/completions")

    @property
    def anthropic(self) -> bool:
        return isinstance(self.body, dict) and "messages" in self.body and not self.chat

    @property
    def google(self) -> bool:
        return isinstance(self.body, dict) and "contents" in self.body

    def images(self) -> list[str]:
        """Data URLs of all images in the request: user messages and call outputs."""
        if self.chat:
            return _route("chat").image_urls(self.body)
        if self.anthropic:
            return _route("messages").image_urls(self.body)
        if self.google:
            return _route("gemini").image_urls(self.body)
        return image_urls(self.input)

    def texts(self) -> list[str]:
        if self.chat:
            return _route("chat").texts(self.body)
        if self.anthropic:
            return _route("messages").texts(self.body)
        if self.google:
            return _route("gemini").texts(self.body)
        parts: list[Any] = [part for item in self.input if isinstance(item, dict)
                            and isinstance(item.get("content"), list)
                            for part in item["content"]]
        return [part.get("text", "") for part in parts
                if isinstance(part, dict) and part.get("type") == "input_text"]


class FakeResponsesServer:
    """Serves scripted model turns at /v1/responses, /openai/responses, /openai/v1/responses."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._turns: list[Turn | Fault | Callable[[RecordedRequest], Any]] = []
        self.requests: list[RecordedRequest] = []
        self.request_counter = 0
        self._pointer = [0, 0]  # where Gemini's pointer last was: typing goes there
        self.errors: list[str] = []
        self.delay = 0.0
        self.rate_limit: RateLimit | None = None  # see `limit`
        self.chat_tool_calls = False  # chat route: Qwen's calls as parsed tool_calls
        self._issued: dict[str, Issued] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        if _KERNEL_STAMP:  # accepted connections inherit it
            self._httpd.socket.setsockopt(socket.SOL_SOCKET, _KERNEL_STAMP, 1)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    def start(self) -> FakeResponsesServer:
        # A short poll: stopping the server (every test's teardown) waits for one poll.
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True,
                                        name="cua-fake-responses", args=(0.05,))
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeResponsesServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ scripting
    def script(self, *turns: Turn | Fault | Callable[[RecordedRequest], Any]) -> None:
        """Queue model turns, served in order, one per request."""
        with self._lock:
            self._turns.extend(turns)

    def limit(self, requests: int, per: float = 1.0, *, shared: Any = None,
              declare: bool = False) -> RateLimit:
        """Enforce a rate limit: at most `requests` starts per `per` seconds, the rest
        answered 429 with retry-after (see `quota.RateLimit`; `shared` is a file that
        the servers of several processes share, `declare` sends the per-minute limit in
        `x-ratelimit-limit-requests` as OpenAI does)."""
        self.rate_limit = RateLimit(requests, per, shared=shared, declare=declare)
        return self.rate_limit

    @property
    def remaining(self) -> int:
        return len(self._turns)

    def assert_clean(self) -> None:
        """Raise AssertionError listing every protocol error the server saw."""
        if self.errors:
            raise AssertionError("fake Responses API saw protocol errors:\n- "
                                 + "\n- ".join(self.errors))

    # ------------------------------------------------------------------ HTTP
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle_one_request(self) -> None:
                self.arrived = _arrival(self.connection)
                super().handle_one_request()

            def do_POST(self) -> None:
                server._handle(self)

            def do_GET(self) -> None:
                self._reply(404, {"error": {"message": "not found", "type": "not_found"}})

            def _reply(self, status: int, body: Any, headers: dict | None = None) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                server.request_counter += 1  # every reply has an id, as the real API's do
                if "x-request-id" not in {k.lower() for k in (headers or {})}:
                    request_id = f"req_fake_{server.request_counter:04d}"
                    self.send_header("x-request-id", request_id)  # OpenAI's
                    self.send_header("request-id", request_id)  # Anthropic's
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _handle(self, handler: Any) -> None:
        received, arrived = time.perf_counter(), getattr(handler, "arrived", time.time())
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw_body = handler.rfile.read(length)
        try:
            body = json.loads(raw_body or b"null")
        except ValueError:
            body = None
        request = RecordedRequest(
            method="POST", path=parts.path, query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in handler.headers.items()}, body=body,
            received=received,
        )
        anthropic = parts.path.endswith("/messages")
        google = parts.path.endswith(":generateContent")
        chat = parts.path.endswith("/chat/completions")
        with self._lock:
            self.requests.append(request)
            if not (anthropic or google or chat or parts.path.endswith("/responses")):
                request.status = 404
                handler._reply(404, {"error": {"message": f"no route {parts.path}"}})
                return
            request.errors = (
                _route("messages").check_request(body, request.headers, check_typed)
                if anthropic else _route("gemini").check_request(body) if google
                else _route("chat").check_request(body, decode_image) if chat
                else check_request(body, self._issued))
            wait = self.rate_limit.admit(arrived) if self.rate_limit and not request.errors \
                else None
            if wait is not None:
                request.status = 429
                vendor = "anthropic" if anthropic else "gemini" if google else "openai"
                handler._reply(429, self.rate_limit.body(vendor, wait),  # type: ignore[union-attr]
                               self.rate_limit.headers(wait))  # type: ignore[union-attr]
                return
            scripted = self._turns.pop(0) if self._turns and not request.errors else None
            if not request.errors and scripted is None:
                request.errors = ["no scripted model turn left for this request"]
            if request.errors:
                self.errors.extend(request.errors)
                request.status = 400
                payload = {"error": {"message": "fake server: " + "; ".join(request.errors),
                                     "type": "invalid_request_error", "code": "protocol_error"}}
                handler._reply(400, payload)
                return
            if callable(scripted):
                scripted = scripted(request)
            delay = self.delay + getattr(scripted, "delay", 0.0)
            if isinstance(scripted, Fault):
                status, reply, headers = scripted.status, scripted.body, scripted.headers
                if reply is None:
                    reply = {"error": {"message": f"scripted fault {status}",
                                       "type": "server_error"}}
                    if anthropic:
                        reply = {"type": "error", "error": {"type": "api_error",
                                                            "message": f"scripted fault {status}"}}
                    if google:
                        reply = {"error": {"code": status, "message": f"scripted fault {status}",
                                           "status": "UNAVAILABLE"}}
            else:
                try:
                    turn = self._as_turn(scripted)
                    built = (
                        _route("messages").build_reply(body, turn, self._next_id) if anthropic
                        else _route("gemini").build_reply(body, turn, self._next_id,
                                                          self._pointer)
                        if google else _route("chat").build_reply(
                            body, turn, self._next_id, decode_image, self.chat_tool_calls)
                        if chat else self._build_response(body, scripted))
                    status, reply, headers = 200, built, {}
                except Exception as exc:
                    request.errors = [f"the scripted turn cannot be served: {exc}"]
                    self.errors.extend(request.errors)
                    status, headers = 400, {}
                    reply = {"error": {"message": "fake server: " + request.errors[0],
                                       "type": "invalid_request_error", "code": "script_error"}}
            request.status = status
            request.response = reply if isinstance(reply, dict) else None
        if delay:
            time.sleep(delay)
        handler._reply(status, reply if isinstance(reply, dict | bytes) else str(reply).encode(),
                       headers)
        request.replied = time.perf_counter()

    # ------------------------------------------------------------------ responses
    def _next_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"

    @staticmethod
    def _as_turn(turn: Any) -> Turn:
        return Turn(list(turn)) if isinstance(turn, list | tuple) else turn

    def _build_response(self, body: dict, turn: Any) -> dict:
        turn = self._as_turn(turn)
        preview = any(t.get("type") == "computer_use_preview" for t in body.get("tools", []))
        output: list[dict] = []
        raw_items = False
        calls: dict[str, str] = {}
        checks: dict[str, list[dict]] = {}
        for item in turn.items:
            if isinstance(item, dict) and "__raw__" in item:
                output.append(item["__raw__"])
                raw_items = True
                if item["__raw__"].get("call_id"):
                    calls[item["__raw__"]["call_id"]] = item["__raw__"].get("type", "?")
                continue
            if isinstance(item, ComputerCall):
                built = self._computer_call(item, preview)
                checks[built["call_id"]] = built["pending_safety_checks"]
            else:
                built = dict(item)
                if built["type"] == "function_call":
                    built.setdefault("call_id", self._next_id("call"))
                    built.setdefault("status", "completed")
                built.setdefault("id", self._next_id({"function_call": "fc", "message": "msg",
                                                      "reasoning": "rs"}.get(built["type"], "it")))
            if built.get("type") in ("computer_call", "function_call"):
                calls[built["call_id"]] = built["type"]
            output.append(built)
        response = {
            "id": self._next_id("resp"),
            "object": "response",
            "created_at": time.time(),
            "model": body.get("model"),
            "status": turn.status,
            "output": output,
            "parallel_tool_calls": False,
            "tool_choice": "auto",
            "tools": body.get("tools", []),
            "previous_response_id": body.get("previous_response_id"),
            "truncation": body.get("truncation"),
            "usage": {
                "input_tokens": turn.input_tokens,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": turn.output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": turn.input_tokens + turn.output_tokens,
            },
        }
        if turn.status == "incomplete":
            response["incomplete_details"] = {"reason": "max_output_tokens"}
        if not raw_items:
            # Built with the SDK's own type, so the fake cannot drift from the real API.
            response = Response.model_validate(response).model_dump(mode="json",
                                                                     exclude_none=True)
        self._issued[response["id"]] = Issued(calls, checks)
        return response

    def _computer_call(self, call: ComputerCall, preview: bool) -> dict:
        checks = [dict(c, id=c.get("id") or self._next_id("sc")) for c in call.safety_checks]
        item: dict[str, Any] = {
            "type": "computer_call", "id": self._next_id("cu"), "call_id": self._next_id("call"),
            "status": "completed", "pending_safety_checks": checks,
        }
        shape = call.force_shape or ("action" if preview else "actions")
        if shape == "action":
            if len(call.actions) != 1:
                raise AssertionError("the preview tool takes exactly one action per computer "
                                     f"call; the script gave {len(call.actions)}")
            item["action"] = call.actions[0]
        elif shape == "actions":
            item["actions"] = list(call.actions)
        return item


def requests_with(server: FakeResponsesServer, kind: str) -> Iterable[dict]:
    for request in server.requests:
        yield from request.items(kind)
