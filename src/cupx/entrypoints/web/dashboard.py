"""The KPI dashboard (staff, permission REPORTS_READ): GET /dashboard and GET /dashboard.csv.

The numbers come from `cupx.services.kpis.kpis` — the same function `cupx report kpis --json` prints —
for the filters in the query string (date range, segment, strategy), so page, CSV and CLI agree.
Charts are SVG drawn on the server by pygal (an installed library) with its JavaScript turned off:
the page loads nothing from outside the app.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pygal
from fastapi import APIRouter, Depends, Query, Request
from pygal.style import Style
from starlette.responses import HTMLResponse, Response

from cupx.bootstrap import Runtime
from cupx.domain.errors import ValidationError
from cupx.domain.staff import Permission
from cupx.entrypoints.api.security import Principal, require
from cupx.entrypoints.web.templating import render
from cupx.services.kpis import BUCKETS, KpiFilters, kpis, kpis_csv

__all__ = ["charts", "router"]

router = APIRouter(include_in_schema=False)
_STYLE = Style(background="transparent", plot_background="#ffffff", foreground="#1d2330",
               foreground_strong="#1d2330", foreground_subtle="#d9dde4", opacity=".9", opacity_hover="1",
               colors=("#1f5fbf", "#1b6e3a", "#d97706", "#a4161a", "#6d28d9", "#0e7490"),
               font_family="system-ui, sans-serif")
_CHART = {"style": _STYLE, "js": [], "disable_xml_declaration": True, "width": 640, "height": 300,
          "legend_at_bottom": True, "explicit_size": False}


def _day(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("not a date (YYYY-MM-DD)", field=field) from None


def _filters(date_from: str | None, date_to: str | None, segment: str | None, strategy: str | None) -> KpiFilters:
    return KpiFilters(_day(date_from, "date_from"), _day(date_to, "date_to"), segment or None, strategy or None)


def _compute(request: Request, f: KpiFilters) -> dict[str, Any]:
    runtime: Runtime = request.app.state.runtime
    with runtime.uow() as uow:
        return kpis(uow, f)


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _svg(chart: Any) -> str:
    """The chart's SVG without pygal's inline config script (its tooltips are off: `js=[]`)."""
    return _SCRIPT.sub("", str(chart.render(is_unicode=True)))


def charts(k: dict[str, Any]) -> dict[str, str]:
    """Inline SVG charts of a KPI dict."""
    out: dict[str, str] = {}
    trend = pygal.Line(title="Collected per day", x_label_rotation=30, show_minor_x_labels=False, **_CHART)
    days = sorted({d for series in k["daily"]["collected_minor"].values() for d in series})
    trend.x_labels = days
    trend.x_labels_major = days[:: max(1, len(days) // 8)]
    for cur, series in k["daily"]["collected_minor"].items():
        trend.add(cur, [series.get(d, 0) / 100 for d in days])
    out["trend"] = _svg(trend)
    rolls = pygal.StackedBar(title="Where each DPD bucket went (accounts)", **_CHART)
    rolls.x_labels = [b for b in BUCKETS if b != "current"]
    for to in BUCKETS:
        rolls.add(f"to {to}", [k["roll_rates"]["matrix"][b][to] for b in rolls.x_labels])
    out["rolls"] = _svg(rolls)
    arms = pygal.Bar(title="Champion vs challenger", **_CHART)
    arms.x_labels = [a["arm"] for a in k["arms"]]
    arms.add("recovery rate %", [round(a["recovery_rate"] * 100, 2) for a in k["arms"]])
    arms.add("cure rate %", [round(a["cure_rate"] * 100, 2) for a in k["arms"]])
    out["arms"] = _svg(arms)
    channels = pygal.Pie(title="Contacts by channel", inner_radius=.45, **_CHART)
    for ch, n in k["contact"]["by_channel"].items():
        channels.add(ch, n)
    out["channels"] = _svg(channels)
    blocks = pygal.HorizontalBar(title="Compliance blocks by reason", **_CHART)
    for reason, n in sorted(k["compliance_blocks"].items(), key=lambda kv: -kv[1])[:10]:
        blocks.add(reason, n)
    out["blocks"] = _svg(blocks)
    return out


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, date_from: str | None = Query(None), date_to: str | None = Query(None),
              segment: str | None = Query(None), strategy: str | None = Query(None),
              _p: Principal = Depends(require(Permission.REPORTS_READ))) -> Response:
    k = _compute(request, _filters(date_from, date_to, segment, strategy))
    query = request.url.query
    return render(request, "dashboard.html", {"k": k, "charts": charts(k), "buckets": BUCKETS,
                                              "csv_url": "/dashboard.csv" + (f"?{query}" if query else "")})


@router.get("/dashboard.csv")
def dashboard_csv(request: Request, date_from: str | None = Query(None), date_to: str | None = Query(None),
                  segment: str | None = Query(None), strategy: str | None = Query(None),
                  _p: Principal = Depends(require(Permission.REPORTS_READ))) -> Response:
    k = _compute(request, _filters(date_from, date_to, segment, strategy))
    name = f"cupx-kpis-{k['period']['from']}-{k['period']['to']}.csv"
    return Response(kpis_csv(k), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
