"""Worker processes that run one function over a stream of tasks and hand back the answers
in order, with no state in which any process can wait for ever.

Each worker has its own pipe: tasks go out on it, answers come back on it, and the parent
reads every answer as it comes (at most two tasks per worker are in flight), so a worker
never waits on a full queue for long. The parent waits only on those pipes and on the
processes' sentinels, so a worker that dies (SIGKILL, the out-of-memory killer) is seen at
once and reported as a :class:`WorkerError`. Stopping kills the workers, which needs no lock;
a worker whose parent is gone reads the end of its pipe and exits.

How workers start (:func:`start_method`): on Linux, forked from this process while it has
one thread (a fork then copies no lock that another thread holds, and takes a millisecond),
else from a fork server (a fresh single-threaded process: safe in a host with threads, but
each start then waits for it, so they start aside while this process runs tasks itself until
the first worker is ready); afresh elsewhere. They start with ``^C`` held back: the parent
handles it and stops them.

>>> import functools, operator
>>> with Pool(2, functools.partial(int, 10), operator.add) as pool:
...     list(pool.map(iter(range(5)), lambda task: 10 + task))
[10, 11, 12, 13, 14]
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from cwquery.errors import CWQueryError, describe

if TYPE_CHECKING:  # multiprocessing is imported only when workers start
    import threading
    from multiprocessing.connection import Connection

#: Tasks handed to one worker before its first answer comes back.
IN_FLIGHT = 2
#: Answers, per worker, that may be computed ahead of the one awaited next: a worker is not
#: held up by a slow task queued at another.
AHEAD = 4


class WorkerError(CWQueryError):
    """A worker process died or failed, so the work was abandoned."""


def start_method() -> str:
    """``fork`` on Linux while this process has a single thread, ``forkserver`` on Linux
    otherwise, ``spawn`` elsewhere: never a fork of a process with threads."""
    if not sys.platform.startswith("linux"):
        return "spawn"
    return "fork" if _threads() == 1 else "forkserver"


def _threads() -> int:
    """The threads of this process, C threads included (from /proc)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 2  # unknown: assume there are others


@dataclass
class _Worker:
    process: Any  # a multiprocessing Process of the chosen context
    pipe: Connection
    ready: bool = False
    tasks: deque[int] = field(default_factory=deque)


