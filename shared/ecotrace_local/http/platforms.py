"""Which web pages may call the stack and under which names it answers, as Appwrite 1.9.6 decides it.

- **Origins** (``Network/Validator/Origin.php``, ``Network/Cors.php``): an Origin is allowed when its scheme is a
  web one and its hostname matches a platform (``localhost`` by default; ``ECOTRACE_ALLOWED_ORIGINS`` replaces the
  list), ports ignored; ``127.0.0.1`` and ``[::1]`` count as ``localhost`` when it is listed (Appwrite's
  ``Platform::LOOPBACK_ALIASES``). A pattern ``*.example.com`` matches its subdomains, not ``example.com`` itself
  (utopia-php/validators ``Hostname``).
- **Hosts**: a request whose ``Host`` is not one of this stack's names (loopback, the address it listens on,
  ``ECOTRACE_ALLOWED_HOSTS``) is refused, so a page whose DNS name is rebound to 127.0.0.1 cannot reach it. This is
  Appwrite's ``_APP_OPTIONS_ROUTER_PROTECTION``, always on here.

The middleware that applies them is ``middleware.py`` (``HostMiddleware``, ``CorsMiddleware``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import AppwriteError

LOOPBACK_HOSTNAME = "localhost"
LOOPBACK_ALIASES = ("127.0.0.1", "[::1]")
# Appwrite's web schemes and the platform name its error message gives each (Network/Platform.php).
WEB_PLATFORMS = {
    "http": "Web",
    "https": "Web",
    "chrome-extension": "Web (Chrome Extension)",
    "moz-extension": "Web (Firefox Extension)",
    "safari-web-extension": "Web (Safari Extension)",
    "ms-browser-extension": "Web (Edge Extension)",
    "tauri": "Web (Tauri)",
}
WILDCARD_BIND = {"0.0.0.0", "::", ""}  # listening on every interface names no host


def hostname_patterns(raw: str, setting: str) -> tuple[str, ...]:
    """A comma-separated setting as hostname patterns: ``app.example.com``, ``*.example.com``, or a whole origin
    ``https://app.example.com:8443`` (its hostname is what counts). A bare ``*`` is refused: with credentials it
    would let every page on the web read what the stack answers."""
    patterns = []
    for item in (part.strip().lower() for part in raw.split(",")):
        if not item:
            continue
        if item == "*":
            raise ValueError(f"{setting}=* would allow every origin with credentials: list the hostnames instead")
        if "://" in item:
            item = _bracketed(urlsplit(item).hostname or "")
        patterns.append(item)
    return tuple(patterns)


def _bracketed(hostname: str) -> str:
    """IPv6 literals as PHP's parse_url gives a host: ``[::1]``."""
    return f"[{hostname}]" if ":" in hostname and not hostname.startswith("[") else hostname


def _matches(hostname: str, patterns: Iterable[str]) -> bool:
    """utopia-php/validators ``Hostname``: exact, or ``*.suffix`` for subdomains; never with a port or a path."""
    if not hostname or "/" in hostname or ":" in hostname or len(hostname) > 253:
        return False
    for pattern in patterns:
        if hostname == pattern or (pattern.startswith("*") and hostname.endswith(pattern[1:])):
            return True
    return False


@dataclass(frozen=True)
class Platforms:
    origins: tuple[str, ...] = (LOOPBACK_HOSTNAME,)
    hosts: tuple[str, ...] = ()  # beyond loopback and the listening address

    @classmethod
    def for_stack(cls, *, listen_host: str, origins: Iterable[str], hosts: Iterable[str]) -> Platforms:
        """The stack's platforms: ``origins`` (patterns), and as hosts ``hosts`` plus the address it listens on."""
        extra = list(hosts)
        if listen_host.lower() not in WILDCARD_BIND:
            extra.append(_bracketed(listen_host.lower()))
        return cls(origins=tuple(origins), hosts=tuple(extra))

    # ---- origins

    def origin_allowed(self, origin: str) -> bool:
        scheme, hostname = _origin_parts(origin)
        if scheme not in WEB_PLATFORMS:
            return False
        if _matches(hostname, self.origins):
            return True
        return hostname in LOOPBACK_ALIASES and _matches(LOOPBACK_HOSTNAME, self.origins)

    def origin_refusal(self, origin: str) -> AppwriteError:
        """403 ``general_unknown_origin`` with the description of Appwrite's Origin validator."""
        scheme, hostname = _origin_parts(origin)
        if not scheme and not hostname:
            description = "Invalid Origin."
        elif scheme not in WEB_PLATFORMS:
            description = (
                f"Invalid Scheme. The scheme used ({scheme}) in the Origin ({origin}) is not supported. If you are "
                "using a custom scheme, please change it to `appwrite-callback-<PROJECT_ID>`"
            )
        else:
            client = f"({hostname}) " if hostname else ""
            description = (
                f"Invalid Origin. Register your new client {client}as a new {WEB_PLATFORMS[scheme]} platform on "
                "your project console dashboard"
            )
        return AppwriteError(403, "general_unknown_origin", description)

    # ---- hosts

    def host_allowed(self, host_header: str) -> bool:
        hostname = _host_name(host_header)
        if hostname in (LOOPBACK_HOSTNAME, *LOOPBACK_ALIASES):
            return True
        try:
            if ipaddress.ip_address(hostname.strip("[]")).is_loopback:  # a literal address cannot be rebound
                return True
        except ValueError:
            pass
        return hostname in self.hosts or _matches(hostname, self.hosts)

    @staticmethod
    def host_refusal(host_header: str) -> AppwriteError:
        return AppwriteError(
            403,
            "general_access_forbidden",
            f"This local stack does not answer for the host {_host_name(host_header)!r} (DNS-rebinding protection, "
            "as Appwrite's router protection). Add it to ECOTRACE_ALLOWED_HOSTS to allow it.",
        )


def _origin_parts(origin: str) -> tuple[str, str]:
    """(scheme, hostname as PHP's parse_url gives it) of an Origin header, lower-case; empty when absent."""
    text = origin.strip().lower()
    try:
        parts = urlsplit(text)
        hostname = parts.hostname or ""
    except ValueError:  # a bad port or bracket
        return "", ""
    return parts.scheme, _bracketed(hostname)


def _host_name(host_header: str) -> str:
    """The hostname of a ``Host`` header, without its port, lower-case; IPv6 in brackets."""
    text = host_header.strip().lower()
    if text.startswith("["):
        return text[: text.find("]") + 1] if "]" in text else text
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text
