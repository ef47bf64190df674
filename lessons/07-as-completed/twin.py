"""The asyncio twin of the as-completed lesson: five fetches, handled as they finish."""
import asyncio
import time

UNIT = 0.1  # seconds
UNITS = [5, 2, 4, 1, 3]  # fetch 1 takes 5 units, fetch 2 takes 2 ...
HANDLE = 0.0  # seconds main spends on each result

start = time.monotonic()


def now() -> str:
    return f"{time.monotonic() - start:.1f} s"


async def fetch(number: int, latency: float) -> int:
    await asyncio.sleep(latency)  # stands in for a slow server
    return number  # says which fetch it was


async def main() -> None:
    tasks = [
        asyncio.create_task(fetch(number, UNIT * units))
        for number, units in enumerate(UNITS, start=1)
    ]
    # as_completed yields new awaitables in the order the tasks finish, not
    # the tasks themselves: which fetch it was has to come from the result.
    for nth, next_done in enumerate(asyncio.as_completed(tasks), start=1):
        number = await next_done
        print(f"handling result {nth} fetch={number} at={now()}")
        await asyncio.sleep(HANDLE)
    print(f"every result handled at {now()}")


asyncio.run(main())
