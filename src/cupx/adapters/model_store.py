"""Model artefact files: `settings.data_dir/models/<version>.json`, written atomically, read back with
their SHA-256 so the registry can refuse an artefact altered after registration."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["ModelStore"]


class ModelStore:
    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "models"

    def write(self, version: str, blob: bytes) -> tuple[str, str]:
        """Write the artefact; return (path relative to data_dir, sha256)."""
        if not version or "/" in version or version.startswith("."):
            raise ValueError(f"bad model version {version!r}")
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{version}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, path)  # atomic: a reader never sees half an artefact
        return f"models/{path.name}", hashlib.sha256(blob).hexdigest()

    def read(self, relative: str) -> tuple[bytes, str]:
        """The artefact bytes and their sha256."""
        blob = (self.root.parent / relative).read_bytes()
        return blob, hashlib.sha256(blob).hexdigest()
