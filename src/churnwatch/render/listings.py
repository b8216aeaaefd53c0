"""Listings of the feature registry and of the active rules."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from churnwatch.features import FeatureSpec
from churnwatch.render.language import Language, language
from churnwatch.rules.catalog import Rule


def render_features(console: Console, features: list[FeatureSpec]) -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("feature", no_wrap=True)
    for header in ("source", "unit", "meaning"):
        table.add_column(header)
    for spec in features:
        table.add_row(*map(Text, (spec.name, spec.source, spec.unit, spec.description)))
    console.print(table)


def render_rules(console: Console, rules: list[Rule], lang: Language | None = None) -> None:
    """The rules as a table: the default rules' titles in ``lang``, yours as you wrote them."""
    lang = lang or language()
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("id", no_wrap=True)
    for header in ("title", "weight", "floor", "needs", "from"):
        table.add_column(header)
    for rule in rules:
        cells = (
            rule.id,
            lang.rule_text(rule, "title"),
            f"{rule.weight:g}",
            rule.severity or "",
            ", ".join(sorted(rule.sources)),
            rule.origin,
        )
        table.add_row(*map(Text, cells))  # as written: a title is never read as markup
    console.print(table)
