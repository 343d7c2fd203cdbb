"""The live path: one websocket's life, the per-process hub, fan-out channels, likes, words."""
