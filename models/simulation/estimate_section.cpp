#include "models/simulation/estimate_section.h"

#include "models/runtime/component_type.h"

namespace archsim::models {

using spec::Json;
using spec::Spec;

namespace {

// The part of the section read by the command and the report, not by the arithmetic.
struct ComparedPool {
  std::optional<std::string> server_pool;
};

}  // namespace

spec::NodeRef estimate_spec() {
  static const spec::NodeRef node = [] {
    using In = analysis::EstimateInput;
    constexpr double kMaxUsers = 1e12;    // a hundred times the people on Earth
    constexpr double kMaxBytes = 1e15;    // a petabyte, for one object
    // The bounds keep every figure finite: the servers needed are at most
    // the largest peak over 0.001 requests/s at 1 % busy.
    Spec section = Spec::object(
        "A back-of-the-envelope estimate of the traffic and storage (docs/estimate.md); a run's report puts it beside "
        "the simulated figures");
    section
        .optional("daily_active_users",
                  Spec::number("Users active on a given day (DAU); or give monthly_active_users and daily_active_share")
                      .unit("users")
                      .greater_than(0)
                      .max(kMaxUsers))
        .to<In>(&In::daily_active_users)
        .optional("monthly_active_users",
                  Spec::number("Users active in a month (MAU), of whom daily_active_share are active on a given day")
                      .unit("users")
                      .greater_than(0)
                      .max(kMaxUsers))
        .to<In>(&In::monthly_active_users)
        .optional("daily_active_share",
                  Spec::number("Share of the monthly active users active on a given day (0.5: half)").greater_than(0).max(1))
        .to<In>(&In::daily_active_share)
        .required("requests_per_user_per_day",
                  Spec::number("Requests each daily active user makes a day, reads and writes together")
                      .unit("requests")
                      .greater_than(0)
                      .max(1e9))
        .to<In>(&In::requests_per_user_per_day)
        .optional("peak_to_average",
                  Spec::number("Peak request rate over the day's average rate").min(1).max(1000).default_value(2))
        .to<In>(&In::peak_to_average)
        .optional("reads_per_write",
                  Spec::number("Reads for each write (10 for a read-heavy 10:1 mix); 0: every request writes")
                      .min(0)
                      .max(1e9)
                      .default_value(0))
        .to<In>(&In::reads_per_write)
        .optional("object_size_bytes",
                  Spec::number("Size of one object written or read, without its media (a post's text and metadata)")
                      .unit("bytes")
                      .min(0)
                      .max(kMaxBytes)
                      .default_value(0))
        .to<In>(&In::object_size_bytes)
        .optional("media_share",
                  Spec::number("Share of the objects that carry media (0.1: one post in ten has a photo or a video)")
                      .min(0)
                      .max(1)
                      .default_value(0))
        .to<In>(&In::media_share)
        .optional("media_size_bytes", Spec::number("Size of the media an object carries, when it carries any")
                                          .unit("bytes")
                                          .min(0)
                                          .max(kMaxBytes)
                                          .default_value(0))
        .to<In>(&In::media_size_bytes)
        .optional("retention_years", Spec::number("How long what is written is kept; a year counts 365 days")
                                         .unit("years")
                                         .greater_than(0)
                                         .max(1000)
                                         .default_value(5))
        .to<In>(&In::retention_years)
        .optional("hot_fraction",
                  Spec::number("Share of a day's reads kept in a cache (the 80/20 rule: the fifth of the objects that "
                               "takes most reads)")
                      .greater_than(0)
                      .max(1)
                      .default_value(0.2))
        .to<In>(&In::hot_fraction)
        .optional("server_capacity_qps",
                  Spec::number("Requests one server handles per second at full load; without it no servers are estimated")
                      .unit("qps")
                      .min(0.001)
                      .max(1e9))
        .to<In>(&In::server_capacity_qps)
        .optional("server_utilization_max",
                  Spec::number("Highest utilization a server is planned to run at, at the peak (headroom: queues grow "
                               "without bound as it nears 1; 1 gives the bare division)")
                      .min(0.01)
                      .max(1)
                      .default_value(0.7))
        .to<In>(&In::server_utilization_max)
        .optional("server_pool",
                  Spec::reference("In a scenario, the component whose replicas are the servers estimated: the run's "
                                  "report compares them",
                                  std::string(capability::kReplicated)))
        .to<ComparedPool>(&ComparedPool::server_pool);
    section.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const bool daily = v.contains("daily_active_users"), monthly = v.contains("monthly_active_users");
      if (daily && monthly) {
        errors.add(path, "has both daily_active_users and monthly_active_users; give one: the estimate starts from "
                         "the users active on a day");
        return;
      }
      if (!daily && !monthly)
        errors.add(path, "needs daily_active_users, or monthly_active_users with daily_active_share: the estimate "
                         "starts from the users active on a day");
      if (monthly && !v.contains("daily_active_share"))
        errors.add(path, "needs daily_active_share beside monthly_active_users: the share of them active on a day");
      if (daily && v.contains("daily_active_share"))
        errors.add(path / "daily_active_share",
                   "goes with monthly_active_users; daily_active_users already counts the users of a day");
    });
    return section.build();
  }();
  return node;
}

EstimateSection read_estimate_section(const Json& section) {
  EstimateSection out;
  out.input = spec::read_part<analysis::EstimateInput>(section, *estimate_spec(), "");
  out.server_pool = spec::read_part<ComparedPool>(section, *estimate_spec(), "").server_pool;
  return out;
}

}  // namespace archsim::models
