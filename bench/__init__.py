"""Benchmarks: each script measures its baseline in the same run (see bench/common.py)."""
