// models/format/params.h: declarations shared by several models: time distributions
// (in milliseconds) and popularity over a population of keys or users.
#pragma once

#include <cstdint>
#include <memory>

#include "models/format/spec.h"
#include "sim/distribution.h"
#include "sim/rng.h"
#include "sim/time.h"
#include "sim/zipf.h"

namespace archsim::models {

// `{"type": "exponential", "mean_ms": 5}` and the other forms; see docs.
spec::NodeRef time_distribution_spec();
// Builds a validated time distribution; values are in milliseconds.
sim::Distribution make_time_distribution(const spec::Json& value);

// A time distribution ready to draw nanoseconds from.
class Delay {
 public:
  Delay() = default;
  explicit Delay(sim::Distribution distribution);
  sim::Time draw(sim::Rng& rng) const {
    if (constant_) return fixed_;
    const double ms = distribution_->sample(rng);
    return sim::Time::from_ms(ms < 0 ? 0 : ms);
  }
  bool is_zero() const { return constant_ && fixed_.ns == 0; }
  bool is_constant() const { return constant_; }
  sim::Time fixed() const { return fixed_; }  // the value, when constant

 private:
  std::shared_ptr<const sim::Distribution> distribution_;
  bool constant_ = true;
  sim::Time fixed_{};
};

// `{"type": "lognormal", "mean_bytes": 4096, "cv": 1}` and the other forms of
// a time distribution, with sizes in bytes (fields NAME_bytes).
spec::NodeRef size_distribution_spec();

// The sizes of keys' values: each key draws its size once, from a stream of
// its own (the key mixed with a salt), so a key has the same size wherever
// and whenever it is asked for, with no table of sizes kept. Sizes are whole
// bytes from 1 to kMaxBytes.
class SizeDistribution {
 public:
  SizeDistribution() : SizeDistribution(spec::Json{{"type", "constant"}, {"value_bytes", 1}}) {}
  explicit SizeDistribution(const spec::Json& value);
  std::uint32_t size_of(std::uint64_t key, std::uint64_t salt) const;
  // A size drawn from `rng`: for what has no key to be the size of (a message).
  std::uint32_t draw(sim::Rng& rng) const { return constant_ ? fixed_ : clamp(distribution_->sample(rng)); }
  double mean() const { return distribution_->mean(); }

 private:
  // Whole bytes from 1 to kMaxBytes, the nearest (halves up).
  static std::uint32_t clamp(double bytes);
  std::shared_ptr<const sim::Distribution> distribution_;
  bool constant_ = false;
  std::uint32_t fixed_ = 1;  // the size, when constant
};
// The salt of every owner of value sizes in a run (a cache, a CDN's edges),
// from the run's seed: a key has one size everywhere.
std::uint64_t value_size_salt(std::uint64_t seed);

// `{"count": 1000000, "popularity": {"type": "zipf", "exponent": 1.0}}`.
spec::NodeRef population_spec(const char* what, std::int64_t default_count);
// `count` members, uniform: what a population left out stands for.
spec::Json default_population(std::int64_t count);
inline constexpr std::int64_t kDefaultUsers = 1'000'000;
inline constexpr std::int64_t kDefaultKeys = 1'000'000;

// Draws members of a population: 0 is the most popular under Zipf.
class Population {
 public:
  Population() = default;
  explicit Population(const spec::Json& value);
  std::uint64_t count() const { return count_; }
  std::uint64_t draw(sim::Rng& rng) const {
    if (zipf_) return zipf_->sample(rng) - 1;
    return rng.below(count_);
  }

 private:
  std::uint64_t count_ = 1;
  std::shared_ptr<const sim::Zipf> zipf_;
};

}  // namespace archsim::models

namespace archsim::spec {
template <>
struct Reader<models::Delay> {
  static models::Delay read(const Json& v, const Node&) { return models::Delay(models::make_time_distribution(v)); }
};
template <>
struct Reader<models::SizeDistribution> {
  static models::SizeDistribution read(const Json& v, const Node&) { return models::SizeDistribution(v); }
};
template <>
struct Reader<models::Population> {
  static models::Population read(const Json& v, const Node&) { return models::Population(v); }
};
}  // namespace archsim::spec

namespace archsim::models {

// Largest values accepted anywhere, so that no input runs the simulator out of
// memory or time silently.
inline constexpr double kMaxMilliseconds = 86'400'000.0;  // a day
inline constexpr double kMaxBytes = 1073741824.0;  // a value of 1 GiB

inline constexpr double kMaxRateQps = 1e9;
inline constexpr double kMaxPopulation = 1e12;

inline std::uint32_t SizeDistribution::clamp(double bytes) {
  if (!(bytes >= 1)) return 1;
  if (bytes >= kMaxBytes) return static_cast<std::uint32_t>(kMaxBytes);
  return static_cast<std::uint32_t>(sim::Time::round_half_up(bytes));
}

}  // namespace archsim::models
