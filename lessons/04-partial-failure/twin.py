"""Six items, some of which fail: every error kept, then only the first (asyncio)."""
import asyncio
import time

ITEMS = 6
ITEM_S = 0.1
FAIL_EVERY = 3
start = time.monotonic()


def now() -> str:
    return f"{time.monotonic() - start:.1f} s"


async def process(item: int) -> int:
    """Processes one item. Items whose number is a multiple of FAIL_EVERY fail."""
    await asyncio.sleep(ITEM_S)
    if item % FAIL_EVERY == 0:
        print(f"  item {item} fails at {now()}")
        raise ValueError(f"item {item}: bad record")
    print(f"  item {item} done at {now()}")
    return item * 10


async def main() -> None:
    # Part one: with return_exceptions=True, gather waits for every item and
    # hands back the exceptions as values, in the list, in the order given.
    t0 = time.monotonic()
    results = await asyncio.gather(
        *(process(i) for i in range(1, ITEMS + 1)), return_exceptions=True
    )
    took = time.monotonic() - t0
    failed = 0
    for result in results:
        if isinstance(result, Exception):
            failed += 1
            print(f"gather error: {result}")
    ok = len(results) - failed
    print(f"gather(return_exceptions=True) finished failed={failed} ok={ok} took={took:.1f}s")

    # Part two: plain gather raises the first exception at once. Unlike
    # try_join_all, it cancels nothing: the other tasks run on.
    t0 = time.monotonic()
    tasks = [asyncio.create_task(process(i)) for i in range(1, ITEMS + 1)]
    try:
        await asyncio.gather(*tasks)
    except ValueError as error:
        took = time.monotonic() - t0
        print(f"gather stopped: {error} took={took:.1f}s")
    # Wait for the tasks gather left behind, and count the cancelled ones.
    await asyncio.wait(tasks)
    cancelled = sum(task.cancelled() for task in tasks)
    print(f"after gather: cancelled={cancelled}, main returns at {now()}")

asyncio.run(main())
