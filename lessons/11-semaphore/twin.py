"""The asyncio twin of the semaphore lesson: 20 requests, 3 at a time."""
import asyncio
import time

REQUESTS = 20
PERMITS = 3
WORK = 0.5


async def request(i: int, limit: asyncio.Semaphore) -> None:
    # Waits here for a permit; leaving the block gives it back.
    async with limit:
        print(f"request {i}: got a permit")
        await asyncio.sleep(WORK)  # the request's work


async def main() -> None:
    limit = asyncio.Semaphore(PERMITS)
    start = time.monotonic()
    tasks = [asyncio.create_task(request(i, limit)) for i in range(1, REQUESTS + 1)]
    await asyncio.gather(*tasks)
    total = time.monotonic() - start
    print(f"all done requests={REQUESTS} permits={PERMITS} took={total:.1f}s")


asyncio.run(main())
