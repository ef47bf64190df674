"""The asyncio twin of the unbounded lesson: 10,000 jobs, all at once, then
at most 100 at a time."""
import asyncio
import time

JOBS = 10_000
JOB_S = 0.1
LIMIT = 100


async def job() -> None:
    await asyncio.sleep(JOB_S)  # a short wait on something slow


async def unbounded() -> int:
    # Every job becomes a task at once: nothing limits how many run.
    tasks = [asyncio.create_task(job()) for _ in range(JOBS)]
    await asyncio.gather(*tasks)
    return len(tasks)


async def bounded() -> int:
    # asyncio has no buffer_unordered. A pool of LIMIT workers, sharing one
    # iterator of jobs, keeps at most LIMIT jobs going and makes no more
    # than LIMIT tasks.
    jobs = iter(range(JOBS))
    done = 0

    async def worker() -> None:
        nonlocal done
        for _ in jobs:  # each worker takes the next job nobody has taken
            await job()
            done += 1

    await asyncio.gather(*(worker() for _ in range(LIMIT)))
    return done


async def main() -> None:
    start = time.monotonic()
    done = await unbounded()
    took = time.monotonic() - start
    print(f"unbounded half done jobs={done} took={took:.1f}s")

    start = time.monotonic()
    done = await bounded()
    took = time.monotonic() - start
    print(f"bounded half done jobs={done} limit={LIMIT} took={took:.1f}s")


asyncio.run(main())
