"""The measuring instrument: how rounds are timed, in which environment, by which protocol.

Nothing here imports recolor. A worker measuring another commit's tree
(``--recolor-compare REF``) imports these modules before REF's ``recolor``
is reachable, so both sides of a comparison are timed by this tree's loop,
under this tree's settings.
"""
