// analysis/cache_theory.h: hit ratios of a cache under the independent
// reference model (IRM): each request is for key k with probability p_k,
// independently of every other request. The simulator's cache store is
// validated against these.
//
// Popularities are given most popular first (p_1 >= p_2 >= ...), summing to 1.
// Times are counted in requests: with requests arriving as a Poisson process
// of rate 1, key k is requested at rate p_k. A cache holds `capacity` keys,
// 1 <= capacity < number of keys.
//
//  - LRU by Che's approximation (Che, Tung and Wang, 2002): a key is in the
//    cache iff it was requested within the characteristic time T, the root of
//    sum_k (1 - e^{-p_k T}) = C; hit ratio sum_k p_k (1 - e^{-p_k T}).
//  - FIFO and RANDOM share one stationary distribution under IRM (Gelenbe,
//    1973): a set S of C keys is held with probability proportional to
//    prod_{k in S} p_k. Exact hit ratio: 1 - (C + 1) e_{C+1}(p) / e_C(p),
//    with e_m the elementary symmetric polynomials; the characteristic-time
//    approximation (Dan and Towsley, 1990; Fricker, Robert and Roberts,
//    2012): key k is held with probability p_k T / (1 + p_k T), the sum of
//    these equal to C.
//  - LRU exactly (the integral of Flajolet, Gardy and Thimonier, 1992): a
//    request for k hits iff fewer than C other distinct keys were requested
//    since k's previous request, a time Exp(p_k) back.
//  - Perfect LFU that always admits the key just missed (the cache store's
//    perfect_lfu): once counts rank the keys, the cache holds the top C - 1
//    and the tail key requested last.
//  - TTL caches without a capacity limit, with Poisson requests: fixed
//    expiry T after each miss gives each key r T / (1 + r T); sliding expiry
//    (each hit restarts T) gives 1 - e^{-r T}.
//
// Not modelled: correlated requests, popularities that change, object sizes.
// Functions throw std::invalid_argument, naming themselves, for nonsense input.
#pragma once

#include <cstdint>
#include <vector>

namespace archsim::analysis {

// Zipf popularities over n keys, p_k = k^-s / H(n, s), most popular first.
// Summed smallest term first.
std::vector<double> zipf_popularities(std::uint64_t n, double exponent);

// The sum of the `count` largest popularities (a static cache of the top keys).
double top_popularity(const std::vector<double>& p, std::uint64_t count);

struct CharacteristicTime {
  double time;       // T, in requests
  double hit_ratio;  // the approximation's hit ratio
};
// LRU by Che's approximation.
CharacteristicTime lru_che(const std::vector<double>& p, std::uint64_t capacity);
// FIFO and RANDOM by the characteristic-time approximation.
CharacteristicTime fifo_random_approximation(const std::vector<double>& p, std::uint64_t capacity);

// FIFO and RANDOM exactly, from the product form. O(n C) time, O(C) memory.
double fifo_random_exact(const std::vector<double>& p, std::uint64_t capacity);

// LRU exactly, by the integral above on a grid in log time of `points_per_e`
// points a factor e (trapezoid rule), each point O(n C) time and memory.
// The integrand is smooth and vanishes at both ends, so the rule converges
// fast: with 32 points a factor e the result agrees with 64 and 128 points
// to 1e-14 for Zipf over 10^4 keys with C up to 1000 (16 points already
// for C <= 100).
double lru_exact(const std::vector<double>& p, std::uint64_t capacity, int points_per_e = 32);

// Perfect LFU with admission of every miss, in the limit of many requests:
// sum_{k < C} p_k + sum_{k >= C} p_k^2 / sum_{k >= C} p_k (ranks from 1).
double perfect_lfu_always_admit(const std::vector<double>& p, std::uint64_t capacity);

// TTL without a capacity limit, requests Poisson at `rate` (per unit time,
// the unit of `ttl`), key k at rate * p_k.
double ttl_fixed_hit_ratio(const std::vector<double>& p, double rate, double ttl);
double ttl_sliding_hit_ratio(const std::vector<double>& p, double rate, double ttl);

}  // namespace archsim::analysis
