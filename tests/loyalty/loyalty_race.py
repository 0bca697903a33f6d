"""Run one function in many processes at once, released together by a barrier.

Children are forked (the parent has already imported everything, so fifty start in well
under a second) and each makes its own engine: no connection crosses a fork. A child's exit
code says what happened: 0 done, a Refused subclass's code when refused, 1 on anything else
(with the traceback on stderr). Values a child returns come back through a queue.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from holdfast.errors import Refused
from holdfast.store.engine import create_store_engine

CTX = multiprocessing.get_context("fork")
WAIT_SECONDS = 120


@dataclass(frozen=True)
class Outcome:
    """Exit codes of the children, and the values the successful ones returned."""

    codes: list[int]
    values: list[Any]

    def count(self, code: int) -> int:
        return sum(1 for c in self.codes if c == code)


def race(
    url: str, n: int, work: Callable[[sa.Engine, int], Any], *, midway: bool = False
) -> Outcome:
    """Run ``work(engine, i)`` for i in 0..n-1 in n processes started together.

    With ``midway`` the work gets a third argument, a callable that waits until every child
    has reached it (to force the interleaving a naive implementation is exposed to).
    """
    start = CTX.Barrier(n)
    middle = CTX.Barrier(n) if midway else None
    results: Any = CTX.Queue()
    children = [
        CTX.Process(target=_child, args=(url, i, work, start, middle, results)) for i in range(n)
    ]
    for child in children:
        child.start()
    values = []
    for child in children:
        child.join(WAIT_SECONDS)
    for child in children:
        if child.is_alive():  # pragma: no cover - only when something hangs
            child.kill()
            child.join()
    while True:
        try:
            values.append(results.get(timeout=0.5))
        except queue.Empty:
            break
    return Outcome([c.exitcode for c in children], values)


def _child(
    url: str,
    i: int,
    work: Callable[..., Any],
    start: Any,
    middle: Any,
    results: Any,
) -> None:
    code = 1
    try:
        engine = create_store_engine(url)
        start.wait(WAIT_SECONDS)
        args = (engine, i) if middle is None else (engine, i, lambda: middle.wait(WAIT_SECONDS))
        value = work(*args)
        results.put(value)
        code = 0
    except Refused as refusal:
        code = refusal.exit_code
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            results.close()
            results.join_thread()
        finally:
            os._exit(code)


def run_in_child(work: Callable[[], None]) -> int:
    """Run ``work()`` in one forked process and return its exit code (-9 when it killed
    itself with SIGKILL)."""
    child = CTX.Process(target=_alone, args=(work,))
    child.start()
    child.join(WAIT_SECONDS)
    return child.exitcode if child.exitcode is not None else -999


def _alone(work: Callable[[], None]) -> None:
    code = 1
    try:
        work()
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)
