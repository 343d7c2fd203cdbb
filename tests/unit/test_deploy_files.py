"""What of deploy/ can be checked without Docker or systemd: the compose file
parses and holds the services docs/deploy.md names; nginx's upstream is the
compose file's hubs; every unit's command line is one ``python -m server``
accepts. (deploy/nginx.conf itself runs in tests/integration/test_nginx_proxy.py.)"""

from __future__ import annotations

import re
import shlex
from configparser import ConfigParser
from pathlib import Path
from typing import Any

import yaml

from server.cli import build_parser
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOC = (ROOT / "docs" / "deploy.md").read_text("utf-8")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text("utf-8"))
    return loaded


def test_compose_has_the_services_the_docs_name() -> None:
    services = _compose()["services"]
    redis = [f"redis-{n}" for n in range(1, 7)]
    hubs = ["hub-1", "hub-2", "hub-3"]
    assert set(services) == {*redis, "redis-cluster-init", *hubs, "nginx"}
    assert "`redis-1` to `redis-6`" in DOC
    for name in ["redis-cluster-init", *hubs, "nginx"]:
        assert f"`{name}`" in DOC, name
    for name in redis:
        assert "--cluster-enabled yes" in services[name]["command"]
        assert "--appendonly yes" in services[name]["command"]
    init = services["redis-cluster-init"]
    assert init["restart"] == "no"
    script = init["command"][0]
    assert "redis-cli --cluster create" in script and "--cluster-replicas 1" in script
    assert all(f"redis-{n}" in init["depends_on"] for n in range(1, 7))


def test_compose_hubs_are_configured_with_real_settings() -> None:
    compose = _compose()
    services = compose["services"]
    known = {field.upper() for field in Settings.__dataclass_fields__}
    nginx_ip = services["nginx"]["networks"]["internal"]["ipv4_address"]
    for name in ("hub-1", "hub-2", "hub-3"):
        hub = services[name]
        env = hub["environment"]
        # Every variable is a setting the hub reads (server/settings.py).
        assert set(env) <= known, set(env) - known
        assert env["REDIS_URL"].startswith("redis://redis-")
        assert env["TRUSTED_PROXIES"] == nginx_ip
        assert hub["depends_on"]["redis-cluster-init"]["condition"] == (
            "service_completed_successfully"
        )
        assert hub["build"]["dockerfile"] == "deploy/Dockerfile"
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]


def test_nginx_upstream_is_the_compose_hubs_with_websocket_headers() -> None:
    conf = (DEPLOY / "nginx.conf").read_text("utf-8")
    upstream = re.findall(r"^\s*server (hub-\d+):8000\b", conf, re.MULTILINE)
    hubs = sorted(n for n in _compose()["services"] if n.startswith("hub-"))
    assert sorted(upstream) == hubs
    assert "ip_hash" not in conf and "sticky" not in conf  # sticky-free on purpose
    for directive in (
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "client_header_timeout 5s;",
        "client_body_timeout   5s;",
        "limit_conn per_addr",
    ):
        assert directive in conf, directive
    # Above the hub's ping interval and the pages' heartbeat (docs/deploy.md).
    read = re.search(r"location /ws/ \{[^}]*proxy_read_timeout (\d+)s;", conf, re.DOTALL)
    assert read is not None
    assert int(read.group(1)) > max(Settings().ws_ping_interval_s, 25)


def _exec_start(unit: str) -> list[str]:
    parser = ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "systemd" / unit).read_text("utf-8"))
    return shlex.split(parser["Service"]["ExecStart"].replace("%i", "8000"))


def test_systemd_units_run_commands_the_cli_accepts() -> None:
    template = _exec_start("hub@.service")
    one_unit = _exec_start("hub.service")
    for argv in (template, one_unit):
        assert argv[1:4] == ["-m", "server", "run"]
        args = build_parser().parse_args(argv[3:])
        assert args.command == "run" and args.port == 8000
    assert build_parser().parse_args(one_unit[3:]).workers == 4
    assert "KillMode=mixed" in (DEPLOY / "systemd" / "hub.service").read_text("utf-8")
