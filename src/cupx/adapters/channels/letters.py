"""Letters as PDF (ReportLab), collected into a daily print batch with a manifest.

Each letter is `<folder>/<YYYY-MM-DD>/<key>.pdf`, written to a temporary name and renamed, so a crash
never leaves half a letter in the batch; the key is the outbox key, so a re-send after a crash finds
the file and adds nothing. `manifest.jsonl` in the day's folder gets one line per letter (appended in
one write). `build_print_batch(folder, day)` closes a day: `manifest.csv` (file, outbox id, pages,
SHA-256) and `batch.json` (counts) for the print house.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from cupx.services.dispatch_ports import ChannelSender, OutgoingMessage, PermanentSendError

__all__ = ["PdfLetterSender", "build_print_batch", "render_letter_pdf"]

_WRAP = 92


def _safe(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", key)[:150] + "-" + hashlib.sha256(key.encode()).hexdigest()[:10]


def render_letter_pdf(path: Path, address_block: str, body: str, *, page_size: tuple[float, float] = LETTER) -> int:
    """Write the letter; return its page count. The address sits where a windowed envelope shows it."""
    c = canvas.Canvas(str(path), pagesize=page_size, invariant=1)
    width, height = page_size
    left, top, bottom = 20 * mm, height - 20 * mm, 20 * mm
    pages = 1
    y = height - 45 * mm
    c.setFont("Helvetica", 10)
    for line in address_block.splitlines():
        c.drawString(left, y, line)
        y -= 12
    y = height - 85 * mm
    for para in body.splitlines():
        for line in textwrap.wrap(para, _WRAP) or [""]:
            if y < bottom:
                c.showPage()
                c.setFont("Helvetica", 10)
                pages += 1
                y = top
            c.drawString(left, y, line)
            y -= 13
    c.showPage()
    c.save()
    return pages


class PdfLetterSender(ChannelSender):
    channel = "letter"

    def __init__(self, folder: Path, *, page_size: str = "letter") -> None:
        self.folder = Path(folder)
        self.page_size = A4 if page_size.lower() == "a4" else LETTER

    def send(self, m: OutgoingMessage) -> str:
        day = str(m.meta.get("batch_date") or date.today().isoformat())  # noqa: DTZ011 - only without a batch date
        folder = self.folder / day
        folder.mkdir(parents=True, exist_ok=True)
        name = _safe(m.key) + ".pdf"
        final = folder / name
        if final.exists():
            return f"letter:{day}/{name}"
        if not m.to.strip():
            raise PermanentSendError("no postal address")
        tmp = folder / (name + ".tmp")
        pages = render_letter_pdf(tmp, m.to, m.body, page_size=self.page_size)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        os.replace(tmp, final)
        line = json.dumps({"file": name, "key": m.key, "outbox_id": m.meta.get("outbox_id"), "pages": pages,
                           "sha256": digest}) + "\n"
        fd = os.open(folder / "manifest.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
        return f"letter:{day}/{name}"


def build_print_batch(folder: Path, day: date) -> dict[str, Any]:
    """Close the day's batch: write manifest.csv and batch.json; return the summary."""
    day_dir = Path(folder) / day.isoformat()
    entries: dict[str, dict[str, Any]] = {}
    manifest = day_dir / "manifest.jsonl"
    if manifest.exists():
        for line in manifest.read_text().splitlines():
            if line.strip():
                e = json.loads(line)
                if (day_dir / e["file"]).exists():
                    entries[e["file"]] = e
    rows = sorted(entries.values(), key=lambda e: (e.get("outbox_id") or 0, e["file"]))
    day_dir.mkdir(parents=True, exist_ok=True)
    with (day_dir / "manifest.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "outbox_id", "pages", "sha256"])
        for e in rows:
            writer.writerow([e["file"], e.get("outbox_id"), e["pages"], e["sha256"]])
    summary = {"date": day.isoformat(), "letters": len(rows), "pages": sum(int(e["pages"]) for e in rows),
               "folder": str(day_dir)}
    (day_dir / "batch.json").write_text(json.dumps(summary, indent=2))
    return summary
