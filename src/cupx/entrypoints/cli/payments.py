"""`cupx payment|promise|promises|plan|settlement|hardship ...`: the payments area from the command line.

Amounts are given in major units (`--amount 123.45`) and parsed exactly with the currency's digits.
Every command prints JSON; errors print `error [code] where: message` and exit 2.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import typer

from cupx.domain.hardship import HoldKind
from cupx.domain.money import parse_money
from cupx.domain.plans import Frequency
from cupx.entrypoints.cli._common import cli_errors, echo_json, runtime
from cupx.services.hardship import StartHold, end_expired_holds, start_hold
from cupx.services.payment_ports import PlanRecord, PlanStore
from cupx.services.payments import PostPayment, ReversePayment, post_payment, reverse_payment
from cupx.services.plans import CreatePlan, create_plan, process_plan_instalments, quote_plans
from cupx.services.promises import MakePromise, make_promise, resolve_promises
from cupx.services.settlements import ApproveSettlement, RequestSettlement, approve_settlement, request_settlement

__all__ = ["register"]

DB = typer.Option(None, "--database-url", help="defaults to CUPX_DATABASE_URL")
ACTOR = typer.Option("cli", "--actor", help="who does this (recorded in the audit trail)")

payment_app = typer.Typer(help="Post and reverse payments.", no_args_is_help=True)
promise_app = typer.Typer(help="Take promises to pay.", no_args_is_help=True)
promises_app = typer.Typer(help="Nightly promise resolution.", no_args_is_help=True)
plan_app = typer.Typer(help="Payment plans: quote, create, show, nightly processing.", no_args_is_help=True)
settlement_app = typer.Typer(help="Settlements: request and approve.", no_args_is_help=True)
hardship_app = typer.Typer(help="Breathing space and forbearance.", no_args_is_help=True)


def _minor(amount: str, currency: str) -> int:
    return parse_money(amount, currency, field="amount").minor


def _plan_json(r: PlanRecord) -> dict[str, Any]:
    p = r.plan
    return {"id": p.id, "kind": str(p.kind), "status": str(p.status), "customer_id": p.customer_id,
            "debt_id": p.debt_id, "total_minor": p.total_minor, "paid_minor": p.paid_minor, "currency": p.currency,
            "discount_bp": r.discount_bp, "letter_path": r.letter_path,
            "instalments": [[i.seq, i.due_on.isoformat(), i.amount_minor, i.paid_minor, str(i.status)]
                            for i in p.instalments]}


@payment_app.command("post")
def payment_post(amount: str = typer.Option(..., help="major units, e.g. 25.00"),
                 currency: str = typer.Option("USD"), debt_id: int | None = typer.Option(None),
                 customer_id: int | None = typer.Option(None), method: str = typer.Option("card"),
                 reference: str = typer.Option(""), key: str | None = typer.Option(None, help="idempotency key"),
                 received_at: datetime | None = typer.Option(None, help="ISO instant (UTC if naive)"),
                 actor: str = ACTOR, database_url: str | None = DB) -> None:
    """Post a payment to one debt or across a customer's debts."""
    with cli_errors():
        at = (received_at or datetime.now(UTC))
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        cmd = PostPayment(amount_minor=_minor(amount, currency), currency=currency, received_at=at,
                          idempotency_key=f"cli:{key or uuid.uuid4().hex}", method=method, reference=reference,
                          debt_id=debt_id, customer_id=customer_id, source="cli", actor=actor)
        with runtime(database_url).uow() as uow:
            echo_json(post_payment(uow, cmd).to_dict())


@payment_app.command("reverse")
def payment_reverse(payment_id: int = typer.Argument(...), reason: str = typer.Option(...),
                    kind: str = typer.Option("reversal", help="reversal | chargeback | returned"),
                    actor: str = ACTOR, database_url: str | None = DB) -> None:
    """Reverse a payment; what it paid is owed again and resolved debts re-open."""
    with cli_errors(), runtime(database_url).uow() as uow:
        echo_json(reverse_payment(uow, ReversePayment(payment_id, reason, kind, actor)).to_dict())


@promise_app.command("add")
def promise_add(customer_id: int = typer.Option(...), amount: str = typer.Option(...),
                on: datetime = typer.Option(..., "--on", formats=["%Y-%m-%d"], help="promised date"),
                currency: str = typer.Option("USD"), debt_id: int | None = typer.Option(None),
                channel: str = typer.Option("call"), actor: str = ACTOR, database_url: str | None = DB) -> None:
    with cli_errors(), runtime(database_url).uow() as uow:
        row = make_promise(uow, MakePromise(customer_id, _minor(amount, currency), currency, on.date(), channel,
                                            actor, debt_id))
        echo_json(row)


