"""Hyperparameter search rounds and the final test: the specs live with their logic in
`core.hpo`; importing them here registers them for `python -m core run` and the store."""

from core.hpo import FinalTest, HyperSearch

__all__ = ["FinalTest", "HyperSearch"]
