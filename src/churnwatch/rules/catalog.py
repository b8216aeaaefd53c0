"""The active rule set: the packaged defaults merged with the user's ``[[rules]]``.

The defaults are a TOML file read by the same code as a user's file. A user rule with a
default's id overrides only the keys it sets; ``enabled = false`` switches a rule off.
Every rule is checked at load time: its expression against the feature registry, its
explanation template's fields likewise.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from churnwatch.config import RuleConfig, parse_config, read_toml
from churnwatch.core.domain import SeverityName
from churnwatch.core.errors import ConfigError
from churnwatch.core.suggest import did_you_mean
from churnwatch.features import CATEGORY_FEATURES, DATE_FEATURES, FEATURES
from churnwatch.rules.expr import Expression, ExpressionError, parse
from churnwatch.rules.wording import check_spec

DEFAULTS = "defaults.toml"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    when: Expression
    weight: float
    severity: SeverityName | None
    action: str
    explain: str
    origin: str
    """Where the rule comes from: ``default``, or the config file that added or changed it."""
    pinned: bool = False
    """The weight is used as it is, not fitted on the export's own history."""

    @property
    def sources(self) -> frozenset[str]:
        return frozenset(FEATURES[name].source for name in self.when.names | self.template_fields)

    @property
    def template_fields(self) -> frozenset[str]:
        return frozenset(template_fields(self.explain))


def default_rules() -> list[RuleConfig]:
    text = resources.files("churnwatch.rules").joinpath(DEFAULTS)
    with resources.as_file(text) as path:
        return parse_config(read_toml(path), Path("churnwatch:" + DEFAULTS)).rules


def active_rules(user: list[RuleConfig], origin: str) -> list[Rule]:
    """Defaults, overridden and extended by ``user`` (from the file named ``origin``)."""
    merged: dict[str, tuple[dict[str, object], str]] = {
        rule.id: (rule.model_dump(exclude_unset=True), "default") for rule in default_rules()
    }
    seen: set[str] = set()
    for rule in user:
        if rule.id in seen:
            raise ConfigError(f"{origin}: rules: duplicate rule id '{rule.id}'")
        seen.add(rule.id)
        if rule.id not in merged and not rule.enabled:
            raise ConfigError(
                f"{origin}: rule '{rule.id}': no such rule to disable"
                f"{did_you_mean(rule.id, merged)}"
            )
        base, _ = merged.get(rule.id, ({}, origin))
        merged[rule.id] = ({**base, **rule.model_dump(exclude_unset=True)}, origin)
    built_in = [rule.id for rule in default_rules()]
    return [
        _build(fields, where, built_in)
        for fields, where in merged.values()
        if fields.get("enabled", True)
    ]


def _build(fields: dict[str, object], origin: str, built_in: list[str]) -> Rule:
    """``built_in``: the default rules' ids, one of which a new rule's id may be a typo of
    (``paying_later`` meant to override ``paying-later``)."""
    rule_id = str(fields["id"])
    where = f"{origin}: rule '{rule_id}'"
    missing = [key for key in ("title", "when", "weight") if fields.get(key) is None]
    if missing:
        raise ConfigError(
            f"{where}: missing {', '.join(missing)} (a new rule needs title, when, weight)"
            f"{'' if rule_id in built_in else did_you_mean(rule_id, built_in)}"
        )
    try:
        expression = parse(
            str(fields["when"]), FEATURES, condition=True, categories=CATEGORY_FEATURES
        )
    except ExpressionError as exc:
        raise ConfigError(f"{where}: when: {exc}") from None
    explain = str(fields.get("explain") or "")
    _check_template(explain, where)
    return Rule(
        id=rule_id,
        title=str(fields["title"]),
        when=expression,
        weight=float(fields["weight"]),  # type: ignore[arg-type]
        severity=fields.get("severity"),  # type: ignore[arg-type]
        action=str(fields.get("action") or ""),
        explain=explain,
        origin=origin,
        pinned=bool(fields.get("pin", False)),
    )


def template_fields(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def _check_template(template: str, where: str) -> None:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ConfigError(f"{where}: explain: {exc}") from None
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or conversion:
            raise ConfigError(f"{where}: explain: '{{{field}}}' must be a plain feature name")
        if field not in FEATURES:
            raise ConfigError(
                f"{where}: explain: unknown feature '{field}'{did_you_mean(field, FEATURES)}"
            )
        if (field in DATE_FEATURES or field in CATEGORY_FEATURES) and spec:
            kind = "a date" if field in DATE_FEATURES else "text"
            raise ConfigError(f"{where}: explain: '{field}' is {kind}; use it without a format")
        if spec and "{" in spec:
            raise ConfigError(f"{where}: explain: nested fields are not allowed")
        if spec:
            try:
                check_spec(spec)
            except ValueError:
                raise ConfigError(f"{where}: explain: bad format '{spec}' for '{field}'") from None
