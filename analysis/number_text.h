// analysis/number_text.h: a formatted number made easy to read, for every
// table archsim prints (the report, the estimate).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>

namespace archsim::analysis {

// Commas between groups of three digits in the whole part of a formatted
// number: "-1234567.5" becomes "-1,234,567.5".
inline std::string group_thousands(const std::string& number) {
  const std::size_t start = !number.empty() && number[0] == '-' ? 1 : 0;
  const std::size_t end = std::min(number.find('.'), number.size());
  std::string out = number.substr(0, start);
  for (std::size_t i = start; i < end; ++i) {
    if (i > start && (end - i) % 3 == 0) out += ',';
    out += number[i];
  }
  return out + number.substr(end);
}

}  // namespace archsim::analysis
