// Back-of-the-envelope estimation: the worked examples computed exactly, each
// expected number derived by hand beside it; the steps as a student reads
// them; the rules of the servers' rounding; nonsense refused.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "analysis/estimate.h"

namespace {

using archsim::analysis::estimate;
using archsim::analysis::Estimate;
using archsim::analysis::EstimateInput;
using archsim::analysis::format_bytes;
using archsim::analysis::format_quantity;
using archsim::analysis::format_steps;

// Quotients such as 31250 / 9 are compared with a relative tolerance of
// 1e-12; products of exact decimals are compared exactly.
doctest::Approx near(double value) { return doctest::Approx(value).epsilon(1e-12); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The notes' Twitter-like example: 300 M monthly active users, half of them
// active on a day, 2 posts each a day, 10 % of the posts with 1 MB of
// media, kept 5 years.
EstimateInput twitter() {
  EstimateInput in;
  in.monthly_active_users = 300e6;
  in.daily_active_share = 0.5;
  in.requests_per_user_per_day = 2;
  in.media_share = 0.1;
  in.media_size_bytes = 1e6;
  in.retention_years = 5;
  return in;
}

}  // namespace

TEST_CASE("1 M daily active users making 5 requests a day make 57.87 requests a second on average") {
  EstimateInput in;
  in.daily_active_users = 1e6;
  in.requests_per_user_per_day = 5;
  const Estimate e = estimate(in);
  // 1,000,000 x 5 = 5,000,000 requests a day; 5,000,000 / 86,400 s
  // = 3125 / 54 = 57.870370... requests/s, the notes' "about 58".
  CHECK(e.at("requests_per_day") == 5e6);
  CHECK(e.at("average_qps") == near(3125.0 / 54));
  CHECK(e.at("average_qps") > 57.87);
  CHECK(e.at("average_qps") < 57.88);
  // The peak at the default factor 2: 3125 / 27 = 115.74 requests/s.
  CHECK(e.at("peak_qps") == near(3125.0 / 27));
  // reads_per_write defaults to 0: every request writes.
  CHECK(e.at("reads_per_day") == 0);
  CHECK(e.at("writes_per_day") == 5e6);
  // Without a server capacity no servers are estimated.
  CHECK(e.find("servers_needed") == nullptr);
  CHECK_THROWS_AS(e.at("servers_needed"), std::out_of_range);
}

TEST_CASE("the notes' Twitter example: about 3,500 requests/s, 7,000 at the peak, 30 TB of media a day, 55 PB in 5 years") {
  const Estimate e = estimate(twitter());
  // 300,000,000 x 0.5 = 150,000,000 daily active users.
  CHECK(e.at("daily_active_users") == 150e6);
  // 150,000,000 x 2 = 300,000,000 posts a day.
  CHECK(e.at("requests_per_day") == 300e6);
  CHECK(e.at("writes_per_day") == 300e6);
  // 300,000,000 / 86,400 = 31250 / 9 = 3,472.2 posts/s ("about 3,500").
  CHECK(e.at("average_qps") == near(31250.0 / 9));
  CHECK(e.at("average_write_qps") == near(31250.0 / 9));
  // x 2 = 62500 / 9 = 6,944.4 ("about 7,000").
  CHECK(e.at("peak_qps") == near(62500.0 / 9));
  CHECK(e.at("peak_write_qps") == near(62500.0 / 9));
  // Media: 300,000,000 x 0.1 x 1,000,000 bytes = 3 x 10^13 bytes = 30 TB a
  // day, exact in decimal units (and in doubles).
  CHECK(e.at("media_storage_per_day_bytes") == 30e12);
  CHECK(e.at("storage_per_day_bytes") == 30e12);
  // 5 years x 365 days = 1,825 days; 30 TB x 1,825 = 54,750 TB = 54.75 PB
  // ("about 55 PB").
  CHECK(e.at("retention_days") == 1825);
  CHECK(e.at("media_storage_over_retention_bytes") == 54.75e15);
  CHECK(e.at("storage_over_retention_bytes") == 54.75e15);
  CHECK(format_bytes(e.at("media_storage_per_day_bytes")) == "30 TB");
  CHECK(format_bytes(e.at("media_storage_over_retention_bytes")) == "54.75 PB");
  // Bandwidth in: 3,472.2 posts/s x (0 + 0.1 x 1,000,000) bytes = 10^5 x
  // 31250 / 9 = 347,222,222 bytes/s; at the peak twice that.
  CHECK(e.at("mean_object_bytes") == 1e5);
  CHECK(e.at("bandwidth_in_average_bytes_per_s") == near(3.125e9 / 9));
  CHECK(e.at("bandwidth_in_peak_bytes_per_s") == near(6.25e9 / 9));
  // Nothing is read in this example, so nothing goes out and nothing is cached.
  CHECK(e.at("bandwidth_out_peak_bytes_per_s") == 0);
  CHECK(e.at("cache_memory_bytes") == 0);
}

TEST_CASE("the text of a post adds its bytes to the media's: 204 bytes a post is 61.2 GB a day") {
  EstimateInput in = twitter();
  in.object_size_bytes = 64 + 140;  // a post's id and its text
  const Estimate e = estimate(in);
  // 300,000,000 x 204 = 61,200,000,000 bytes = 61.2 GB a day; x 1,825 days
  // = 111,690,000,000,000 = 111.69 TB.
  CHECK(e.at("object_storage_per_day_bytes") == 61.2e9);
  CHECK(e.at("object_storage_over_retention_bytes") == 111.69e12);
  CHECK(e.at("media_storage_per_day_bytes") == 30e12);
  CHECK(e.at("storage_per_day_bytes") == 30.0612e12);
  CHECK(e.at("mean_object_bytes") == 100'204);
}

TEST_CASE("a read/write ratio splits the requests; the cache holds the hot fraction of a day's reads") {
  EstimateInput in;
  in.daily_active_users = 1e6;
  in.requests_per_user_per_day = 5;
  in.reads_per_write = 4;
  in.object_size_bytes = 500;
  const Estimate e = estimate(in);
  // 5,000,000 requests a day at 4 reads a write: 4,000,000 reads and
  // 1,000,000 writes.
  CHECK(e.at("reads_per_day") == 4e6);
  CHECK(e.at("writes_per_day") == 1e6);
  CHECK(e.at("average_read_qps") == near(4e6 / 86400));
  CHECK(e.at("peak_read_qps") == near(8e6 / 86400));
  // The 80/20 rule: 0.2 x 4,000,000 reads x 500 bytes = 400,000,000 bytes = 400 MB.
  CHECK(e.at("cache_memory_bytes") == 400e6);
  // Writes bring 1,000,000 x 500 = 500 MB a day.
  CHECK(e.at("storage_per_day_bytes") == 500e6);
  // Bandwidth out: 4,000,000 / 86,400 reads/s x 500 bytes = 23,148 bytes/s.
  CHECK(e.at("bandwidth_out_average_bytes_per_s") == near(2e9 / 86400));
}

TEST_CASE("the servers needed carry the peak at no more than the utilization allowed, rounded up") {
  EstimateInput in = twitter();
  in.server_capacity_qps = 1000;
  Estimate e = estimate(in);
  // 6,944.4 / (1,000 x 0.7) = 9.92, so 10 servers, each 6,944.4 / 10,000 = 69.4 % busy.
  CHECK(e.at("servers_needed") == 10);
  CHECK(e.at("server_utilization_at_peak") == near(6.25 / 9));
  // With no headroom: 6,944.4 / 1,000 = 6.94, so 7 servers.
  in.server_utilization_max = 1;
  e = estimate(in);
  CHECK(e.at("servers_needed") == 7);
  CHECK(e.at("server_utilization_at_peak") == near(62500.0 / 9 / 7000));
}

TEST_CASE("a quotient a rounding error above a whole number of servers is that number") {
  EstimateInput in;
  // 90,720 / 86,400 = 1.05 requests/s, at the peak 2.1; a server of 3 at
  // most 0.7 busy carries 2.1 exactly, and 2.1 / (3 x 0.7) computes as
  // 1.0000000000000002.
  in.daily_active_users = 90'720;
  in.requests_per_user_per_day = 1;
  in.server_capacity_qps = 3;
  const Estimate e = estimate(in);
  CHECK(e.at("peak_qps") == 2.1);
  CHECK(e.at("servers_needed") == 1);
  CHECK(e.at("server_utilization_at_peak") == near(0.7));
}

TEST_CASE("each step writes its formula, the numbers put in and the result with its unit") {
  EstimateInput in = twitter();
  in.server_capacity_qps = 1000;
  const Estimate e = estimate(in);
  REQUIRE(e.steps.size() == e.figures.size());
  for (std::size_t i = 0; i < e.steps.size(); ++i) {
    CHECK(e.steps[i].figure == e.figures[i].name);
    CHECK(e.steps[i].value == e.figures[i].value);
    CHECK(e.steps[i].unit == e.figures[i].unit);
  }
  CHECK(e.steps.size() == 25);
  CHECK(e.steps.front().figure == "daily_active_users");
  CHECK(e.steps.back().figure == "server_utilization_at_peak");
  const std::string text = format_steps(e);
  CHECK(text.rfind(" 1. daily active users = monthly active users × daily active share\n"
                   "    = 300,000,000 × 0.5\n"
                   "    = 150,000,000 users\n"
                   " 2. requests per day = daily active users × requests per user per day\n"
                   "    = 150,000,000 × 2\n"
                   "    = 300,000,000 requests/day\n",
                   0) == 0);
  CHECK(contains(text, " 5. average QPS = requests per day / 86,400 s\n"
                       "    = 300,000,000 / 86,400\n"
                       "    = 3,472.22 requests/s\n"));
  CHECK(contains(text, " 8. peak QPS = average QPS × peak-to-average\n"
                       "    = 3,472.22 × 2\n"
                       "    = 6,944.44 requests/s\n"));
  CHECK(contains(text, "13. media storage per day = writes per day × media share × media size\n"
                       "    = 300,000,000 × 0.1 × 1,000,000\n"
                       "    = 30,000,000,000,000 bytes/day (30 TB/day)\n"));
  CHECK(contains(text, "17. media storage over the retention = media storage per day × retention in days\n"
                       "    = 30,000,000,000,000 × 1,825\n"
                       "    = 54,750,000,000,000,000 bytes (54.75 PB)\n"));
  CHECK(contains(text, "24. servers needed = ⌈peak QPS / (server capacity × server utilization max)⌉\n"
                       "    = ⌈6,944.44 / (1,000 × 0.7)⌉\n"
                       "    = 10 servers\n"));
  CHECK(contains(text, "25. server utilization at the peak = peak QPS / (servers needed × server capacity)\n"
                       "    = 6,944.44 / (10 × 1,000)\n"
                       "    = 0.694444 (69.4 %)\n"));
}

TEST_CASE("daily active users given are a step without arithmetic") {
  EstimateInput in;
  in.daily_active_users = 1e6;
  in.requests_per_user_per_day = 5;
  const std::string text = format_steps(estimate(in));
  CHECK(text.rfind(" 1. daily active users (given) = 1,000,000 users\n", 0) == 0);
  CHECK(contains(text, " 5. average QPS = requests per day / 86,400 s\n"
                       "    = 5,000,000 / 86,400\n"
                       "    = 57.8704 requests/s\n"));
}

TEST_CASE("numbers are written in full with grouped digits, bytes in decimal units to four digits") {
  CHECK(format_quantity(0) == "0");
  CHECK(format_quantity(86400) == "86,400");
  CHECK(format_quantity(54.75e15) == "54,750,000,000,000,000");
  CHECK(format_quantity(31250.0 / 9) == "3,472.22");
  CHECK(format_quantity(0.5) == "0.5");
  CHECK(format_quantity(0.1) == "0.1");
  CHECK(format_quantity(1.0 / 3) == "0.333333");
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(512) == "512 B");
  CHECK(format_bytes(1000) == "1 kB");
  CHECK(format_bytes(61.2e9) == "61.2 GB");
  CHECK(format_bytes(111.69e12) == "111.7 TB");
  CHECK(format_bytes(30.0612e12) == "30.06 TB");
  // Rounding to four digits carries into the next unit.
  CHECK(format_bytes(999'960) == "1 MB");
}

TEST_CASE("nonsense input is refused, naming the input") {
  auto refused = [](const EstimateInput& in, const std::string& part) {
    try {
      estimate(in);
    } catch (const std::invalid_argument& e) {
      return contains(e.what(), part);
    }
    return false;
  };
  EstimateInput in;
  in.requests_per_user_per_day = 1;
  CHECK(refused(in, "give either daily_active_users or monthly_active_users"));
  in.daily_active_users = 10;
  in.monthly_active_users = 100;
  CHECK(refused(in, "give either daily_active_users or monthly_active_users"));
  in = twitter();
  in.daily_active_share.reset();
  CHECK(refused(in, "monthly_active_users and daily_active_share go together"));
  in = twitter();
  in.daily_active_share = 1.5;
  CHECK(refused(in, "daily_active_share must be in (0, 1], got 1.5"));
  in = twitter();
  in.retention_years = 0;
  CHECK(refused(in, "retention_years must be > 0, got 0"));
  in = twitter();
  in.media_share = -0.1;
  CHECK(refused(in, "media_share must be in [0, 1], got -0.1"));
  in = twitter();
  in.peak_to_average = 0.5;
  CHECK(refused(in, "peak_to_average must be >= 1, got 0.5"));
  in = twitter();
  in.server_capacity_qps = 0;
  CHECK(refused(in, "server_capacity_qps must be > 0, got 0"));
}
