"""reports-worker: a Python batch job on redis-py from Debian's python3-redis package.

Every few seconds it SCANs order:* (written by checkout-api), reads a page of orders in a pipeline
and adds them up into report:daily:<date>. Debian bookworm ships redis-py 4.3.4, older than 5.0,
so it names its connection (CLIENT SETNAME) but sends no CLIENT SETINFO lib-name/lib-ver.

Started by scripts/traffic.ts, which passes the server and the run's end in the environment:
TRAFFIC_HOST, TRAFFIC_PORT or TRAFFIC_SOCKET, TRAFFIC_DB, TRAFFIC_DEADLINE_MS, TRAFFIC_RATE,
REDIS_USERNAME and REDIS_PASSWORD. It stops at the deadline, on SIGINT/SIGTERM, or when its stdin
(a pipe from the orchestrator) closes, so it never outlives the run.
"""
import datetime
import os
import random
import select
import signal
import sys
import time

import redis

NAME = "reports-worker"
DEADLINE = int(os.environ["TRAFFIC_DEADLINE_MS"]) / 1000
RATE = float(os.environ.get("TRAFFIC_RATE", "1"))
stopping = False
warned = set()


def stop(*_):
    global stopping
    stopping = True


def pause(seconds):
    """Waits, but returns False as soon as the run should end."""
    end = min(time.time() + seconds / RATE, DEADLINE)
    while not stopping and time.time() < end:
        ready, _, _ = select.select([0], [], [], min(0.25, max(0.0, end - time.time())))
        if ready and os.read(0, 512) == b"":
            stop()  # the orchestrator is gone
    return not stopping and time.time() < DEADLINE


def warn(err):
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    if text not in warned:
        warned.add(text)
        print(f"{type(err).__name__}: {text}", file=sys.stderr)


def connect():
    options = dict(
        db=int(os.environ.get("TRAFFIC_DB", "0")),
        client_name=NAME,
        username=os.environ.get("REDIS_USERNAME") or None,
        password=os.environ.get("REDIS_PASSWORD") or None,
        socket_timeout=5,
    )
    if os.environ.get("TRAFFIC_SOCKET"):
        return redis.Redis(unix_socket_path=os.environ["TRAFFIC_SOCKET"], **options)
    return redis.Redis(host=os.environ["TRAFFIC_HOST"], port=int(os.environ["TRAFFIC_PORT"]), **options)


def report(r, cursor):
    cursor, keys = r.scan(cursor, match="order:*", count=100)
    reads = r.pipeline(transaction=False)
    for key in keys[:20]:
        reads.hgetall(key)
    orders = reads.execute()
    revenue = sum(float(o.get(b"total", 0)) for o in orders)
    day = f"report:daily:{datetime.date.today().isoformat()}"
    writes = r.pipeline(transaction=False)
    writes.hincrbyfloat(day, "revenue", revenue)
    writes.hincrby(day, "orders", len(orders))
    writes.hset(day, "updated", int(time.time()))
    writes.expire(day, 3600)
    writes.execute()
    return cursor


def main():
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    r = connect()
    cursor = 0
    while True:
        try:
            cursor = report(r, cursor)
        except redis.exceptions.RedisError as err:
            warn(err)
        if not pause(random.uniform(1.0, 3.0)):
            break
    r.close()


if __name__ == "__main__":
    main()
