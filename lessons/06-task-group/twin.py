"""The asyncio twin of the task-group lesson: 5 workers, worker 3 fails at 1.5 s."""
import asyncio
import time

WORKERS = 5
FAILING = 3
FAIL_AT = 1.5

start = time.monotonic()


def now() -> str:
    return f"{time.monotonic() - start:.1f} s"


async def worker(i: int) -> int:
    """Worker i works for i seconds, unless it is the one that fails."""
    try:
        if i == FAILING:
            await asyncio.sleep(FAIL_AT)  # part of its work, then the error
            raise RuntimeError(f"worker {i}: disk full")
        await asyncio.sleep(i)
    except asyncio.CancelledError:
        print(f"worker {i} cancelled at {now()}")
        raise  # never swallow a cancellation
    print(f"worker {i} finished at {now()}")
    return i


async def main() -> None:
    try:
        # The group cancels every sibling when one task fails, waits for
        # them all, then raises the failures together as an ExceptionGroup.
        async with asyncio.TaskGroup() as group:
            for i in range(1, WORKERS + 1):
                group.create_task(worker(i))
        print(f"every worker finished at {now()}")
    except* RuntimeError as failures:
        for error in failures.exceptions:
            print(f"main failed at {now()}: {error}")


asyncio.run(main())
