#!/usr/bin/python3
"""SimPy 3 peer implementation of the archsim benchmark models.

Run with Debian's interpreter and python3-simpy3:

    /usr/bin/python3 bench/simpy_peer.py --model {mmc,web_tier,cache_aside} --requests N [--seed S]

The run stops when the N-th request completes (an event triggered by that
completion is passed to env.run). Wall time is measured with
time.perf_counter() around env.run() only, and the process's CPU time with
time.process_time() (which leaves out the time spent waiting for a core). Exactly one JSON line is printed
to stdout. Time unit: seconds.

Models (must match the archsim scenarios of the same name; cache_aside is
bench/cache-aside.json):

mmc
    Poisson arrivals at 12,800 req/s; one pool of 16 workers with one
    unbounded FIFO queue; exponential service, mean 1 ms; no network.
    Response = departure - arrival.

    Theory (M/M/c, Erlang C): c = 16, offered load a = lambda/mu = 12.8,
    rho = a/c = 0.8.
        C(c, a) = [a^c/c! / (1-rho)] / [sum_{k<c} a^k/k! + a^c/c! / (1-rho)]
                = 0.30488
        Wq = C / (c*mu - lambda) = 0.30488 / (16000 - 12800) s = 0.09528 ms
        W  = 1/mu + Wq = 1.09528 ms
    So mean_response_ms should be close to 1.095 for large N
    (N = 200,000 gives about 1.09-1.10).

web_tier
    Poisson arrivals at 4,000 req/s from a client. Each network hop costs a
    constant 0.25 ms one way; replies go back over the same links at the same
    cost. client -> lb -> web[i] -> db -> web[i] -> lb -> client.
    The load balancer takes no time and picks replicas round robin.
    4 web replicas, each 8 workers with its own FIFO queue of at most 1,000
    waiting requests; a web worker computes Exp(mean 2 ms) then makes a
    synchronous database call, holding the worker until the db reply is back.
    The database: 1 replica, 16 workers, FIFO queue of at most 1,000 waiting,
    service Exp(mean 2 ms). A request arriving at a full queue is rejected and
    a failure reply is sent back at once (counted in "rejected", never as a
    completion). Response = client send -> client receives a successful reply.
    No-queueing floor: 6 hops * 0.25 + 2 + 2 = 5.5 ms.

cache_aside
    Poisson arrivals at 4,000 req/s, each for a key drawn from Zipf(0.9)
    over 10^6 keys (rank k with probability proportional to 1/k^0.9, drawn
    from a precomputed cumulative table by bisection). Every hop 0.25 ms one
    way. The client sends to 4 web replicas directly, which take arrivals
    in turn (round robin, as a replicated archsim service does); each has 8
    workers and a FIFO queue of at most 1,000. A web worker computes
    Exp(mean 1 ms), then, holding the worker, calls the cache:
    web -> cache -> web. The cache is one server (simpy.Resource of 1, FIFO
    queue of at most 1,000) holding up to 10^5 keys, LRU (an OrderedDict:
    move_to_end on a hit, popitem(last=False) to evict). A lookup takes a
    constant 0.1 ms, hit or miss, and looks the key up at the start of that
    time. On a hit the worker is done. On a miss it reads the database
    (web -> db -> web; 16 workers, FIFO queue of at most 1,000, Exp(mean
    2 ms)) and then fills the cache (web -> cache -> web; a write of 0.1 ms
    that stores the key at its end, evicting the least recently used when
    full; a key already held, filled by a concurrent miss, is only moved to
    the most recent end). A request arriving at a full queue is rejected;
    the web worker ends the request with a failure at once (no fill).
    The cache starts empty and is not warmed up: the hit rate of a run
    depends on its length (about 0.54 over the first 2 x 10^5 requests,
    0.62 over 10^6), so compare runs of the same length.
    No-queueing floor: a hit 4 hops * 0.25 + 1 + 0.1 = 2.1 ms; a miss
    adds 4 hops + 2 + 0.1 = 3.1 ms, 5.2 ms in all.
"""

import argparse
import bisect
import itertools
import json
import random
import sys
import time
from collections import OrderedDict

import simpy


def _simpy_version():
    v = getattr(simpy, "__version__", None)
    if v is None:
        try:
            from importlib.metadata import version
            v = version("simpy")
        except Exception:  # pragma: no cover
            v = "unknown"
    return v


class Stats:
    """Completion counter; triggers `done` on the N-th completion."""

    def __init__(self, env, n):
        self.n = n
        self.completed = 0
        self.rejected = 0
        self.sum_response = 0.0
        self.done = env.event()

    def complete(self, response):
        if self.completed >= self.n:
            return  # a completion at the same instant as the N-th, after it
        self.completed += 1
        self.sum_response += response
        if self.completed == self.n:
            self.done.succeed()


# ---------------------------------------------------------------- mmc model

