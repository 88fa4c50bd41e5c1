#include "sim/histogram.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

namespace archsim::sim {
namespace {
constexpr int B = Histogram::kSubBucketBits;
constexpr std::uint64_t kExact = std::uint64_t{1} << B;     // values counted exactly
constexpr std::uint64_t kHalf = std::uint64_t{1} << (B - 1);  // buckets per power of two
}  // namespace

std::int64_t Histogram::bucket_low(std::size_t index) {
  if (index < kExact) return static_cast<std::int64_t>(index);
  const std::size_t rest = index - kExact;
  const int e = static_cast<int>(rest / kHalf) + B;
  const std::uint64_t mantissa = kHalf + rest % kHalf;
  return static_cast<std::int64_t>(mantissa << (e - (B - 1)));
}

std::int64_t Histogram::bucket_width(std::size_t index) {
  if (index < kExact) return 1;
  const int e = static_cast<int>((index - kExact) / kHalf) + B;
  return std::int64_t{1} << (e - (B - 1));
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
  for (std::size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ = count_ ? std::min(min_, other.min_) : other.min_;
  max_ = count_ ? std::max(max_, other.max_) : other.max_;
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  sum_ = 0;
  min_ = max_ = 0;
}

double Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  if (q <= 0) return static_cast<double>(min_);
  if (q >= 1) return static_cast<double>(max_);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const double mid = static_cast<double>(bucket_low(i)) +
                         static_cast<double>(bucket_width(i) - 1) / 2.0;
      return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

}  // namespace archsim::sim
