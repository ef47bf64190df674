"""The asyncio twin of the race lesson: three mirrors, then a wait in a loop."""
import asyncio
import time

MIRRORS = {1: 0.3, 2: 0.1, 3: 0.2}  # mirror number: seconds to answer
ITEMS = 6
ITEM_EVERY = 0.1
TICK = 0.35
BATCH = 4

start = time.monotonic()


def now() -> str:
    """Seconds since the start, to the hundredth: 0.1 s, 0.45 s."""
    text = f"{time.monotonic() - start:.2f}".rstrip("0")
    return f"{text}0 s" if text.endswith(".") else f"{text} s"


async def sleep_until(deadline: float) -> None:
    # Deadlines, not fixed sleeps, so that real time does not drift.
    await asyncio.sleep(max(0.0, deadline - time.monotonic()))


async def mirror(number: int, latency: float) -> str:
    await asyncio.sleep(latency)
    return f"mirror {number}"


async def produce(queue: asyncio.Queue, begin: float) -> None:
    for item in range(1, ITEMS + 1):
        await sleep_until(begin + item * ITEM_EVERY)
        queue.put_nowait(item)
    queue.put_nowait(None)  # asyncio.Queue cannot be closed: a sentinel


async def gather(queue: asyncio.Queue) -> tuple[list, bool]:
    """Not cancel-safe: the batch lives in this coroutine."""
    batch = []
    while len(batch) < BATCH:
        item = await queue.get()
        if item is None:
            return batch, True  # closed
        batch.append(item)
        print(f"  took item {item}, {len(batch)} held")
    return batch, False


async def fill(queue: asyncio.Queue, batch: list) -> bool:
    """Cancel-safe: the batch belongs to the caller. Returns True once closed."""
    while len(batch) < BATCH:
        item = await queue.get()
        if item is None:
            return True
        batch.append(item)
        print(f"  took item {item}, {len(batch)} held")
    return False


async def race(one, other):
    """Waits for the first of two coroutines, like select! with biased;."""
    tasks = [asyncio.create_task(one), asyncio.create_task(other)]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    # asyncio.wait cancels nothing: what select! does by dropping the loser,
    # Python must ask for, and wait for.
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return tasks[0] in done, tasks[0], tasks[1]


def report(part: str, received: list) -> None:
    lost = [i for i in range(1, ITEMS + 1) if i not in received]
    if lost:
        print(f"{part}: items lost sent={ITEMS} received={received} lost={lost}")
    else:
        print(f"{part}: nothing lost sent={ITEMS} received={received}")


async def main() -> None:
    # Part 1: the first mirror to answer wins.
    tasks = {
        asyncio.create_task(mirror(n, latency), name=f"mirror {n}")
        for n, latency in MIRRORS.items()
    }
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    print(f"{done.pop().result()} answered first, at {now()}")
    for task in sorted(pending, key=lambda t: t.get_name()):
        print(f"{task.get_name()} still running: {not task.done()}")
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    print(f"the others cancelled at {now()}")

    # Part 2: the batch inside the coroutine that loses the race.
    queue = asyncio.Queue()
    begin = time.monotonic()
    producer = asyncio.create_task(produce(queue, begin))
    next_tick, received = begin + TICK, []
    while True:
        won, batch_task, _ = await race(gather(queue), sleep_until(next_tick))
        if won:
            batch, closed = batch_task.result()
            if batch:
                print(f"got a batch at {now()} batch={batch}")
            received += batch
            if closed:
                break
        else:
            print(f"tick at {now()}")
            next_tick += TICK
    await producer
    report("gather", received)

    # Part 3: the batch kept outside; the loser is cancelled all the same.
    queue = asyncio.Queue()
    begin = time.monotonic()
    producer = asyncio.create_task(produce(queue, begin))
    next_tick, received, batch = begin + TICK, [], []
    while True:
        won, fill_task, _ = await race(fill(queue, batch), sleep_until(next_tick))
        if won:
            if batch:
                print(f"got a batch at {now()} batch={batch}")
                received += batch
                batch.clear()
            if fill_task.result():
                break
        else:
            print(f"tick at {now()} held={len(batch)}")
            next_tick += TICK
    await producer
    report("fill", received)
    print(f"done at {now()}")


asyncio.run(main())
