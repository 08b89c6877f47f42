"""KPI math on a hand-made book: recovery, cure, roll rates, promises, contact rates, cost, arms, CSAT."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from cupx.services.kpis import CHANNEL_COST_MINOR, KpiFilters, KpiSource, compute_kpis, kpis_csv, positions

START, END = date(2026, 9, 1), date(2026, 9, 30)


class FakeSource(KpiSource):
    def period_bounds(self) -> tuple[date, date]:
        return START, END

    def debts(self) -> pl.DataFrame:
        return pl.DataFrame({"id": [1, 2, 3], "customer_id": [10, 20, 30], "product": ["credit_card"] * 3,
                             "currency": ["USD"] * 3, "status": ["delinquent"] * 3,
                             "due_schedule": ['[["2026-08-20", 10000]]', '[["2026-07-01", 20000]]',
                                              '[["2026-08-25", 5000]]']})

    def ledger(self) -> pl.DataFrame:
        return pl.DataFrame({
            "debt_id": [1, 2, 3, 1, 2],
            "effective_date": [date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 1), date(2026, 9, 10),
                               date(2026, 9, 12)],
            "signed_minor": [10000, 20000, 5000, -10000, -5000],
            "is_payment": [False, False, False, True, True]})

    def payments(self, start: datetime, end: datetime) -> pl.DataFrame:
        return pl.DataFrame({"customer_id": [10, 20], "amount_minor": [10000, 5000], "currency": ["USD", "USD"],
                             "day": [date(2026, 9, 10), date(2026, 9, 12)]})

    def promises(self, start: datetime, end: datetime) -> pl.DataFrame:
        return pl.DataFrame({"customer_id": [20, 30, 30], "status": ["kept", "broken", "pending"]})

    def contacts(self, start: datetime, end: datetime) -> pl.DataFrame:
        return pl.DataFrame({"customer_id": [10, 20, 20, 30], "type": ["text_sent", "call_placed", "dispute",
                                                                        "letter_sent"],
                             "channel": ["sms", "call", "portal", "letter"], "right_party": [False, True, True, False],
                             "day": [date(2026, 9, 2)] * 4})

    def assignments(self, end: datetime) -> pl.DataFrame:
        return pl.DataFrame({"customer_id": [10, 20, 30], "segment": ["standard", "standard", "vulnerable"],
                             "strategy": ["consumer_card"] * 3, "arm": ["champion", "challenger", "champion"]})

    def blocks(self, start: datetime, end: datetime) -> pl.DataFrame:
        return pl.DataFrame({"customer_id": [30, 30], "reason": ["REGF_7_IN_7", "TCPA_NO_CONSENT"]})

    def surveys(self, start: datetime, end: datetime) -> pl.DataFrame:
        return pl.DataFrame({"customer_id": [10, 20], "score": [5, 3]})


def test_positions_follow_the_oldest_unpaid_instalment() -> None:
    src = FakeSource()
    pos = positions(src.debts(), src.ledger(), date(2026, 9, 30)).sort("debt_id")
    assert pos["balance"].to_list() == [0, 15000, 5000]
    assert pos["dpd"].to_list() == [0, 91, 36]
    assert pos["bucket"].to_list() == ["current", "91-180", "31-60"]


def test_headline_kpis() -> None:
    k = compute_kpis(FakeSource())
    usd = k["currencies"]["USD"]
    assert k["accounts"] == 3 and usd["balance_start_minor"] == 35000 and usd["collected_minor"] == 15000
    assert usd["recovery_rate"] == round(15000 / 35000, 4)
    cost = CHANNEL_COST_MINOR["sms"] + CHANNEL_COST_MINOR["call"] + CHANNEL_COST_MINOR["letter"]
    assert usd["contact_cost_minor"] == cost and usd["cost_per_unit_collected"] == round(cost / 15000, 4)
    assert k["cure_rate"] == round(1 / 3, 4)
    assert k["promises"] == {"kept": 1, "broken": 1, "promise_kept_rate": 0.5}
    assert k["contact"]["contact_rate"] == 1.0 and k["contact"]["rpc_rate"] == round(1 / 3, 4)
    assert k["compliance_blocks"] == {"REGF_7_IN_7": 1, "TCPA_NO_CONSENT": 1}
    assert k["csat"] == {"responses": 2, "average": 4.0, "satisfied_share": 0.5}
    arms = {a["arm"]: a for a in k["arms"]}
    assert arms["champion"]["customers"] == 2 and arms["challenger"]["collected_minor"] == 5000
    matrix = k["roll_rates"]["matrix"]
    assert sum(sum(row.values()) for row in matrix.values()) == 3
    assert k["daily"]["collected_minor"]["USD"] == {"2026-09-10": 10000, "2026-09-12": 5000}


def test_filters_narrow_the_scope_and_csv_flattens() -> None:
    k = compute_kpis(FakeSource(), KpiFilters(segment="vulnerable"))
    assert k["accounts"] == 1 and k["currencies"]["USD"]["collected_minor"] == 0
    assert k["segments"] == ["standard", "vulnerable"]
    csv = kpis_csv(compute_kpis(FakeSource()))
    assert "currencies.USD.collected_minor,15000" in csv.splitlines()
    assert "arms.champion.customers,2" in csv.splitlines()
