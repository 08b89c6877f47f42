"""Batch guard (contract C3): output shape, order, next_allowed_at, empty inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from cupx.compliance.batch import evaluate_batch

UTC_T = pl.Datetime("us", "UTC")
NO_EVENTS = pl.DataFrame(schema={"customer_id": pl.Int64, "type": pl.Utf8, "at": UTC_T})


def _actions(rows: list[tuple[int, int, str, datetime]]) -> pl.DataFrame:
    return pl.DataFrame({"action_id": [r[0] for r in rows], "customer_id": [r[1] for r in rows],
                         "debt_ids": [[1] for _ in rows], "channel": [r[2] for r in rows], "at": [r[3] for r in rows]},
                        schema={"action_id": pl.Int64, "customer_id": pl.Int64, "debt_ids": pl.List(pl.Int64),
                                "channel": pl.Utf8, "at": UTC_T})


def test_empty_actions() -> None:
    out = evaluate_batch(pl.DataFrame({"customer_id": [1]}), NO_EVENTS, _actions([]))
    assert out.columns == ["action_id", "decision", "reason_codes", "next_allowed_at"] and out.height == 0


def test_order_codes_and_next_allowed_in_every_zone() -> None:
    customers = pl.DataFrame({"customer_id": [1, 2], "tz_candidates": ["America/New_York,America/Los_Angeles", ""]})
    early = datetime(2026, 5, 12, 11, 0, tzinfo=UTC)  # 07:00 EDT, 04:00 PDT
    out = evaluate_batch(customers, NO_EVENTS, _actions([(9, 1, "call", early), (3, 2, "letter", early),
                                                         (5, 2, "email", datetime(2026, 5, 12, 15, tzinfo=UTC))]))
    assert out["action_id"].to_list() == [9, 3, 5]
    assert out["decision"].to_list() == ["blocked", "allowed", "allowed"]
    assert out["reason_codes"].to_list() == [["REGF_INCONVENIENT_TIME"], [], []]
    # 08:00 PDT = 15:00Z is the first instant inside the window in both zones
    assert out["next_allowed_at"].to_list()[0] == datetime(2026, 5, 12, 15, 0, tzinfo=UTC)


def test_cease_without_debt_blocks_every_debt_and_first_party_is_exempt() -> None:
    customers = pl.DataFrame({"customer_id": [1, 2], "tz_candidates": ["America/Chicago", "America/Chicago"],
                              "collector_role": ["fdcpa_debt_collector", "first_party_creditor"]})
    events = pl.DataFrame({"customer_id": [1, 2], "type": ["cease_notice", "cease_notice"],
                           "at": [datetime(2026, 5, 1, tzinfo=UTC)] * 2, "debt_id": [None, None]},
                          schema_overrides={"at": UTC_T, "debt_id": pl.Int64})
    at = datetime(2026, 5, 12, 16, tzinfo=UTC)
    out = evaluate_batch(customers, events, _actions([(1, 1, "email", at), (2, 2, "email", at)]))
    assert out["reason_codes"].to_list() == [["REGF_CEASE_COMMUNICATION"], []]


def test_tcpa_applies_to_us_roles_only() -> None:
    customers = pl.DataFrame({"customer_id": [1, 2], "tz_candidates": ["America/Chicago", "Europe/London"],
                              "collector_role": ["first_party_creditor", "uk_authorised_firm"]})
    at = datetime(2026, 5, 12, 16, tzinfo=UTC)
    acts = _actions([(1, 1, "call", at), (2, 2, "call", at)]).with_columns(pl.lit("atds").alias("dialing"))
    out = evaluate_batch(customers, NO_EVENTS, acts)
    assert out["reason_codes"].to_list() == [["TCPA_NO_CONSENT"], []]


def test_old_wrong_number_still_excludes_recent_calls() -> None:
    customers = pl.DataFrame({"customer_id": [1], "tz_candidates": ["America/Chicago"]})
    base = datetime(2026, 9, 8, 15, tzinfo=UTC)
    calls = [base + timedelta(hours=12 * i) for i in range(8)]
    events = pl.DataFrame({"customer_id": [1] * 9, "type": ["wrong_number_learned"] + ["call_placed"] * 8,
                           "at": [base - timedelta(days=40)] + calls, "debt_id": [None] + [1] * 8,
                           "target": ["+13125550100"] * 9, "outcome": [None] + ["no_answer"] * 8},
                          schema_overrides={"at": UTC_T, "debt_id": pl.Int64})
    out = evaluate_batch(customers, events, _actions([(1, 1, "call", datetime(2026, 9, 14, 16, tzinfo=UTC))]))
    assert out["reason_codes"].to_list() == [[]]
