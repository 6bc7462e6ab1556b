"""The one exception type the benchmark raises when something is broken (not merely slow)."""


class BenchError(Exception):
    """A wrong answer, a non-2xx response, a server that did not start: the run is invalid."""
