"""The default templates shipped with CU-PX, as files in `cupx/comms/templates/`.

File name: `<template_id>.<channel>.<language>.j2`. A file starts with YAML front matter between
`---` lines (purpose, jurisdictions, flags, subject) followed by the Jinja2 body. They are loaded into
the `message_templates` table as version 1 at init (`cupx.services.templates.ensure_default_templates`)
and every one passes `check_template` (a unit test renders them all).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from cupx.comms.rendering import TemplateSource

__all__ = ["default_templates", "parse_template_file"]


def parse_template_file(name: str, text: str) -> TemplateSource:
    """A TemplateSource from a file name and its text (front matter + body)."""
    stem = name.removesuffix(".j2")
    template_id, channel, language = stem.rsplit(".", 2)
    meta: dict[str, object] = {}
    body = text
    if text.startswith("---\n"):
        head, _, body = text[4:].partition("\n---\n")
        meta = yaml.safe_load(head) or {}
    jurisdictions = str(meta.get("jurisdictions", "US")).replace(" ", "").split(",")
    flags = [f for f in str(meta.get("flags", "")).replace(" ", "").split(",") if f]
    return TemplateSource(template_id=template_id, channel=channel, language=language, body=body,
                          subject=str(meta.get("subject", "")), version=1,
                          purpose=str(meta.get("purpose", "collection")),
                          jurisdictions=tuple(jurisdictions), flags=tuple(flags))


@lru_cache(maxsize=1)
def default_templates() -> tuple[TemplateSource, ...]:
    folder = resources.files("cupx.comms") / "templates"
    found = [parse_template_file(entry.name, entry.read_text(encoding="utf-8"))
             for entry in folder.iterdir() if entry.name.endswith(".j2")]
    return tuple(sorted(found, key=lambda t: (t.template_id, t.channel, t.language)))
