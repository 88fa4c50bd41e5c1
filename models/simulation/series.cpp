#include "models/simulation/series.h"

#include <cmath>

namespace archsim::models {

using spec::Json;

Json series_value(double value, SeriesColumn::Kind kind) {
  if (std::isnan(value)) return nullptr;
  switch (kind) {
    case SeriesColumn::Kind::Boolean: return value != 0;
    case SeriesColumn::Kind::Integer: return static_cast<std::int64_t>(value);
    case SeriesColumn::Kind::Number: break;
  }
  return value;
}

Json series_columns_json(const std::vector<SeriesColumn>& columns) {
  Json out = Json::array();
  for (const auto& c : columns) out.push_back({{"name", c.name}, {"unit", c.unit}});
  return out;
}

Json series_column(const Json& results, std::string_view name) {
  const Json& ts = results.at("timeseries");
  const Json& columns = ts.at("columns");
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].at("name").get_ref<const std::string&>() != name) continue;
    Json out = Json::array();
    for (const auto& row : ts.at("rows")) out.push_back(row[i]);
    return out;
  }
  return nullptr;
}

Json MemorySeries::rows_json() const {
  Json out = Json::array();
  const std::size_t n = columns_.size();
  for (std::size_t r = 0; r < rows(); ++r) {
    Json row = Json::array();
    for (std::size_t i = 0; i < n; ++i) row.push_back(series_value(values_[r * n + i], columns_[i].kind));
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace archsim::models
