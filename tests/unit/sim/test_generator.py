"""The synthetic portfolio: deterministic by seed, and realistic where rules depend on it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import phonenumbers
import polars as pl
import pytest
import zipcodes

from cupx.sim.generator import generate, write
from cupx.sim.geo import STATE_AREA_CODES
from cupx.sim.personas import personas

AS_OF = date(2026, 9, 1)


@pytest.fixture(scope="module")
def portfolio():
    return generate(11, 2000, AS_OF)


def test_same_seed_same_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write(generate(5, 1000, AS_OF), a)
    write(generate(5, 1000, AS_OF), b)
    for kind in ("customers", "debts", "ledger", "contacts"):
        assert (a / f"{kind}.csv").read_bytes() == (b / f"{kind}.csv").read_bytes()
    write(generate(6, 1000, AS_OF), tmp_path / "c")
    assert (a / "customers.csv").read_bytes() != (tmp_path / "c" / "customers.csv").read_bytes()


def test_personas_deterministic_and_bounded() -> None:
    p, q = personas(3, 500), personas(3, 500)
    assert (p.ability == q.ability).all() and (p.job_loss_day == q.job_loss_day).all()
    assert ((p.ability >= 0) & (p.ability <= 1)).all()
    assert ((p.preferred_hour >= 8) & (p.preferred_hour <= 20)).all()
    assert (p.ability_on(200) <= p.ability).all()


def test_us_phones_match_state_and_zip(portfolio) -> None:
    us = portfolio.customers.filter((pl.col("country") == "US") & (pl.col("phone") != ""))
    assert us.height > 1000
    for row in us.head(300).iter_rows(named=True):
        num = phonenumbers.parse(row["phone"])
        assert phonenumbers.is_valid_number(num), row["phone"]
        area = row["phone"][2:5]
        assert area in STATE_AREA_CODES[row["state"]][1]
        z = zipcodes.matching(row["postal_code"])[0]
        assert z["state"] == row["state"] and area in z["area_codes"]


def test_gb_slice_is_gbp_under_gb(portfolio) -> None:
    debts = portfolio.debts
    gb_customers = portfolio.customers.filter(pl.col("country") == "GB")["external_id"]
    gb = debts.filter(pl.col("customer_external_id").is_in(gb_customers.implode()))
    assert gb.height > 0
    assert set(gb["currency"]) == {"GBP"} and set(gb["jurisdiction"]) == {"GB"}
    assert set(debts.filter(pl.col("currency") == "USD")["jurisdiction"]) >= {"US", "US-MA", "US-WA"}


def test_mix_of_products_flags_and_history(portfolio) -> None:
    assert set(portfolio.debts["product"]) == {"credit_card", "personal_loan", "telecom", "utility", "b2b_invoice"}
    assert portfolio.customers["flags"].str.contains("vulnerable").sum() > 20
    types = set(portfolio.contacts["type"])
    assert {"letter_sent", "text_sent", "call_placed", "electronic_opt_out", "dispute"} <= types
    assert (portfolio.contacts["at"] < AS_OF.isoformat()).all()
    dpd = portfolio.debts["dpd"]
    assert (dpd < 0).sum() > 300 and (dpd > 180).sum() > 50  # a current book that falls due, and old debt
    assert set(portfolio.debts.filter(dpd < 0)["status"]) <= {"current", "disputed"}


def test_balances_start_positive(portfolio) -> None:
    led = portfolio.ledger.with_columns(pl.col("amount").str.replace(r"\.", "").cast(pl.Int64).alias("minor"))
    signed = led.select("debt_external_id", pl.when(pl.col("kind") == "payment").then(-pl.col("minor"))
                        .otherwise(pl.col("minor")).alias("s"))
    bal = signed.group_by("debt_external_id").agg(pl.col("s").sum())
    assert bal.height == portfolio.debts.height and (bal["s"] > 0).all()
