"""The nightly cycle's decide phase, columnar and pure: the input frames (`inputs`), features as of the
run date (`features`), the rule score (`scoring`), send windows (`schedule`), the compliance guard in
batch form (`guard`), the whole decision (`pipeline`) and the rows a run writes (`writes`).

Loading and writing are the adapters' job (`cupx.adapters.repositories.cycle`); the use cases are in
`cupx.services.cycle*`. Invariant: every debt given to `pipeline.decide` gets exactly one decision row.
"""

__all__: list[str] = []
