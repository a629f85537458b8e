"""Adapters: the application's ports implemented on real services.

``redis_store`` (live state in Redis) and ``livekit`` (rooms, tokens and
webhooks through LiveKit's server API). Adapters may import their client
libraries and the application's ports and values; never the edge.
"""
