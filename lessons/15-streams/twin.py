"""The asyncio twin of the streams lesson: pages of items from an async
generator, consumed with async for.

Run with --collect to gather every item into a list before processing any.
"""
import asyncio
import sys
import time

COLLECT = "--collect" in sys.argv
PAGES = 3
PER_PAGE = 5
PAGE = 0.2  # seconds to fetch one page
WORK = 0.0  # seconds of work on one item

start = time.monotonic()


def now() -> str:
    return f"{time.monotonic() - start:.1f} s"


async def fetch_page(page: int) -> list[int]:
    await asyncio.sleep(PAGE)  # stands in for a call to a paged API
    first = (page - 1) * PER_PAGE + 1
    items = list(range(first, first + PER_PAGE))
    print(f"page {page} arrived at {now()} items={len(items)}")
    return items


async def paged_items():
    """An async generator: calling it runs none of this body. Each step of
    `async for` runs it up to the next `yield`."""
    for page in range(1, PAGES + 1):
        for item in await fetch_page(page):
            yield item


async def process(item: int) -> None:
    await asyncio.sleep(WORK)
    print(f"item {item} processed at {now()}")


async def main() -> None:
    processed = 0
    if COLLECT:
        # Drain the generator into a list, then process.
        everything = [item async for item in paged_items()]
        print(f"collected at {now()} items={len(everything)}")
        for item in everything:
            await process(item)
            processed += 1
    else:
        async for item in paged_items():
            await process(item)
            processed += 1
    print(f"every item processed items={processed} took={now()}")


asyncio.run(main())
