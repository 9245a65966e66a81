"""Where a keypad's call spends its time, hop by hop, in `python -m bench queue` (a developers' tool).

    HOPS_DIR=/tmp/hops PYTHONPATH=tools/call_hops .venv/bin/python -m bench queue
    .venv/bin/python -m tools.call_hops /tmp/hops [WORST]

With `HOPS_DIR` set, `sitecustomize.py` (imported by every Python process started with that
`PYTHONPATH`: the bench, which hosts the controller, and its devices' process; the swarm is left alone)
writes a line per moment to `HOPS_DIR/stamps.<pid>`: the key pressed, its packet written, its arrival in
paho's callback, the main display's show handed to paho and written, the show's arrival and the screen
showing it; every message the two processes' paho threads handled (and how long), each wake of a paho
loop, and garbage collections. `perf_counter` is one monotonic clock for every process. The analysis
prints each hop's p50/p90/p99 and the WORST (default 3) slowest calls with every line around them.
The stamps cost ~5 µs each; compare figures taken with them only with each other.
"""
