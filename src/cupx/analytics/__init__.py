"""Analytics: features, the propensity-to-pay model (train, calibrate, explain, score), segmentation,
drift and champion/challenger statistics.

Pure: Polars, NumPy, LightGBM and scikit-learn only; no SQLAlchemy, no `os`, no clock (`as_of` is a
parameter). Model artefacts are bytes here; files are written by `cupx.adapters.model_store`.
"""

__all__: list[str] = []
