"""Staff roles and the permissions each role holds.

Every API route and page declares one permission; a request is allowed when the user's role holds it.
Roles are ordered by what they may do, not by a numeric level: a compliance officer may read audit
records an agent may not, while an agent may post payments the auditor may not.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PERMISSIONS", "Permission", "Role", "role_has"]


class Role(StrEnum):
    ADMIN = "admin"  # operator: users, settings, everything
    MANAGER = "manager"  # runs the operation: strategies, reports, high settlement authority
    SUPERVISOR = "supervisor"  # approves offers above agents' authority, handles escalations
    AGENT = "agent"  # works the queue, records outcomes, takes payments and plans within authority
    COMPLIANCE = "compliance"  # rules, audit records, overrides of presumption blocks
    AUDITOR = "auditor"  # reads everything, changes nothing


class Permission(StrEnum):
    CUSTOMERS_READ = "customers:read"  # see customers and their contact points
    DEBTS_READ = "debts:read"  # see debts, balances, ledgers
    LEDGER_WRITE = "ledger:write"  # post ledger entries
    PAYMENTS_WRITE = "payments:write"  # post payments, promises, plans
    ARRANGEMENTS_APPROVE = "arrangements:approve"  # approve settlements and plans above authority
    STRATEGY_WRITE = "strategy:write"  # change strategies, run the cycle
    REPORTS_READ = "reports:read"  # dashboards and KPI reports
    COMPLIANCE_READ = "compliance:read"  # audit records, guard decisions
    COMPLIANCE_OVERRIDE = "compliance:override"  # override a presumption block (C-7)
    COMMS_WRITE = "comms:write"  # templates, dispatch
    USERS_ADMIN = "users:admin"  # create users and tokens
    AGENT_DESK = "desk:use"  # the agent desk and queue


P = Permission
_READ = {P.CUSTOMERS_READ, P.DEBTS_READ, P.REPORTS_READ}
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(_READ | {P.LEDGER_WRITE, P.PAYMENTS_WRITE, P.ARRANGEMENTS_APPROVE, P.STRATEGY_WRITE,
                                     P.COMMS_WRITE, P.AGENT_DESK, P.COMPLIANCE_READ}),
    Role.SUPERVISOR: frozenset(_READ | {P.LEDGER_WRITE, P.PAYMENTS_WRITE, P.ARRANGEMENTS_APPROVE, P.AGENT_DESK,
                                        P.COMPLIANCE_OVERRIDE, P.COMPLIANCE_READ}),
    Role.AGENT: frozenset({P.CUSTOMERS_READ, P.DEBTS_READ, P.PAYMENTS_WRITE, P.AGENT_DESK}),
    Role.COMPLIANCE: frozenset(_READ | {P.COMPLIANCE_READ, P.COMPLIANCE_OVERRIDE}),
    Role.AUDITOR: frozenset(_READ | {P.COMPLIANCE_READ}),
}


def role_has(role: Role | str, permission: Permission | str) -> bool:
    return Permission(permission) in PERMISSIONS[Role(role)]
