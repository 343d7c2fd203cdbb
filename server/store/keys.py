"""The Redis key schema: every key the hub reads or writes is named here.

Every key of one broadcast starts with ``xs:{<bid>}:`` so that the whole
broadcast hashes to one Redis Cluster slot and each Lua script touches a single
slot. Scripts receive the broadcast prefix as ARGV[1]; they build per-item keys
(``q:<qid>``...) from it, which is allowed in Cluster because the hash tag keeps
them in the declared key's slot. Such a key is still declared here, under the
same suffix the script appends (``P .. 'q:' .. qid`` is :func:`question`):
``tests/store/test_keys.py`` fails on a script key that is not.

Every other key carries a hash tag too (``tests/unit/test_key_hash_tags.py``):
the deployment-wide ones (the broadcast index, join codes, accounts and
sessions, throttles, the deployment audit log, the global word list, the
webhooks) share ``{dep}``, because the scripts that write them write the
deployment audit log in the same step; the follow-up's indexes have
``{season}``, ``{dept}``, ``{qcode}`` and ``{ix}``. Deployments that ran with
the untagged names are renamed once at start (``server/store/migrate.py``).
"""

from __future__ import annotations

# The prefix of deployment-wide keys: one hash slot (see above). It is also what
# words_put.lua takes as its prefix for the global list, so that its audit()
# writes AUDIT.
DEPLOYMENT_PREFIX = "xs:{dep}:"

BROADCASTS = DEPLOYMENT_PREFIX + "broadcasts"  # zset of broadcast ids by creation time


def probe(proc: str) -> str:
    """``xs:{dep}:probe:<process>``: a key /readyz writes (PX 1000) to see whether a
    degraded Redis takes writes again (server/store/health.py)."""
    return f"{DEPLOYMENT_PREFIX}probe:{proc}"


def replica_marker(tag: str) -> str:
    """``xs:{<tag>}:ack``: written just before a ``WAIT`` in the slot of the
    writes it confirms (server/store/replication.py); expires in a minute."""
    return f"xs:{{{tag}}}:ack"


def join(code: str) -> str:
    """``xs:{dep}:join:<code>`` -> bid: a short join code (deployment-wide)."""
    return f"{DEPLOYMENT_PREFIX}join:{code}"


def prefix(bid: str) -> str:
    """``xs:{bid}:``; bid is validated by the domain before it gets here."""
    return f"xs:{{{bid}}}:"


def meta(bid: str) -> str:
    return prefix(bid) + "meta"


def epoch(bid: str) -> str:
    return prefix(bid) + "epoch"


def events(bid: str) -> str:
    return prefix(bid) + "events"


def likes(bid: str) -> str:
    return prefix(bid) + "likes"


def like_flushes(bid: str) -> str:
    """``xs:{bid}:likeflush``: hub process id -> last flush sequence applied."""
    return prefix(bid) + "likeflush"


def like_last(bid: str) -> str:
    """``xs:{bid}:likelast``: viewer:tab -> id of the last like batch counted."""
    return prefix(bid) + "likelast"


def idem(bid: str, actor_cmd: str) -> str:
    """``xs:{bid}:idem:<actor>:<cmd id>``: a command's stored result."""
    return f"{prefix(bid)}idem:{actor_cmd}"


def question_seq(bid: str) -> str:
    return prefix(bid) + "qseq"


def poll_seq(bid: str) -> str:
    return prefix(bid) + "pseq"


def on_air(bid: str) -> str:
    """``xs:{bid}:onair``: the id of the question on air, if any."""
    return prefix(bid) + "onair"


def upvoters(bid: str, qid: int) -> str:
    return f"{prefix(bid)}qv:{qid}"


def fingerprints(bid: str, vid: str) -> str:
    """``xs:{bid}:dup:<vid>``: fingerprints of a viewer's questions (duplicates)."""
    return f"{prefix(bid)}dup:{vid}"


