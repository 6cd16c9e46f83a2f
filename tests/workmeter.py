"""Deterministic work counters: linear or not, told apart without a clock (security rule 6).

A wall-clock bound ("parses in < 2 s") fails on a loaded machine and passes a quadratic
algorithm on a fast one. These counters measure the work itself, and give the same numbers
on any machine under any load:

- ``lines``: Python lines executed (``sys.settrace``), the interpreter's own loops;
- ``allocated``: bytes allocated (``tracemalloc``, the rises from one line run to the
  next), where C-level copying shows: ``lines[i:]`` walked by a generator once per line is
  n² bytes from one line of code (a copy made and dropped inside a single C call is not
  seen);
- ``regex``: characters the regex engine must look at in our modules' patterns, replayed
  on an NFA of each pattern. A backtracking engine trying a start position reads on for as
  long as what it read can still begin a match (the "reach"), so an unbounded ``[^>]*``
  that never meets its ``>`` reads to the end of the input from every start: n².

``assert_linear`` runs a workload at sizes n, 2n and 4n: linear work grows by the same
step twice over (4n − 2n = 2 × (2n − n)), quadratic work by twice as much again.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tracemalloc
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

# The quadratic step is twice the linear one; 2.5 leaves room for rounding and for the
# constant parts of a workload, and still fails n² long before it dominates.
LINEAR_SLACK = 2.5
UNROLL_MAX = 5_000  # a bounded repeat wider than this is treated as unbounded


@dataclass
class Work:
    lines: int = 0
    allocated: int = 0
    regex: int = 0
    regex_calls: list[tuple[str, str, int]] = field(default_factory=list)
    _last: int = 0  # traced memory at the previous line

    def counters(self) -> dict[str, int]:
        return {"lines": self.lines, "allocated": self.allocated, "regex": self.regex}

    def trace(self, frame: types.FrameType, event: str, arg: object) -> Any:
        if event == "call":  # the meter's own frames (the pattern proxies) are not counted
            return None if frame.f_code.co_filename == __file__ else self.trace
        if event == "line":
            self.lines += 1
            now = tracemalloc.get_traced_memory()[0]
            if now > self._last:
                self.allocated += now - self._last
            self._last = now
        return self.trace

    def count_regex(
        self, pattern: re.Pattern[str], method: str, s: Any, pos: int, end: int
    ) -> None:
        """Add one regex call's reach; the replay itself is neither traced nor counted."""
        tracing = sys.gettrace()
        sys.settrace(None)
        try:
            cost = regex_cost(pattern, method, s, pos, end)
            self.regex += cost
            self.regex_calls.append((pattern.pattern, method, cost))
        finally:
            self._last = tracemalloc.get_traced_memory()[0]
            sys.settrace(tracing)


# --- the regex engine's reach, on an NFA of the pattern ----------------------------------

_CHAR, _SPLIT, _ASSERT, _MATCH = range(4)


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _kind(ch: str) -> int:
    """All an anchor asks of a neighbour: a line end, a word character, or neither."""
    return 2 if ch == "\n" else int(_word(ch))


_CATEGORIES: dict[Any, Callable[[str], bool]] = {
    sre.CATEGORY_DIGIT: str.isdecimal,
    sre.CATEGORY_NOT_DIGIT: lambda ch: not ch.isdecimal(),
    sre.CATEGORY_SPACE: str.isspace,
    sre.CATEGORY_NOT_SPACE: lambda ch: not ch.isspace(),
    sre.CATEGORY_WORD: _word,
    sre.CATEGORY_NOT_WORD: lambda ch: not _word(ch),
}


