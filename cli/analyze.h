// cli/analyze.h: `archsim analyze`, theory beside the simulation
// (docs/analyze.md). For each station theory covers (cli/station_model.h),
// the analytic figure next to the simulated one, the error, the noise of the
// simulated figure and whether the error is within it; where theory does not
// apply, the reason instead of a number; and Little's law per station from
// the simulated figures alone.
//
// The noise is the standard error by batch means over the measured
// intervals of the time series (one batch per report interval), as in
// tests/analysis/test_validation.cpp: a time average is the mean of its
// interval values, SE = sd / sqrt(k); a mean per request is a ratio of sums,
// with the ratio estimator's SE. An error within 4 SE is within the noise.
// With fewer than 10 measured intervals the noise is not estimated.
#pragma once

#include <string>

#include "models/format/spec.h"

namespace archsim::cli {

// The comparison of a run's results with the theory of its scenario's
// validated config: the document `archsim analyze --json` writes.
spec::Json analysis_document(const spec::Json& config, const spec::Json& results);

// The same for a reader.
std::string format_analysis(const spec::Json& document);

}  // namespace archsim::cli
