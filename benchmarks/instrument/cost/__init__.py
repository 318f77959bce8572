"""The callgrind instrument: a deterministic cost per call, counted under valgrind.

``python -m pytest --recolor-cost`` switches the plugin to it: every cost case
is counted in a worker of its own under callgrind (callgrind), judged against
the committed counts or another tree's (decision), within one session
(instrument); slowdown makes a case costlier on purpose, to test the gate.
"""
