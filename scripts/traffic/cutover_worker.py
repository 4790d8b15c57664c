"""cutover-reports: a redis-py service that moves from the source to the target during a cutover.

Started by scripts/traffic.ts --to, which passes both servers and the run's schedule in the
environment: TRAFFIC_HOST/TRAFFIC_PORT (the source), TARGET_HOST/TARGET_PORT (the target),
TRAFFIC_DB, CUTOVER_MOVE_AT_MS (wall time it repoints), TRAFFIC_DEADLINE_MS, REDIS_PASSWORD and
TO_REDIS_PASSWORD. A bounded loop: it stops at the deadline, on SIGINT/SIGTERM, or when its stdin
(a pipe from the orchestrator) closes, so it never outlives the run. Loopback only (the
orchestrator checks).
"""
import os
import select
import signal
import sys
import time

import redis

NAME = os.environ.get("CUTOVER_NAME", "cutover-reports")
DEADLINE = int(os.environ["TRAFFIC_DEADLINE_MS"]) / 1000
MOVE_AT = int(os.environ["CUTOVER_MOVE_AT_MS"]) / 1000
stopping = False


def stop(*_):
    global stopping
    stopping = True


def pause(seconds):
    end = min(time.time() + seconds, DEADLINE)
    while not stopping and time.time() < end:
        ready, _, _ = select.select([0], [], [], min(0.25, max(0.0, end - time.time())))
        if ready and os.read(0, 512) == b"":
            stop()
    return not stopping and time.time() < DEADLINE


def connect(host, port, password):
    return redis.Redis(host=host, port=int(port), db=int(os.environ.get("TRAFFIC_DB", "0")), password=password or None, client_name=NAME)


def main():
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    source = connect(os.environ["TRAFFIC_HOST"], os.environ["TRAFFIC_PORT"], os.environ.get("REDIS_PASSWORD"))
    target = None
    n = 0
    while not stopping and time.time() < DEADLINE:
        if target is None and time.time() >= MOVE_AT:
            source.close()
            source.connection_pool.disconnect()
            target = connect(os.environ["TARGET_HOST"], os.environ["TARGET_PORT"], os.environ.get("TO_REDIS_PASSWORD"))
        r = target or source
        try:
            n += 1
            r.set("report:cutover:%d" % (n % 20), str(n), ex=3600)
            r.get("report:cutover:%d" % ((n + 7) % 20))
        except redis.RedisError as e:
            print("cutover-reports: %s" % e, file=sys.stderr)
        if not pause(0.2):
            break
    for r in (source, target):
        if r is not None:
            r.close()
            r.connection_pool.disconnect()


main()
