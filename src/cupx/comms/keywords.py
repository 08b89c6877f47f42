"""Inbound SMS keywords: opt-out words (English and Spanish) and HELP.

A reply whose whole text (trimmed, case-folded, trailing punctuation dropped) is one of the opt-out
words is an opt-out (R-08, R-10, TCPA revocation C-20). Anything else is an ordinary message for the
agent desk. The match is on the whole message so "please don't stop calling my lawyer" is not read as
an opt-out, while "Stop." and " STOP " are.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["HELP_WORDS", "OPT_OUT_WORDS", "InboundKeyword", "classify_keyword"]

OPT_OUT_WORDS = frozenset({"stop", "unsubscribe", "cancel", "end", "quit", "alto", "parar", "stopall"})
HELP_WORDS = frozenset({"help", "info", "ayuda"})


class InboundKeyword(StrEnum):
    OPT_OUT = "opt_out"  # stop texts to this number
    HELP = "help"  # send the help reply
    MESSAGE = "message"  # free text: goes to the desk


def classify_keyword(body: str) -> InboundKeyword:
    word = (body or "").strip().casefold().rstrip(".!¡?¿ ").lstrip("¡¿ ")
    if word in OPT_OUT_WORDS:
        return InboundKeyword.OPT_OUT
    if word in HELP_WORDS:
        return InboundKeyword.HELP
    return InboundKeyword.MESSAGE
