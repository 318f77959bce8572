"""A regression gate for pytest: time cases in fresh processes, judge them against a baseline.

Generic: it imports nothing of what it measures. A suite hands it cases
and an adapter module (:mod:`benchmarks.instrument.adapter`) that says how
to build, check and describe them; recolor's suite is its first user. The
plugin (:mod:`~benchmarks.instrument.plugin`) switches between two
instruments, the wall clock (this package) and callgrind (``cost/``).

A worker measuring another commit's tree (``--recolor-compare REF``) imports
the instrument's worker and timing loop before REF's tree is reachable, so
both sides of a comparison are timed by this tree's loop, under this tree's
settings.
"""
