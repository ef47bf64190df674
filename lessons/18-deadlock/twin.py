"""Two transfers lock two accounts in opposite orders (asyncio)."""
import asyncio
import sys
import time

STEP = 0.1
ONE_ORDER = "--one-order" in sys.argv
start = time.monotonic()


def now() -> str:
    return f"{time.monotonic() - start:.1f} s"


class Account:
    def __init__(self, number: int, balance: int) -> None:
        self.number = number
        self.balance = balance
        self.lock = asyncio.Lock()


async def transfer(payer: Account, payee: Account, amount: int) -> None:
    # Which lock first: the payer's, or the lower-numbered account's.
    first, second = payer, payee
    if ONE_ORDER and payee.number < payer.number:
        first, second = payee, payer
    async with first.lock:
        await asyncio.sleep(STEP)  # checks the first balance
        async with second.lock:
            payer.balance -= amount
            payee.balance += amount
            await asyncio.sleep(STEP)  # writes both records
    print(f"moved {amount} at {now()}")


async def main() -> None:
    alice, bob = Account(1, 100), Account(2, 100)
    both = asyncio.gather(transfer(alice, bob, 30), transfer(bob, alice, 20))
    try:
        # asyncio would wait forever, silently: give up after a second.
        await asyncio.wait_for(both, timeout=1.0)
        print(f"both transfers done at {now()} alice={alice.balance} bob={bob.balance}")
    except TimeoutError:
        print(f"still waiting at {now()}: neither transfer can go on")


asyncio.run(main())
