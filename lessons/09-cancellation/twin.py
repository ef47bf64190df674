"""The asyncio twin of the cancellation lesson: a worker doing 1 s steps,
with an async flush at the end, cancelled by main with task.cancel()."""
import asyncio
import time

STEPS = 5
STEP = 1.0
CLEANUP = 0.2
CANCEL_AT = 2.5

start = time.monotonic()


def now() -> str:
    return f"{time.monotonic() - start:.1f} s"


async def flush(pending: list[int]) -> int:
    await asyncio.sleep(CLEANUP)  # stands in for the disk
    written = len(pending)
    pending.clear()
    return written


async def worker() -> int:
    pending: list[int] = []
    step = 0
    try:
        for step in range(1, STEPS + 1):
            await asyncio.sleep(STEP)
            pending.append(step)
            print(f"worker: step {step} done at {now()}")
    except asyncio.CancelledError:
        # task.cancel() throws CancelledError in at the await above. The
        # worker may catch it, and may even await on its way out.
        print(f"worker: cancelled during step {step} at {now()}")
        written = await flush(pending)
        print(f"worker: flushed steps={written} at {now()}")
        raise  # let the cancellation go on: main sees a cancelled task
    return await flush(pending)


async def main() -> None:
    task = asyncio.create_task(worker())
    await asyncio.sleep(CANCEL_AT)
    print(f"main: cancelling the worker at {now()}")
    task.cancel()  # a request: it takes effect at the worker's next await
    try:
        written = await task
        print(f"main: worker joined at {now()} flushed={written}")
    except asyncio.CancelledError:
        print(f"main: worker joined at {now()}: cancelled")


asyncio.run(main())
