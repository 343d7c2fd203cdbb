"""make bench: the hub, the embedded Redis, the load generator and a raw baseline on loopback."""
