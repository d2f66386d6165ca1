"""``Batcher``: requests that arrive together share one run; each gets its own result or error."""

import asyncio
import threading

import pytest

from seriespredictor.batching import Batcher, Job, group


def job(key, *ids):
    return Job(key, frozenset(ids), ids, future=None)


def test_a_batch_holds_one_key_and_no_id_twice():
    jobs = [job(6, "a"), job(6, "b"), job(3, "c"), job(6, "a"), job(6, "c", "d"), job(3, "a")]
    assert [[j.payload for j in b] for b in group(jobs, max_series=10)] == [
        [("a",), ("b",), ("c", "d")], [("c",), ("a",)], [("a",)]]


def test_a_batch_stays_within_its_series_but_a_large_job_still_runs():
    jobs = [job(6, "a", "b"), job(6, "c", "d"), job(6, "e"), job(6, *"fghij")]
    assert [[j.payload for j in b] for b in group(jobs, max_series=4)] == [
        [("a", "b"), ("c", "d")], [("e",)], [tuple("fghij")]]


def test_requests_sent_together_share_one_run_and_get_their_own_answer():
    runs = []

    def run(key, payloads):
        runs.append((key, list(payloads), threading.current_thread() is threading.main_thread()))
        return [ValueError(f"bad {p}") if p == "bad" else f"{key}:{p}" for p in payloads]

    async def scenario():
        batcher = Batcher(run, wait_s=0.05)
        task = asyncio.create_task(batcher.loop())
        sent = [batcher.submit(1, [f"id{k}"], f"p{k}") for k in range(7)] + [batcher.submit(1, ["idx"], "bad")]
        results = await asyncio.gather(*sent, return_exceptions=True)
        task.cancel()
        return batcher, results

    batcher, results = asyncio.run(scenario())
    assert results[:7] == [f"1:p{k}" for k in range(7)]
    assert isinstance(results[7], ValueError) and str(results[7]) == "bad bad"
    assert runs == [(1, [f"p{k}" for k in range(7)] + ["bad"], False)]  # one run, off the event loop's thread
    assert (batcher.requests, batcher.batches) == (8, 1)


def test_a_failing_run_fails_its_batch_and_the_batcher_goes_on():
    def run(key, payloads):
        if key == "broken":
            raise RuntimeError("defect")
        return payloads

    async def scenario():
        batcher = Batcher(run)
        task = asyncio.create_task(batcher.loop())
        with pytest.raises(RuntimeError, match="defect"):
            await batcher.submit("broken", ["a"], 1)
        answer = await batcher.submit("fine", ["a"], 2)
        task.cancel()
        return answer

    assert asyncio.run(scenario()) == 2
