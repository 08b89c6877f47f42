"""Communications, the pure part: templates and their required content, rendering, outbox statuses,
inbound keywords, provider signatures, retry and rate-limit arithmetic.

Pure package: no SQLAlchemy, no `os`, never reads the clock (`now` is a parameter). Channels (SMTP,
SMS, PDF letters, file sinks) live in `cupx.adapters.channels`; the dispatcher and the inbound handlers
in `cupx.services.dispatch*` and `cupx.services.inbound`.
"""

from cupx.comms.keywords import InboundKeyword, classify_keyword
from cupx.comms.required import Element, required_elements
from cupx.comms.status import OutboxStatus

__all__ = ["Element", "InboundKeyword", "OutboxStatus", "classify_keyword", "required_elements"]
