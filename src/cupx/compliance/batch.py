"""Columnar form of the guard for the nightly cycle (contract C3; RULES.md R-01, R-02, R-04, R-06,
R-08, R-13, TCPA §3).

Covered rules (the same definitions as the single form, proven equal by a property test in
tests/unit/compliance/test_batch_agreement.py): Reg F call frequency 7-in-7 and the post-conversation
bar (with prior-consent exclusion and wrong-number exclusion), the 08:00-21:00 window in every candidate
zone, cease notices (C-9 scope), pending timely disputes and original-creditor requests, electronic
opt-outs and medium restrictions, attorney representation, and TCPA consent/revocation for automated
dialing, and the tenant's house rules (quiet weekdays, narrower window, channel caps). Not covered here
(use the single form): templates/content, R-09 procedures, MA/WA caps, UK, validation computations.
Pure: no I/O, no clock; no Python per-row loops.
"""

from __future__ import annotations

import functools
from datetime import date, time

import numpy as np
import polars as pl

from cupx.compliance.batch_house import HOUSE_EVENT_TYPES, house_codes
from cupx.compliance.batch_parts import (
    DEBT_RULE_TYPES,
    DEFAULT_ZONE,
    FREQUENCY_TYPES,
    MEDIUM_TYPES,
    TCPA_TYPES,
    action_debts,
    action_zones,
    empty_codes,
    event_frame,
    frequency_codes,
    known_events,
    time_codes,
)
from cupx.compliance.business_calendar import validation_period
from cupx.compliance.profiles import JurisdictionProfile

__all__ = ["BATCH_CODES", "evaluate_batch"]