def question_bucket(bid: str, vid: str) -> str:
    return f"{prefix(bid)}rlq:{vid}"


def address_bucket(bid: str, ip_key: str) -> str:
    """``xs:{bid}:rlip:<hash>``: a client address's question bucket (keyed hash, never the IP)."""
    return f"{prefix(bid)}rlip:{ip_key}"


def presence(bid: str) -> str:
    return prefix(bid) + "presence"


def question(bid: str, qid: int) -> str:
    return f"{prefix(bid)}q:{qid}"


def by_status(bid: str, status: str) -> str:
    return f"{prefix(bid)}qs:{status}"


def by_votes(bid: str, status: str) -> str:
    """Question ids of one status by votes: score = votes * 2**22 + id
    (``_prelude.lua`` ``top_score``), kept beside ``by_status`` by every write."""
    return f"{prefix(bid)}qtop:{status}"


def mine(bid: str, vid: str) -> str:
    return f"{prefix(bid)}mine:{vid}"


def my_votes(bid: str, vid: str) -> str:
    return f"{prefix(bid)}myv:{vid}"


def poll(bid: str, pid: int) -> str:
    return f"{prefix(bid)}p:{pid}"


def polls(bid: str) -> str:
    return prefix(bid) + "polls"


def ballots(bid: str, pid: int) -> str:
    return f"{prefix(bid)}pb:{pid}"


def tallies(bid: str, pid: int) -> str:
    return f"{prefix(bid)}pt:{pid}"


# A word-cloud poll (``poll_answer.lua``, ``poll_review.lua``, ``poll_word.lua``).
def cloud_words(bid: str, pid: int) -> str:
    """zset: word -> answers counted that contain it."""
    return f"{prefix(bid)}pw:{pid}"


def cloud_hidden(bid: str, pid: int) -> str:
    """set: words a moderator hid from the cloud."""
    return f"{prefix(bid)}ph:{pid}"


def cloud_answers(bid: str, pid: int) -> str:
    """hash: answer id -> JSON {text, words, status, vid, flags, at}."""
    return f"{prefix(bid)}pa:{pid}"


def cloud_answerers(bid: str, pid: int) -> str:
    """hash: viewer id -> their answer id (one answer per viewer)."""
    return f"{prefix(bid)}pav:{pid}"


def cloud_queue(bid: str, pid: int) -> str:
    """zset: held answer ids by time (a moderator's review queue)."""
    return f"{prefix(bid)}pq:{pid}"


def overlay(bid: str) -> str:
    return prefix(bid) + "overlay"


def scenes(bid: str) -> str:
    """The overlay's scenes, a JSON list of {id, name, widgets} (lua/_overlay.lua)."""
    return prefix(bid) + "scenes"


def rundown(bid: str) -> str:
    """The run-down: question ids in the order moderators will put them on air."""
    return prefix(bid) + "rundown"


def audit(bid: str) -> str:
    """``xs:{bid}:audit``: the broadcast's audit log (a stream capped far above any broadcast)."""
    return prefix(bid) + "audit"


# Deployment-wide audit log: accounts, global word list, broadcast creation.
AUDIT = DEPLOYMENT_PREFIX + "audit"


# Sensitive words (server/domain/sensitive.py): a hash word -> "hold" | "block",
# and a counter bumped on every change, which hub processes poll to reload.
WORDS = DEPLOYMENT_PREFIX + "words"  # deployment-wide list
WORDS_VERSION = DEPLOYMENT_PREFIX + "words:ver"
# Bumped after any broadcast's list changed (its own counter is in its slot):
# hub processes poll this one key instead of every broadcast's counter.
WORDS_EPOCH = DEPLOYMENT_PREFIX + "words:epoch"


def words(bid: str) -> str:
    """``xs:{bid}:words``: the broadcast's own list, applied with the global one."""
    return prefix(bid) + "words"


def words_version(bid: str) -> str:
    return prefix(bid) + "words:ver"


