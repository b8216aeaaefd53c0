"""How a rule's ``explain`` template turns feature values into words.

Beyond Python's format specs (``{x:.0f}``, ``{x:+.0%}``), two small additions make the
sentences read right: ``{x:.0f|order}`` writes the noun after the number in the singular or
plural (``1 order``, ``3 orders``), and ``{x:lateness}`` writes a signed number of days as
``3 days late``, ``3 days early`` or ``on time``. A number that rounds to zero never shows a
minus sign (``-0``).
"""

from __future__ import annotations

import math
import re
import string
from typing import Any

MISSING = "–"
MAX_WIDTH = 40
"""A wider field or longer precision would only pad the sentence (or fill the memory)."""
LATENESS = "lateness"
_NEGATIVE_ZERO = re.compile(r"^-(?=[^1-9]*$)")


def split_spec(spec: str) -> tuple[str, str | None]:
    """``'.0f|order'`` → ``('.0f', 'order')``; ``'.1f'`` → ``('.1f', None)``."""
    number, _, noun = spec.partition("|")
    return number, (noun or None)


def check_spec(spec: str) -> None:
    """Raise ``ValueError`` unless ``spec`` formats a number."""
    if spec == LATENESS:
        return
    number, noun = split_spec(spec)
    if "|" in spec and not (noun or "").strip():
        raise ValueError("a '|' must be followed by a noun")
    if any(int(digits) > MAX_WIDTH for digits in re.findall(r"\d+", number)):
        raise ValueError(f"widths and precisions above {MAX_WIDTH} are not allowed")
    for value in (1.5, 3.0, -0.0, 1e15):  # every kind of value a feature can hold
        format(value, number)


def format_number(value: float, spec: str) -> str:
    """One number as the template asks for it (see the module docstring)."""
    if spec == LATENESS:
        return _lateness(value)
    number, noun = split_spec(spec)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{MISSING} {noun}s" if noun else MISSING
    if not number and float(value).is_integer():
        value = int(value)  # {x} of 147.0 reads 147
    text = format(value, number)
    if _NEGATIVE_ZERO.match(text):  # -0, -0.0, -0% : nothing below zero to show
        text = ("+" if "+" in number else "") + text[1:]
    if noun is None:
        return text
    return f"{text} {noun}" if text.lstrip("+") in ("1", "1.0") else f"{text} {noun}s"


def _lateness(value: float) -> str:
    if value is None or math.isnan(value):
        return MISSING
    days = round(value)
    if days == 0:
        return "on time"
    unit = "day" if abs(days) == 1 else "days"
    return f"{abs(days)} {unit} {'late' if days > 0 else 'early'}"


def fill(template: str, values: dict[str, Any], texts: dict[str, str]) -> str:
    """The template with each field written: numbers from ``values`` by their spec, and
    dates and categories from ``texts`` as they are."""
    parts = []
    for literal, field, spec, _ in string.Formatter().parse(template):
        parts.append(literal)
        if field is None:
            continue
        if field in texts:
            parts.append(texts[field])
        else:
            parts.append(format_number(values.get(field, math.nan), spec or ""))
    return "".join(parts)
