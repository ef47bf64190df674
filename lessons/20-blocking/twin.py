"""The asyncio twin of the blocking lesson: two sleepers and a blocker.

Run it as is to block the event loop with time.sleep, or with the argument
`asyncio` to wait with asyncio.sleep instead.
"""
import asyncio
import sys
import time

SLEEP = sys.argv[1] if len(sys.argv) > 1 else "time"  # "time" or "asyncio"
NAP = 0.5
BLOCK = 1.0


async def sleeper(i: int, start: float) -> None:
    await asyncio.sleep(NAP)  # parks this coroutine; the loop is free
    print(f"sleeper {i}: woke after {time.monotonic() - start:.1f} s")


async def blocker() -> None:
    print(f"blocker: waiting {BLOCK:.1f} s")
    if SLEEP == "time":
        time.sleep(BLOCK)  # the event loop's only thread sleeps
    else:
        await asyncio.sleep(BLOCK)


async def main() -> None:
    start = time.monotonic()
    # Created first, so the sleepers start their timers before the blocker runs.
    tasks = [asyncio.create_task(sleeper(i, start)) for i in (1, 2)]
    tasks.append(asyncio.create_task(blocker()))
    await asyncio.gather(*tasks)
    print(f"main: all three done after {time.monotonic() - start:.1f} s")


asyncio.run(main())
