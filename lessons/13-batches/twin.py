"""The asyncio twin of the batches lesson: 30 items of 0.1 to 0.3 s, ten at
a time, in fixed batches and then in a sliding window."""
import asyncio
import itertools
import time

ITEMS = 30
UNIT = 0.1
BATCH = 10


async def process(i: int) -> int:
    # Items 3, 6, 9 … take one unit, 1, 4, 7 … two, 2, 5, 8 … three.
    await asyncio.sleep(UNIT * (1 + i % 3))
    return i


async def batches(start: float) -> int:
    done = 0
    items = list(range(1, ITEMS + 1))
    for n, first in enumerate(range(0, ITEMS, BATCH), start=1):
        # gather returns when the last item of the batch is done.
        batch = items[first:first + BATCH]
        done += len(await asyncio.gather(*(process(i) for i in batch)))
        print(f"batch {n} done at {time.monotonic() - start:.1f} s")
    return done


async def window() -> int:
    # asyncio.wait(FIRST_COMPLETED) returns as soon as any task is done;
    # each finished task's place goes to the next item, if one is left.
    items = iter(range(1, ITEMS + 1))
    running = {asyncio.create_task(process(i)) for i in itertools.islice(items, BATCH)}
    done = 0
    while running:
        finished, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        done += len(finished)
        for i in itertools.islice(items, len(finished)):
            running.add(asyncio.create_task(process(i)))
    return done


async def main() -> None:
    start = time.monotonic()
    done = await batches(start)
    print(f"batches done items={done} took={time.monotonic() - start:.1f}s")

    start = time.monotonic()
    done = await window()
    print(f"window done items={done} took={time.monotonic() - start:.1f}s")


asyncio.run(main())
