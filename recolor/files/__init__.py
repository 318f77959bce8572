"""Image files: reading them whole, writing them atomically, recolouring their frames.

What the command line needs of files, kept free of command-line words: an
error names the keyword argument that would allow what it refuses
(``allow_lossy``, ``force``), and the command line names its own flag.
"""
