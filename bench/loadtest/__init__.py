"""The load generator: simulated viewers, a moderator and an overlay, on the hub's own client.

``python -m bench.loadtest SCENARIO --url ... --bid ...`` runs one scenario
across several worker processes and prints one JSON report. ``make bench``
(bench/) starts the hub, Redis and a raw websockets baseline around it.
"""
