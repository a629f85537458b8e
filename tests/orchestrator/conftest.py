# The `env` and `orchestrator` fixtures live in tests/conftest.py, shared by
# every test package; they are re-exported here for modules importing them.
from tests.conftest import env, orchestrator

__all__ = ["env", "orchestrator"]
