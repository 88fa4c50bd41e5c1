// tests/models/runtime/test_single_flight.cpp: request collapsing on its
// own: one call a key, the requests that waited answered in the order they
// came, the waiters' places reused, and a clear() that forgets everything.
#include <doctest/doctest.h>

#include <vector>

#include "models/runtime/single_flight.h"

using archsim::models::Request;
using archsim::models::SingleFlight;

TEST_CASE("single flight: the first miss of a key calls; later ones wait and are answered in the order they came") {
  SingleFlight flights;
  Request a, b, c, other;
  CHECK(flights.join(7, a));
  CHECK_FALSE(flights.join(7, b));
  CHECK(flights.join(8, other));  // another key: a call of its own
  CHECK_FALSE(flights.join(7, c));
  std::vector<const Request*> answered;
  flights.land(7, [&](Request& r) { answered.push_back(&r); });
  CHECK(answered == std::vector<const Request*>{&b, &c});
  CHECK(b.scratch == 0);  // their fields are left alone
  // The key is free again: the next miss calls, and the places freed are reused.
  Request d, e;
  CHECK(flights.join(7, d));
  CHECK_FALSE(flights.join(7, e));
  answered.clear();
  flights.land(7, [&](Request& r) { answered.push_back(&r); });
  CHECK(answered == std::vector<const Request*>{&e});
  // A call nobody joined lands with nobody to answer.
  answered.clear();
  flights.land(8, [&](Request& r) { answered.push_back(&r); });
  CHECK(answered.empty());
}

TEST_CASE("single flight: clear() forgets the calls out and their waiters") {
  SingleFlight flights;
  Request first, waiter, fresh;
  CHECK(flights.join(1, first));
  CHECK_FALSE(flights.join(1, waiter));
  flights.clear();
  CHECK(flights.join(1, fresh));
  std::vector<const Request*> answered;
  flights.land(1, [&](Request& r) { answered.push_back(&r); });
  CHECK(answered.empty());
}
