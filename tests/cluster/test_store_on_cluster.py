"""Every Lua script runs on the cluster and touches one slot: the whole store
tier (``tests/store/``: each script through the Store method that runs it, and
``test_every_script_is_exercised_by_a_store_test`` failing on a script none
ran) is run again with the suite's cluster as its Redis.

A script naming keys of two slots fails there: redis-py refuses a cross-slot
EVALSHA before sending it, and Redis answers a key built inside a script in
another slot with an error ("non local key" / CROSSSLOT). Pipelines that mix
slots go through redis-py's per-node split; a transaction across slots fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from server.ops.local_cluster import LocalCluster

ROOT = Path(__file__).resolve().parents[2]


def test_the_store_tier_passes_on_the_cluster(redis_cluster: LocalCluster) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly", "-p", "no:cacheprovider",
         "tests/store"],
        cwd=ROOT, env={**os.environ, "REDIS_URL": redis_cluster.url},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout
