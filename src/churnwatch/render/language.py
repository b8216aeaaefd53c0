"""The language of everything churnwatch shows to people: message catalogs and number and
date conventions.

Texts are data, one folder per language under ``render/catalogs``: ``text.toml`` holds the
sentences of the table and the report by key, ``rules.toml`` and ``features.toml`` the
default rules' titles, explanations and actions and the features' meanings by id (English
ones come from the rule defaults and the feature registry themselves). Numbers, amounts and
percentages follow the language's conventions through Babel (``1.234,56 €`` in German).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from churnwatch.core.days import day_to_date, days_to_iso
from churnwatch.rules.wording import ENGLISH_WORDS, Words

if TYPE_CHECKING:
    from churnwatch.rules.catalog import Rule

LANGUAGES = ("en", "de")
LOCALES = {"en": "en_US", "de": "de_DE"}
RULE_TEXTS = ("title", "action", "explain")
GERMAN_WORDS = Words(
    decimal=",",
    group=".",
    percent="\u00a0%",
    late="{days} zu spät",
    early="{days} zu früh",
    on_time="pünktlich",
    day=("Tag", "Tage"),
)


@dataclass(frozen=True)
class Language:
    """One language's catalog and conventions; ``ENGLISH`` is the default."""

    code: str
    texts: dict[str, Any]
    rules: dict[str, dict[str, str]] = field(default_factory=dict)
    features: dict[str, dict[str, str]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    currency: str | None = None
    """ISO 4217 code of the amounts (``[report] currency``); None: amounts without a sign."""

    @property
    def locale(self) -> str:
        return LOCALES[self.code]

    @property
    def words(self) -> Words:
        """How a rule's explanation writes numbers, nouns and lateness in this language."""
        return GERMAN_WORDS if self.code == "de" else ENGLISH_WORDS

    def t(self, key: str, /, **values: Any) -> str:
        """The catalog's text for ``key`` (dotted: ``report.title``) with ``values`` filled in."""
        text = self._lookup(key)
        if not isinstance(text, str):
            raise KeyError(f"{self.code}: {key} is not a text")
        return text.format(**values) if values else text

    def _lookup(self, key: str) -> Any:
        node: Any = self.texts
        for part in key.split("."):
            node = node[part]
        return node

    def count(self, number: int, noun: str) -> str:
        """``3 customers`` / ``3 Kunden``: the number and the noun ``nouns.<noun>`` in the
        singular or plural (``singular/plural`` in the catalog)."""
        singular, plural = self.t(f"nouns.{noun}").split("/")
        return f"{self.number(number)} {singular if abs(number) == 1 else plural}"

    def number(self, value: float, decimals: int = 0) -> str:
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return str(format_decimal(round(value, decimals) + 0.0, pattern, locale=self.locale))

    def percent(self, fraction: float, *, signed: bool = False) -> str:
        """A share as whole percent: ``36%`` / ``36 %``; ``signed``: ``+5%``."""
        whole = round(fraction * 100) + 0  # no -0
        sign = "+" if signed and whole > 0 else ""
        return f"{sign}{self.number(whole)}{self.words.percent}"

    def points(self, fraction: float) -> str:
        """What a signal adds to the risk, in percentage points: ``+5 pts`` / ``+5 Pkt.``."""
        whole = round(fraction * 100) + 0
        return f"{'+' if whole >= 0 else ''}{self.count(whole, 'point')}"

    def money(self, value: float) -> str:
        """An amount in whole units (a report about customers' revenue needs no cents), with
        the currency's sign where the language puts it when the currency is known."""
        if self.currency is None:
            return self.number(value)
        from babel import Locale
        from babel.numbers import format_currency

        pattern = Locale.parse(self.locale).currency_formats["standard"].pattern
        whole = pattern.replace(".00", "")
        return str(
            format_currency(
                round(value) + 0, self.currency, whole, locale=self.locale, currency_digits=False
            )
        )

    def date(self, day: int | float) -> str:
        """``2026-12-31`` in English (as every other output), ``31.12.2026`` in German."""
        if self.code == "de":
            return day_to_date(int(day)).strftime("%d.%m.%Y")
        return days_to_iso(day)

    def phase(self, value: str) -> str:
        return str(self.texts["phases"].get(value, value))

    def severity(self, label: str) -> str:
        return str(self.texts["severities"].get(label, label))

    def change(self, value: str) -> str:
        return str(self.texts["changes"].get(value, value))

    def rule_text(self, rule: Rule, name: str) -> str:
        """A rule's title, action or explanation in this language: the catalog's translation
        when the rule still has the default's text, else the text as the user wrote it."""
        own = str(getattr(rule, name))
        translated = self.rules.get(rule.id, {}).get(name)
        if translated is None or own != default_rule_texts().get(rule.id, {}).get(name):
            return own
        return translated


@cache
def default_rule_texts() -> dict[str, dict[str, str]]:
    """The English title, action and explanation of each default rule."""
    from churnwatch.rules.catalog import default_rules

    return {
        rule.id: {name: str(getattr(rule, name) or "") for name in RULE_TEXTS}
        for rule in default_rules()
    }


def _catalog(code: str, name: str) -> dict[str, Any]:
    folder = resources.files("churnwatch.render").joinpath("catalogs", code)
    source = folder.joinpath(name)
    if not source.is_file():
        return {}
    return tomllib.loads(source.read_text(encoding="utf-8"))


@cache
def language(code: str = "en", currency: str | None = None) -> Language:
    """The language ``code`` (``en`` or ``de``), with amounts in ``currency``."""
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}; known: {', '.join(LANGUAGES)}")
    texts = _catalog(code, "text.toml")
    features = _catalog(code, "features.toml")
    return Language(
        code,
        texts,
        _catalog(code, "rules.toml").get("rules", {}),
        features.get("features", {}),
        features.get("units", {}),
        currency,
    )
