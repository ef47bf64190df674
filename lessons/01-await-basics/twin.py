"""One fetch awaited, then the same fetch created and never awaited (asyncio)."""
import asyncio
import time

FETCH_S = 1.0
start = time.monotonic()


def now() -> str:
    return f"{time.monotonic() - start:.1f} s"


async def fetch_user(user_id: int) -> str:
    # The first line of the body: it prints the moment the body starts.
    print(f"fetch_user({user_id}) starts at {now()}")
    await asyncio.sleep(FETCH_S)  # stands in for a slow user service
    return f"user {user_id}"


async def main() -> None:
    # Calling an async def only builds a coroutine object; await runs it.
    user = await fetch_user(1)
    print(f"got {user} at {now()}")

    # The same call again, never awaited: a coroutine object nobody runs.
    forgotten = fetch_user(2)
    print("fetch_user(2) created, not awaited")
    # Its last reference goes here; Python warns on stderr as it is
    # collected. (asyncio.create_task(fetch_user(2)) would have started it.)
    del forgotten

    print(f"main returns at {now()}")


asyncio.run(main())
