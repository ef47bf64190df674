"""Tasks A and B run while main does its own work (asyncio)."""
import asyncio
import time

A_S, B_S, WORK_S = 2.0, 1.0, 0.5
start = time.perf_counter()


def now() -> str:
    return f"{time.perf_counter() - start:.1f} s"


async def job(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)
    print(f"{name} finished at {now()}")
    return name


async def main() -> None:
    # create_task schedules each job at once; keep the Task objects: the
    # event loop holds tasks only weakly, so an unreferenced one may vanish.
    a = asyncio.create_task(job("A", A_S))
    b = asyncio.create_task(job("B", B_S))

    await asyncio.sleep(WORK_S)  # main's own work
    print(f"own work done at {now()}")

    print(f"{await a} joined at {now()}")
    print(f"{await b} joined at {now()}")


asyncio.run(main())