MMC_ARRIVAL_RATE = 12800.0   # req/s
MMC_WORKERS = 16
MMC_SERVICE_MEAN = 0.001     # s


def mmc_request(env, pool, rng, stats):
    arrival = env.now
    with pool.request() as req:
        yield req
        yield env.timeout(rng.expovariate(1.0 / MMC_SERVICE_MEAN))
    stats.complete(env.now - arrival)


def mmc_source(env, pool, rng, stats):
    rate = MMC_ARRIVAL_RATE
    while True:
        yield env.timeout(rng.expovariate(rate))
        env.process(mmc_request(env, pool, rng, stats))


def build_mmc(env, rng, stats):
    pool = simpy.Resource(env, capacity=MMC_WORKERS)
    env.process(mmc_source(env, pool, rng, stats))


# ----------------------------------------------------------- web_tier model

WEB_ARRIVAL_RATE = 4000.0    # req/s
HOP = 0.00025                # s, one way, every link
WEB_REPLICAS = 4
WEB_WORKERS = 8
WEB_QUEUE_MAX = 1000
WEB_COMPUTE_MEAN = 0.002     # s
DB_WORKERS = 16
DB_QUEUE_MAX = 1000
DB_SERVICE_MEAN = 0.002      # s


class LoadBalancer:
    def __init__(self, replicas):
        self.replicas = replicas
        self.next = 0

    def pick(self):
        r = self.replicas[self.next]
        self.next = (self.next + 1) % len(self.replicas)
        return r


def db_call(env, db, rng):
    """Runs at the database; returns True on success, False if rejected."""
    if len(db.queue) >= DB_QUEUE_MAX:
        return False
    with db.request() as req:
        yield req
        yield env.timeout(rng.expovariate(1.0 / DB_SERVICE_MEAN))
    return True


def web_handle(env, web, db, rng):
    """Runs at a web replica; returns True on success, False on failure."""
    if len(web.queue) >= WEB_QUEUE_MAX:
        return False                       # rejected: failure reply at once
    with web.request() as req:
        yield req
        yield env.timeout(rng.expovariate(1.0 / WEB_COMPUTE_MEAN))
        # synchronous db call, worker held throughout
        yield env.timeout(HOP)             # web -> db
        ok = yield from db_call(env, db, rng)
        yield env.timeout(HOP)             # db -> web
    return ok


def web_request(env, lb, db, rng, stats):
    sent = env.now
    yield env.timeout(HOP)                 # client -> lb
    web = lb.pick()                        # lb takes no time
    yield env.timeout(HOP)                 # lb -> web
    ok = yield from web_handle(env, web, db, rng)
    yield env.timeout(HOP)                 # web -> lb
    yield env.timeout(HOP)                 # lb -> client
    if ok:
        stats.complete(env.now - sent)
    else:
        stats.rejected += 1


def web_source(env, lb, db, rng, stats):
    rate = WEB_ARRIVAL_RATE
    while True:
        yield env.timeout(rng.expovariate(rate))
        env.process(web_request(env, lb, db, rng, stats))


def build_web_tier(env, rng, stats):
    webs = [simpy.Resource(env, capacity=WEB_WORKERS)
            for _ in range(WEB_REPLICAS)]
    db = simpy.Resource(env, capacity=DB_WORKERS)
    lb = LoadBalancer(webs)
    env.process(web_source(env, lb, db, rng, stats))


# -------------------------------------------------------- cache_aside model

CA_ARRIVAL_RATE = 4000.0     # req/s
CA_KEYS = 1000000
CA_ZIPF_EXPONENT = 0.9
CA_WEB_REPLICAS = 4
CA_WEB_WORKERS = 8
CA_WEB_QUEUE_MAX = 1000
CA_COMPUTE_MEAN = 0.001      # s
CA_CACHE_KEYS = 100000
CA_CACHE_QUEUE_MAX = 1000
CA_CACHE_TIME = 0.0001       # s, constant: a lookup (hit or miss) or a fill
CA_DB_WORKERS = 16
CA_DB_QUEUE_MAX = 1000
CA_DB_READ_MEAN = 0.002      # s


class ZipfKeys:
    """Keys 0..n-1, key k drawn with probability proportional to 1/(k+1)^s."""

    def __init__(self, n, s):
        self.cumulative = list(itertools.accumulate(k ** -s for k in range(1, n + 1)))
        self.total = self.cumulative[-1]
        self.last = n - 1

    def draw(self, rng):
        # As random.choices does with cum_weights, without its list.
        return bisect.bisect(self.cumulative, rng.random() * self.total, 0, self.last)


