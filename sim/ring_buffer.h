// sim/ring_buffer.h: a FIFO of trivially copyable values in one growable
// array. It only allocates when it grows past its largest size so far, so a
// queue in steady state allocates nothing.
#pragma once

#include <cassert>
#include <cstddef>
#include <vector>

namespace archsim::sim {

template <typename T>
class RingBuffer {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  // Inline even where the compiler would not: the event queue pushes every
  // event through it, and a call copies the value through the stack.
  [[gnu::always_inline]] void push_back(T value) {
    if (size_ == capacity_) grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = value;
    ++size_;
  }
  T pop_front() {
    assert(size_ > 0);
    T value = slots_[head_];
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
    return value;
  }
  const T& front() const {
    assert(size_ > 0);
    return slots_[head_];
  }
  const T& operator[](std::size_t i) const { return slots_[(head_ + i) & (capacity_ - 1)]; }

 private:
  [[gnu::noinline]] void grow() {
    std::vector<T> bigger(slots_.empty() ? 16 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = (*this)[i];
    slots_.swap(bigger);
    capacity_ = slots_.size();
    head_ = 0;
  }
  std::vector<T> slots_;
  // slots_.size(), zero or a power of two, kept apart: for a T whose size is
  // not a power of two, the vector's size costs a division.
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace archsim::sim
