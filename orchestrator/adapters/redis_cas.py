"""One round trip to store a pass snapshot that this process read last.

``RedisStore.update`` writes a snapshot under ``WATCH``/``MULTI``: a watch, a
read and the transaction, three round trips. When the process holds the
snapshot it read or wrote last (its decoded cache), ``CompareAndSet`` sends
the new snapshot and its side writes (roster, presence, audit) in one
``EVALSHA`` that applies them only if the key still holds exactly those
bytes; otherwise nothing is written and the caller takes the watched path.
Every write of a snapshot changes its bytes (the version moves), so "the same
bytes" means "nobody wrote since", as ``WATCH`` does. A join is then one
round trip instead of three.

``Writes`` records the side writes with the pipeline methods the store
queues them with (``hset``, ``hdel``, ``sadd``, ``srem``, ``xadd``, ``zadd``,
``zrem``), so the same code feeds the script or a pipeline; ``call`` runs a
Lua function given to ``CompareAndSet`` (an attendance mark that must follow
its own rules), in the same atomic call. Writes too large for one script call
(``MAX_ARGS``) go the watched way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from redis.exceptions import NoScriptError

from orchestrator.adapters.redis_wire import Wire

#: Compare KEYS[1] with ARGV[1]; when equal, store ARGV[2] (unless empty) and run
#: the commands that follow, each as: n, name, number of keys k, k key indices,
#: n - 2 - k arguments. A name among the functions given to ``CompareAndSet``
#: calls that function with its keys and arguments, any other is a Redis command
#: on its one key.
_SCRIPT = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('set', KEYS[1], ARGV[2]) end
local i = 3
while i <= #ARGV do
  local n, name, nkeys = tonumber(ARGV[i]), ARGV[i + 1], tonumber(ARGV[i + 2])
  local keys, args = {}, {}
  for j = 1, nkeys do keys[j] = KEYS[tonumber(ARGV[i + 2 + j])] end
  for j = 3 + nkeys, n do args[#args + 1] = ARGV[i + j] end
  local f = functions[name]
  if f then f(keys, args) else redis.call(name, keys[1], unpack(args)) end
  i = i + n + 1
end
return 1
"""
#: Arguments of one script call at most (Lua's unpack has a limit of its own).
MAX_ARGS = 4000


class Writes:
    """Side writes of one snapshot update, recorded in order."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, str | list[str], list[Any]]] = []

    def hset(self, key: str, *, mapping: dict[Any, Any]) -> None:
        self.commands.append(("HSET", key, [x for pair in mapping.items() for x in pair]))

    def hdel(self, key: str, *names: Any) -> None:
        self.commands.append(("HDEL", key, list(names)))

    def sadd(self, key: str, *members: Any) -> None:
        self.commands.append(("SADD", key, list(members)))

    def srem(self, key: str, *members: Any) -> None:
        self.commands.append(("SREM", key, list(members)))

    def zadd(self, key: str, mapping: Mapping[Any, float]) -> None:
        self.commands.append(("ZADD", key, [x for member, score in mapping.items()
                                            for x in (score, member)]))

    def zrem(self, key: str, *members: Any) -> None:
        self.commands.append(("ZREM", key, list(members)))

    def xadd(self, key: str, entry: dict[Any, Any], *, maxlen: int,
             approximate: bool = True) -> None:
        self.commands.append(("XADD", key, ["MAXLEN", "~" if approximate else "=", maxlen, "*",
                                            *(x for pair in entry.items() for x in pair)]))

    def call(self, function: str, keys: list[str], args: list[Any]) -> None:
        """One of the script's ``functions`` with its keys and arguments."""
        self.commands.append((function, keys, args))

    def size(self) -> int:
        return sum(3 + len(_as_keys(target)) + len(args) for _, target, args in self.commands)


def _as_keys(target: str | list[str]) -> list[str]:
    return [target] if isinstance(target, str) else target


class CompareAndSet:
    """The script, run by its digest and loaded when Redis does not know it (a
    restarted server). ``functions``: Lua functions by name, each
    ``function(keys, args) ... end``, that the side writes may call."""

    def __init__(self, functions: Mapping[str, str] | None = None) -> None:
        defined = "".join(f"functions[{name!r}] = {body}\n"
                          for name, body in (functions or {}).items())
        self.source = "local functions = {}\n" + defined + _SCRIPT
        self.sha = hashlib.sha1(self.source.encode()).hexdigest()

    async def __call__(self, wire: Wire, key: str, expected: bytes, new: bytes | None,
                       writes: Writes) -> bool:
        """Whether ``key`` held ``expected`` (then ``new``, unless None, and ``writes``
        are stored, atomically, in one round trip on ``wire``); False, and nothing
        written, otherwise."""
        keys = [key]
        args: list[Any] = [expected, b"" if new is None else new]
        for name, target, rest in writes.commands:
            indices = []
            for one in _as_keys(target):
                if one not in keys:
                    keys.append(one)
                indices.append(keys.index(one) + 1)
            args += [2 + len(indices) + len(rest), name, len(indices), *indices, *rest]
        command = ("EVALSHA", self.sha, len(keys), *keys, *args)
        try:
            (done,) = await wire.execute(command)
        except NoScriptError:
            await wire.execute(("SCRIPT", "LOAD", self.source))
            (done,) = await wire.execute(command)
        return bool(done)


__all__ = ["MAX_ARGS", "CompareAndSet", "Writes"]
