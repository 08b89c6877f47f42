"""A file sink per channel: the embedded default when no SMTP relay or SMS provider is configured.

Messages are appended as JSON lines to `<data_dir>/outbox/<channel>.jsonl` (one write per message, so
lines from two processes never interleave). Keys already written are remembered, so a re-send after a
crash adds nothing. For development and the demo: the file holds message text and recipients in the
clear, like a mail spool, and belongs on a protected disk.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from cupx.services.dispatch_ports import ChannelSender, OutgoingMessage

__all__ = ["FileSink"]


class FileSink(ChannelSender):
    def __init__(self, folder: Path, channel: str) -> None:
        self.channel = channel
        self.path = Path(folder) / f"{channel}.jsonl"
        self._seen: set[str] | None = None
        self._lock = threading.Lock()

    def _keys(self) -> set[str]:
        if self._seen is None:
            self._seen = set()
            if self.path.exists():
                for line in self.path.read_text().splitlines():
                    if line.strip():
                        self._seen.add(json.loads(line)["key"])
        return self._seen

    def send(self, m: OutgoingMessage) -> str:
        with self._lock:
            if m.key in self._keys():
                return f"file:{m.key}"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            line = json.dumps({"key": m.key, "channel": self.channel, "to": m.to, "subject": m.subject,
                               "body": m.body, "headers": dict(m.headers), "meta": dict(m.meta)}, default=str)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)
            self._keys().add(m.key)
        return f"file:{m.key}"