class Nfa:
    """Thompson NFA of a compiled pattern, for how far the engine reads from a start.

    Over-approximates where it must (lookarounds and back-references read as anything),
    so a pattern is never judged cheaper than it is.
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
        self.flags = tree.state.flags
        self.nodes: list[list[Any]] = [[_MATCH]]
        self.start = self._seq(list(tree), 0, self.flags)
        self.anchors = any(node[0] == _ASSERT for node in self.nodes)
        self._closures: dict[Any, frozenset[int]] = {}  # the NFA run as a lazily built DFA
        self._steps: dict[tuple[frozenset[int], str], frozenset[int]] = {}

    def _add(self, node: list[Any]) -> int:
        self.nodes.append(node)
        return len(self.nodes) - 1

    def _seq(self, items: list[Any], nxt: int, flags: int) -> int:
        for op, arg in reversed(items):
            nxt = self._item(op, arg, nxt, flags)
        return nxt

    def _char(self, test: Callable[[str], bool], nxt: int, flags: int) -> int:
        plain = test
        if flags & re.IGNORECASE:

            def plain(ch: str) -> bool:
                return test(ch) or test(ch.lower()) or test(ch.upper())

        seen: dict[str, bool] = {}

        def cached(ch: str) -> bool:
            if ch not in seen:
                seen[ch] = plain(ch)
            return seen[ch]

        return self._add([_CHAR, cached, nxt])

    def _item(self, op: Any, arg: Any, nxt: int, flags: int) -> int:
        if op is sre.LITERAL:
            return self._char(chr(arg).__eq__, nxt, flags)
        if op is sre.NOT_LITERAL:
            return self._char(chr(arg).__ne__, nxt, flags)
        if op is sre.ANY:
            if flags & re.DOTALL:
                return self._char(lambda ch: True, nxt, flags)
            return self._char(lambda ch: ch != "\n", nxt, flags)
        if op is sre.IN:
            return self._char(self._set(arg), nxt, flags)
        if op is sre.BRANCH:
            return self._add([_SPLIT, [self._seq(list(alt), nxt, flags) for alt in arg[1]]])
        if op is sre.SUBPATTERN:
            _group, add, remove, sub = arg
            return self._seq(list(sub), nxt, (flags | add) & ~remove)
        if op is sre.ATOMIC_GROUP:
            return self._seq(list(arg), nxt, flags)
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, sub = arg
            return self._repeat(low, high, list(sub), nxt, flags)
        if op is sre.AT:
            return self._add([_ASSERT, self._anchor(arg, flags), nxt])
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            return nxt  # read as nothing: the match goes on as if the lookaround held
        if op is sre.GROUPREF:
            return self._repeat(0, sre.MAXREPEAT, [(sre.ANY, None)], nxt, flags | re.DOTALL)
        if op is sre.GROUPREF_EXISTS:
            _group, yes, no = arg
            alts = [self._seq(list(yes), nxt, flags), self._seq(list(no or []), nxt, flags)]
            return self._add([_SPLIT, alts])
        raise NotImplementedError(f"regex op {op} in the work meter")

    def _repeat(self, low: int, high: int, sub: list[Any], nxt: int, flags: int) -> int:
        if high is sre.MAXREPEAT or high - low > UNROLL_MAX:
            loop = self._add([_SPLIT, []])
            self.nodes[loop][1] = [self._seq(sub, loop, flags), nxt]
            cur = loop
        else:
            cur = nxt
            for _ in range(high - low):
                cur = self._add([_SPLIT, [self._seq(sub, cur, flags), nxt]])
        for _ in range(low):
            cur = self._seq(sub, cur, flags)
        return cur

    @staticmethod
    def _set(items: list[Any]) -> Callable[[str], bool]:
        negate = bool(items) and items[0][0] is sre.NEGATE
        tests: list[Callable[[str], bool]] = []
        for op, arg in items[1:] if negate else items:
            if op is sre.LITERAL:
                tests.append(chr(arg).__eq__)
            elif op is sre.RANGE:
                tests.append(lambda ch, lo=arg[0], hi=arg[1]: lo <= ord(ch) <= hi)
            elif op is sre.CATEGORY:
                tests.append(_CATEGORIES[arg])
            else:
                raise NotImplementedError(f"regex set item {op} in the work meter")

        def test(ch: str) -> bool:
            return any(t(ch) for t in tests) != negate

        return test

    @staticmethod
    def _anchor(at: Any, flags: int) -> Callable[[str, int], bool]:
        multiline = bool(flags & re.MULTILINE)

        def boundary(s: str, i: int) -> bool:
            return (i > 0 and _word(s[i - 1])) != (i < len(s) and _word(s[i]))

        anchors: dict[Any, Callable[[str, int], bool]] = {
            sre.AT_BEGINNING_STRING: lambda s, i: i == 0,
            sre.AT_BEGINNING: lambda s, i: i == 0 or (multiline and s[i - 1] == "\n"),
            sre.AT_END_STRING: lambda s, i: i == len(s),
            sre.AT_END: lambda s, i: (
                i == len(s) or (i == len(s) - 1 and s[i] == "\n") or (multiline and s[i] == "\n")
            ),
            sre.AT_BOUNDARY: boundary,
            sre.AT_NON_BOUNDARY: lambda s, i: not boundary(s, i),
        }
        return anchors.get(at, lambda s, i: True)

    def _closure(self, states: frozenset[int], s: str, i: int) -> frozenset[int]:
        """The character nodes reachable from ``states`` without reading, at position i."""
        key: Any = states
        if self.anchors:  # they only look at the neighbours of i: same neighbours, same answer
            n = len(s)
            key = (states, i == 0, i >= n - 1, i >= n, i and _kind(s[i - 1]), i < n and _kind(s[i]))
        if key not in self._closures:
            self._closures[key] = self._close(states, s, i)
        return self._closures[key]

    def _close(self, states: frozenset[int], s: str, i: int) -> frozenset[int]:
        seen: set[int] = set()
        stack = list(states)
        chars: list[int] = []
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            node = self.nodes[n]
            if node[0] == _CHAR:
                chars.append(n)
            elif node[0] == _SPLIT:
                stack.extend(node[1])
            elif node[0] == _ASSERT and node[1](s, i):
                stack.append(node[2])
        return frozenset(chars)

    def _step(self, live: frozenset[int], ch: str) -> frozenset[int]:
        key = (live, ch)
        if key not in self._steps:
            self._steps[key] = frozenset(self.nodes[n][2] for n in live if self.nodes[n][1](ch))
        return self._steps[key]

    def reach(self, s: str, start: int, end: int) -> int:
        """Characters read from ``start`` before no path through the pattern is left."""
        live = self._closure(frozenset([self.start]), s, start)
        i = start
        while live and i < end:
            ch = s[i]
            i += 1
            live = self._closure(self._step(live, ch), s, i)
        return i - start


_NFAS: dict[tuple[str, int], Nfa] = {}


def _nfa(pattern: re.Pattern[str]) -> Nfa:
    key = (pattern.pattern, pattern.flags)
    if key not in _NFAS:
        _NFAS[key] = Nfa(pattern)
    return _NFAS[key]


def regex_cost(pattern: re.Pattern[str], method: str, s: str, pos: int, end: int) -> int:
    """What one call makes the engine read: from every start position it tries, the reach."""
    if not isinstance(s, str):
        return 0
    end = min(end, len(s))
    nfa = _nfa(pattern)
    if method in ("match", "fullmatch"):
        return 1 + nfa.reach(s, pos, end)
    if method == "search":
        found = pattern.search(s, pos, end)
        starts: Iterator[int] = iter(range(pos, (found.start() if found else end) + 1))
    else:  # finditer, findall, sub, subn, split: every start not inside an earlier match
        spans = [m.span() for m in pattern.finditer(s, pos, end)]
        starts = _starts_between(pos, end, spans)
    return sum(1 + nfa.reach(s, i, end) for i in starts)


def _starts_between(pos: int, end: int, spans: list[tuple[int, int]]) -> Iterator[int]:
    i = pos
    for a, b in spans:
        yield from range(i, a + 1)
        i = b if b > a else b + 1
    yield from range(i, end + 1)


# --- recording the calls our modules make --------------------------------------------------


class _CountingPattern:
    """A compiled pattern that records what each call makes the engine read."""

    def __init__(self, pattern: re.Pattern[str], work: Work) -> None:
        self._pattern = pattern
        self._work = work

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)

    def _count(self, method: str, s: Any, pos: int = 0, end: int = sys.maxsize) -> None:
        self._work.count_regex(self._pattern, method, s, pos, end)

    def match(self, s: Any, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        self._count("match", s, pos, endpos)
        return self._pattern.match(s, pos, endpos)

    def fullmatch(self, s: Any, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        self._count("fullmatch", s, pos, endpos)
        return self._pattern.fullmatch(s, pos, endpos)

    def search(self, s: Any, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        self._count("search", s, pos, endpos)
        return self._pattern.search(s, pos, endpos)

    def finditer(self, s: Any, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        self._count("finditer", s, pos, endpos)
        return self._pattern.finditer(s, pos, endpos)

    def findall(self, s: Any, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        self._count("findall", s, pos, endpos)
        return self._pattern.findall(s, pos, endpos)

    def sub(self, repl: Any, s: Any, count: int = 0) -> Any:
        self._count("sub", s)
        return self._pattern.sub(repl, s, count)

    def subn(self, repl: Any, s: Any, count: int = 0) -> Any:
        self._count("subn", s)
        return self._pattern.subn(repl, s, count)

    def split(self, s: Any, maxsplit: int = 0) -> Any:
        self._count("split", s)
        return self._pattern.split(s, maxsplit)


def _counting_re(work: Work) -> types.SimpleNamespace:
    """Stands in for the ``re`` module inside a measured module: same functions, counted."""

    def compiled(pattern: Any, flags: int = 0) -> Any:
        real = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
        return _CountingPattern(real, work) if isinstance(real.pattern, str) else real

    def call(method: str) -> Callable[..., Any]:
        def run(pattern: Any, *args: Any, flags: int = 0, **kwargs: Any) -> Any:
            return getattr(compiled(pattern, flags), method)(*args, **kwargs)

        return run

    methods = ("match", "fullmatch", "search", "finditer", "findall", "sub", "subn", "split")
    names = {n: getattr(re, n) for n in dir(re) if not n.startswith("__")}
    names.update(compile=compiled, **{m: call(m) for m in methods})
    return types.SimpleNamespace(**names)


@contextlib.contextmanager
def _counting_patterns(modules: list[types.ModuleType], work: Work) -> Iterator[None]:
    saved: list[tuple[types.ModuleType, str, Any]] = []
    try:
        for module in modules:
            for name, value in list(vars(module).items()):
                if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                    saved.append((module, name, value))
                    setattr(module, name, _CountingPattern(value, work))
                elif value is re:
                    saved.append((module, name, value))
                    setattr(module, name, _counting_re(work))
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


# --- measuring ---------------------------------------------------------------------------


def measure(run: Callable[[], object], modules: list[types.ModuleType]) -> Work:
    """Run ``run`` once and count its work; the regexes counted are ``modules``' own."""
    work = Work()
    previous = sys.gettrace()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        with _counting_patterns(modules, work):
            work._last = tracemalloc.get_traced_memory()[0]
            sys.settrace(work.trace)
            try:
                run()
            finally:
                sys.settrace(previous)
    finally:
        if started:
            tracemalloc.stop()
    return work


