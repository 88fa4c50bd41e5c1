#include "models/runtime/transmitter.h"

namespace archsim::models {

spec::Json TransmitterCounters::window_since(const TransmitterCounters& start, double seconds) const {
  const std::uint64_t sent = messages - start.messages;
  spec::Json j = spec::Json::object();
  j["messages"] = sent;
  j["bytes"] = bytes - start.bytes;
  j["bytes_per_s"] = seconds > 0 ? static_cast<double>(bytes - start.bytes) / seconds : 0.0;
  j["utilization"] = busy_share_since(start, seconds);
  j["wait_ms_mean"] = sent > 0 ? static_cast<double>(waited_ns - start.waited_ns) / 1e6 / static_cast<double>(sent) : 0.0;
  return j;
}

}  // namespace archsim::models
