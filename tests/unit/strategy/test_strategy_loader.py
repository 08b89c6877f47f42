"""Strategy YAML validation: errors name the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from cupx.domain.errors import ValidationError
from cupx.strategy.loader import parse_strategy

BASE = """\
id: s
version: 1
segments:
  - id: all
    ladder: std
ladders:
  std:
    - id: a
      channel: sms
      template: t
      dpd: 1
"""


def _error(text: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        parse_strategy(text, "mine.yaml")
    return info.value


def test_examples_in_the_repo_are_valid() -> None:
    root = Path(__file__).resolve().parents[3] / "strategies"
    names = sorted(p.stem for p in root.glob("*.yaml"))
    assert names == ["b2b_invoices", "consumer_card", "telecom_utility"]
    for p in root.glob("*.yaml"):
        assert parse_strategy(p.read_text(), str(p)).strategy.steps


def test_unknown_channel_names_line_and_field() -> None:
    err = _error(BASE.replace("channel: sms", "channel: fax"))
    assert err.row == 9 and err.field == "ladders.std.0.channel"
    assert str(err.message).startswith("mine.yaml:9: ladders.std.0.channel:")


def test_unknown_feature_is_refused_with_its_line() -> None:
    err = _error(BASE.replace("    ladder: std\n", "    when:\n      dppd: 3\n    ladder: std\n", 1))
    assert err.row == 6 and err.field == "segments.0.when.dppd" and "unknown feature" in err.message


def test_flag_compared_with_a_number_is_refused() -> None:
    err = _error(BASE.replace("    ladder: std\n", "    when:\n      vulnerable: 3\n    ladder: std\n", 1))
    assert err.field == "segments.0.when.vulnerable" and err.row == 6


def test_missing_ladder_reference_and_duplicate_step() -> None:
    assert _error(BASE.replace("ladder: std", "ladder: nope")).field == "segments.0.ladder"
    dup = BASE + "    - id: a\n      channel: email\n      template: t\n      dpd: 5\n"
    err = _error(dup)
    assert err.field == "ladders.std.1.id" and err.row == 12


def test_legal_holds_cannot_be_switched_off() -> None:
    assert _error(BASE + "holds: [promise_pending]\n").field == "holds"


def test_arm_percentages_must_add_up() -> None:
    text = BASE + "experiments:\n  - id: e\n    arms: [{id: a, percent: 50}, {id: b, percent: 40}]\n"
    err = _error(text)
    assert err.field == "experiments.0" and "100" in err.message


def test_step_needs_a_trigger_and_bad_yaml_is_located() -> None:
    assert "trigger" in _error(BASE.replace("      dpd: 1\n", "")).message
    assert _error("id: [unclosed\n").row == 2


def test_same_text_same_hash() -> None:
    assert parse_strategy(BASE).sha256 == parse_strategy(BASE).sha256 != parse_strategy(BASE + "\n").sha256