def banned(bid: str) -> str:
    """``xs:{bid}:banned``: set of banned viewer ids (``ask.lua`` refuses them)."""
    return prefix(bid) + "banned"


def ban_questions(bid: str) -> str:
    """``xs:{bid}:banq``: banned viewer id -> the question they were banned by."""
    return prefix(bid) + "banq"


def visits(bid: str) -> str:
    """``xs:{bid}:visits``: device (viewer id) -> ``in:<ms>`` while one of its sockets
    is open (since ms), else the ms its last one closed (views and unique devices,
    ``presence.lua``)."""
    return prefix(bid) + "visits"


def timeline(bid: str, metric: str) -> str:
    """``xs:{bid}:tl:<metric>``: minute (since the Unix epoch) -> figure of that minute
    (``server/domain/report.py`` ``TIMELINE_METRICS``; written by the write scripts)."""
    return f"{prefix(bid)}tl:{metric}"


def viewer_budget(bid: str, vid: str) -> str:
    """``xs:{bid}:rlv:<vid>``: a viewer's budget of upvotes and ballots (a token
    bucket hash, ``viewer_budget()`` in ``lua/_prelude.lua``; expires when full)."""
    return f"{prefix(bid)}rlv:{vid}"


# How long a minute of activity is kept (``ACTIVITY_KEEP_S`` in lua/_prelude.lua):
# a moderator can name a viewer active within it by pseudonym (viewer.ban).
ACTIVITY_KEEP_S = 900


def activity(bid: str, minute: int) -> str:
    """``xs:{bid}:act:<minute>``: zset viewer id -> actions in that minute
    (Unix ms // 60000), kept ``ACTIVITY_KEEP_S``."""
    return f"{prefix(bid)}act:{minute}"


# --- Across broadcasts: each index under a hash tag of its own ---------------------
# A question's write stays in its broadcast's slot; what spans broadcasts lives
# under {season}, {dept}, {qcode} and {ix} and is derived by the indexer
# (server/store/indexer.py) from the broadcasts' own data and event streams.

SEASON_PREFIX = "xs:{season}:"
SEASONS = SEASON_PREFIX + "all"  # zset of season ids by creation time
SEASON_AUDIT = SEASON_PREFIX + "audit"  # stream: season creation (the season's own slot)


def season(sid: str) -> str:
    """``xs:{season}:<sid>``: hash id, name, year, created (``all``, ``audit`` are reserved)."""
    return SEASON_PREFIX + sid


def season_broadcasts(sid: str) -> str:
    """``xs:{season}:<sid>:bcs``: zset of broadcast ids by episode position."""
    return f"{SEASON_PREFIX}{sid}:bcs"


# --- moderators and sessions (deployment-wide; server/store/accounts.py) ------------

SECRET = DEPLOYMENT_PREFIX + "secret"  # cookie/HMAC secret when none is configured
MODERATORS = DEPLOYMENT_PREFIX + "mods"  # set of moderator user names
OFFICIALS = DEPLOYMENT_PREFIX + "officials"  # set of department officials' user names
MODERATOR_PREFIX = DEPLOYMENT_PREFIX + "mod:"  # scripts append a user name read from MODERATORS
# Scripts append a digest read from a user's session set: in the same slot,
# since the prefix carries the hash tag.
SESSION_PREFIX = DEPLOYMENT_PREFIX + "sess:"
USER_SESSIONS_PREFIX = DEPLOYMENT_PREFIX + "usess:"


def moderator(user: str) -> str:
    """``xs:{dep}:mod:<user>``: hash pw, admin, created, pwv."""
    return MODERATOR_PREFIX + user


def session(digest: str) -> str:
    """``xs:{dep}:sess:<sha256(token)>``: hash user, csrf, pwv, created."""
    return SESSION_PREFIX + digest


def user_sessions(user: str) -> str:
    """``xs:{dep}:usess:<user>``: the session digests of one user."""
    return USER_SESSIONS_PREFIX + user


