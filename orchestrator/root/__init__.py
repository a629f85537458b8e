"""The composition root: the CLI, ``create_app``, ``onlive dev``, the one-shot
builder, child processes and benchmarks.

Root modules wire adapters, the application and the edge together; nothing
outside the root imports them.
"""
