"""Settings and their resolution: marker > command line > ini > environment > default.

Kept free of pytest so the precedence rules can be tested with plain dicts; the plugin
feeds it the values it read from pytest's config and the test's `cua` marker.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._compat import StrEnum
from ._core import pricing, safety

PROVIDERS = ("auto", "openai", "azure", "anthropic", "gemini", "openai-compatible")


class RecordMode(StrEnum):
    """What cassettes do (`--cua-cache`), as vcrpy's record modes do for HTTP."""

    OFF = "off"  # no cassettes
    RECORD = "record"  # ask the model, write a cassette for each passing test
    AUTO = "auto"  # replay what a cassette has, ask the model for the rest, keep it current
    REPLAY = "replay"  # cassettes only: a missing one or a mismatch fails the test

    @property
    def reads(self) -> bool:
        """Cassettes may answer every step: a run may need no model (nor its key)."""
        return self in (RecordMode.AUTO, RecordMode.REPLAY)

    @property
    def writes(self) -> bool:
        return self in (RecordMode.RECORD, RecordMode.AUTO)


CACHE_MODES = tuple(mode.value for mode in RecordMode)
HISTORY_MODES = ("server", "manual")
REPORT_IMAGES = ("webp", "png", "jpeg", "off")
SCREENSHOT_FORMATS = ("auto", "png", "jpeg")  # `_browser.screenshots` chooses for auto
REPLAY_DATES = ("kind", "exact")  # how dates and times in evidence compare (`likeness`)
DEFAULT_MODEL = "gpt-5.4"  # a current GA computer-use model (the openai SDK lists it)


class SettingError(ValueError):
    """A setting has a value that cannot be used; the message names where it came from."""


@dataclass(frozen=True)
class Settings:
    provider: str = "auto"
    model: str = DEFAULT_MODEL
    tool: str = "auto"
    max_steps: int = 30
    safety_policy: str = "fail"
    allowed_domains: tuple[str, ...] = ()
    cache: RecordMode = RecordMode.OFF
    cache_dir: str = "cua_cassettes"
    trail_dir: str | None = None
    export: str | None = None  # write plain pytest-playwright modules here (design 6b)
    timeout: float = 120.0
    history: str = "server"
    report_images: str = "webp"  # stored once per report, markers drawn over it
    screenshot_format: str = "auto"
    loop_limit: int = 8
    max_turns_total: int = 0
    gemini_excluded: tuple[str, ...] = ("search", "open_web_browser")
    summary: str | None = None  # a Markdown summary of the run (GitHub's job summary)
    trail_url: str | None = None  # where the trail folder is published, for links
    replay_timeout: float = 5.0  # seconds a replay waits for an element or an outcome
    volatile: tuple[str, ...] = ()  # CSS selectors of content left out of replay comparisons
    replay_dates: str = "kind"  # dates and times in evidence: by kind, or exact (likeness)
    requests_per_minute: float = 0.0  # the provider's quota, shared by every worker (0: learn)
    tokens_per_minute: float = 0.0
    quota_store: str | None = None  # redis://host:port/db: the quota shared across machines
    max_cost: float = 0.0  # US dollars the run may spend on model turns (0: no limit)
    prices: tuple[str, ...] = ()  # MODEL=INPUT,CACHED,OUTPUT lines over the built-in prices
    model_family: str = "auto"  # openai-compatible: the open-weight model's family
    extra_body: Mapping[str, Any] = field(default_factory=dict)  # more request fields
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # A conftest may give the record mode as a string (`replace(settings, cache="auto")`).
        if not isinstance(self.cache, RecordMode):
            try:
                object.__setattr__(self, "cache", RecordMode(str(self.cache).strip().lower()))
            except ValueError:
                raise ValueError(f"Settings.cache: expected one of {', '.join(CACHE_MODES)}, "
                                 f"got {self.cache!r}") from None


def _choice(choices: Sequence[str]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return text

    return parse


def _int_from(minimum: int, wanted: str) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise ValueError(f"expected {wanted}, got {value!r}")
        return number

    return parse


_positive_int = _int_from(1, "a positive whole number")
_whole = _int_from(0, "a whole number (0 for no limit)")


def _positive_float(value: Any) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"expected a number of seconds, got {value!r}") from None
    if number <= 0:
        raise ValueError(f"expected a positive number of seconds, got {value!r}")
    return number


def _rate(wanted: str) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        try:
            number = float(str(value).strip().removeprefix("$"))
        except ValueError:
            number = -1.0
        if number < 0 or number != number:
            raise ValueError(f"expected {wanted} (0 for none), got {value!r}")
        return number

    return parse


