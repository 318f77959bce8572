"""The library's core: the contract every technique shares, and the choice among them.

The registry (:mod:`~recolor.core.registry`), the validation helper
(:mod:`~recolor.core.validation`), packed pixels, colours, thread caps, the
sample image, Pillow's own operations, and the default choice of technique
(:mod:`~recolor.core.choice`). The core imports no technique, no file
handling and nothing of the command line (the import-linter contracts in
pyproject.toml hold it to that). Its public names are re-exported by
``recolor`` itself; import them from there.
"""
