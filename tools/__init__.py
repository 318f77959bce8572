"""Measuring and writing scripts of the project, not installed: run them from the source tree."""
