"""The pure core of the hub: rules without I/O.

Every module here is a function of its arguments: no asyncio, Redis, Starlette,
sockets, clocks or randomness (time arrives as ``now_ms``). The store, the hub and
the websocket handler call into it; ``tests/unit/test_domain_is_pure.py`` keeps it so.
"""
