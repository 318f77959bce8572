"""``recolor bench``: race the techniques on one image, on this machine, and chart it.

The command-line product for anyone who installed recolor; the benchmark
suite that guards speed in CI is benchmarks/, which is not installed.
"""
