// cli/estimate.h: the forms of a back-of-the-envelope estimate on the
// command line (docs/estimate.md): the readable table of `archsim estimate`,
// its JSON document, the starting scenario it writes with --scenario, and
// the estimate that a run's results carry when the scenario has an
// `estimate` section.
#pragma once

#include <optional>
#include <string>

#include "analysis/estimate.h"
#include "models/format/spec.h"
#include "models/simulation/estimate_section.h"

namespace archsim::cli {

// The table: the request rates, the storage, the bandwidth, the cache and
// the servers, in decimal units.
std::string format_estimate(const analysis::Estimate& estimate, const analysis::EstimateInput& input);

// The steps with a line on the units above them.
std::string format_estimate_steps(const analysis::Estimate& estimate);

// Every figure as `name: {"value": ..., "unit": ...}`, in the order computed.
spec::Json estimate_figures(const analysis::Estimate& estimate);

// The document of `archsim estimate --json`: the inputs (the section
// completed with its defaults), the figures and the steps.
spec::Json estimate_document(const analysis::Estimate& estimate, const spec::Json& section);

// A scenario sized by the estimate: the workload at the peak rate with the
// read/write mix, a load balancer, a service pool of the servers needed, a
// cache of the hot fraction of the keys when there are reads, a database.
// Nothing when the estimate cannot size one (no server capacity, more
// servers than a pool holds); `problem` then says why.
std::optional<spec::Json> starting_scenario(const analysis::Estimate& estimate, const models::EstimateSection& section,
                                            const spec::Json& section_json, std::string& problem);

// What a run's results hold of the estimate of a validated scenario, put
// beside the simulated figures by the report; null without an `estimate`
// section.
spec::Json run_estimate(const spec::Json& config);

}  // namespace archsim::cli
