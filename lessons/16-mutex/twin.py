"""The asyncio twin of the mutex lesson: 5 workers add 1 ten times each.

Run with --no-lock to read and write without the lock.
"""
import asyncio
import sys
import time

LOCK = "--no-lock" not in sys.argv
WORKERS = 5
INCREMENTS = 10
PAUSE = 0.01

counter = 0


async def increment(lock: asyncio.Lock) -> int:
    global counter
    if LOCK:
        async with lock:  # held from the read to the write, pause included
            read = counter
            await asyncio.sleep(PAUSE)
            counter = read + 1
    else:
        read = counter
        await asyncio.sleep(PAUSE)  # others read the same value meanwhile
        counter = read + 1
    return read


async def worker(w: int, lock: asyncio.Lock) -> None:
    for _ in range(INCREMENTS):
        read = await increment(lock)
        print(f"worker {w}: read {read}, wrote {read + 1}")


async def main() -> None:
    lock = asyncio.Lock()
    start = time.monotonic()
    await asyncio.gather(*(worker(w, lock) for w in range(1, WORKERS + 1)))
    total = time.monotonic() - start
    expected = WORKERS * INCREMENTS
    print(f"final count {counter} (expected {expected}) after {total:.1f} s")
    if counter < expected:
        print(f"updates lost: {expected - counter}")


asyncio.run(main())
