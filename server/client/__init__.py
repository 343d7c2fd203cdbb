"""The Python protocol client (tests, the load generator, scripts) and its pure reducer.

``server.client.connection`` speaks the wire protocol of ``server.protocol``;
``server.client.state`` folds what it receives into the state a page would show.
"""

from server.client.connection import ClientState, Disconnected, HubClient, fetch_viewer_cookie

__all__ = ["ClientState", "Disconnected", "HubClient", "fetch_viewer_cookie"]
