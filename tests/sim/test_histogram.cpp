// tests/sim/test_histogram.cpp: the streaming latency histogram against exact
// order statistics, and the bucket layout it rests on.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/distribution.h"
#include "sim/histogram.h"
#include "sim/rng.h"

using archsim::sim::Distribution;
using archsim::sim::Histogram;
using archsim::sim::Rng;

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// The ceil(q n)-th smallest value (1-based), the rank Histogram::quantile
// stands for; `sorted` is sorted ascending.
std::int64_t order_statistic(const std::vector<std::int64_t>& sorted, double q) {
  const auto n = sorted.size();
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
  rank = std::clamp<std::size_t>(rank, 1, n);
  return sorted[rank - 1];
}

// q = 0.001, 0.002, ..., 0.999, then the tail quantiles reports use.
std::vector<double> quantiles_to_check() {
  std::vector<double> qs;
  for (int i = 1; i < 1000; ++i) qs.push_back(i / 1000.0);
  for (double q : {0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999}) qs.push_back(q);
  return qs;
}

// Records every value, then checks each quantile against the exact order
// statistic within the documented relative error, and the ends exactly.
void check_against_sorted(std::vector<std::int64_t> values) {
  Histogram histogram;
  for (std::int64_t v : values) histogram.record(v);
  std::sort(values.begin(), values.end());
  REQUIRE(histogram.count() == values.size());
  CHECK(histogram.min() == values.front());
  CHECK(histogram.max() == values.back());
  CHECK(histogram.quantile(0) == static_cast<double>(values.front()));
  CHECK(histogram.quantile(1) == static_cast<double>(values.back()));
  for (double q : quantiles_to_check()) {
    const auto exact = static_cast<double>(order_statistic(values, q));
    const double reported = histogram.quantile(q);
    const double relative = std::fabs(reported - exact) / exact;
    CAPTURE(q);
    CAPTURE(exact);
    CAPTURE(reported);
    REQUIRE(relative <= Histogram::kMaxRelativeError);
  }
}

}  // namespace

TEST_CASE("the documented relative error is at most 1%") {
  CHECK(Histogram::kMaxRelativeError <= 0.01);
}

TEST_CASE("quantiles of values over eight decades are within kMaxRelativeError of the order statistic") {
  Rng rng(77);
  SUBCASE("log-uniform from 1e2 to 1e10 ns") {
    std::vector<std::int64_t> values(200000);
    const double low = std::log(1e2), high = std::log(1e10);
    for (auto& v : values) v = std::llround(std::exp(low + (high - low) * rng.uniform()));
    check_against_sorted(values);
  }
  SUBCASE("lognormal around 1 ms, sigma 2") {
    const auto dist = Distribution::lognormal(std::log(1e6), 2);
    std::vector<std::int64_t> values(200000);
    for (auto& v : values) v = std::llround(dist.sample(rng));
    check_against_sorted(values);
  }
  SUBCASE("few samples, so each rank matters") {
    std::vector<std::int64_t> values;
    for (int i = 0; i < 7; ++i) values.push_back(std::llround(std::exp(5 + 15 * rng.uniform())));
    check_against_sorted(values);
  }
}

TEST_CASE("values below 128 are counted exactly") {
  Rng rng(78);
  std::vector<std::int64_t> values(10000);
  for (auto& v : values) v = static_cast<std::int64_t>(rng.below(128));
  Histogram histogram;
  for (std::int64_t v : values) histogram.record(v);
  std::sort(values.begin(), values.end());
  for (double q : quantiles_to_check()) {
    CAPTURE(q);
    REQUIRE(histogram.quantile(q) == static_cast<double>(order_statistic(values, q)));
  }
}

TEST_CASE("q = 0 and q = 1 give the exact minimum and maximum") {
  Histogram histogram;
  // Both ends fall in wide buckets, where a midpoint would be off.
  histogram.record(1000003);
  histogram.record(5000000);
  histogram.record(987654321);
  CHECK(histogram.quantile(0) == 1000003.0);
  CHECK(histogram.quantile(1) == 987654321.0);
  CHECK(histogram.min() == 1000003);
  CHECK(histogram.max() == 987654321);
  // A lone value is reported exactly at every quantile (clamped to [min, max]).
  Histogram single;
  single.record(123456789);
  for (double q : {0.0, 0.1, 0.5, 0.99, 1.0}) CHECK(single.quantile(q) == 123456789.0);
}

TEST_CASE("the mean is exact, even where an int64 sum would overflow") {
  Histogram histogram;
  for (std::int64_t v : {1, 2, 3, 1000000007}) histogram.record(v);
  CHECK(histogram.mean() == (1 + 2 + 3 + 1000000007) / 4.0);
  Histogram huge;
  for (int i = 0; i < 4; ++i) huge.record(kInt64Max);
  CHECK(huge.mean() == static_cast<double>(kInt64Max));
  CHECK(huge.max() == kInt64Max);
  CHECK(huge.quantile(0.5) == static_cast<double>(kInt64Max));
}

