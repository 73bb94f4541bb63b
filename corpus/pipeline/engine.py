"""Engines: where row-local work runs. Each maps a task over work items and yields the results in item order,
with a bounded number in flight, so memory does not grow with the input and output never depends on timing.

- local (default): a process pool on this machine.
- ray: Ray Data on a local or remote cluster (`pip install '.[ray]'`); the driver still does the barrier and
  writes every byte, so both engines give identical datasets.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator

ENGINES = ("local", "ray")


class LocalEngine:
    """A process pool per map, forked from the driver as it is at that moment: workers see what the driver has
    built so far, the task itself included, without it being pickled (a task may hold n-gram tables of hundreds
    of MB); only the items and the results travel through pipes."""

    def __init__(self, workers: int):
        self.workers = max(1, workers)

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def map(self, task: Callable, items: Iterable) -> Iterator:
        if self.workers == 1:
            yield from map(task, items)
            return
        global _TASK
        _TASK = task  # the workers are forked now, each with the task in its copy of this module
        try:
            pool = multiprocessing.get_context("fork").Pool(self.workers, initializer=_die_with_parent)
        finally:
            _TASK = None
        try:
            window: deque = deque()
            for item in items:
                window.append(pool.apply_async(_run, (item,)))
                if len(window) >= 2 * self.workers:
                    yield window.popleft().get()
            while window:
                yield window.popleft().get()
        finally:
            pool.terminate()
            pool.join()


_TASK: Callable | None = None  # the task of the map whose pool is being forked


def _run(item):
    return _TASK(item)


class RayEngine:
    """Ray Data: `map_batches(..., batch_format="pyarrow")` over the work items, results in order."""

    def __init__(self, workers: int, address: str | None):
        self.workers, self.address = workers, address or os.environ.get("RAY_ADDRESS")

    def __enter__(self) -> RayEngine:
        try:
            import ray
        except ImportError:
            raise EngineError("--engine ray needs Ray: pip install '.[ray]'") from None
        import logging

        logging.getLogger("ray").setLevel(logging.WARNING)  # one line per error, not Ray's progress chatter
        if self.address:
            _reachable(self.address)
        if not ray.is_initialized():
            local = {"num_cpus": self.workers, "include_dashboard": False, "_node_ip_address": "127.0.0.1"}
            ray.init(**({"address": self.address} if self.address else local), log_to_driver=False,
                     logging_level=logging.WARNING)
        return self

    def __exit__(self, *exc) -> None:
        import ray

        if not self.address:
            ray.shutdown()

    def map(self, task: Callable, items: Iterable) -> Iterator:
        import pyarrow as pa
        import ray

        items = list(items)  # they travel with the task: shard plans, spill file names, the tail's chunks of text
        if not items:
            return
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False

        def run(batch: pa.Table) -> pa.Table:
            results = [task(items[i]) for i in batch.column("id").to_pylist()]
            if all(isinstance(r, pa.Table) for r in results):
                return pa.concat_tables(results)
            return pa.table({_PICKLED: pa.array([pickle.dumps(r) for r in results], pa.binary())})

        dataset = ray.data.range(len(items), override_num_blocks=max(1, len(items))).map_batches(
            run, batch_size=1, batch_format="pyarrow", zero_copy_batch=True)
        for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow", prefetch_batches=2):
            if batch.column_names == [_PICKLED]:  # a task whose results are not tables (scores, counts, charts)
                yield from (pickle.loads(b) for b in batch.column(0).to_pylist())
            else:
                yield batch


_PICKLED = "__corpus_pickled_result__"


def _die_with_parent() -> None:
    """A pool worker ends with its driver (Linux: PR_SET_PDEATHSIG), quietly: a driver killed alone otherwise
    leaves workers printing BrokenPipe tracebacks as they try to hand back their results."""
    import ctypes
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the workers still end when their pipe breaks
    if os.getppid() == 1:  # the driver died before the call above
        os._exit(0)


def _reachable(address: str, seconds: float = 10.0) -> None:
    """Fail fast on a Ray address nothing answers at (ray.init retries for minutes); "auto" is Ray's to find."""
    import socket

    if address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise EngineError(f"--ray-address {address!r}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=seconds).close()
    except OSError as e:
        raise EngineError(f"no Ray cluster answers at {address} ({e.strerror or e}); start one with `ray start "
                          "--head`, or leave out --ray-address for a local Ray") from None


class EngineError(RuntimeError):
    pass


def make_engine(name: str, workers: int, address: str | None = None):
    if name == "ray":
        return RayEngine(workers, address)
    return LocalEngine(workers)
