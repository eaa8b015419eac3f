"""Which hosts the browser may reach while a CUA test runs (`allowed_domains`).

Rules, checked against each request's URL:
- `example.com` allows that host and every subdomain (`www.example.com`), on any port;
- `*.example.com` allows subdomains only, not `example.com` itself;
- `localhost:8000` (with a port) allows that host on that port only;
- URLs without a host (data:, blob:, about:, file:) are always allowed, and so are the
  hosts of the base URL and of the page the agent started on.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit


def _host_port(url: str) -> tuple[str, int | None] | None:
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None and parts.scheme in ("http", "ws"):
        port = 80
    elif port is None and parts.scheme in ("https", "wss"):
        port = 443
    return parts.hostname.lower(), port


def _matches(host: str, port: int | None, rule: str) -> bool:
    rule = rule.lower()
    rule_host, _, rule_port = rule.partition(":")
    if rule_port and str(port) != rule_port:
        return False
    if rule_host.startswith("*."):
        return host.endswith(rule_host[1:])
    return host == rule_host or host.endswith("." + rule_host)


def host_rule(url: str) -> str | None:
    """The rule that allows exactly the host and port of `url` (for the base URL)."""
    found = _host_port(url)
    if found is None:
        return None
    host, port = found
    return f"{host}:{port}" if port else host


def allowed(url: str, rules: Iterable[str]) -> bool:
    found = _host_port(url)
    if found is None:
        return True
    host, port = found
    return any(_matches(host, port, rule) for rule in rules)
