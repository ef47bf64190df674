"""The asyncio twin of the background-tasks lesson: a handler spawns three
analytics jobs and returns; main waits for them at shutdown.

Run with --no-track to return from main without waiting for the jobs.
"""
import asyncio
import sys
import time

TRACK = "--no-track" not in sys.argv
WORK = 0.1
JOBS = 3
JOB = 0.3

start = time.monotonic()

# The event loop keeps only weak references to tasks. This set holds a
# strong one to each job until the job is done.
background: set[asyncio.Task] = set()


def now() -> str:
    return f"{time.monotonic() - start:.1f} s"


async def record(job: int) -> None:
    try:
        await asyncio.sleep(JOB)  # stands in for a call to the analytics service
    except asyncio.CancelledError:
        print(f"analytics {job}: cancelled at {now()}")
        raise
    print(f"analytics {job}: recorded at {now()}")


async def handle_request() -> str:
    await asyncio.sleep(WORK)  # the request's own work
    for job in range(1, JOBS + 1):
        task = asyncio.create_task(record(job))
        background.add(task)
        task.add_done_callback(background.discard)  # forget it once done
    return "200 OK"


async def main() -> None:
    status = await asyncio.create_task(handle_request())
    print(f"main: answered {status} at {now()}")
    if TRACK:
        print(f"main: waiting for background jobs in_flight={len(background)}")
        await asyncio.gather(*background)
        print(f"main: background jobs over at {now()}")
    print(f"main: main returns at {now()}")


asyncio.run(main())
