"""The gym around the passes, as pure values: rosters, programs and sessions.

``roster`` parses and checks an organisation's roster file; ``program``
holds programs, their classes and scheduled sessions; ``ids`` the
identifiers and their qualified form in the live store. Standard library
only, like the rest of the domain.
"""
