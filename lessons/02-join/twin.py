"""Ten user fetches: first one after another, then all at once (asyncio)."""
import asyncio
import time

USERS = 10
FETCH_S = 0.5


async def fetch_user(user_id: int) -> str:
    await asyncio.sleep(FETCH_S)  # stands in for a call to a slow service
    return f"user {user_id}"


async def main() -> None:
    # Sequential: each await finishes one fetch before the next starts.
    start = time.perf_counter()
    names = []
    for user_id in range(1, USERS + 1):
        names.append(await fetch_user(user_id))
    took = time.perf_counter() - start
    print(f"sequential fetch done users={len(names)} took={took:.1f}s")

    # Concurrent: gather wraps each coroutine in a Task and waits for all.
    start = time.perf_counter()
    fetches = [fetch_user(user_id) for user_id in range(1, USERS + 1)]
    names = await asyncio.gather(*fetches)
    took = time.perf_counter() - start
    print(f"concurrent fetch done users={len(names)} took={took:.1f}s")

    # Results come back in the order given, not the order they finished.
    print(f"first: {names[0]}, last: {names[-1]}")


asyncio.run(main())
