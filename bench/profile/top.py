"""python -m bench.profile.top FILE [N]: the largest shares of a collapsed-stack file.

"self" is where the samples were taken, "inclusive" every function on the
stack (what it and everything it called cost)."""

from __future__ import annotations

import collections
import sys


def main(path: str, n: int) -> None:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            stack, count = line.rsplit(" ", 1)
            k = int(count)
            frames = stack.split(";")
            total += k
            own[frames[-1]] += k
            for frame in set(frames):
                inclusive[frame] += k
    print(f"samples: {total}")
    for title, counter in (("self", own), ("inclusive", inclusive)):
        print(f"--- {title}")
        for frame, k in counter.most_common(n):
            print(f"{100 * k / max(1, total):5.1f}% {frame}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30)