def _json_object(value: Any) -> dict[str, Any]:
    """A JSON object (a dict as is, from a marker); its keys must be strings."""
    if isinstance(value, Mapping):
        return dict(value)
    try:
        parsed = json.loads(str(value))
    except ValueError as exc:
        raise ValueError(f"expected a JSON object such as '{{\"chat_template_kwargs\": "
                         f"{{\"enable_thinking\": false}}}}', got {value!r} ({exc})") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"expected a JSON object, got {value!r}")
    return parsed


def _token(value: Any) -> str:
    """A name compared case-insensitively, such as an open-weight model family."""
    text = str(value).strip().lower()
    if not text:
        raise ValueError("expected a name")
    return text


def _redis_url(value: Any) -> str:
    """A Redis URL, as redis-py reads it (redis://, rediss:// or unix://)."""
    text = _text(value)
    if not text.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("expected a Redis URL such as redis://localhost:6379/0")
    return text


def _text(value: Any) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("expected a non-empty value")
    return text


_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def parse_safety_policy(value: Any) -> str:
    """`fail`, `acknowledge`, or a comma list of safety check codes to acknowledge."""
    text = str(value).strip()
    if text.lower() in ("fail", "acknowledge"):
        return text.lower()
    codes = [c.strip() for c in text.split(",") if c.strip()]
    bad = [c for c in codes if not _CODE.match(c.removeprefix(safety.UNKNOWN_PREFIX))]
    if not codes or bad:
        raise ValueError(
            "expected 'fail', 'acknowledge' or a comma list of safety check codes such as "
            f"'malicious_instructions,irrelevant_domain', got {value!r}"
        )
    safety.policy_codes(text)  # names the unknown codes and lists the known ones
    return ",".join(codes)


_HOST = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?$", re.IGNORECASE)


def _domains(value: Any) -> tuple[str, ...]:
    items = re.split(r"[,\s]+", value) if isinstance(value, str) else [str(v) for v in value]
    domains = tuple(d.strip().lower() for d in items if d and d.strip())
    bad = [d for d in domains if not _HOST.match(d)]
    if bad:
        raise ValueError(f"expected host names such as 'example.com' or '*.example.com', got {bad}")
    return domains


def _names(value: Any) -> tuple[str, ...]:
    """A comma list of function names; `none` for an empty list."""
    items = [v.strip() for v in (value.split(",") if isinstance(value, str) else value)]
    if items == ["none"]:
        return ()
    bad = [v for v in items if not re.fullmatch(r"[a-z_][a-z0-9_]*", v)]
    if bad or not items:
        raise ValueError(f"expected a comma list of function names (or none), got {value!r}")
    return tuple(items)


def _entries(value: Any) -> tuple[str, ...]:
    """A list, or one string with one entry per line or separated by ';' (an entry may
    hold commas): the entries, stripped, empty ones dropped."""
    items = re.split(r"[;\n]", value) if isinstance(value, str) else [
        part for v in value for part in re.split(r"[;\n]", str(v))]
    return tuple(s.strip() for s in items if s and s.strip())


def _selectors(value: Any) -> tuple[str, ...]:
    """CSS selectors (`_entries`); the browser judges them when a replay uses them."""
    selectors = _entries(value)
    if not selectors:
        raise ValueError("expected CSS selectors such as '#clock' or '.ad, .greeting'")
    return selectors


def _prices(value: Any) -> tuple[str, ...]:
    """`MODEL=INPUT,CACHED,OUTPUT` entries (`_entries`), each checked now."""
    lines = _entries(value)
    if not lines:
        raise ValueError("expected MODEL=INPUT,CACHED_INPUT,OUTPUT lines")
    for line in lines:
        pricing.parse_line(line)
    return lines


@dataclass(frozen=True)
class Spec:
    """One setting, written once: how its value is read, where it comes from (option, ini
    key, environment variable, marker), the values it takes and its help text."""

    name: str
    parse: Callable[[Any], Any] | None  # None: one of `choices`
    option: str
    ini: str
    env: str
    marker: bool = False
    choices: tuple[str, ...] | None = None
    help: str = ""

    def read(self, value: Any, choices: Sequence[str] | None = None) -> Any:
        """The value parsed; one of `choices` (or the row's own) when there are some."""
        choices = choices or self.choices
        if not choices:
            return (self.parse or _text)(value)
        text = _choice(choices)(value)
        # A row whose choices are an enum's values reads into its member (RecordMode).
        return self.parse(text) if isinstance(self.parse, type) else text


