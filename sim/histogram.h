// sim/histogram.h: a streaming histogram of non-negative integers (latencies
// in nanoseconds) with bounded relative error.
//
// Values below 2^B are counted exactly; above, each power of two is split into
// 2^(B-1) equal buckets, so a bucket spans at most 1/2^(B-1) of its lower edge
// and its midpoint is within 1/2^B of any value in it: 0.78 % for B = 7.
// Memory grows with the largest value seen (about 1,600 buckets, 13 KiB, for
// values up to a second), never with the number of samples. Histograms merge by adding counts.
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

namespace archsim::sim {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;
  // The largest relative distance between a reported quantile and the true
  // order statistic it stands for.
  static constexpr double kMaxRelativeError = 1.0 / (1 << kSubBucketBits);

  [[gnu::always_inline]] void record(std::int64_t value) {
    assert(value >= 0);
    record_at(bucket_index(value), value);
  }

  // record() with the bucket index already known: one index computation can
  // serve several histograms. `index` must be bucket_index(value).
  [[gnu::always_inline]] void record_at(std::size_t index, std::int64_t value) {
    if (index >= counts_.size()) counts_.resize(index + 1, 0);
    ++counts_[index];
    ++count_;
    sum_ += value;
    if (count_ == 1 || value < min_) min_ = value;
    if (value > max_) max_ = value;
  }

  void merge(const Histogram& other);
  void clear();  // keeps the allocated buckets

  std::uint64_t count() const { return count_; }
  std::int64_t min() const { return count_ ? min_ : 0; }
  std::int64_t max() const { return count_ ? max_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }
  // The value at quantile q in [0, 1]: the bucket holding the ceil(q * count)-th
  // smallest sample, reported at its midpoint and kept within [min, max].
  // q = 0 gives the minimum and q = 1 the maximum, exactly.
  double quantile(double q) const;

  static std::size_t bucket_index(std::int64_t value) {
    const auto v = static_cast<std::uint64_t>(value);
    if (v < (std::uint64_t{1} << kSubBucketBits)) return static_cast<std::size_t>(v);
    // 2^e <= v < 2^(e+1) with e >= B; the top B bits pick the bucket.
    const int e = 63 - __builtin_clzll(v);
    const int shift = e - (kSubBucketBits - 1);
    const std::uint64_t mantissa = v >> shift;  // in [2^(B-1), 2^B)
    constexpr std::uint64_t half = std::uint64_t{1} << (kSubBucketBits - 1);
    return static_cast<std::size_t>((std::uint64_t{1} << kSubBucketBits) +
                                    static_cast<std::uint64_t>(e - kSubBucketBits) * half + (mantissa - half));
  }
  static std::int64_t bucket_low(std::size_t index);
  static std::int64_t bucket_width(std::size_t index);

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  __int128 sum_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace archsim::sim
