"""A suite of nothing but Python's sort, measured by the instrument: proof that it is generic.

``benchmark_adapter = tests.toy_suite.adapter`` puts it under the instrument
(tests/test_toy_suite.py does, end to end); an import-linter contract
checks that it imports nothing of recolor.
"""
