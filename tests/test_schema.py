"""``churnwatch schema`` and real scan output validated against it."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from churnwatch.features import DATE_FEATURES, FEATURES, VALUE_FEATURES
from churnwatch.render.records import SCHEMA_VERSION
from scan_helpers import EXAMPLES, GOLDEN, invoke


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = invoke("schema")
    assert result.exit_code == 0
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_schema_is_a_valid_draft_2020_12_schema(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION


def test_schema_title_names_the_version(schema: dict[str, Any]) -> None:
    assert schema["title"] == f"churnwatch scan output, schema version {SCHEMA_VERSION}"


def test_schema_documents_every_feature(schema: dict[str, Any]) -> None:
    properties = schema["$defs"]["FeaturesOut"]["properties"]
    assert list(properties) == list(VALUE_FEATURES)
    for name in VALUE_FEATURES:
        assert properties[name]["description"] == FEATURES[name].description
    dates = {n for n, p in properties.items() if '"format": "date"' in json.dumps(p)}
    assert dates == DATE_FEATURES


def test_schema_is_closed(schema: dict[str, Any]) -> None:
    """Unknown keys are errors, so the schema really pins the output down."""
    for name in ("CustomerOut", "FeaturesOut", "SignalOut", "SourceOut"):
        assert schema["$defs"][name]["additionalProperties"] is False
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    ("folder", "as_of"),
    [(EXAMPLES / "exports", "2026-09-30"), (EXAMPLES / "exports-de", "2026-09-30")],
    ids=["exports", "exports-de"],
)
def test_scan_json_validates(schema: dict[str, Any], folder: Any, as_of: str) -> None:
    result = invoke("scan", folder, "--format", "json", "--as-of", as_of)
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = [e.message for e in validator.iter_errors(document)]
    assert errors == []
    assert len(document["customers"]) == 300 if folder.name == "exports" else 100


def test_ndjson_lines_validate_as_customers(schema: dict[str, Any]) -> None:
    result = invoke("scan", GOLDEN / "exports", "--format", "ndjson", "--as-of", "2025-06-30")
    customer = {"$ref": "#/$defs/CustomerOut", "$defs": schema["$defs"]}
    validator = jsonschema.Draft202012Validator(customer)
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    for line in lines:
        record = json.loads(line)
        assert record.pop("as_of") == "2025-06-30"  # the one key a line adds to a customer
        assert list(validator.iter_errors(record)) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["customers", 0, "severity"], "urgent"),
        (["customers", 0, "score"], 101),
        (["customers", 0, "features", "order_count"], "many"),
        (["customers", 0, "features", "not_a_feature"], 1),
        (["as_of"], 20250630),
    ],
)
def test_schema_rejects_wrong_output(schema: dict[str, Any], path: list[Any], value: Any) -> None:
    """The schema is not vacuous: it catches a wrong value or an unknown key."""
    result = invoke("scan", GOLDEN / "exports", "--format", "json", "--as-of", "2025-06-30")
    document = json.loads(result.stdout)
    jsonschema.validate(document, schema)
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)