class Pool:
    """``jobs`` worker processes, each running ``state = setup()`` once, then
    ``work(state, task)`` per task; a context manager that stops (kills) them on the way
    out. ``preload`` names modules a fork server imports once for all its workers (it sets
    multiprocessing's fork-server preload list, which counts only before that server starts).
    """

    def __init__(
        self,
        jobs: int,
        setup: Callable[[], Any],
        work: Callable[[Any, Any], Any],
        *,
        preload: tuple[str, ...] = (),
    ) -> None:
        import multiprocessing
        import threading

        self._jobs = jobs
        self._workers: list[_Worker] = []
        self._stopping = False
        method = start_method()
        context = multiprocessing.get_context(method)
        start = functools.partial(self._start, context, setup, work)
        if method == "fork":  # quick, and a thread would make the fork unsafe
            self._starter: threading.Thread | None = None
            try:
                start()
            except BaseException:
                self.stop()
                raise
            return
        if method == "forkserver" and preload:  # the modules every worker needs, once
            context.set_forkserver_preload(["__main__", *preload])
        # each start waits for the new process: they start aside while this process works
        self._starter = threading.Thread(target=start, name="cwquery-start", daemon=True)
        self._starter.start()

    def _start(
        self, context: Any, setup: Callable[[], Any], work: Callable[[Any, Any], Any]
    ) -> None:
        from multiprocessing import util
        from multiprocessing.connection import Connection

        with _signals_held(), contextlib.suppress(OSError):
            for _ in range(self._jobs):
                if self._stopping:
                    return
                mine, theirs = context.Pipe()
                # a forked worker closes its copies of this end (its own and the others'), so
                # that it reads the end of its pipe when this process is gone
                util.register_after_fork(mine, Connection.close)
                process = context.Process(
                    target=_serve, args=(theirs, setup, work), name="cwquery-worker"
                )
                process.daemon = True
                process.start()
                theirs.close()
                self._workers.append(_Worker(process, mine))

    def __enter__(self) -> Pool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def map(self, tasks: Iterator[Any], here: Callable[[Any], Any]) -> Iterator[Any]:
        """``work(state, task)`` for each task, in order. ``here(task)`` is the same answer
        computed on this process; it is used until the first worker is ready."""
        done: dict[int, Any] = {}
        sent = given = 0
        window = AHEAD * self._jobs
        more = True
        while True:
            while given in done:
                yield done.pop(given)
                given += 1
            if not more and given == sent:
                return
            worked_here = False
            while more and sent < given + window:
                worker = self._free()
                if worker is None and any(w.ready for w in self._workers):
                    break
                task = next(tasks, _END)
                if task is _END:
                    more = False
                    break
                if worker is None:  # no worker is ready yet: do it here meanwhile
                    done[sent] = here(task)
                    sent += 1
                    worked_here = True
                    break
                try:
                    worker.pipe.send((sent, task))
                except OSError:  # BrokenPipeError here is no closed output
                    raise _died(worker) from None
                worker.tasks.append(sent)
                sent += 1
            # wait without end only for an answer that is owed: it comes, or its worker dies
            owed = any(w.tasks for w in self._workers)
            done.update(self._receive(None if owed and not worked_here else 0))

    def stop(self) -> None:
        """Kill the workers and wait for them: they hold nothing worth saving, and a kill
        never waits on a lock or a pipe."""
        self._stopping = True
        if self._starter is not None:
            self._starter.join()
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.process.kill()
        for worker in workers:
            worker.process.join()
            worker.pipe.close()

    def _free(self) -> _Worker | None:
        """The ready worker with the fewest tasks, when it has room for one more."""
        ready = [w for w in self._workers if w.ready and len(w.tasks) < IN_FLIGHT]
        return min(ready, key=lambda w: len(w.tasks)) if ready else None

    def _receive(self, timeout: float | None) -> list[tuple[int, Any]]:
        """The answers that came back within ``timeout`` seconds (``None``: wait for one)."""
        from multiprocessing.connection import wait

        workers = list(self._workers)  # more may be starting
        pipes = {w.pipe: w for w in workers}
        sentinels = {w.process.sentinel: w for w in workers}
        answers = []
        for ready in wait([*pipes, *sentinels], timeout):
            worker = pipes.get(ready)  # type: ignore[call-overload]
            if worker is None:
                worker = sentinels[ready]
                if worker.pipe.poll():
                    continue  # read what it sent first
                raise _died(worker)
            try:
                number, kind, answer = worker.pipe.recv()
            except (EOFError, OSError):
                raise _died(worker) from None
            if kind == "ready":
                worker.ready = True
            elif kind == "error":
                raise WorkerError(answer)
            else:
                worker.tasks.popleft()
                answers.append((number, answer))
        return answers


_END = object()


def _died(worker: _Worker) -> WorkerError:
    """The error for a worker that is gone, naming how it ended."""
    import signal

    worker.process.join(1.0)
    code = worker.process.exitcode
    pid = worker.process.pid
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        how = f"was killed by {name}"
        if -code == getattr(signal, "SIGKILL", None):  # no such signal on Windows
            how += " (the out-of-memory killer sends it too)"
    elif code is not None:
        how = f"exited with status {code}"
    else:
        how = "closed its pipe"
    return WorkerError(f"worker process {pid} {how}; the scan was abandoned")


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold ``^C`` and SIGTERM back in this thread while it starts workers: they are born
    with ``^C`` blocked (the parent handles it), and a signal that comes meanwhile is handled
    once the start is over, never inside a fork's bookkeeping (where an exception would be
    lost)."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _serve(pipe: Connection, setup: Callable[[], Any], work: Callable[[Any, Any], Any]) -> None:
    """A worker: answer tasks until told to stop or the parent is gone."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the handler a fork copied
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    try:
        try:
            state = setup()
        except Exception as err:
            pipe.send((-1, "error", f"a worker failed: {describe(err)}"))
            return
        pipe.send((-1, "ready", None))
        while (message := pipe.recv()) is not None:
            number, task = message
            try:
                answer = work(state, task)
            except OSError as err:
                pipe.send((number, "error", f"{err.filename or 'input'}: {err.strerror or err}"))
                continue
            except Exception as err:
                pipe.send((number, "error", f"a worker failed: {describe(err)}"))
                continue
            pipe.send((number, "answer", answer))
    except (EOFError, OSError):
        pass  # the parent is gone
