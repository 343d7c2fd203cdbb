"""Profiling helpers for benchmark runs (see sitecustomize.py)."""