BATCH_CODES = frozenset({
    "HOUSE_QUIET_DAY", "HOUSE_CONTACT_WINDOW", "HOUSE_CHANNEL_CAP",
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
    prof = profile or JurisdictionProfile()
    acts = _prepare_actions(customers, actions, prof)
    ev = event_frame(events)
    per_debt = action_debts(acts)
    zoned = action_zones(acts)
    regf = pl.col("regf")
    # One join for the event-driven rules (their event types are rare next to calls); each rule then
    # restricts itself to its own actions.
    other_types = tuple(dict.fromkeys(DEBT_RULE_TYPES + MEDIUM_TYPES + TCPA_TYPES))
    other = known_events(ev, acts, other_types, regf | _TCPA_MASK)
    parts = [
        time_codes(zoned),
        frequency_codes(per_debt, zoned, known_events(ev, acts, FREQUENCY_TYPES, regf & _CALL, 16)),
        _debt_rule_codes(per_debt, other, zoned),
        _medium_codes(acts, other),
        _tcpa_codes(acts, other) if prof.tcpa else None,
        _house(zoned, ev, acts, prof),
    ]
    mask = _code_mask(acts.height, [p for p in parts if p is not None and p.height])
    out = acts.select("_ord", "action_id").with_columns(pl.Series("_mask", mask))
    table = _mask_table(np.unique(mask))
    out = out.join(table, on="_mask", how="left", maintain_order="left")
    time_only = _BIT["REGF_INCONVENIENT_TIME"]
    nxt = _next_allowed(zoned.join(out.filter(pl.col("_mask") == time_only).select("_ord"), on="_ord", how="semi"))
    out = out.join(nxt, on="_ord", how="left", maintain_order="left")
    return out.select(
        "action_id",
        pl.when(pl.col("_mask") > 0).then(pl.lit("blocked")).otherwise(pl.lit("allowed")).alias("decision"),
        "reason_codes",
        pl.col("next_open").alias("next_allowed_at"),
    )


_CODES = tuple(sorted(BATCH_CODES))
_BIT = {code: 1 << i for i, code in enumerate(_CODES)}


def _code_mask(n: int, parts: list[pl.DataFrame]) -> np.ndarray:
    """One bit per covered code per action (vectorised OR-scatter; no per-row Python)."""
    mask = np.zeros(n, dtype=np.int64)
    if parts:
        codes = pl.concat(parts)
        bits = codes["code"].replace_strict(_BIT, return_dtype=pl.Int64).to_numpy()
        np.bitwise_or.at(mask, codes["_ord"].to_numpy(), bits)
    return mask


def _mask_table(masks: np.ndarray) -> pl.DataFrame:
    """The sorted code list of each distinct mask (at most 2**len(codes), in practice a few dozen)."""
    lists = [[c for c in _CODES if int(m) & _BIT[c]] for m in masks.tolist()]
    return pl.DataFrame({"_mask": masks, "reason_codes": lists},
                        schema={"_mask": pl.Int64, "reason_codes": pl.List(pl.Utf8)})


def _house(zoned: pl.DataFrame, ev: pl.DataFrame, acts: pl.DataFrame, prof: JurisdictionProfile) -> pl.DataFrame:
    h = prof.house
    if not (h.quiet_weekdays or h.window_start or h.window_end or h.max_texts_per_day or h.max_texts_per_week
            or h.max_emails_per_day or h.max_emails_per_week or h.max_calls_per_week):
        return empty_codes()
    sent = known_events(ev, acts, HOUSE_EVENT_TYPES, pl.col("channel").is_in(["call", "text", "email"]))
    return house_codes(zoned, sent, h)


def _prepare_actions(customers: pl.DataFrame, actions: pl.DataFrame, prof: JurisdictionProfile) -> pl.DataFrame:
    acts = actions.with_row_index("_ord")
    if "debt_ids" not in acts.columns:
        acts = acts.with_columns(pl.concat_list(pl.col("debt_id")).alias("debt_ids"))
    defaults = {"target": pl.Utf8, "dialing": pl.Utf8, "phone_type": pl.Utf8, "tcpa_consent": pl.Boolean}
    acts = acts.with_columns([pl.lit(None, dtype=t).alias(c) for c, t in defaults.items() if c not in acts.columns])
    cust = customers.select(
        "customer_id",
        (pl.col("tz_candidates") if "tz_candidates" in customers.columns else pl.lit(None, pl.Utf8)).alias("tzc"),
        (pl.col("collector_role") if "collector_role" in customers.columns else pl.lit(None, pl.Utf8)).alias("role"),
    )
    acts = acts.join(cust, on="customer_id", how="left", maintain_order="left")
    role = pl.col("role").fill_null("fdcpa_debt_collector")
    regf = (role == "fdcpa_debt_collector") | ((role == "first_party_creditor") & prof.first_party_regf_opt_in)
    return acts.with_columns(
        (regf & prof.us_federal).alias("regf"),
        ((role != "uk_authorised_firm") & prof.us_federal).alias("us"),
        pl.col("at").dt.convert_time_zone("UTC"),
        pl.col("dialing").fill_null("manual"),
        pl.col("phone_type").fill_null("mobile"),
        pl.col("tcpa_consent").fill_null(False),
        pl.when(pl.col("tzc").is_null() | (pl.col("tzc") == "")).then(pl.lit(DEFAULT_ZONE))
        .otherwise(pl.col("tzc")).str.split(",").alias("zones"),
    ).drop("tzc", "role")


_ORAL = ["telephone_call", "call", "phone", "telephone", "oral", "voice", "in_person_oral", "voicemail",
         "inbound_call"]


def _written_cease(evs: pl.DataFrame) -> pl.Expr:
    oral = pl.col("medium").fill_null("mail").is_in(_ORAL)
    return (pl.col("type") == "cease_notice") & ~oral & (pl.col("written").fill_null(True))


def _debt_match(left: pl.DataFrame, ev: pl.DataFrame) -> pl.DataFrame:
    """Join per-debt actions with events concerning that debt (event debt null = every debt, C-9)."""
    return left.join(ev, on="_ord", how="inner").filter(pl.col("debt_id").is_null() | (pl.col("debt_id") ==
                                                                                       pl.col("debt")))


def _debt_rule_codes(per_debt: pl.DataFrame, evs: pl.DataFrame, zoned: pl.DataFrame) -> pl.DataFrame:
    """R-06 cease, R-04 attorney, R-13 disputes/OC requests (per action debt)."""
    pd_ = per_debt.filter(pl.col("regf")).select("_ord", "debt")
    frames = []
    cease = _debt_match(pd_, evs.filter(_written_cease(evs)).select("_ord", "debt_id"))
    frames.append(cease.select("_ord", pl.lit("REGF_CEASE_COMMUNICATION").alias("code")))
    reps = _debt_match(pd_, evs.filter(pl.col("type") == "attorney_known").select("_ord", "debt_id", "at"))
    lifts = evs.filter(pl.col("type").is_in(["attorney_failed_to_respond", "attorney_consent"]))
    frames.append(_unanswered(reps, lifts).select("_ord", pl.lit("REGF_ATTORNEY_REPRESENTED").alias("code")))
    dispute_answers = ["verification_sent", "duplicative_dispute_notice"]
    for kind, answers, code in (("dispute", dispute_answers, "REGF_DISPUTE_PENDING"),
                                ("original_creditor_request", ["original_creditor_info_sent"],
                                 "REGF_ORIGINAL_CREDITOR_REQUEST_PENDING")):
        reqs = _debt_match(pd_, evs.filter((pl.col("type") == kind) & pl.col("written").fill_null(True))
                           .select("_ord", "debt_id", "at", "submitted_at"))
        reqs = _timely(reqs, evs, zoned)
        answered = evs.filter(pl.col("type").is_in(answers))
        frames.append(_unanswered(reqs, answered).select("_ord", pl.lit(code).alias("code")))
    return pl.concat(frames)


def _unanswered(reqs: pl.DataFrame, answers: pl.DataFrame) -> pl.DataFrame:
    """Requests (per _ord, debt, at) with no answer at or after them concerning the debt."""
    if reqs.height == 0:
        return reqs
    ans = answers.select("_ord", pl.col("debt_id").alias("a_debt"), pl.col("at").alias("a_at"))
    hit = (reqs.with_row_index("_req").join(ans, on="_ord", how="inner")
           .filter((pl.col("a_at") >= pl.col("at"))
                   & (pl.col("a_debt").is_null() | (pl.col("a_debt") == pl.col("debt"))))
           .select("_req").unique())
    return reqs.with_row_index("_req").join(hit, on="_req", how="anti")


@functools.cache
def _period_end(provided_on: date) -> date:
    return validation_period(provided_on).end


def _timely(reqs: pl.DataFrame, evs: pl.DataFrame, zoned: pl.DataFrame) -> pl.DataFrame:
    """C-6 per request: timely if no earlier deliverable notice on the debt, or received/submitted by the end."""
    if reqs.height == 0:
        return reqs
    notices = evs.filter((pl.col("type") == "validation_notice") & ~pl.col("undeliverable").fill_null(False))
    if notices.height == 0:
        return reqs
    ends = notices.select("provided_on").unique().drop_nulls()
    ends = ends.with_columns(pl.col("provided_on").map_elements(_period_end, return_dtype=pl.Date).alias("end0"))
    notices = notices.join(ends, on="provided_on", how="left").with_columns(
        pl.max_horizontal("end0", "stated_end_date").alias("end"))
    r = reqs.with_row_index("_req")
    pairs = (r.join(notices.select("_ord", pl.col("debt_id").alias("n_debt"), pl.col("at").alias("n_at"), "end"),
                    on="_ord", how="inner")
             .filter((pl.col("n_at") <= pl.col("at"))
                     & (pl.col("n_debt").is_null() | (pl.col("n_debt") == pl.col("debt"))))
             .sort("n_at").group_by("_req").agg(pl.col("end").last()))
    r = r.join(pairs, on="_req", how="left")
    zz = r.join(zoned.select("_ord", "zone"), on="_ord", how="inner")
    zz = pl.concat([_local_dates(part, str(z)) for (z,), part in zz.partition_by("zone", as_dict=True).items()])
    ok = zz.filter(pl.col("end").is_null() | (pl.col("d_at") <= pl.col("end")) |
                   (pl.col("d_sub").is_not_null() & (pl.col("d_sub") <= pl.col("end")))).select("_req").unique()
    return r.join(ok, on="_req", how="semi").drop("_req", "end")


def _local_dates(part: pl.DataFrame, zone_name: str) -> pl.DataFrame:
    return part.with_columns(
        pl.col("at").dt.convert_time_zone(zone_name).dt.date().alias("d_at"),
        pl.col("submitted_at").dt.convert_time_zone(zone_name).dt.date().alias("d_sub"))


_MEDIUM = {"call": "telephone_call", "text": "text", "email": "email", "letter": "mail"}


def _medium_codes(acts: pl.DataFrame, evs: pl.DataFrame) -> pl.DataFrame:
    """R-08: medium restrictions, oral cease (calls), STOP-text revocations (texts), electronic opt-outs."""
    a = acts.filter(pl.col("regf")).select(
        "_ord", pl.col("target").alias("a_target"),
        pl.col("channel").replace_strict(_MEDIUM, default=pl.col("channel")).alias("a_medium"))
    e = evs.filter(pl.col("type").is_in(["medium_restriction", "cease_notice", "tcpa_revocation",
                                         "electronic_opt_out"])).select("_ord", "type", "medium", "target")
    j = a.join(e, on="_ord", how="inner")
    med = pl.col("medium").fill_null("")
    target_ok = pl.col("target").is_null() | (pl.col("target") == pl.col("a_target"))
    electronic = pl.col("a_medium").is_in(["text", "email"])
    restriction = (pl.col("type") == "medium_restriction") & target_ok & (
        (med == pl.col("a_medium")) | ((med == "electronic") & electronic))
    oral = (pl.col("type") == "cease_notice") & (pl.col("a_medium") == "telephone_call") & med.is_in(_ORAL)
    stop = (pl.col("type") == "tcpa_revocation") & (pl.col("a_medium") == "text") & (med == "text") & target_ok
    opt_out = (pl.col("type") == "electronic_opt_out") & electronic & (pl.col("target") == pl.col("a_target"))
    return j.filter(restriction | oral | stop | opt_out).select("_ord", pl.lit("REGF_PROHIBITED_MEDIUM").alias("code"))


_CALL = pl.col("channel") == "call"
_TCPA_MASK = pl.col("us") & pl.col("channel").is_in(["call", "text"]) & pl.col("dialing").is_in(
    ["atds", "prerecorded", "artificial_voice"]) & (pl.col("phone_type") == "mobile")


def _tcpa_codes(acts: pl.DataFrame, evs: pl.DataFrame) -> pl.DataFrame:
    """TCPA (§3, C-20): automated call/text to a mobile needs consent; a revocation ends it at once."""
    a = acts.filter(_TCPA_MASK).select(
        "_ord", "target", "tcpa_consent", "debt_ids")
    if a.height == 0:
        return pl.DataFrame(schema={"_ord": pl.UInt32, "code": pl.Utf8})
    e = evs.filter(pl.col("type").is_in(["tcpa_consent", "tcpa_revocation"])).select(
        "_ord", "type", pl.col("target").alias("e_target"), "debt_id", "at")
    j = a.join(e, on="_ord", how="inner").filter(
        (pl.col("e_target").is_null() | (pl.col("e_target") == pl.col("target"))) &
        ((pl.col("type") == "tcpa_revocation") | pl.col("debt_id").is_null() |
         pl.col("debt_ids").list.contains(pl.col("debt_id"))))
    last = j.group_by("_ord").agg(
        pl.col("at").filter(pl.col("type") == "tcpa_consent").max().alias("consent_at"),
        pl.col("at").filter(pl.col("type") == "tcpa_revocation").max().alias("revoked_at"))
    a = a.join(last, on="_ord", how="left")
    revoked = pl.col("revoked_at").is_not_null() & (pl.col("consent_at").is_null() |
                                                    (pl.col("revoked_at") >= pl.col("consent_at")))
    code = (pl.when(revoked).then(pl.lit("TCPA_CONSENT_REVOKED"))
            .when(pl.col("consent_at").is_null() & ~pl.col("tcpa_consent")).then(pl.lit("TCPA_NO_CONSENT"))
            .otherwise(None))
    return a.select("_ord", code.alias("code")).drop_nulls()


def _next_allowed(zoned: pl.DataFrame) -> pl.DataFrame:
    """Earliest instant >= at inside [08:00, 21:00] in every zone (max of each zone's next opening)."""
    opens = zoned.with_columns(
        pl.when(pl.col("ltime") < time(8)).then(pl.col("ldate"))
        .when(pl.col("ltime") > time(21)).then(pl.col("ldate") + pl.duration(days=1))
        .otherwise(None).alias("open_day"))
    parts = []
    for (z,), part in opens.partition_by("zone", as_dict=True).items():
        parts.append(part.with_columns(
            pl.when(pl.col("open_day").is_null()).then(pl.col("at"))
            .otherwise(pl.col("open_day").cast(pl.Datetime("us")).dt.offset_by("8h")
                       .dt.replace_time_zone(str(z), ambiguous="earliest", non_existent="null")
                       .dt.convert_time_zone("UTC")).alias("zone_open")))
    if not parts:
        return pl.DataFrame(schema={"_ord": pl.UInt32, "next_open": pl.Datetime("us", "UTC")})
    return pl.concat(parts).group_by("_ord").agg(pl.col("zone_open").max().alias("next_open"))
