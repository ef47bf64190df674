"""The asyncio twin of the timeout lesson: an operation that needs 5 s, given 2 s."""
import asyncio
import time

WORK = 5.0
BUDGET = 2.0
STEPS = 4


async def operation(total: float) -> str:
    """Slow work in four equal steps, printing after each one."""
    for step in range(1, STEPS + 1):
        await asyncio.sleep(total / STEPS)
        print(f"operation: step {step} of {STEPS} done")
    return "report"


async def main() -> None:
    start = time.monotonic()
    try:
        # Cancels this task's await when the budget runs out; the
        # CancelledError becomes a TimeoutError at the end of the block.
        # asyncio.wait_for(operation(WORK), BUDGET) does the same job.
        async with asyncio.timeout(BUDGET):
            report = await operation(WORK)
        print(f"main: got the {report} after {time.monotonic() - start:.1f} s")
    except TimeoutError:
        print(f"main: gave up after {time.monotonic() - start:.1f} s: TimeoutError")
        # Stay until the operation would have finished.
        await asyncio.sleep(WORK - (time.monotonic() - start))
        print(f"main: nothing more from the operation by {time.monotonic() - start:.1f} s")


asyncio.run(main())
