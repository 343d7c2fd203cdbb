"""The baseline: the websockets library's own ``serve`` + ``broadcast()``.

It answers a hello with a welcome (so the same load clients can connect),
then every 1/hz seconds broadcasts one frame shaped like the hub's events
frame of one question event, with the same size, to every client. Each frame's
position is ``<ms>-<seq>``; the positions sent are appended to ``--log`` so the
bench can count what every client should have received.

    python -m bench.baseline --port P --hz 10 --log sent.txt [--wait-go]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import signal
import time

import orjson
from websockets.asyncio.server import ServerConnection, broadcast, serve

from server.protocol import PROTOCOL_VERSION

TEXT = "压测提问：地铁新线的换乘站会不会考虑老年人和推婴儿车的家长？" * 2


def frame(seq: int) -> str:
    pos = f"{int(time.time() * 1000)}-{seq}"
    q = {
        "id": 1,
        "text": TEXT,
        "name": "匿名",
        "tag": None,
        "status": "approved",
        "votes": 3,
        "starred": seq % 2 == 0,
        "created": 1,
        "updated": 1,
        "edited": False,
        "merged_into": None,
    }
    event = {"type": "question", "q": q, "pos": pos}
    return orjson.dumps({"type": "events", "epoch": "raw", "pos": pos, "events": [event]}).decode()


async def main(port: int, hz: float, log_path: str, wait_go: bool = False) -> None:
    clients: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        await ws.recv()  # hello
        welcome = {
            "type": "welcome",
            "v": PROTOCOL_VERSION,
            "role": "viewer",
            "epoch": "raw",
            "resume": "fresh",
            "heartbeat": 25.0,
        }
        await ws.send(orjson.dumps(welcome).decode())
        clients.add(ws)
        try:
            async for _ in ws:
                pass  # pings from the load clients
        finally:
            clients.discard(ws)

    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    go = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, go.set)
    if not wait_go:
        go.set()
    async with serve(
        handler, "127.0.0.1", port, compression=None, max_size=65536, ping_interval=None
    ):
        # With --wait-go, frames start at SIGUSR1 (the window's start), as the
        # hub's events do: broadcasting to the first clients while thousands
        # more connect starved the handshakes on a busy machine.
        waiting = asyncio.ensure_future(go.wait())
        await asyncio.wait([waiting, stop], return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        with open(log_path, "a", encoding="ascii") as log:  # noqa: ASYNC230 - one tiny append a tick
            seq, tick, next_at = 0, 1.0 / hz, time.monotonic()
            while not stop.done():
                seq += 1
                text = frame(seq)
                broadcast(clients, text)
                log.write(orjson.loads(text)["pos"] + "\n")
                log.flush()
                next_at += tick
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        asyncio.shield(stop), max(0.0, next_at - time.monotonic())
                    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--hz", type=float, default=10)
    parser.add_argument("--log", required=True)
    parser.add_argument("--wait-go", action="store_true", help="start the frames at SIGUSR1")
    args = parser.parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        uvloop.run(main(args.port, args.hz, args.log, args.wait_go))
    except ImportError:  # pragma: no cover
        asyncio.run(main(args.port, args.hz, args.log, args.wait_go))
