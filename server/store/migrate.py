"""Renaming the deployment-wide keys of an older deployment into the
deployment's hash tag (``xs:{dep}:``, server/store/keys.py), once, at start.

Before the keys were made ready for Redis Cluster, the deployment-wide keys
had no hash tag (``xs:broadcasts``, ``xs:mod:<user>``, ``xs:sess:<digest>``,
``xs:audit``...) and the webhooks had their own (``xs:{hooks}:*``). A
deployment that ran with those names (the embedded Redis in ``./data`` of
``make run``) keeps its accounts, sessions, join codes, word list, audit log
and webhooks: every hub process runs :func:`migrate` before it reads any of
them (and ``create-admin`` too).

Contracts:

* atomic per key: one script per key (``migrate_key.lua``: EXISTS old, not
  EXISTS new, RENAME), so a key is either under its old name or its new one,
  with its TTL, never both or neither; two processes migrating at once rename
  each key once;
* idempotent and cheap after the first time: a marker (``xs:{dep}:schema``)
  is set when a pass completed, and a start that finds it scans nothing;
* a key found under both names (written by a newer process while an older
  one still ran) is left alone and logged; every process should be stopped
  for the upgrade, as for any release that changes the key schema;
* on a Redis Cluster there is nothing to rename: the untagged names never ran
  on one (the Cluster client came with the tags), and RENAME across slots
  is refused. Moving a single-node deployment to a cluster: start this
  version once on the single Redis (the names are migrated), then import
  the data into the cluster (docs/deploy.md).
"""

from __future__ import annotations

import logging

import redis.asyncio as aioredis

from server.store import keys, scripts
from server.store.redis_client import is_cluster

log = logging.getLogger("xs.migrate")

SCHEMA = keys.DEPLOYMENT_PREFIX + "schema"  # "2" once the untagged names were migrated
SCHEMA_VERSION = "2"

# Old single names and old name prefixes (SCAN patterns), each with the new
# name or prefix it moves to.
RENAMED = {
    "xs:broadcasts": keys.BROADCASTS,
    "xs:secret": keys.SECRET,
    "xs:mods": keys.MODERATORS,
    "xs:officials": keys.OFFICIALS,
    "xs:audit": keys.AUDIT,
    "xs:words": keys.WORDS,
    "xs:words:ver": keys.WORDS_VERSION,
}
RENAMED_PREFIXES = {
    "xs:join:": keys.DEPLOYMENT_PREFIX + "join:",
    "xs:mod:": keys.MODERATOR_PREFIX,
    "xs:sess:": keys.SESSION_PREFIX,
    "xs:usess:": keys.USER_SESSIONS_PREFIX,
    "xs:rl:": keys.DEPLOYMENT_PREFIX + "rl:",
    "xs:{hooks}:": keys.HOOKS_PREFIX,
}


async def migrate(redis: aioredis.Redis) -> int:
    """Rename what an older deployment left under the untagged names; returns
    how many keys were renamed (0 on a cluster, or once migrated)."""
    if is_cluster(redis) or await redis.get(SCHEMA) == SCHEMA_VERSION.encode():
        return 0
    script = scripts.register(redis, ["migrate_key"])["migrate_key"]
    pairs = list(RENAMED.items())
    for old_prefix, new_prefix in RENAMED_PREFIXES.items():
        # SCAN's pattern is a glob: the old prefixes hold no glob characters
        # but `{`, which is literal in Redis globs.
        async for raw in redis.scan_iter(match=old_prefix + "*", count=1000):
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            pairs.append((name, new_prefix + name.removeprefix(old_prefix)))
    renamed = 0
    for old, new in pairs:
        outcome = int(await script(keys=[old, new]))
        if outcome == 1:
            renamed += 1
        elif outcome == -1:
            log.warning("key %s exists under its old and its new name; the old one is kept", old)
    await redis.set(SCHEMA, SCHEMA_VERSION)
    if renamed:
        log.info("renamed %d deployment-wide keys into the deployment's hash tag", renamed)
    return renamed