TEST_CASE("an empty histogram reports zeros") {
  Histogram histogram;
  CHECK(histogram.count() == 0);
  CHECK(histogram.min() == 0);
  CHECK(histogram.max() == 0);
  CHECK(histogram.mean() == 0);
  CHECK(histogram.quantile(0.5) == 0);
}

TEST_CASE("merging two histograms equals one histogram fed both sets") {
  Rng rng(79);
  Histogram small, large, both;
  // Different ranges, so the merge has to grow the bucket array (and, merged
  // the other way round, keep the larger one).
  // No zeros: a merge that kept an empty histogram's placeholder minimum of 0
  // would show.
  for (int i = 0; i < 5000; ++i) {
    const auto v = static_cast<std::int64_t>(1000 + rng.below(10000));
    small.record(v);
    both.record(v);
  }
  for (int i = 0; i < 3000; ++i) {
    const auto v = static_cast<std::int64_t>(100000 + rng.below(1000000000));
    large.record(v);
    both.record(v);
  }
  auto same = [&](const Histogram& merged) {
    CHECK(merged.count() == both.count());
    CHECK(merged.min() == both.min());
    CHECK(merged.max() == both.max());
    CHECK(merged.mean() == both.mean());
    for (double q : quantiles_to_check()) {
      CAPTURE(q);
      REQUIRE(merged.quantile(q) == both.quantile(q));
    }
  };
  SUBCASE("small += large") {
    Histogram merged = small;
    merged.merge(large);
    same(merged);
  }
  SUBCASE("large += small") {
    Histogram merged = large;
    merged.merge(small);
    same(merged);
  }
  SUBCASE("into an empty histogram") {
    Histogram merged;
    merged.merge(small);
    merged.merge(large);
    same(merged);
  }
  SUBCASE("into a cleared histogram whose old values were lower and higher") {
    Histogram merged;
    merged.record(3);
    merged.record(kInt64Max);
    merged.clear();
    merged.merge(large);
    merged.merge(small);
    same(merged);
  }
  SUBCASE("merging an empty histogram changes nothing") {
    Histogram merged = both;
    merged.merge(Histogram{});
    same(merged);
  }
}

TEST_CASE("clear() empties the histogram, and recording starts afresh") {
  Histogram histogram;
  for (std::int64_t v : {5, 50, 5000, 5000000}) histogram.record(v);
  histogram.clear();
  CHECK(histogram.count() == 0);
  CHECK(histogram.min() == 0);
  CHECK(histogram.max() == 0);
  CHECK(histogram.mean() == 0);
  CHECK(histogram.quantile(0.5) == 0);
  // Old minimum (5) and maximum (5000000) must not leak into the new data.
  histogram.record(700);
  histogram.record(900);
  CHECK(histogram.count() == 2);
  CHECK(histogram.min() == 700);
  CHECK(histogram.max() == 900);
  CHECK(histogram.mean() == 800);
  CHECK(histogram.quantile(0.5) == doctest::Approx(700).epsilon(Histogram::kMaxRelativeError));
  CHECK(histogram.quantile(1) == 900);
}

TEST_CASE("every value lies in [bucket_low, bucket_low + bucket_width) of its bucket") {
  std::vector<std::int64_t> values;
  for (std::int64_t v = 0; v <= (1 << 16); ++v) values.push_back(v);
  Rng rng(80);
  for (int e = 1; e <= 62; ++e) {
    const std::int64_t p = std::int64_t{1} << e;
    values.push_back(p - 1);
    values.push_back(p);
    values.push_back(p + 1);
    for (int i = 0; i < 200; ++i) values.push_back(p + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(p))));
  }
  values.push_back(kInt64Max);
  for (std::int64_t v : values) {
    const std::size_t index = Histogram::bucket_index(v);
    const std::int64_t low = Histogram::bucket_low(index);
    const std::int64_t width = Histogram::bucket_width(index);
    CAPTURE(v);
    CAPTURE(index);
    REQUIRE(low <= v);
    REQUIRE(v - low < width);  // v < low + width, without overflow at the top
  }
}

TEST_CASE("buckets tile [0, 2^63) without gaps, each within the relative error bound") {
  const std::size_t last = Histogram::bucket_index(kInt64Max);
  CHECK(Histogram::bucket_low(0) == 0);
  for (std::size_t i = 0; i <= last; ++i) {
    CAPTURE(i);
    const std::int64_t low = Histogram::bucket_low(i);
    const std::int64_t width = Histogram::bucket_width(i);
    REQUIRE(width >= 1);
    REQUIRE(Histogram::bucket_index(low) == i);
    REQUIRE(Histogram::bucket_index(low + (width - 1)) == i);
    if (i < last) REQUIRE(Histogram::bucket_low(i + 1) == low + width);
    if (i < 128) {
      REQUIRE(width == 1);  // exact region
    } else {
      // The reported midpoint low + (width - 1) / 2 is within (width - 1) / 2
      // of any value in the bucket, each at least low.
      REQUIRE(static_cast<double>(width - 1) / 2 <= Histogram::kMaxRelativeError * static_cast<double>(low));
    }
  }
  // The last bucket ends exactly at the largest int64.
  CHECK(Histogram::bucket_low(last) + (Histogram::bucket_width(last) - 1) == kInt64Max);
}
