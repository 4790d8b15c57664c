"""A redis-py RedisCluster client (Debian's python3-redis 4.3.4) driven by a test over stdin.

It names itself (CLIENT SETNAME on every node connection), connects to the seed in CLUSTER_HOST and
CLUSTER_PORT with REDIS_PASSWORD (from the environment: never on the command line), then for each
line `round <first> <count> <prefix>` on stdin SETs and GETs keys <prefix><first>..<first+count-1>,
which spread over every slot, and answers `done <count>` on stdout. It stops at the end of stdin.
Bounded: each round is the count asked, with a deadline on every command.
"""
import os
import sys

from redis.cluster import RedisCluster

client = RedisCluster(
    host=os.environ["CLUSTER_HOST"],
    port=int(os.environ["CLUSTER_PORT"]),
    password=os.environ.get("REDIS_PASSWORD") or None,
    client_name=os.environ.get("CLIENT_NAME", "py-cluster"),
    socket_timeout=5,
    cluster_error_retry_attempts=10,
)
print("ready", flush=True)
for line in sys.stdin:
    parts = line.split()
    if len(parts) != 4 or parts[0] != "round":
        continue
    first, count, prefix = int(parts[1]), int(parts[2]), parts[3]
    for i in range(first, first + count):
        client.set(f"{prefix}{i}", "v")
        client.get(f"{prefix}{i}")
    print(f"done {count}", flush=True)
client.close()