class LruCache:
    """The keys a cache holds, least recently used first."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.keys = OrderedDict()
        self.lookups = 0
        self.hits = 0

    def lookup(self, key):
        self.lookups += 1
        if key in self.keys:
            self.keys.move_to_end(key)
            self.hits += 1
            return True
        return False

    def fill(self, key):
        keys = self.keys
        if key in keys:
            keys.move_to_end(key)          # filled meanwhile by another miss
        else:
            keys[key] = None
            if len(keys) > self.capacity:
                keys.popitem(last=False)


def ca_cache_call(env, cache, lru, key, fill):
    """Runs at the cache. A lookup returns True on a hit, False on a miss; a
    fill returns False; None when rejected."""
    if len(cache.queue) >= CA_CACHE_QUEUE_MAX:
        return None
    with cache.request() as req:
        yield req
        if fill:
            yield env.timeout(CA_CACHE_TIME)
            lru.fill(key)                  # stored at the end of the write
            return False
        hit = lru.lookup(key)              # looked up at the start of the step
        yield env.timeout(CA_CACHE_TIME)
    return hit


def ca_db_read(env, db, rng):
    """Runs at the database; returns True on success, False if rejected."""
    if len(db.queue) >= CA_DB_QUEUE_MAX:
        return False
    with db.request() as req:
        yield req
        yield env.timeout(rng.expovariate(1.0 / CA_DB_READ_MEAN))
    return True


def ca_web_handle(env, web, cache, lru, db, rng, key):
    """Runs at a web replica; returns True on success, False on failure."""
    if len(web.queue) >= CA_WEB_QUEUE_MAX:
        return False                       # rejected: failure reply at once
    with web.request() as req:
        yield req
        yield env.timeout(rng.expovariate(1.0 / CA_COMPUTE_MEAN))
        # the cache call, worker held throughout
        yield env.timeout(HOP)             # web -> cache
        hit = yield from ca_cache_call(env, cache, lru, key, False)
        yield env.timeout(HOP)             # cache -> web
        if hit is None:
            return False
        if hit:
            return True
        # on a miss: read the database, then fill the cache
        yield env.timeout(HOP)             # web -> db
        ok = yield from ca_db_read(env, db, rng)
        yield env.timeout(HOP)             # db -> web
        if not ok:
            return False
        yield env.timeout(HOP)             # web -> cache
        filled = yield from ca_cache_call(env, cache, lru, key, True)
        yield env.timeout(HOP)             # cache -> web
    return filled is not None


def ca_request(env, webs, cache, lru, db, keys, rng, stats):
    sent = env.now
    key = keys.draw(rng)
    yield env.timeout(HOP)                 # client -> web
    web = webs.pick()                      # the replicas take arrivals in turn
    ok = yield from ca_web_handle(env, web, cache, lru, db, rng, key)
    yield env.timeout(HOP)                 # web -> client
    if ok:
        stats.complete(env.now - sent)
    else:
        stats.rejected += 1


def ca_source(env, webs, cache, lru, db, keys, rng, stats):
    rate = CA_ARRIVAL_RATE
    while True:
        yield env.timeout(rng.expovariate(rate))
        env.process(ca_request(env, webs, cache, lru, db, keys, rng, stats))


def build_cache_aside(env, rng, stats):
    webs = LoadBalancer([simpy.Resource(env, capacity=CA_WEB_WORKERS)
                         for _ in range(CA_WEB_REPLICAS)])
    cache = simpy.Resource(env, capacity=1)
    lru = LruCache(CA_CACHE_KEYS)
    db = simpy.Resource(env, capacity=CA_DB_WORKERS)
    keys = ZipfKeys(CA_KEYS, CA_ZIPF_EXPONENT)
    env.process(ca_source(env, webs, cache, lru, db, keys, rng, stats))
    return lambda: {"hit_rate": lru.hits / lru.lookups}


MODELS = {"mmc": build_mmc, "web_tier": build_web_tier, "cache_aside": build_cache_aside}


def main(argv=None):
    ap = argparse.ArgumentParser(description="SimPy peer for archsim benchmarks")
    ap.add_argument("--model", required=True, choices=sorted(MODELS))
    ap.add_argument("--requests", required=True, type=int)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if args.requests <= 0:
        ap.error("--requests must be positive")

    rng = random.Random(args.seed)
    env = simpy.Environment()
    stats = Stats(env, args.requests)
    figures = MODELS[args.model](env, rng, stats)  # the model's own, or None

    c0 = time.process_time()
    t0 = time.perf_counter()
    env.run(until=stats.done)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0

    print(json.dumps({
        "engine": "simpy",
        "simpy_version": _simpy_version(),
        "model": args.model,
        "completed": stats.completed,
        "simulated_s": env.now,
        "wall_s": wall,
        "cpu_s": cpu,
        "requests_per_s": stats.completed / wall,
        "requests_per_cpu_s": stats.completed / cpu,
        "mean_response_ms": stats.sum_response / stats.completed * 1e3,
        "rejected": stats.rejected,
        **(figures() if figures else {}),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
