"""Staff dashboard pages (permission REPORTS_READ): champion/challenger experiments and the models.

GET /dashboard/experiments lists the experiments; GET /dashboard/experiments/{id} shows the per-arm
table, the tests against the champion, warnings and the recommendation (the same report as
`cupx experiment report`). GET /dashboard/models lists the registered model versions with their
metrics and, for the active one, the drift (PSI) of the score and features as of today."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from cupx.bootstrap import Runtime
from cupx.domain.staff import Permission
from cupx.entrypoints.api.security import Principal, require
from cupx.entrypoints.web.templating import render
from cupx.services.experiments import experiment_ids, experiment_report
from cupx.services.models import ModelRegistry
from cupx.services.models_ops import drift_report

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.get("/dashboard/experiments")
def experiments_page(request: Request, principal: Principal = Depends(require(Permission.REPORTS_READ))) -> Response:
    with _runtime(request).uow() as uow:
        ids = experiment_ids(uow)
    return render(request, "experiments.html", {"experiments": ids, "report": None})


@router.get("/dashboard/experiments/{experiment_id}")
def experiment_page(experiment_id: str, request: Request,
                    principal: Principal = Depends(require(Permission.REPORTS_READ))) -> Response:
    with _runtime(request).uow() as uow:
        ids = experiment_ids(uow)
        report = experiment_report(uow, experiment_id)
    return render(request, "experiments.html", {"experiments": ids, "report": report})


@router.get("/dashboard/models")
def models_page(request: Request, principal: Principal = Depends(require(Permission.REPORTS_READ))) -> Response:
    with _runtime(request).uow() as uow:
        records = uow[ModelRegistry].records()
        drift = None
        if any(r.active for r in records):
            today = datetime.now(UTC).date()  # the page shows the portfolio as it is now
            drift = drift_report(uow, as_of=today).sort("psi", descending=True, nulls_last=True).to_dicts()
    return render(request, "experiments.html", {"experiments": [], "report": None, "models": records,
                                                "drift": drift, "models_page": True})
