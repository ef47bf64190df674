"""The asyncio twin of the queue lesson: 2 producers, 3 consumers, a queue of 10."""
import asyncio
import time

PRODUCERS = 2
ITEMS = 5
PUT_EVERY = 0.1
CONSUMERS = 3
WORK = 0.2
CAPACITY = 10


async def producer(p: int, queue: asyncio.Queue) -> None:
    # Producer 1 makes items 1 to 5, producer 2 items 6 to 10.
    for n, item in enumerate(range((p - 1) * ITEMS + 1, p * ITEMS + 1)):
        if n > 0:  # the first put is at once, like the first tick of an interval
            await asyncio.sleep(PUT_EVERY)
        print(f"producer {p}: put item {item}")
        await queue.put(item)  # waits while the queue is full


async def consumer(c: int, queue: asyncio.Queue, done: list) -> None:
    # An asyncio.Queue never closes: this loop has no natural end.
    while True:
        item = await queue.get()
        await asyncio.sleep(WORK)  # the consumer's work on one item
        print(f"consumer {c}: item {item} done")
        done.append(item)
        queue.task_done()


async def main() -> None:
    queue = asyncio.Queue(maxsize=CAPACITY)
    done = []
    start = time.monotonic()
    consumers = [
        asyncio.create_task(consumer(c, queue, done)) for c in range(1, CONSUMERS + 1)
    ]
    await asyncio.gather(*(producer(p, queue) for p in range(1, PRODUCERS + 1)))
    await queue.join()  # every item taken and marked done
    total = time.monotonic() - start
    # The consumers are still parked in queue.get(), and awaiting them would
    # never end: the queue cannot tell them there is nothing more. Cancel them.
    for task in consumers:
        task.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    print(f"every consumer stopped consumed={len(done)} took={total:.1f}s")


asyncio.run(main())
