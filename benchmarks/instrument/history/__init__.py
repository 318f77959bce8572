"""The stored history of the figures, as github-action-benchmark keeps it, read whole.

``python -m benchmarks.instrument.history changes DATA_JS`` finds the change
points of every case's series (:mod:`~benchmarks.instrument.history.changes`)
in the action's ``data.js`` (:mod:`~benchmarks.instrument.history.datajs`).
"""