SPECS: tuple[Spec, ...] = (
    Spec("provider", None, "--cua-provider", "cua_provider", "CUA_PROVIDER",
         choices=PROVIDERS,
         help=("model provider: openai, azure, anthropic, gemini, or auto (by the credentials "
               "set)")),
    Spec("model", _text, "--cua-model", "cua_model", "CUA_MODEL", marker=True,
         help=("model name, or Azure deployment name (default gpt-5.4; for anthropic "
               "claude-sonnet-4-6; for gemini gemini-3-flash-preview)")),
    # Its choices are the vendors' tool versions, which `_providers.registry` knows.
    Spec("tool", _token, "--cua-tool", "cua_tool", "CUA_TOOL", marker=True,
         help=("computer tool version: preview, ga (OpenAI); computer_20250124, "
               "computer_20251124, computer_toolset_20260801 (Anthropic); computer_use_browser "
               "(Gemini); or auto (by provider and model)")),
    Spec("max_steps", _positive_int, "--cua-max-steps", "cua_max_steps", "CUA_MAX_STEPS",
         marker=True, help="model turns allowed per step (default 30)"),
    Spec("safety_policy", parse_safety_policy, "--cua-safety-policy", "cua_safety_policy",
         "CUA_SAFETY_POLICY", marker=True,
         help=("fail (default), acknowledge, or a comma list of safety check codes to "
               "acknowledge")),
    Spec("allowed_domains", _domains, "--cua-allowed-domain", "cua_allowed_domains",
         "CUA_ALLOWED_DOMAINS", marker=True,
         help="a host the browser may visit (repeatable)"),
    Spec("cache", RecordMode, "--cua-cache", "cua_cache", "CUA_CACHE", marker=True,
         choices=CACHE_MODES, help="cassettes: off, record, auto, replay (default off)"),
    Spec("cache_dir", _text, "--cua-cache-dir", "cua_cache_dir", "CUA_CACHE_DIR",
         help="where cassettes live, relative to rootdir (default cua_cassettes)"),
    Spec("trail_dir", _text, "--cua-trail-dir", "cua_trail_dir", "CUA_TRAIL_DIR",
         help="also write one standalone HTML trail per test into this folder"),
    Spec("export", _text, "--cua-export", "cua_export", "CUA_EXPORT",
         help="after the run, write each test module with CUA steps as plain "
              "pytest-playwright code under this folder"),
    Spec("timeout", _positive_float, "--cua-timeout", "cua_timeout", "CUA_TIMEOUT", marker=True,
         help="seconds per model request (default 120)"),
    Spec("history", None, "--cua-history", "cua_history", "CUA_HISTORY", marker=True,
         choices=HISTORY_MODES,
         help="server (chain with previous_response_id, default) or manual (resend items)"),
    Spec("report_images", None, "--cua-report-images", "cua_report_images",
         "CUA_REPORT_IMAGES", choices=REPORT_IMAGES,
         help="report screenshots: webp (default, quality 75), png (exact), jpeg, off"),
    Spec("screenshot_format", None, "--cua-screenshot-format", "cua_screenshot_format",
         "CUA_SCREENSHOT_FORMAT", marker=True, choices=SCREENSHOT_FORMATS,
         help=("screenshots sent to the model: auto (default: exact PNG for flat pages, JPEG "
               "quality 90 for busy ones), png or jpeg")),
    Spec("loop_limit", _whole, "--cua-loop-limit", "cua_loop_limit", "CUA_LOOP_LIMIT",
         marker=True,
         help=("fail a step when the model repeats the same click/typing this many times in a "
               "row (default 8, 0 = off)")),
    Spec("max_turns_total", _whole, "--cua-max-turns-total", "cua_max_turns_total",
         "CUA_MAX_TURNS_TOTAL",
         help=("model turns allowed for the whole session, all xdist workers together (default "
               "0 = no limit)")),
    Spec("gemini_excluded", _names, "--cua-gemini-excluded", "cua_gemini_excluded",
         "CUA_GEMINI_EXCLUDED", marker=True,
         help=("Gemini's predefined functions the model may not use, comma-separated (default "
               "search,open_web_browser; none for none)")),
    Spec("summary", _text, "--cua-summary", "cua_summary", "CUA_SUMMARY",
         help=("append a Markdown summary of the run to this file (failures first, with "
               "links), e.g. $GITHUB_STEP_SUMMARY")),
    Spec("trail_url", _text, "--cua-trail-url", "cua_trail_url", "CUA_TRAIL_URL",
         help=("the URL where the --cua-trail-dir folder is published: the summary links "
               "trails under it")),
    Spec("replay_timeout", _positive_float, "--cua-replay-timeout", "cua_replay_timeout",
         "CUA_REPLAY_TIMEOUT", marker=True,
         help=("seconds a replay waits for a recorded element or outcome before it reports a "
               "mismatch (default 5)")),
    Spec("volatile", _selectors, "--cua-volatile", "cua_volatile", "CUA_VOLATILE",
         marker=True,
         help=("CSS selector of content that changes by itself, left out of replay comparisons "
               "(repeatable)")),
    Spec("replay_dates", None, "--cua-replay-dates", "cua_replay_dates", "CUA_REPLAY_DATES",
         marker=True, choices=REPLAY_DATES,
         help=("dates and times in replayed evidence: kind (default: any date matches a date, "
               "unless the step names it) or exact")),
    Spec("requests_per_minute", _rate("requests per minute"), "--cua-requests-per-minute",
         "cua_requests_per_minute", "CUA_REQUESTS_PER_MINUTE",
         help=("the provider's request quota (per endpoint and model), shared by every xdist "
               "worker so nothing is refused; 0 learns it from 429s")),
    Spec("tokens_per_minute", _rate("tokens per minute"), "--cua-tokens-per-minute",
         "cua_tokens_per_minute", "CUA_TOKENS_PER_MINUTE",
         help=("the provider's token quota (per endpoint and model), shared by every xdist "
               "worker")),
    Spec("quota_store", _redis_url, "--cua-quota-store", "cua_quota_store", "CUA_QUOTA_STORE",
         help=("where every worker and CI runner shares the provider quota: "
               "redis://host:port/db (default: a file, for the workers of one machine)")),
    Spec("max_cost", _rate("an amount of US dollars"), "--cua-max-cost", "cua_max_cost",
         "CUA_MAX_COST",
         help="US dollars the run may spend on model turns, shared by every xdist worker"),
    Spec("prices", _prices, "--cua-price", "cua_prices", "CUA_PRICES",
         help=("MODEL=INPUT,CACHED_INPUT,OUTPUT in US dollars per million tokens, over the "
               "built-in prices (repeatable)")),
    # Its choices are the open-weight families `_providers.registry` knows: checked there.
    Spec("model_family", _token, "--cua-model-family",
         "cua_model_family", "CUA_MODEL_FAMILY", marker=True,
         help=("openai-compatible: the open-weight model's family (its prompt, output grammar "
               "and coordinates); auto guesses it from the model name")),
    Spec("extra_body", _json_object, "--cua-extra-body", "cua_extra_body", "CUA_EXTRA_BODY",
         marker=True,
         help="a JSON object of extra request fields, e.g. vLLM's chat_template_kwargs"),
    Spec("extra_headers", _json_object, "--cua-extra-headers", "cua_extra_headers",
         "CUA_EXTRA_HEADERS", marker=True,
         help="a JSON object of extra request headers"),
)
LIST_SPECS = ("allowed_domains", "volatile", "prices")  # repeatable options, linelist ini values
SPEC_BY_NAME = {spec.name: spec for spec in SPECS}
MARKER_KEYS = tuple(spec.name for spec in SPECS if spec.marker)


