// cli/report.h: the readable forms of a results document: the terminal
// report and CSV tables. Both read only the results JSON, so they show
// exactly what --json writes.
#pragma once

#include <string>

#include "models/format/spec.h"

namespace archsim::cli {

std::string format_report(const spec::Json& results);

// Writes timeseries.csv, components.csv and operations.csv into `directory`
// (created if missing). Returns an error message, or empty.
std::string write_csv(const spec::Json& results, const std::string& directory);

}  // namespace archsim::cli
