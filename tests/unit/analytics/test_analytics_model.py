"""Model artefact round trip, scoring output (contract C7), reason codes, bands and segments."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from cupx.analytics.bands import risk_band, risk_band_expr
from cupx.analytics.features import FEATURE_NAMES
from cupx.analytics.model import TrainedModel
from cupx.analytics.reasons import SENTENCES, reason_lists, sentence_for
from cupx.analytics.scoring import SCORE_SCHEMA, explain_debts, score_portfolio
from cupx.analytics.segments import Segment, segment_expr, segment_of
from cupx.analytics.training import train, training_frame

AS_OF = date(2026, 7, 1)


def portfolio(n: int = 600, seed: int = 0) -> dict[str, pl.LazyFrame]:
    rng = np.random.default_rng(seed)
    skill = rng.normal(size=n)
    periods = [date(2026, m, 1) for m in range(1, 8)]  # Jan..Jun closed, July = label month
    late = np.clip(np.round(-skill[:, None] + rng.normal(0, 0.7, (n, 7))), -2, 6).astype(int)
    ids = np.arange(1, n + 1)
    return {
        "debts": pl.LazyFrame({"id": ids, "customer_id": ids, "original_minor": rng.integers(1000, 9000, n)}),
        "statements": pl.LazyFrame({
            "debt_id": np.repeat(ids, 7), "period": periods * n, "billed_minor": rng.integers(0, 10_000, n * 7),
            "paid_minor": rng.integers(0, 10_000, n * 7), "months_late": late.ravel(), "currency": "USD"}),
    }


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    frame = training_frame(portfolio(), [AS_OF])
    return train(frame, "t1", rounds=30).model


def test_artefact_round_trip_gives_the_same_scores(model: TrainedModel) -> None:
    again = TrainedModel.from_bytes(model.to_bytes())
    x = model.matrix(training_frame(portfolio(50, seed=3), [AS_OF]))
    assert np.array_equal(model.predict(x), again.predict(x))
    assert again.feature_names == FEATURE_NAMES and again.metadata["data_hash"] == model.metadata["data_hash"]


def test_score_portfolio_contract(model: TrainedModel) -> None:
    out = score_portfolio(portfolio(80, seed=5), AS_OF, model)
    assert dict(out.schema) == SCORE_SCHEMA
    assert out.height == 80 and out["debt_id"].to_list() == list(range(1, 81))
    assert out["score"].is_between(0, 1).all()
    assert set(out["risk_band"]) <= set("ABCDE")
    assert (out["model_version"] == "t1").all()
    assert out["reasons"].list.len().max() <= 3
    quiet = score_portfolio(portfolio(80, seed=5), AS_OF, model, with_reasons=False)
    assert quiet["score"].equals(out["score"]) and quiet["reasons"].list.len().max() == 0


def test_good_history_scores_higher(model: TrainedModel) -> None:
    out = score_portfolio(portfolio(), AS_OF, model)
    feats = training_frame(portfolio(), [AS_OF]).select("debt_id", "late_1")
    joined = out.join(feats, on="debt_id")
    assert joined.filter(pl.col("late_1") <= 0)["score"].mean() > joined.filter(pl.col("late_1") >= 2)["score"].mean()


def test_reasons_are_the_most_negative_contributions_in_words() -> None:
    names = ("late_1", "balance", "disputes")
    contrib = np.array([[-0.5, 0.2, -0.1, 0.0], [0.3, 0.4, 0.5, 0.0]])
    out = reason_lists(contrib, names, max_reasons=2).to_list()
    assert out[0] == [SENTENCES["late_1"], SENTENCES["disputes"]]
    assert out[1] == []  # nothing pushed the score down


def test_every_feature_has_a_plain_sentence() -> None:
    assert all(f in SENTENCES for f in FEATURE_NAMES)
    assert "new feature" in sentence_for("new_feature")


def test_bands_are_ordered() -> None:
    assert [risk_band(s) for s in (0.95, 0.7, 0.5, 0.3, 0.05)] == ["A", "B", "C", "D", "E"]
    frame = pl.DataFrame({"score": [0.8, 0.79999]}).select(risk_band_expr(pl.col("score")))
    assert frame["risk_band"].to_list() == ["A", "B"]


def test_segments_follow_the_documented_rules() -> None:
    assert segment_of({"disputes": 1, "months_late_count_12": 0}) == Segment.DISPUTING
    assert segment_of({"months_late_count_12": 1, "contacts_out_90": 0}) == Segment.NEW_TO_COLLECTIONS
    assert segment_of({"months_late_count_12": 2, "max_late_12": 1, "pay_ratio_mean": 0.9,
                       "contacts_out_90": 2}) == Segment.FORGOT
    assert segment_of({"months_late_count_12": 5, "max_late_12": 3, "hardship_declared": 1}) == Segment.CANNOT_PAY
    assert segment_of({"months_late_count_12": 5, "max_late_12": 3, "contacts_out_90": 6,
                       "response_rate_90": 0.0, "pay_ratio_mean": 0.9}) == Segment.WILL_NOT_PAY
    assert segment_of({"months_late_count_12": 5, "max_late_12": 3, "contacts_out_90": 1,
                       "pay_ratio_mean": 0.9}) == Segment.UNCLASSIFIED
    frame = pl.DataFrame({"disputes": [1.0, None]}).with_columns(
        [pl.lit(None, dtype=pl.Float64).alias(c) for c in ("contacts_out_90", "promises_total", "pay_ratio_mean",
         "paid_90", "response_rate_90", "inbound_90", "months_late_count_12", "max_late_12", "hardship_declared",
         "promises_broken")])
    assert frame.select(segment_expr())["segment"].to_list() == ["disputing", "new_to_collections"]


def test_explain_debts_gives_the_portfolio_numbers_with_reasons(model: TrainedModel) -> None:
    tables = portfolio(80, seed=5)
    whole = score_portfolio(tables, AS_OF, model, with_reasons=True)
    some = explain_debts(tables, AS_OF, model, [7, 42])
    assert some["debt_id"].to_list() == [7, 42]
    expected = whole.filter(pl.col("debt_id").is_in([7, 42]))
    assert some["score"].to_list() == expected["score"].to_list()
    assert some["reasons"].to_list() == expected["reasons"].to_list()
