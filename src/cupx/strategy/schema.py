"""The strategy language, as pydantic models (see docs/strategies.md for the user's guide).

A strategy is versioned data: which debts it covers (`applies_to`), the holds it honours, the segments
(first match wins; `retention` rules are segments tried before the others), one ladder of steps per
segment, and champion/challenger experiments. Invariants checked here:
- every feature a condition names is in the catalogue and is compared in a way its kind allows;
- step ids are unique in the strategy (progress is stored by step id) and there are at most 63 steps
  (progress travels as a bit mask per debt);
- every segment, retention rule and experiment arm names an existing ladder, and experiments name
  existing segments; arm percentages add up to exactly 100 and there is at most one control arm;
- the legal holds (dispute, hardship, deceased, bankruptcy) cannot be switched off.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from cupx.strategy.catalogue import FEATURES, LEGAL_HOLDS, FeatureKind, Hold

__all__ = ["AfterEvent", "Arm", "Conditions", "Experiment", "Segment", "Step", "Strategy", "Test",
           "LocatedError", "MAX_STEPS"]

MAX_STEPS = 63

Scalar = bool | int | float | str
Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]


class LocatedError(ValueError):
    """A validation error that knows the path (inside the strategy document) of the offending value."""

    def __init__(self, message: str, path: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.path = path


def _feature_name(name: str) -> str:
    if name not in FEATURES:
        raise ValueError(f"unknown feature {name!r} (see docs/strategies.md for the catalogue)")
    return name


FeatureName = Annotated[str, AfterValidator(_feature_name)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Test(_Model):
    """Comparisons on one feature; all given comparisons must hold."""

    eq: Scalar | None = None
    ne: Scalar | None = None
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    between: tuple[float, float] | None = None  # inclusive at both ends

    def ops(self) -> list[tuple[str, Any]]:
        return [(name, value) for name, value in self if value is not None]


Conditions = dict[FeatureName, Scalar | Test]
_NUMERIC_OPS = {"gt", "gte", "lt", "lte", "between"}


def _check_kinds(conds: Conditions, path: tuple[str | int, ...]) -> None:
    for feature, test in conds.items():
        kind = FEATURES[feature]
        ops = test.ops() if isinstance(test, Test) else [("eq", test)]
        if not ops:
            raise LocatedError(f"{feature}: an empty test", (*path, feature))
        for op, value in ops:
            values: list[Any] = list(value) if isinstance(value, list | tuple) else [value]
            if kind is FeatureKind.FLAG and (op not in ("eq", "ne") or not all(isinstance(v, bool) for v in values)):
                raise LocatedError(f"{feature} is a flag: write `{feature}: true` or `false`", (*path, feature))
            if kind is FeatureKind.TEXT and (op in _NUMERIC_OPS or not all(isinstance(v, str) for v in values)):
                raise LocatedError(f"{feature} is text: use eq/ne/in/not_in with strings", (*path, feature))
            if kind is FeatureKind.NUMBER and any(isinstance(v, bool | str) for v in values):
                raise LocatedError(f"{feature} is a number: compare it with numbers", (*path, feature))


class AfterEvent(_Model):
    """Due `days` days after an event (null "days since" = the event never happened = not due)."""

    event: Literal["payment", "broken_promise", "contact", "response"]
    days: int = Field(ge=0)

    @property
    def feature(self) -> str:
        return f"days_since_{self.event}"


class Step(_Model):
    """One rung of a ladder. Due when `due_offset >= dpd` (and `after` holds), expired past `until_dpd`."""

    id: Ident
    channel: Literal["sms", "email", "letter", "call_task", "review", "agency"]
    template: str = Field(min_length=1, max_length=100)
    dpd: int | None = None
    until_dpd: int | None = None
    after: AfterEvent | None = None
    when: Conditions = Field(default_factory=dict)
    when_any: list[Conditions] = Field(default_factory=list)
    max_attempts: int = Field(default=1, ge=1, le=100)
    cooldown_days: int = Field(default=7, ge=0, le=3650)
    severity: int | None = None  # harsher wins when a customer's debts compete; default: dpd or after.days

    @model_validator(mode="after")
    def _trigger(self) -> Step:
        if self.dpd is None and self.after is None:
            raise ValueError("a step needs a trigger: `dpd` and/or `after`")
        if self.until_dpd is not None and self.dpd is not None and self.until_dpd < self.dpd:
            raise ValueError("until_dpd must not be before dpd")
        return self

    @property
    def rank(self) -> int:
        if self.severity is not None:
            return self.severity
        return self.dpd if self.dpd is not None else (self.after.days if self.after else 0)


class Segment(_Model):
    """Debts matching `when` (all) and one of `when_any` (if given) follow `ladder`."""

    id: Ident
    when: Conditions = Field(default_factory=dict)
    when_any: list[Conditions] = Field(default_factory=list)
    ladder: Ident
    description: str = ""


class Arm(_Model):
    id: Ident
    percent: int = Field(ge=0, le=100)
    ladder: Ident | None = None  # replaces the segment's ladder for this arm
    control: bool = False  # hold-out: no automated contact, decisions still recorded


class Experiment(_Model):
    """Champion/challenger: customers split by a stable hash of (experiment id, customer id)."""

    id: Ident
    segments: list[Ident] = Field(default_factory=list)  # empty: every segment of the strategy
    arms: list[Arm] = Field(min_length=2)

    @model_validator(mode="after")
    def _arms(self) -> Experiment:
        if sum(a.percent for a in self.arms) != 100:
            raise ValueError("arm percentages must add up to 100")
        if sum(a.control for a in self.arms) > 1:
            raise ValueError("at most one control arm")
        if len({a.id for a in self.arms}) != len(self.arms):
            raise ValueError("arm ids must be unique")
        return self


class Strategy(_Model):
    id: Ident
    version: int = Field(ge=1)
    name: str = ""
    description: str = ""
    applies_to: Conditions = Field(default_factory=dict)
    holds: list[Hold] = Field(default_factory=lambda: list(Hold))
    min_days_between_contacts: int = Field(default=0, ge=0, le=365)
    retention: list[Segment] = Field(default_factory=list)
    segments: list[Segment] = Field(min_length=1)
    ladders: dict[Ident, list[Step]]
    experiments: list[Experiment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Strategy:
        missing = LEGAL_HOLDS - set(self.holds)
        if missing:
            raise LocatedError(f"holds {sorted(missing)} cannot be switched off", ("holds",))
        self._check_conditions()
        self._check_references()
        return self

    def _check_conditions(self) -> None:
        _check_kinds(self.applies_to, ("applies_to",))
        for key, rules in (("retention", self.retention), ("segments", self.segments)):
            for i, seg in enumerate(rules):
                _check_kinds(seg.when, (key, i, "when"))
                for j, alt in enumerate(seg.when_any):
                    _check_kinds(alt, (key, i, "when_any", j))
        for name, steps in self.ladders.items():
            for i, step in enumerate(steps):
                _check_kinds(step.when, ("ladders", name, i, "when"))
                for j, alt in enumerate(step.when_any):
                    _check_kinds(alt, ("ladders", name, i, "when_any", j))

    def _check_references(self) -> None:
        seen: set[str] = set()
        for name, steps in self.ladders.items():
            if not steps:
                raise LocatedError("a ladder needs at least one step", ("ladders", name))
            for i, step in enumerate(steps):
                if step.id in seen:
                    raise LocatedError(f"step id {step.id!r} is used twice", ("ladders", name, i, "id"))
                seen.add(step.id)
        if len(seen) > MAX_STEPS:
            raise LocatedError(f"at most {MAX_STEPS} steps per strategy", ("ladders",))
        seg_ids: set[str] = set()
        for key, rules in (("retention", self.retention), ("segments", self.segments)):
            for i, seg in enumerate(rules):
                if seg.ladder not in self.ladders:
                    raise LocatedError(f"no ladder named {seg.ladder!r}", (key, i, "ladder"))
                if seg.id in seg_ids:
                    raise LocatedError(f"segment id {seg.id!r} is used twice", (key, i, "id"))
                seg_ids.add(seg.id)
        in_experiment: set[str] = set()
        for i, exp in enumerate(self.experiments):
            for j, seg_id in enumerate(exp.segments or sorted(seg_ids)):
                if seg_id not in seg_ids:
                    raise LocatedError(f"no segment named {seg_id!r}", ("experiments", i, "segments", j))
                if seg_id in in_experiment:
                    raise LocatedError(f"segment {seg_id!r} is in two experiments", ("experiments", i, "segments"))
                in_experiment.add(seg_id)
            for j, arm in enumerate(exp.arms):
                if arm.ladder is not None and arm.ladder not in self.ladders:
                    raise LocatedError(f"no ladder named {arm.ladder!r}", ("experiments", i, "arms", j, "ladder"))

    @property
    def all_segments(self) -> list[Segment]:
        """Retention rules first, then the segments: the order in which the first match wins."""
        return [*self.retention, *self.segments]

    @property
    def steps(self) -> list[Step]:
        """Every step, ladder by ladder; the position is the step's bit in the progress mask."""
        return [step for steps in self.ladders.values() for step in steps]