def assert_linear(
    workload: Callable[[int], Callable[[], object]], n: int, modules: list[types.ModuleType]
) -> dict[str, list[int]]:
    """``workload(size)`` builds a run of that size (building is not measured); its work at
    n, 2n and 4n must grow linearly in every counter. Returns the counts, for messages."""
    measure(workload(n), modules)  # warm every cache the first run fills, unmeasured
    works = [measure(workload(n), modules), measure(workload(2 * n), modules)]
    # Linear work a + b·n with a ≥ 0 at most doubles from n to 2n: more already says n²,
    # before the run at 4n, which for quadratic work is the slow one.
    for name, at_n in works[0].counters().items():
        at_2n = works[1].counters()[name]
        assert at_2n <= LINEAR_SLACK * at_n + 1_000, (
            f"{name} grows faster than the input: {[at_n, at_2n]} at n, 2n (n={n})"
        )
    works.append(measure(workload(4 * n), modules))
    counts = {name: [w.counters()[name] for w in works] for name in works[0].counters()}
    for name, (at_n, at_2n, at_4n) in counts.items():
        first, second = at_2n - at_n, at_4n - at_2n
        # A little room for counts that do not grow with n at all and so only wobble.
        assert second <= LINEAR_SLACK * max(first, 0) + 0.01 * at_4n + 1_000, (
            f"{name} grows faster than the input: {counts[name]} at n, 2n, 4n (n={n})"
        )
    return counts
