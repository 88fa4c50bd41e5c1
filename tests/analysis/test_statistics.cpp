// The statistics of replications: Student t quantiles against the values of
// the published tables (given there to 4 or 5 digits; here to 11, each
// checked independently by Newton's method on a Simpson integral of the
// density with 100,000 panels), the confidence interval of a worked
// example, and MSER-5 on series whose transient is known.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "analysis/statistics.h"
#include "sim/rng.h"

namespace {

using archsim::analysis::mean_interval;
using archsim::analysis::mser5;
using archsim::analysis::student_t_quantile;
using archsim::analysis::student_t_two_sided;

TEST_CASE("student t quantiles match the tables") {
  struct Known {
    double p;
    int dof;
    double t;
  };
  const Known known[] = {
      {0.975, 1, 12.7062047362}, {0.975, 2, 4.30265272975}, {0.975, 3, 3.18244630528}, {0.975, 4, 2.77644510520},
      {0.975, 9, 2.26215716280}, {0.975, 29, 2.04522964213}, {0.975, 30, 2.04227245630}, {0.95, 5, 2.01504837333},
      {0.995, 10, 3.16927267262}, {0.975, 1000, 1.96233908082}, {0.9, 1, 3.07768353718}, {0.75, 2, 0.816496580928},
  };
  for (const auto& k : known) {
    CAPTURE(k.p);
    CAPTURE(k.dof);
    CHECK(student_t_quantile(k.p, k.dof) == doctest::Approx(k.t).epsilon(1e-9));
  }
  // Symmetric about 0.
  CHECK(student_t_quantile(0.025, 4) == doctest::Approx(-2.77644510520).epsilon(1e-9));
}

TEST_CASE("the two-sided t probability has the closed forms of one and two degrees of freedom") {
  // dof 1 is the Cauchy law: P(|T| <= t) = 2 atan(t) / pi; dof 2: t / sqrt(2 + t^2).
  for (double t : {0.0, 0.1, 0.5, 1.0, 3.0, 40.0}) {
    CAPTURE(t);
    CHECK(student_t_two_sided(t, 1) == doctest::Approx(2 * std::atan(t) / 3.141592653589793).epsilon(1e-14));
    CHECK(student_t_two_sided(t, 2) == doctest::Approx(t / std::sqrt(2 + t * t)).epsilon(1e-14));
  }
  // Many degrees of freedom: near the normal law, P(|Z| <= 1.959964) = 0.95.
  CHECK(student_t_two_sided(1.959963984540054, 100000) == doctest::Approx(0.95).epsilon(1e-4));
}

TEST_CASE("a mean's 95 % interval is t(0.975, n - 1) s / sqrt(n)") {
  const auto m = mean_interval({1, 2, 3, 4, 5});
  CHECK(m.mean == 3);
  CHECK(m.stddev == doctest::Approx(std::sqrt(2.5)).epsilon(1e-12));
  CHECK(m.half_width == doctest::Approx(2.77644510520 * std::sqrt(2.5) / std::sqrt(5.0)).epsilon(1e-9));
  CHECK(m.count == 5);
}

TEST_CASE("a figure that never varies has its value as mean and no interval") {
  const auto m = mean_interval({0.1, 0.1, 0.1});
  CHECK(m.mean == 0.1);
  CHECK(m.half_width == 0);
}

TEST_CASE("MSER-5 drops a step transient exactly") {
  // 50 observations at 5, then 150 around 1 with a tiny alternating noise;
  // every batch after the step has the mean 1.02 or 0.98, so dropping
  // more than the 10 batches of the step only shrinks the sample.
  std::vector<double> series;
  for (int i = 0; i < 200; ++i) series.push_back(i < 50 ? 5.0 : 1.0 + (i % 2 == 0 ? 0.1 : -0.1));
  const auto cut = mser5(series);
  CHECK(cut.batches_total == 40);
  CHECK(cut.batches == 10);
  CHECK(cut.observations == 50);
}

TEST_CASE("MSER-5 drops a decaying transient and no more than needed") {
  // 10 e^(-i/10) over noise uniform in [-0.5, 0.5] (standard deviation 0.29):
  // the transient is below half the noise's deviation after i = 36 and below
  // a tenth after 53. The cut must fall in that stretch's neighbourhood,
  // and a stationary series gets a cut of its first batches at most.
  archsim::sim::Rng rng(11);
  std::vector<double> series, flat;
  for (int i = 0; i < 1000; ++i) {
    const double noise = rng.uniform() - 0.5;
    series.push_back(1 + 10 * std::exp(-i / 10.0) + noise);
    flat.push_back(1 + noise);
  }
  const auto cut = mser5(series);
  CHECK(cut.observations >= 25);
  CHECK(cut.observations <= 80);
  CHECK(mser5(flat).observations <= 25);
}

TEST_CASE("MSER-5 needs two batches") {
  CHECK(mser5({1, 2, 3, 4, 5, 6, 7, 8, 9}).observations == 0);
  CHECK(mser5({}).batches_total == 0);
}

}  // namespace
