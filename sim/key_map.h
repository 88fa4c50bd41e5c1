// sim/key_map.h: a map from 64-bit keys to 64-bit values, absent keys
// reading as 0. Open addressing with linear probing over a power-of-two
// table that doubles (out of line) when half full, so a lookup is a hash and
// a short scan, and nothing is allocated once the table has grown. Entries
// are never removed. Iteration is not offered: its order would be the
// hash's, which must never reach results.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/rng.h"

namespace archsim::sim {

class KeyMap {
 public:
  // The value of `key`, or 0.
  std::uint64_t get(std::uint64_t key) const {
    if (slots_.empty()) return 0;
    for (std::size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.used) return 0;
      if (s.key == key) return s.value;
    }
  }
  // The value of `key`, inserted as 0 if absent.
  std::uint64_t& at(std::uint64_t key) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    for (std::size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) {
        s = Slot{key, 0, true};
        ++size_;
        return s.value;
      }
      if (s.key == key) return s.value;
    }
  }
  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint64_t value = 0;
    bool used = false;
  };
  [[gnu::noinline]] void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (const Slot& s : old)
      if (s.used) at(s.key) = s.value;
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace archsim::sim
