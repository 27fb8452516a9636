"""Validate: records → Dataset. The registry, statements, ledgers and seals checked against the
format; every problem in the Report; the per-folder cache.
"""
