"""Exact maximum-weight matching for small rosters (Edmonds' blossom
algorithm, primal-dual, O(n^3) on a dense weight matrix).

Used where a proof of optimality is affordable: a roster of a few dozen
people solves in milliseconds, while the heuristics of
:mod:`breakout.matching` stay within a fraction of a percent of the
optimum but cannot promise it. Weights are integers (the caller scales);
weight 0 means "no edge". Vertices are ``1 .. n`` inside; the public
function takes and returns ``0 .. n-1``.

Dual values are kept doubled (``lab``) so integer weights keep every
quantity an integer. Blossoms are numbered ``n+1 ..``; ``st[x]`` is the
outermost blossom containing ``x``; ``label`` is 0 for outer (even), 1 for
inner (odd) and -1 for unreached.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from breakout.problem import Problem

__all__ = ["exact_pairs", "max_weight_matching"]

# Weights are floats; the solver wants integers. A micro-unit grid keeps
# the optimum exact to well below any difference a policy can express.
_SCALE = 1_000_000


def exact_pairs(pb: Problem, vertices: Sequence[int] | None = None) -> list[int]:
    """A ``mate`` list of maximum cardinality and, among those, maximum
    weight, over ``vertices`` (default: everyone; others stay ``-1``).
    Pairs breaking a hard constraint are not edges at all."""
    verts = list(range(pb.n)) if vertices is None else list(vertices)
    n = len(verts)
    w = pb.w
    hard = pb.hard
    key = pb.key
    raw = [[0.0] * n for _ in range(n)]
    low = 0.0
    for x in range(n):
        row = raw[x]
        i = verts[x]
        for y in range(x + 1, n):
            j = verts[y]
            if key(i, j) in hard:
                continue
            v = row[y] = w(i, j)
            low = min(low, v)
    # Shift every edge above zero, then add more than any matching's total
    # weight range so that one more pair always beats a better score.
    spread = round((pb.max_base - low + 1.0) * _SCALE)
    big = spread * (n // 2 + 1)
    weight = [[0] * n for _ in range(n)]
    for x in range(n):
        for y in range(x + 1, n):
            if key(verts[x], verts[y]) not in hard:
                weight[x][y] = weight[y][x] = big + round((raw[x][y] - low + 1.0) * _SCALE)
    local = max_weight_matching(n, weight)
    mate = [-1] * pb.n
    for x, y in enumerate(local):
        if y >= 0:
            mate[verts[x]] = verts[y]
    return mate


def max_weight_matching(n: int, weight: list[list[int]]) -> list[int]:
    """A maximum-weight matching of the graph with ``weight[i][j] > 0`` on
    its edges (symmetric, ``0 .. n-1``). Returns ``mate`` (``-1``: single).
    Add a large constant to every edge to get a maximum-cardinality one."""
    if n < 2:
        return [-1] * n
    solver = _Blossom(n, weight)
    solver.solve()
    return [solver.mate_vertex(v + 1) - 1 for v in range(n)]


class _Blossom:
    def __init__(self, n: int, weight: list[list[int]]) -> None:
        size = 2 * n + 1
        self.n = n
        self.nx = n
        # Edge (x, y) between outermost blossoms is stored as the original
        # vertex pair that realises it: eu[x][y], ev[x][y] and its weight.
        self.eu = [[x] * size for x in range(size)]
        self.ev = [list(range(size)) for _ in range(size)]
        self.ew = [[0] * size for _ in range(size)]
        for i in range(n):
            row = weight[i]
            for j in range(n):
                if i != j and row[j] > 0:
                    self.ew[i + 1][j + 1] = row[j]
        self.lab = [0] * size
        self.match = [0] * size
        self.slack = [0] * size
        self.st = list(range(size))
        self.pa = [0] * size
        self.label = [-1] * size
        self.vis = [0] * size
        self.stamp = 0
        self.flower: list[list[int]] = [[] for _ in range(size)]
        self.flower_from = [[0] * (n + 1) for _ in range(size)]
        for x in range(1, n + 1):
            self.flower_from[x][x] = x
        self.queue: deque[int] = deque()

    def mate_vertex(self, v: int) -> int:
        return self.match[v]

    def delta(self, u: int, v: int) -> int:
        eu, ev = self.eu[u][v], self.ev[u][v]
        return self.lab[eu] + self.lab[ev] - 2 * self.ew[u][v]

    def update_slack(self, u: int, x: int) -> None:
        s = self.slack[x]
        if not s or self.delta(u, x) < self.delta(s, x):
            self.slack[x] = u

    def set_slack(self, x: int) -> None:
        self.slack[x] = 0
        st, label, ew = self.st, self.label, self.ew
        for u in range(1, self.n + 1):
            if ew[u][x] > 0 and st[u] != x and label[st[u]] == 0:
                self.update_slack(u, x)

    def push(self, x: int) -> None:
        if x <= self.n:
            self.queue.append(x)
        else:
            for y in self.flower[x]:
                self.push(y)

    def set_st(self, x: int, b: int) -> None:
        self.st[x] = b
        if x > self.n:
            for y in self.flower[x]:
                self.set_st(y, b)

    def get_pr(self, b: int, xr: int) -> int:
        fl = self.flower[b]
        pr = fl.index(xr)
        if pr % 2 == 1:
            fl[1:] = fl[1:][::-1]
            return len(fl) - pr
        return pr

    def set_match(self, u: int, v: int) -> None:
        self.match[u] = self.ev[u][v]
        if u > self.n:
            xr = self.flower_from[u][self.eu[u][v]]
            pr = self.get_pr(u, xr)
            fl = self.flower[u]
            for i in range(pr):
                self.set_match(fl[i], fl[i ^ 1])
            self.set_match(xr, v)
            fl[:] = fl[pr:] + fl[:pr]

    def augment(self, u: int, v: int) -> None:
        st = self.st
        while True:
            xnv = st[self.match[u]]
            self.set_match(u, v)
            if not xnv:
                return
            self.set_match(xnv, st[self.pa[xnv]])
            u, v = st[self.pa[xnv]], xnv

    def get_lca(self, u: int, v: int) -> int:
        self.stamp += 1
        t = self.stamp
        st, vis = self.st, self.vis
        while u or v:
            if u:
                if vis[u] == t:
                    return u
                vis[u] = t
                u = st[self.match[u]]
                if u:
                    u = st[self.pa[u]]
            u, v = v, u
        return 0

    def add_blossom(self, u: int, lca: int, v: int) -> None:
        n, st = self.n, self.st
        b = n + 1
        while b <= self.nx and st[b]:
            b += 1
        if b > self.nx:
            self.nx += 1
        self.lab[b] = 0
        self.label[b] = 0
        self.match[b] = self.match[lca]
        fl = [lca]
        x = u
        while x != lca:
            y = st[self.match[x]]
            fl += [x, y]
            self.push(y)
            x = st[self.pa[y]]
        fl[1:] = fl[1:][::-1]
        x = v
        while x != lca:
            y = st[self.match[x]]
            fl += [x, y]
            self.push(y)
            x = st[self.pa[y]]
        self.flower[b] = fl
        self.set_st(b, b)
        eu, ev, ew = self.eu, self.ev, self.ew
        for x in range(1, self.nx + 1):
            ew[b][x] = ew[x][b] = 0
        ffb = self.flower_from[b]
        for x in range(1, n + 1):
            ffb[x] = 0
        for xs in fl:
            for x in range(1, self.nx + 1):
                if ew[b][x] == 0 or self.delta(xs, x) < self.delta(b, x):
                    eu[b][x], ev[b][x], ew[b][x] = eu[xs][x], ev[xs][x], ew[xs][x]
                    eu[x][b], ev[x][b], ew[x][b] = eu[x][xs], ev[x][xs], ew[x][xs]
            ffx = self.flower_from[xs]
            for x in range(1, n + 1):
                if ffx[x]:
                    ffb[x] = xs
        self.set_slack(b)

    def expand_blossom(self, b: int) -> None:
        fl = self.flower[b]
        for x in fl:
            self.set_st(x, x)
        xr = self.flower_from[b][self.eu[b][self.pa[b]]]
        pr = self.get_pr(b, xr)
        fl = self.flower[b]
        for i in range(0, pr, 2):
            xs, xns = fl[i], fl[i + 1]
            self.pa[xs] = self.eu[xns][xs]
            self.label[xs] = 1
            self.label[xns] = 0
            self.slack[xs] = 0
            self.set_slack(xns)
            self.push(xns)
        self.label[xr] = 1
        self.pa[xr] = self.pa[b]
        for i in range(pr + 1, len(fl)):
            xs = fl[i]
            self.label[xs] = -1
            self.set_slack(xs)
        self.st[b] = 0

    def on_found_edge(self, eu: int, ev: int) -> bool:
        st = self.st
        u, v = st[eu], st[ev]
        if self.label[v] == -1:
            self.pa[v] = eu
            self.label[v] = 1
            nu = st[self.match[v]]
            self.slack[v] = self.slack[nu] = 0
            self.label[nu] = 0
            self.push(nu)
        elif self.label[v] == 0:
            lca = self.get_lca(u, v)
            if not lca:
                self.augment(u, v)
                self.augment(v, u)
                return True
            self.add_blossom(u, lca, v)
        return False

    def stage(self) -> bool:
        n, st, label, lab = self.n, self.st, self.label, self.lab
        for x in range(1, self.nx + 1):
            label[x] = -1
            self.slack[x] = 0
        self.queue = deque()
        for x in range(1, self.nx + 1):
            if st[x] == x and not self.match[x]:
                self.pa[x] = 0
                label[x] = 0
                self.push(x)
        if not self.queue:
            return False
        ew = self.ew
        while True:
            while self.queue:
                u = self.queue.popleft()
                if label[st[u]] == 1:
                    continue
                row = ew[u]
                for v in range(1, n + 1):
                    if row[v] > 0 and st[u] != st[v]:
                        if self.delta(u, v) == 0:
                            if self.on_found_edge(self.eu[u][v], self.ev[u][v]):
                                return True
                        else:
                            self.update_slack(u, st[v])
            d: int | None = None
            for b in range(n + 1, self.nx + 1):
                if st[b] == b and label[b] == 1:
                    d = lab[b] // 2 if d is None else min(d, lab[b] // 2)
            for x in range(1, self.nx + 1):
                s = self.slack[x]
                if st[x] == x and s:
                    if label[x] == -1:
                        e = self.delta(s, x)
                    elif label[x] == 0:
                        e = self.delta(s, x) // 2
                    else:
                        continue
                    d = e if d is None else min(d, e)
            if d is None:
                return False
            for u in range(1, n + 1):
                lu = label[st[u]]
                if lu == 0:
                    # An outer vertex's dual reaching zero: no augmenting
                    # path can raise the weight any more.
                    if lab[u] <= d:
                        return False
                    lab[u] -= d
                elif lu == 1:
                    lab[u] += d
            for b in range(n + 1, self.nx + 1):
                if st[b] == b:
                    if label[b] == 0:
                        lab[b] += 2 * d
                    elif label[b] == 1:
                        lab[b] -= 2 * d
            self.queue = deque()
            for x in range(1, self.nx + 1):
                s = self.slack[x]
                if st[x] == x and s and st[s] != x and self.delta(s, x) == 0:
                    if self.on_found_edge(self.eu[s][x], self.ev[s][x]):
                        return True
            for b in range(n + 1, self.nx + 1):
                if st[b] == b and label[b] == 1 and lab[b] == 0:
                    self.expand_blossom(b)

    def solve(self) -> None:
        w_max = max((max(row) for row in self.ew), default=0)
        for u in range(1, self.n + 1):
            self.lab[u] = w_max
        while self.stage():
            pass
