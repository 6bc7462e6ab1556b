"""GapFind benchmark: ``python -m bench`` (HTTP, gunicorn) and ``python -m bench.core_bench``.

A report, not a test: it measures the CPU time a single sync gunicorn worker spends per
request on each workload, normalised by a minimal Flask "floor" app measured in the same run.
"""
