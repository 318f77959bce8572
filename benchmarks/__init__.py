"""recolor's benchmark suite: its cases, calls and yardsticks, and the instrument that times them.

``benchmarks/instrument/`` is the generic regression gate; everything else
here is recolor's side of it: the cases (cases), how a case becomes a call
(calls, the workers' side), the yardsticks, the checks of results, and the
adapter the instrument asks. Run ``python -m pytest --benchmark-only``.
"""
