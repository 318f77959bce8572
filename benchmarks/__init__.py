"""recolor's benchmark suite: ``pytest --benchmark-only`` (see README)."""