def _given(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != ()


def resolve(
    *,
    cli: Mapping[str, Any] | None = None,
    ini: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    marker: Mapping[str, Any] | None = None,
    choices: Mapping[str, Sequence[str]] | None = None,
) -> Settings:
    """Build Settings from the four sources, highest precedence first.

    `cli` and `ini` are keyed by setting name; `env` is the process environment; `marker`
    holds the keyword arguments of `@pytest.mark.cua`; `choices` the values of settings
    this module does not list (the vendors' tools and model families: the plugin passes
    `_providers.registry.CHOICES`). Raises SettingError naming the source of the first bad
    value.
    """
    choices = choices or {}
    cli, ini, env, marker = cli or {}, ini or {}, env or {}, marker or {}
    unknown = sorted(set(marker) - set(MARKER_KEYS))
    if unknown:
        raise SettingError(
            f"@pytest.mark.cua got unknown argument(s) {', '.join(unknown)}; "
            f"known: {', '.join(MARKER_KEYS)}"
        )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for spec in SPECS:
        layers = (
            ("@pytest.mark.cua", f"@pytest.mark.cua({spec.name}=...)", marker.get(spec.name)),
            ("command line", f"{spec.option} (command line)", cli.get(spec.name)),
            ("ini", f"{spec.ini} (ini)", ini.get(spec.name)),
            ("environment", f"{spec.env} (environment)", env.get(spec.env)),
        )
        for source, label, raw in layers:
            if not _given(raw):
                continue
            try:
                values[spec.name] = spec.read(raw, choices.get(spec.name))
            except ValueError as exc:
                raise SettingError(f"bad value for {label}: {exc}") from None
            sources[spec.name] = source
            break
    return dataclasses.replace(Settings(), **values, sources=sources)