@promises_app.command("resolve")
def promises_resolve(as_of: datetime = typer.Option(..., "--as-of", formats=["%Y-%m-%d"]),
                     database_url: str | None = DB) -> None:
    """Decide kept/broken for every pending promise as of a date (the cycle runs this nightly)."""
    with cli_errors(), runtime(database_url).uow() as uow:
        echo_json(resolve_promises(uow, as_of.date()))


@plan_app.command("quote")
def plan_quote(customer_id: int = typer.Option(...), currency: str = typer.Option("USD"),
               first_due_on: datetime = typer.Option(..., formats=["%Y-%m-%d"]),
               debt_id: int | None = typer.Option(None), segment: str = typer.Option("default"),
               database_url: str | None = DB) -> None:
    """The plans the customer can afford (latest I&E statement) within the segment's policy."""
    with cli_errors(), runtime(database_url).uow() as uow:
        echo_json(quote_plans(uow, customer_id, currency, first_due_on.date(), debt_id=debt_id, segment=segment))


@plan_app.command("create")
def plan_create(customer_id: int = typer.Option(...), instalments: int = typer.Option(...),
                frequency: Frequency = typer.Option(Frequency.MONTHLY),
                first_due_on: datetime = typer.Option(..., formats=["%Y-%m-%d"]),
                currency: str = typer.Option("USD"), total: str | None = typer.Option(None, help="default: balance"),
                debt_id: int | None = typer.Option(None), segment: str = typer.Option("default"),
                freeze_interest: bool = typer.Option(False), actor: str = ACTOR, database_url: str | None = DB) -> None:
    with cli_errors(), runtime(database_url).uow() as uow:
        record = create_plan(uow, CreatePlan(
            customer_id, None if total is None else _minor(total, currency), currency, frequency, instalments,
            first_due_on.date(), debt_id, segment, freeze_interest, actor))
        echo_json(_plan_json(record))


@plan_app.command("show")
def plan_show(plan_id: int = typer.Argument(...), database_url: str | None = DB) -> None:
    with cli_errors(), runtime(database_url).uow() as uow:
        echo_json(_plan_json(uow[PlanStore].get(plan_id)))


@plan_app.command("process")
def plan_process(as_of: datetime = typer.Option(..., "--as-of", formats=["%Y-%m-%d"]),
                 database_url: str | None = DB) -> None:
    """Nightly: missed instalments (append the first, break on the second), expired holds."""
    with cli_errors():
        rt = runtime(database_url)
        with rt.uow() as uow:
            counts = process_plan_instalments(uow, as_of.date())
        with rt.uow() as uow:
            counts |= end_expired_holds(uow, as_of.date())
        echo_json(counts)


@settlement_app.command("request")
def settlement_request(debt_id: int = typer.Option(...), amount: str = typer.Option(...),
                       first_due_on: datetime = typer.Option(..., formats=["%Y-%m-%d"]),
                       currency: str = typer.Option("USD"), instalments: int = typer.Option(1),
                       frequency: Frequency = typer.Option(Frequency.MONTHLY), segment: str = typer.Option("default"),
                       role: str = typer.Option("agent"), actor: str = ACTOR, database_url: str | None = DB) -> None:
    """Within the role's authority it starts at once; above it, it waits for approval."""
    with cli_errors(), runtime(database_url).uow() as uow:
        record = request_settlement(uow, RequestSettlement(debt_id, _minor(amount, currency), currency,
                                                           first_due_on.date(), instalments, frequency, segment,
                                                           actor, role))
        echo_json(_plan_json(record))


@settlement_app.command("approve")
def settlement_approve(plan_id: int = typer.Argument(...), role: str = typer.Option("manager"), actor: str = ACTOR,
                       database_url: str | None = DB) -> None:
    with cli_errors(), runtime(database_url).uow() as uow:
        echo_json(_plan_json(approve_settlement(uow, ApproveSettlement(plan_id, actor, role))))


@hardship_app.command("breathing-space")
def hardship_breathing_space(customer_id: int = typer.Option(...), reason: str = typer.Option(...),
                             days: int | None = typer.Option(None, help="default: the policy's 60"),
                             kind: HoldKind = typer.Option(HoldKind.BREATHING_SPACE),
                             debt_id: int | None = typer.Option(None),
                             starts_on: datetime | None = typer.Option(None, formats=["%Y-%m-%d"]),
                             actor: str = ACTOR, database_url: str | None = DB) -> None:
    """Pause contact, interest and fees (or another forbearance option) for a customer or one debt."""
    with cli_errors(), runtime(database_url).uow() as uow:
        start: date = starts_on.date() if starts_on else datetime.now(UTC).date()
        echo_json(start_hold(uow, StartHold(customer_id, reason, start, days, kind, debt_id, actor=actor)))


def register(app: typer.Typer) -> None:
    app.add_typer(payment_app, name="payment")
    app.add_typer(promise_app, name="promise")
    app.add_typer(promises_app, name="promises")
    app.add_typer(plan_app, name="plan")
    app.add_typer(settlement_app, name="settlement")
    app.add_typer(hardship_app, name="hardship")
