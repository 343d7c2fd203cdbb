"""A CPU-time sampling profiler for the hub process of a benchmark run.

py-spy cannot read the hub's memory on every machine (in some sandboxes it
fails with "Failed to find python version from target process"), so this
samples from inside: put this folder on ``PYTHONPATH`` and name an output
prefix, and every ``python -m server run`` started with that environment
(the bench's hub: ``bench/loadtest/processes.py`` passes the environment on)
counts its main thread's Python stack every ``XS_SAMPLE_MS`` ms of process
CPU time (``ITIMER_PROF``, so idle time is not sampled)::

    PYTHONPATH=bench/profile XS_SAMPLE=/tmp/q XS_SAMPLE_EVERY=5 \\
        .venv/bin/python -m bench --only questions --out /tmp/q-out

Stacks are written in the collapsed format (``a;b;c count``, one line a
stack, as flame-graph tools read it) to ``<prefix>.<n>.txt`` every
``XS_SAMPLE_EVERY`` seconds and on ``SIGUSR2`` (then counting starts over);
the hub writes its pid to ``<prefix>.pid``. ``python -m bench.profile.top
<file>`` prints the functions with the largest shares. Other processes (the
load generator, Redis) are not sampled.
"""

from __future__ import annotations

import os


def _start(prefix: str) -> None:
    import collections
    import signal
    import threading
    import time
    from types import FrameType

    interval = float(os.environ.get("XS_SAMPLE_MS", "5")) / 1000
    counts: collections.Counter[str] = collections.Counter()
    written = [0]

    def sample(signum: int, frame: FrameType | None) -> None:
        stack = []
        while frame is not None:
            code = frame.f_code
            where = f"{os.path.basename(code.co_filename)}:{code.co_firstlineno}"
            stack.append(f"{code.co_name} ({where})")
            frame = frame.f_back
        counts[";".join(reversed(stack))] += 1

    def dump(*_: object) -> None:
        data = dict(counts)
        counts.clear()
        written[0] += 1
        with open(f"{prefix}.{written[0]}.txt", "w", encoding="utf-8") as out:
            out.write(f"#time {time.time():.1f}\n")
            out.writelines(f"{stack} {n}\n" for stack, n in data.items())

    with open(f"{prefix}.pid", "w", encoding="ascii") as out:
        out.write(str(os.getpid()))
    signal.signal(signal.SIGPROF, sample)
    signal.signal(signal.SIGUSR2, dump)
    signal.setitimer(signal.ITIMER_PROF, interval, interval)
    every = float(os.environ.get("XS_SAMPLE_EVERY", "0"))
    if every > 0:

        def periodically() -> None:
            while True:
                time.sleep(every)
                dump()

        threading.Thread(target=periodically, daemon=True).start()


def _is_hub() -> bool:
    try:
        with open("/proc/self/cmdline", "rb") as f:
            return b"server\x00run" in f.read()
    except OSError:
        return False


if os.environ.get("XS_SAMPLE") and _is_hub():
    _start(os.environ["XS_SAMPLE"])
