"""Staff dashboard page: champion/challenger experiment reports (permission REPORTS_READ).

GET /dashboard/experiments lists the experiments; GET /dashboard/experiments/{id} shows the per-arm
table, the tests against the champion, warnings and the recommendation (the same report as
`cupx experiment report`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from cupx.bootstrap import Runtime
from cupx.domain.staff import Permission
from cupx.entrypoints.api.security import Principal, require
from cupx.entrypoints.web.templating import render
from cupx.services.experiments import experiment_ids, experiment_report

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
