"""The wall-clock instrument: each case timed in a fresh worker against its yardstick."""
