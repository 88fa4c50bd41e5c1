#!/usr/bin/python3
"""SimPy 3 peer implementation of the archsim benchmark models.

Run with Debian's interpreter and python3-simpy3:

    /usr/bin/python3 bench/simpy_peer.py --model {mmc,web_tier} --requests N [--seed S]

The run stops when the N-th request completes (an event triggered by that
completion is passed to env.run). Wall time is measured with
time.perf_counter() around env.run() only. Exactly one JSON line is printed
to stdout. Time unit: seconds.

Models (must match the archsim scenarios of the same name):

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
"""

import argparse
import json
import random
import sys
import time

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


MODELS = {"mmc": build_mmc, "web_tier": build_web_tier}


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
    MODELS[args.model](env, rng, stats)

    t0 = time.perf_counter()
    env.run(until=stats.done)
    wall = time.perf_counter() - t0

    print(json.dumps({
        "engine": "simpy",
        "simpy_version": _simpy_version(),
        "model": args.model,
        "completed": stats.completed,
        "simulated_s": env.now,
        "wall_s": wall,
        "requests_per_s": stats.completed / wall,
        "mean_response_ms": stats.sum_response / stats.completed * 1e3,
        "rejected": stats.rejected,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