def login_failures(user: str) -> str:
    return f"{DEPLOYMENT_PREFIX}rl:login:{user}"


def login_failures_from(ip_hash: str) -> str:
    return f"{DEPLOYMENT_PREFIX}rl:loginip:{ip_hash}"


def viewer_ids_minted(ip_hash: str, hour: int) -> str:
    return f"{DEPLOYMENT_PREFIX}rl:vid:{ip_hash}:{hour}"


def followup(bid: str, qid: int) -> str:
    """``xs:{bid}:fu:<qid>``: a question's follow-up record (docs/followup.md)."""
    return f"{prefix(bid)}fu:{qid}"


def followups(bid: str) -> str:
    """``xs:{bid}:fus``: zset of question ids with a follow-up record, by last change."""
    return prefix(bid) + "fus"


def codes(bid: str) -> str:
    """``xs:{bid}:codes``: hash 查询码 suffix -> qid (unique within the broadcast)."""
    return prefix(bid) + "codes"


# Departments (承办单位) and their queues, under {dept}.
DEPT_PREFIX = "xs:{dept}:"
DEPTS = DEPT_PREFIX + "all"  # zset of department ids by creation time
DEPT_AUDIT = DEPT_PREFIX + "audit"  # stream: department changes


def dept(dept_id: str) -> str:
    """``xs:{dept}:<id>``: hash name, short, contact, created, active."""
    return DEPT_PREFIX + dept_id


def dept_queue(dept_id: str) -> str:
    """``xs:{dept}:<id>:queue``: zset "<bid>:<qid>" of items with the department,
    score = due date as YYYYMMDD (derived by the indexer)."""
    return f"{DEPT_PREFIX}{dept_id}:queue"


def dept_history(dept_id: str) -> str:
    """``xs:{dept}:<id>:done``: zset "<bid>:<qid>" the department replied to or
    sent back, score = when (ms; derived by the indexer)."""
    return f"{DEPT_PREFIX}{dept_id}:done"


# 查询码 lookups, under {qcode}.
QCODE_PREFIX = "xs:{qcode}:"


def qcode(code: str) -> str:
    """``xs:{qcode}:<code>`` -> "<bid>:<qid>" (derived by the indexer)."""
    return QCODE_PREFIX + code


def qcode_owner(code_prefix: str) -> str:
    """``xs:{qcode}:p:<prefix>`` -> bid: a broadcast's 3-character code prefix,
    claimed once (``SET NX``), so codes are unique in the deployment."""
    return f"{QCODE_PREFIX}p:{code_prefix}"


# The indexer's own bookkeeping, under {ix}.
IX_PREFIX = "xs:{ix}:"
IX_POS = IX_PREFIX + "pos"  # hash bid -> last stream id the indexer applied
IX_WHERE = IX_PREFIX + "where"  # hash "<bid>:<qid>" -> department whose queue holds it
IX_LOCK = IX_PREFIX + "lock"  # the process following the streams now (its token; PX)


def qcode_lookups(ip_hash: str, minute: int) -> str:
    """``xs:{dep}:rl:qcode:<iphash>:<minute>``: 查询码 lookups of one address in one minute."""
    return f"{DEPLOYMENT_PREFIX}rl:qcode:{ip_hash}:{minute}"


# Webhooks (deployment-wide, in the deployment's slot: adding one is audited in
# the same script): configs, per-broadcast read positions of the delivery
# worker, the due queue, one hash per pending delivery, the delivery log, the
# worker's lease.
HOOKS_PREFIX = DEPLOYMENT_PREFIX + "hooks:"
HOOKS = HOOKS_PREFIX + "all"
HOOKS_POS = HOOKS_PREFIX + "pos"
HOOKS_DUE = HOOKS_PREFIX + "due"
HOOKS_LOG = HOOKS_PREFIX + "log"
HOOKS_LEASE = HOOKS_PREFIX + "lease"


def hook_delivery(delivery: str) -> str:
    return f"{HOOKS_PREFIX}d:{delivery}"
