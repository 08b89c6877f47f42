"""Columnar form of the guard for the nightly cycle (contract C3; RULES.md R-01, R-02, R-04, R-06,
R-08, R-13, TCPA §3).

Covered rules (the same definitions as the single form, proven equal by a property test in
tests/unit/compliance/test_batch_agreement.py): Reg F call frequency 7-in-7 and the post-conversation
bar (with prior-consent exclusion and wrong-number exclusion), the 08:00-21:00 window in every candidate
zone, cease notices (C-9 scope), pending timely disputes and original-creditor requests, electronic
opt-outs and medium restrictions, attorney representation, and TCPA consent/revocation for automated
dialing. Not covered here (use the single form): templates/content, R-09 procedures, MA/WA caps, UK,
validation computations, house rules. Pure: no I/O, no clock; no Python per-row loops.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from cupx.compliance.profiles import JurisdictionProfile

__all__ = ["BATCH_CODES", "evaluate_batch"]

BATCH_CODES = frozenset({
    "REGF_CALL_FREQ_7IN7", "REGF_CALL_AFTER_CONVERSATION", "REGF_INCONVENIENT_TIME", "REGF_ATTORNEY_REPRESENTED",
    "REGF_CEASE_COMMUNICATION", "REGF_PROHIBITED_MEDIUM", "REGF_DISPUTE_PENDING",
    "REGF_ORIGINAL_CREDITOR_REQUEST_PENDING", "TCPA_NO_CONSENT", "TCPA_CONSENT_REVOKED",
})


def evaluate_batch(
    customers: pl.DataFrame,
    events: pl.DataFrame,
    actions: pl.DataFrame,
    profile: JurisdictionProfile | None = None,
) -> pl.DataFrame:
    """Evaluate many proposed contacts at once.

    customers (one row per customer):
      customer_id: Int64
      tz_candidates: Utf8, comma-joined IANA zones (as filled by the importer from
        `timezones.candidate_zones`); empty/null -> the profile's business zone America/New_York.
      collector_role: Utf8 (optional; default fdcpa_debt_collector; first_party_creditor rows get Reg F
        rules only when `profile.first_party_regf_opt_in`).
    events (history; rows with `at` after the action's `at` are ignored, C-8):
      customer_id: Int64; type: Utf8 (the event types of RULES.md §6.2); at: Datetime(UTC);
      debt_id: Int64 or null (one row per attributed debt; null = no debt named, which for cease_notice
      means all debts, C-9);
      outcome: Utf8 (call_placed: no_answer, voicemail_*, answered, busy, not_in_service, ...);
      medium: Utf8 (medium_restriction: telephone_call|text|email|mail|electronic; cease_notice and
        dispute: mail|email|portal|phone|...);
      target: Utf8 (number or email address the event concerns; null = the whole medium);
      written: Boolean (dispute / original_creditor_request; null = true);
      submitted_at: Datetime(UTC) (dispute submission evidence, C-6);
      provided_on: Date and stated_end_date: Date (validation_notice);
      initiated_by: Utf8 (telephone_conversation: collector|consumer);
      limited_to_date: Date (call_consent).
      Missing optional columns are treated as all-null.
    actions (one row per proposed contact):
      action_id: Int64; customer_id: Int64; debt_ids: List(Int64) (or debt_id: Int64);
      channel: Utf8 in {call, text, email, letter}; at: Datetime(UTC) (the send/dial time);
      target: Utf8 (number or address); dialing: Utf8 (manual|atds|prerecorded|artificial_voice; default
      manual); phone_type: Utf8 (mobile|residential_landline|work; default mobile);
      tcpa_consent: Boolean (a phone-level TCPA consent on file; default false).

    Returns one row per action, in input order:
      action_id: Int64; decision: Utf8 ('allowed'|'blocked'); reason_codes: List(Utf8) (sorted, every
      covered code that applies); next_allowed_at: Datetime(UTC) or null (the earliest instant >= `at`
      at which the time window passes in every candidate zone; null when blocked by a rule that time
      alone does not lift within 8 days, or when allowed).
    """
    raise NotImplementedError("contract C3: implementation in progress")
