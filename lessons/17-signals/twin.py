"""The asyncio twin of the signals lesson: waiters wait for one event.

python3 twin.py [event|condition|barrier] [--late]

event      asyncio.Event: set() raises a flag that stays up (the default)
condition  asyncio.Condition: notify_all() wakes those waiting, then forgets
barrier    asyncio.Barrier: everyone goes on when the last party arrives
--late     adds a late waiter, who starts waiting at 2.5 s
"""
import asyncio
import sys
import time

MODE = next((a for a in sys.argv[1:] if not a.startswith("--")), "event")
LATE = "--late" in sys.argv
WAITERS = 3
STAGGER = 0.5
SET_AT = 2.0
LATE_AT = 2.5

start = time.monotonic()


def now() -> str:
    return f"{time.monotonic() - start:.1f} s"


async def sleep_until(t: float) -> None:
    await asyncio.sleep(max(0.0, start + t - time.monotonic()))


class Signal:
    """One event, in the form MODE picks."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.condition = asyncio.Condition()
        # One party per waiter, plus the setter (not the late waiter).
        self.barrier = asyncio.Barrier(WAITERS + 1)

    async def wait(self, name: str) -> None:
        if MODE == "event":
            await self.event.wait()  # returns at once if the flag is up
        elif MODE == "condition":
            async with self.condition:  # wait() needs the lock held
                await self.condition.wait()  # for the next notify, only
        else:
            await self.meet(name)

    async def set(self, name: str) -> None:
        if MODE == "event":
            self.event.set()
            print(f"{name}: set() at {now()}")
        elif MODE == "condition":
            async with self.condition:  # so does notify_all()
                self.condition.notify_all()
            print(f"{name}: notify_all() at {now()}")
        else:
            print(f"{name}: arrives at the barrier at {now()}")
            await self.meet(name)

    async def meet(self, name: str) -> None:
        # Every party gets its own index, 0 for the first to arrive.
        index = await self.barrier.wait()
        print(f"{name}: barrier index {index}")


async def waiter(name: str, arrives: float, signal: Signal) -> None:
    await sleep_until(arrives)  # whatever it does before it needs the event
    await signal.wait(name)
    print(f"{name}: done waiting at {now()}")


async def setter(signal: Signal) -> None:
    await sleep_until(SET_AT)
    await signal.set("setter")


async def main() -> None:
    signal = Signal()
    tasks = [
        asyncio.create_task(waiter(f"waiter {i}", (i - 1) * STAGGER, signal))
        for i in range(1, WAITERS + 1)
    ]
    tasks.append(asyncio.create_task(setter(signal)))
    if LATE:
        late = asyncio.create_task(waiter("late waiter", LATE_AT, signal))
    await asyncio.gather(*tasks)
    if LATE:
        # Awaited plainly, a late waiter that missed its wake-up would hang
        # the program, silently: asyncio cannot tell a wait that will end
        # from one that never will. The twin gives it one second.
        patience = start + LATE_AT + 1.0 - time.monotonic()
        done, _ = await asyncio.wait({late}, timeout=max(0.0, patience))
        if not done:
            print(f"late waiter: still waiting at {now()}; nothing here will wake it")
            late.cancel()
            return
    print(f"everyone is through at {now()}")


asyncio.run(main())
