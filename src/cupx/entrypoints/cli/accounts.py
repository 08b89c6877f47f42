"""`cupx show customer ID` and `cupx show debt ID`: the operator's view of an account.

ID is the CU-PX id or the external id. Shows the balance per component (principal, interest, fees,
credit), days past due, the case status, the active model's score with its plain-word reasons (or that
no model is active), the contact points (decrypted: this is an authorised operator
view on the operator's own machine) and the ledger; `--json` prints the same as one JSON object.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cupx.domain.money import Money
from cupx.entrypoints.cli._common import cli_errors, echo_json, runtime
from cupx.services.account_view import NO_MODEL, debt_score
from cupx.services.accounts import customer_view, debt_view

__all__ = ["register"]

show_app = typer.Typer(help="Show a customer or a debt.", no_args_is_help=True)
AS_OF = typer.Option(None, "--as-of", help="balances and DPD as of this date (YYYY-MM-DD; default today, UTC)")
JSON = typer.Option(False, "--json", help="print JSON instead of tables")
DB = typer.Option(None, "--database-url", help="defaults to CUPX_DATABASE_URL")


def _as_of(text: str | None) -> date:
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a YYYY-MM-DD date", param_hint="--as-of") from None


def _money(minor: int, currency: str) -> str:
    return Money(minor, currency).format()


def _balance_table(d: dict[str, Any]) -> Table:
    cur = d["currency"]
    table = Table(title="Balance", caption=f"as of {d['as_of']}", show_header=True)
    table.add_column("component")
    table.add_column("amount", justify="right")
    for comp in ("principal", "interest", "fees"):
        table.add_row(comp, _money(d["breakdown"][comp], cur))
    table.add_row("credit", _money(-d["breakdown"]["credit"], cur))
    table.add_row("[bold]balance[/]", f"[bold]{_money(d['balance_minor'], cur)}[/]")
    return table


def _ledger_table(entries: list[dict[str, Any]]) -> Table:
    table = Table(title="Ledger")
    for col, justify in (("id", "right"), ("effective", "left"), ("kind", "left"), ("component", "left"),
                         ("amount", "right"), ("reverses", "right"), ("reversed by", "right"), ("source", "left"),
                         ("memo", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for e in entries:
        table.add_row(str(e["id"]), str(e["effective_date"]), e["kind"], e["component"] or "",
                      _money(e["amount_minor"], e["currency"]), str(e["reverses_id"] or ""),
                      str(e["reversed_by"] or ""), e["source"], e["memo"])
    return table


def _score_table(score: dict[str, Any] | None) -> Table:
    table = Table(title="Propensity to pay", show_header=True)
    table.add_column("item")
    table.add_column("value")
    if score is None:
        table.add_row("model", NO_MODEL)
        return table
    table.add_row("score", f"{score['score']:.4f} (probability of paying or curing within 30 days)")
    table.add_row("risk band", score["risk_band"])
    table.add_row("model version", score["model_version"])
    for i, reason in enumerate(score["reasons"], 1):
        table.add_row(f"reason {i}", reason)
    return table


def _print_debt(console: Console, d: dict[str, Any]) -> None:
    console.print(f"[bold]Debt {d['id']}[/] ({d['external_id']}) · customer {d['customer_id']} · "
                  f"{d['creditor']} · {d['product']} · {d['jurisdiction']}")
    late = f"[red]{d['days_past_due']} days past due[/]" if d["days_past_due"] else "not past due"
    console.print(f"status [bold]{d['status']}[/] · {late} · original {_money(d['original_minor'], d['currency'])}"
                  + (" · [yellow]time-barred[/]" if d["time_barred"] else ""))
    console.print(_balance_table(d))
    console.print(_score_table(d.get("score")))
    console.print(_ledger_table(d.get("ledger") or []))


@show_app.command("debt")
def show_debt(debt_id: str = typer.Argument(..., help="CU-PX id or external id"), as_of: str | None = AS_OF,
              as_json: bool = JSON, database_url: str | None = DB) -> None:
    """A debt: balance breakdown, days past due, case status, model score and reasons, and ledger."""
    rt = runtime(database_url)
    day = _as_of(as_of)
    with cli_errors(), rt.uow() as uow:
        view = debt_view(uow, debt_id, day, with_ledger=True).to_dict()
        view["score"] = debt_score(uow, view["id"], view["customer_id"], day)
    if as_json:
        echo_json(view)
    else:
        _print_debt(Console(), view)


def _contacts_table(c: dict[str, Any]) -> Table:
    table = Table(title="Contact points")
    table.add_column("kind")
    table.add_column("value")
    table.add_column("details")
    for p in c["phones"]:
        state = ", ".join(k for k in ("tcpa_consent", "opted_out", "wrong_number") if p[k])
        table.add_row(f"phone ({p['type']})", p["number"], state or p["provenance"])
    for e in c["emails"]:
        state = ", ".join(k for k in ("opted_out", "bounced") if e[k])
        table.add_row("email", e["address"], state or e["provenance"])
    for a in c["addresses"]:
        parts = (a["line1"], a["line2"], a["city"], a["state"], a["postal_code"], a["country"])
        line = ", ".join(x for x in parts if x)
        table.add_row(f"address ({a['place']})", line, "undeliverable" if a["undeliverable"] else "")
    return table


def _debts_table(debts: list[dict[str, Any]]) -> Table:
    table = Table(title="Debts")
    for col in ("id", "external id", "creditor", "status", "DPD", "principal", "interest", "fees", "balance"):
        table.add_column(col, justify="right" if col in ("id", "DPD", "principal", "interest", "fees", "balance")
                         else "left")
    for d in debts:
        cur, b = d["currency"], d["breakdown"]
        table.add_row(str(d["id"]), d["external_id"], d["creditor"], d["status"], str(d["days_past_due"]),
                      _money(b["principal"], cur), _money(b["interest"], cur), _money(b["fees"], cur),
                      _money(d["balance_minor"], cur))
    return table


@show_app.command("customer")
def show_customer(customer_id: str = typer.Argument(..., help="CU-PX id or external id"), as_of: str | None = AS_OF,
                  as_json: bool = JSON, database_url: str | None = DB) -> None:
    """A customer: contact points, flags and every debt's balance and status."""
    rt = runtime(database_url)
    with cli_errors(), rt.uow() as uow:
        view = customer_view(uow, customer_id, _as_of(as_of)).to_dict()
    if as_json:
        echo_json(view)
        return
    console = Console()
    console.print(f"[bold]{view['name']}[/] · customer {view['id']} ({view['external_id']}) · "
                  f"language {view['preferred_language']}")
    console.print(f"flags: {', '.join(view['flags']) or 'none'} · time zones: "
                  f"{', '.join(view['tz_candidates']) or 'unknown'}")
    console.print(_contacts_table(view))
    console.print(_debts_table(view["debts"]))


def register(app: typer.Typer) -> None:
    app.add_typer(show_app, name="show")
