"""A compressed hall day: applicants through the real broker, case service and hall controller, with faults.

`python -m soak` (or `make soak`) runs the full day; `tests/reliability/test_soak.py` runs a short one.
"""
