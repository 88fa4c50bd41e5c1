// bench/cache_store_bench.h: the cache store's micro-benchmark, run by
// archsim_bench --model cache_store or cache_store_memory (usage in
// bench/cache_store_bench.cpp).
#pragma once

#include <string>

namespace archsim::bench {

// `mode` is cache_store or cache_store_memory; argv holds the options after it.
int cache_store_main(const std::string& mode, int argc, char** argv);

}  // namespace archsim::bench
