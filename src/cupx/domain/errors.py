"""One hierarchy of CU-PX errors, each with a stable code.

    CupxError                       base; `code`, `message`, optional `field` and `row`
    ├── ValidationError             bad input: names the field (and row for files)
    ├── NotFound                    an id that does not exist
    ├── Conflict                    a state that refuses the request (idempotency key reuse, duplicate)
    ├── InvalidTransition           a case-status move the state machine forbids
    ├── PermissionDenied            an authenticated user lacking a permission
    ├── AuthenticationFailed        no or bad credentials
    └── PolicyViolation             a business policy refuses (plan below policy, authority exceeded)

Errors become HTTP statuses or CLI messages only at the edge (entrypoints); nothing below raises an
HTTP exception. The codes are part of the public API: never rename one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = [
    "AuthenticationFailed",
    "Conflict",
    "CupxError",
    "ErrorCode",
    "InvalidTransition",
    "NotFound",
    "PermissionDenied",
    "PolicyViolation",
    "ValidationError",
]


class ErrorCode(StrEnum):
    """Stable machine-readable error codes."""

    VALIDATION = "validation_error"  # a field's value is malformed or out of range
    NOT_FOUND = "not_found"  # the referenced entity does not exist
    CONFLICT = "conflict"  # duplicate, stale version, or idempotency-key reuse with another body
    INVALID_TRANSITION = "invalid_transition"  # the state machine forbids this move
    PERMISSION_DENIED = "permission_denied"  # authenticated but not allowed
    AUTHENTICATION_FAILED = "authentication_failed"  # missing or bad credentials
    POLICY_VIOLATION = "policy_violation"  # a business policy refuses the request
    CURRENCY_MISMATCH = "currency_mismatch"  # money of two currencies combined


class CupxError(Exception):
    """Base of every CU-PX error: a stable `code`, a message, and where the problem is."""

    code: ErrorCode = ErrorCode.VALIDATION

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        row: int | None = None,
        code: ErrorCode | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.row = row
        if code is not None:
            self.code = code
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by the API and the CLI."""
        out: dict[str, Any] = {"code": str(self.code), "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.row is not None:
            out["row"] = self.row
        if self.details:
            out["details"] = self.details
        return out

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ValidationError(CupxError):
    code = ErrorCode.VALIDATION


class NotFound(CupxError):
    code = ErrorCode.NOT_FOUND


class Conflict(CupxError):
    code = ErrorCode.CONFLICT


class InvalidTransition(CupxError):
    code = ErrorCode.INVALID_TRANSITION


class PermissionDenied(CupxError):
    code = ErrorCode.PERMISSION_DENIED


class AuthenticationFailed(CupxError):
    code = ErrorCode.AUTHENTICATION_FAILED


class PolicyViolation(CupxError):
    code = ErrorCode.POLICY_VIOLATION
