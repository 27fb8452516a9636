"""Demo: deterministic synthetic data at any scale, and the benchmark that uses it."""
