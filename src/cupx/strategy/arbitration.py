"""One contact per customer per day, at the highest applicable step, grouped in one message.

Among a customer's debts whose decision is `contact`, the winner is the step with the highest rank
(severity), then the larger balance, then the smaller debt id (so the choice is deterministic). The
winner keeps `contact` and carries `message_debt_ids`: every debt with a contact today, sorted. The
others become `grouped` (reason GROUPED): their own step counts as tried, because the customer got one
message about all of them (users of other tools ask for exactly this; see docs/strategies.md).
"""

from __future__ import annotations

import polars as pl

from cupx.strategy.vocabulary import DecisionKind, Reason

__all__ = ["arbitrate"]


def arbitrate(decisions: pl.LazyFrame) -> pl.LazyFrame:
    contact = pl.col("kind") == DecisionKind.CONTACT.value
    # one sort of the narrow contact rows, then the first of each customer (cheaper than a sort per group)
    winners = (
        decisions.filter(contact).select("customer_id", "debt_id", "rank", "balance")
        .sort(["customer_id", "rank", "balance", "debt_id"], descending=[False, True, True, False])
        .group_by("customer_id", maintain_order=True)
        .agg(_winner=pl.col("debt_id").first(), _debt_ids=pl.col("debt_id").sort())
    )
    lf = decisions.join(winners, on="customer_id", how="left")
    is_winner = contact & (pl.col("debt_id") == pl.col("_winner"))
    grouped = contact & ~is_winner
    return lf.with_columns(
        kind=pl.when(grouped).then(pl.lit(DecisionKind.GROUPED.value)).otherwise(pl.col("kind")),
        reasons=pl.when(grouped).then(pl.lit(Reason.GROUPED.value + ",") + pl.col("reasons"))
        .otherwise(pl.col("reasons")),
        message_debt_ids=pl.when(is_winner).then(pl.col("_debt_ids")),
        contact_debt_id=pl.when(contact).then(pl.col("_winner")),
    ).drop("_winner", "_debt_ids")
