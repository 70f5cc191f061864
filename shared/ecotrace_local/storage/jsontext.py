"""JSON text from callers (request bodies, query strings), read as Appwrite reads it: PHP's ``json_decode`` with
its default depth of 512 and ``JSON_THROW_ON_ERROR``. Python's ``json`` accepts more than PHP does (``NaN`` and
``Infinity``, lone UTF-16 surrogates such as ``"\\ud800"``) and fails differently on deep nesting (a
``RecursionError``); here each of those is a :class:`JsonTextError` whose message is PHP's, so every caller turns
it into its own Appwrite 400 and nothing that SQLite or the JSON encoder cannot take gets further in."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 512  # PHP json_decode's default $depth: arrays and objects nested deeper fail
_SURROGATE = re.compile("[\ud800-\udfff]")

SYNTAX_ERROR = "Syntax error"
DEPTH_ERROR = "Maximum stack depth exceeded"
SURROGATE_ERROR = "Single unpaired UTF-16 surrogate in unicode escape"
UTF8_ERROR = "Malformed UTF-8 characters, possibly incorrectly encoded"


class JsonTextError(ValueError):
    """Text that PHP's ``json_decode`` would refuse; the message is ``json_last_error_msg()``'s."""


def _no_constants(name: str) -> Any:
    raise JsonTextError(SYNTAX_ERROR)  # NaN, Infinity, -Infinity are not JSON


def loads(text: str | bytes) -> Any:
    """The value of ``text`` (UTF-8 when bytes), or :class:`JsonTextError`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonTextError(UTF8_ERROR) from None
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise JsonTextError(DEPTH_ERROR) from None
    except JsonTextError:
        raise
    except ValueError:  # JSONDecodeError, or an integer past Python's 4,300 digits
        raise JsonTextError(SYNTAX_ERROR) from None
    check(value)
    return value


def check(value: Any) -> None:
    """Raise :class:`JsonTextError` if ``value`` nests deeper than :data:`MAX_DEPTH` or holds a lone surrogate in
    any string or key. Iterative: a value that defeats recursion is refused, not crashed on."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise JsonTextError(SURROGATE_ERROR)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise JsonTextError(DEPTH_ERROR)
            if isinstance(item, dict):
                pending.extend((key, depth) for key in item)
                pending.extend((child, depth + 1) for child in item.values())
            else:
                pending.extend((child, depth + 1) for child in item)
