"""Requests that arrive together share one forecast pass.

A single task takes requests from a queue: after the first, it waits ``wait_s`` for others (and
every request that arrives while a pass runs waits for the next one), then groups what it holds
into batches of one key whose series ids do not collide, and runs each batch in a worker thread,
one at a time. The event loop stays free to read requests meanwhile, and the model is never used
by two threads at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Job:
    key: tuple
    ids: frozenset
    payload: object
    future: asyncio.Future = field(repr=False)


def group(jobs: list[Job], max_series: int) -> list[list[Job]]:
    """Jobs in batches, in order of arrival: a job joins the first batch of its key whose ids it
    does not share and that stays within ``max_series`` series (a larger job goes alone)."""
    batches: list[tuple[list[Job], set]] = []
    for job in jobs:
        home = next((b for b in batches if b[0][0].key == job.key and not (b[1] & job.ids)
                     and len(b[1]) + len(job.ids) <= max_series), None)
        if home is None:
            batches.append(([job], set(job.ids)))
        else:
            home[0].append(job)
            home[1].update(job.ids)
    return [b[0] for b in batches]


class Batcher:
    """Runs ``run(key, payloads)`` for batches of submitted payloads.

    ``run`` returns one result per payload, in order; a result that is an exception is raised to
    that payload's caller.
    """

    def __init__(self, run: Callable[[tuple, list], list], *, wait_s: float = 0.002, max_series: int = 10_000):
        self.run, self.wait_s, self.max_series = run, wait_s, max_series
        self.requests = self.batches = 0
        self._queue: asyncio.Queue = asyncio.Queue()  # bound to the loop that first uses it

    async def submit(self, key: tuple, ids, payload):
        """The result of ``payload``, once the batch it joined has run (:meth:`loop` runs it)."""
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(Job(key, frozenset(ids), payload, future))
        return await future

    async def loop(self) -> None:
        """Serve the queue until cancelled."""
        while True:
            jobs = [await self._queue.get()]
            if self._queue.empty():
                await asyncio.sleep(self.wait_s)  # requests sent together arrive a little apart
            while not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            for batch in group([j for j in jobs if not j.future.done()], self.max_series):
                await self._run(batch)

    async def _run(self, batch: list[Job]) -> None:
        try:
            results = await asyncio.to_thread(self.run, batch[0].key, [j.payload for j in batch])
        except Exception as e:  # run reports errors per payload; this is a defect of run itself
            results = [e] * len(batch)
        self.batches += 1
        self.requests += len(batch)
        for job, result in zip(batch, results):
            if job.future.done():  # the client left
                continue
            if isinstance(result, BaseException):
                job.future.set_exception(result)
            else:
                job.future.set_result(result)
