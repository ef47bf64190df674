"""The asyncio twin of the task-local lesson: three requests, each with its
own request id in a ContextVar, logging from nested calls.

Run with --fresh-context to start each audit task in an empty context,
which is where a task spawned with tokio::spawn starts.
"""
import asyncio
import contextvars
import sys
import time

FRESH_CONTEXT = "--fresh-context" in sys.argv
REQUESTS = 3
QUERY = 0.1  # request i waits i times this on each query
AUDIT = 0.05

REQUEST_ID = contextvars.ContextVar("request_id")
start = time.monotonic()


def log(message: str) -> None:
    """Every line carries the request id, read from the context."""
    elapsed = f"{time.monotonic() - start:.2f}".rstrip("0").rstrip(".")
    elapsed = elapsed if "." in elapsed else elapsed + ".0"
    print(f"{elapsed:>4} s  {message} request_id={REQUEST_ID.get()}")


async def query(table: str, latency: float) -> None:
    await asyncio.sleep(latency)  # waiting for the database
    log(f"{table} query answered")


async def load_user(latency: float) -> None:
    log("loading the user")
    await query("users", latency)


async def load_orders(latency: float) -> None:
    log("loading the orders")
    await query("orders", latency)


async def audit() -> None:
    await asyncio.sleep(AUDIT)
    REQUEST_ID.get()  # raises LookupError if this context has no value
    log("audit record written")


async def handle_request(request_id: int, latency: float) -> bool:
    # This task runs in its own copy of the context: setting the variable
    # here changes it for this request only.
    REQUEST_ID.set(request_id)
    log("request received")
    # create_task copies the current context into the new task, unless it
    # is given another one.
    context = contextvars.Context() if FRESH_CONTEXT else None
    audit_task = asyncio.create_task(audit(), context=context)
    await load_user(latency)
    await load_orders(latency)
    try:
        await audit_task
        audited = True
    except LookupError as error:
        log(f"the audit task failed: {type(error).__name__}")
        audited = False
    log("response sent")
    return audited


async def main() -> None:
    tasks = [
        asyncio.create_task(handle_request(i, i * QUERY)) for i in range(1, REQUESTS + 1)
    ]
    audited = sum(await asyncio.gather(*tasks))
    print(f"every request answered requests={REQUESTS} audited={audited}")


asyncio.run(main())
