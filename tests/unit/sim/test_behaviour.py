"""The behaviour model: seeded, probabilities well-formed, and treatments make a measurable difference."""

from __future__ import annotations

import numpy as np

from cupx.sim.behaviour import ORDER, keep_probability, probabilities, respond, satisfaction, spontaneous
from cupx.sim.personas import personas

P = personas(21, 20_000)
IDX = np.arange(20_000, dtype=np.int64)


def test_same_seed_same_answers_other_seed_other_answers() -> None:
    a = respond(P, IDX, "sms", 4, seed=1)
    assert (a == respond(P, IDX, "sms", 4, seed=1)).all()
    assert (a != respond(P, IDX, "sms", 4, seed=2)).any()
    assert set(a) <= {o.value for o in ORDER}


def test_probabilities_are_distributions() -> None:
    for channel in ("sms", "email", "letter", "call", "call_task"):
        m = probabilities(P, IDX[:500], channel, 10)
        assert m.shape == (500, len(ORDER))
        assert (m >= 0).all() and np.allclose(m.sum(axis=1), 1.0)


def test_channels_differ_measurably() -> None:
    def paid(channel: str) -> int:
        out = respond(P, IDX, channel, 3, seed=9)
        return int(np.isin(out, ["pay_full", "pay_part"]).sum())

    call, sms, letter = paid("call"), paid("sms"), paid("letter")
    assert call > sms * 1.2 and sms > letter * 1.5
    letters = respond(P, IDX, "letter", 3, seed=9)
    assert "opt_out" not in set(letters)  # nobody texts STOP to a letter


def test_job_loss_lowers_payments_and_keeping() -> None:
    hit = IDX[P.job_loss_day == 5]
    assert hit.size > 10
    assert (keep_probability(P, hit, 6) < keep_probability(P, hit, 4)).all()
    before = probabilities(P, hit, "call", 4)[:, 3].sum()
    after = probabilities(P, hit, "call", 6)[:, 3].sum()
    assert after < before


def test_spontaneous_and_satisfaction_bounded() -> None:
    s = spontaneous(P, 7, seed=3)
    assert 0 < s.size < 200 and (s == spontaneous(P, 7, seed=3)).all()
    scores = satisfaction(P, IDX[:1000], "plan", 7, seed=3)
    assert scores.min() >= 1 and scores.max() <= 5
    assert scores.mean() > satisfaction(P, IDX[:1000], "dispute", 7, seed=3).mean()
