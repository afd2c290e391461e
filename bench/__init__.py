"""Benchmarks: each module has `run() -> dict` that prints its figures as it measures them.

Ratios are measured within one run, so they hold on any machine; absolute seconds are for the
2-core reference machine named in the README.
"""
