"""What a model turn costs in money: list prices per million tokens, and the user's own.

Prices change and differ by contract, so every built-in row says where it came from and
when it was read, and a user's line (`--cua-price`) wins over it. A model with no price
has an unknown cost: shown as unknown, never guessed from a similar name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MILLION = 1_000_000


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens: fresh input, input read from a prompt cache, output."""

    input: float
    cached_input: float
    output: float
    source: str = "your --cua-price setting"
    date: str = ""

    def cost(self, input_tokens: int, cached_tokens: int, output_tokens: int) -> float:
        """Dollars for one turn. `input_tokens` counts the cached ones too (every vendor's
        usage is read that way by its dialect), so they are priced once, at the cache rate."""
        fresh = max(input_tokens - cached_tokens, 0)
        return (fresh * self.input + cached_tokens * self.cached_input
                + output_tokens * self.output) / MILLION


_OPENAI = ("OpenAI list price (standard tier, prompts up to 272K tokens), as published in "
           "github/docs data/tables/copilot/models-and-pricing.yml")
_ANTHROPIC = ("Anthropic list price, as published in github/docs "
              "data/tables/copilot/models-and-pricing.yml (cache writes priced as input)")
_GOOGLE = ("https://ai.google.dev/gemini-api/docs/pricing (paid tier, text/image input), "
           "quoted by factquire.com/models/google/gemini-3-flash-preview")

# The default model of each provider and the common alternatives. Azure deployments are
# named by their users: a deployment called after its model (gpt-5.4) gets its price.
PRICES: dict[str, Price] = {
    "gpt-5.4": Price(2.50, 0.25, 15.00, _OPENAI, "read 2026-12-01"),
    "gpt-5.4-mini": Price(0.75, 0.075, 4.50, _OPENAI, "read 2026-12-01"),
    "gpt-5.4-nano": Price(0.20, 0.02, 1.25, _OPENAI, "read 2026-12-01"),
    "gpt-5.5": Price(5.00, 0.50, 30.00, _OPENAI, "read 2026-12-01"),
    "claude-sonnet-4-6": Price(3.00, 0.30, 15.00, _ANTHROPIC, "read 2026-12-01"),
    "claude-sonnet-4-5": Price(3.00, 0.30, 15.00, _ANTHROPIC, "read 2026-12-01"),
    "claude-opus-4-6": Price(5.00, 0.50, 25.00, _ANTHROPIC, "read 2026-12-01"),
    "claude-opus-4-7": Price(5.00, 0.50, 25.00, _ANTHROPIC, "read 2026-12-01"),
    "claude-haiku-4-5": Price(1.00, 0.10, 5.00, _ANTHROPIC, "read 2026-12-01"),
    "gemini-3-flash-preview": Price(0.50, 0.05, 3.00, _GOOGLE, "accessed 2026-07-04"),
}

# Dated snapshots are the same model: claude-sonnet-4-5-20250929 costs what claude-sonnet-4-5
# does. Only a trailing date is dropped, never a size or version.
_SNAPSHOT = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2})$")

_LINE = re.compile(r"^\s*(?P<model>[^\s=]+)\s*=\s*(?P<prices>[^=]+)$")


def parse_line(text: str) -> tuple[str, Price]:
    """`MODEL=INPUT,CACHED,OUTPUT` in dollars per million tokens (CACHED may be left empty
    when the model has no cache price: cached input is then priced as input)."""
    match = _LINE.match(text)
    parts = [p.strip() for p in match.group("prices").split(",")] if match else []
    try:
        if len(parts) != 3:
            raise ValueError
        fresh, output = float(parts[0]), float(parts[2])
        cached = float(parts[1]) if parts[1] else fresh
        if min(fresh, cached, output) < 0:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"expected MODEL=INPUT,CACHED_INPUT,OUTPUT in US dollars per million tokens, "
            f"such as 'gpt-5.4=2.50,0.25,15.00', got {text!r}") from None
    return match.group("model").lower(), Price(fresh, cached, output)  # type: ignore[union-attr]


def table(lines: Iterable[str] = ()) -> dict[str, Price]:
    """The built-in prices with the user's lines over them."""
    prices = dict(PRICES)
    prices.update(parse_line(line) for line in lines)
    return prices


def price_of(model: str, prices: Mapping[str, Price]) -> Price | None:
    """The model's price, also for a dated snapshot of a listed model; None when unknown."""
    name = model.strip().lower()
    return prices.get(name) or prices.get(_SNAPSHOT.sub("", name))


def dollars(amount: float | None) -> str:
    """A cost as people read it: cents to four places, so a cheap turn is not '$0.00'."""
    if amount is None:
        return "price unknown"
    return f"${amount:,.4f}" if amount < 1 else f"${amount:,.2f}"
