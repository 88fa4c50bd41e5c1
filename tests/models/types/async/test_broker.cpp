// tests/models/types/async/test_broker.cpp: the message broker on short
// timelines with constant times, every expected figure derived by hand in the
// comments, and a long run of one partition against the M/M/1 queue.
//
// Unless a test says otherwise: no network latency; a constant workload whose
// k-th request (k = 1, 2, ...) leaves the client at k / rate_qps to the
// producer "api", whose one worker publishes the request to topic "events"
// of broker "queue" and replies once the broker acknowledges; the consumer
// group is the service "worker"; a run of 1 s, so a request due at exactly
// 1 s is not sent (events at the end time do not run).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::Json;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// The scenario of every test: `broker` and `topic` are fields added to the
// broker and to topic "events" (after its first field), `worker` fields of
// the consumer service after its name, `extra` more components, `more`
// more scenario fields.
struct Setup {
  double rate_qps = 10;
  std::string broker, topic, worker, extra, more;
  std::string consumers = R"([{ "service": "worker" }])";
  double duration_s = 1;
};

std::string scenario(const Setup& setup) {
  std::string s = R"({ "duration_s": )";
  s += std::to_string(setup.duration_s);
  s += R"(, "report_interval_s": 0.1,
    "workloads": [{ "name": "clients", "target": "api",
                    "arrival": { "type": "constant", "rate_qps": )";
  s += std::to_string(setup.rate_qps);
  s += R"( } }],
    "components": [
      { "type": "service", "name": "api", "workers": 1,
        "handlers": { "request": [{ "publish": "queue", "topic": "events" }] } },
      { "type": "broker", "name": "queue" )";
  s += setup.broker;
  s += R"(, "topics": { "events": { "consumers": )";
  s += setup.consumers;
  s += setup.topic;
  s += R"( } } },
      { "type": "service", "name": "worker" )";
  s += setup.worker;
  s += R"( } )";
  s += setup.extra;
  s += R"( ] )";
  s += setup.more;
  s += " }";
  return s;
}

std::string constant_service(double ms) {
  std::string s = R"(, "service_time": { "type": "constant", "value_ms": )";
  s += std::to_string(ms);
  s += " }";
  return s;
}

}  // namespace

TEST_CASE("a partition is read in order, one message at a time, however many workers its consumer has") {
  // Publishes at 5k ms (k = 1..199); the consumer takes 10 ms per message
  // and, though it has 4 workers, gets the next message only when it has
  // acknowledged the previous: message k is done at 5 + 10k, so 99 finish
  // by 995 ms, and message k waited 5 + 10k - 5k = 5 + 5k ms (mean over
  // k = 1..99: 255, max 500). Message 100 is under delivery at the end:
  // 199 - 99 = 100 still held and unacknowledged.
  Setup setup;
  setup.rate_qps = 200;
  setup.worker = R"(, "workers": 4)" + constant_service(10);
  const auto r = run_scenario(scenario(setup));
  const auto& q = r["components"]["queue"];
  CHECK(count(q["events.published"]) == 199);
  CHECK(count(q["events.worker.delivered"]) == 100);
  CHECK(count(q["events.worker.acknowledged"]) == 99);
  CHECK(number(q["events.worker.async_latency_ms"]["mean"]) == ms(255));
  CHECK(number(q["events.worker.async_latency_ms"]["max"]) == doctest::Approx(500).epsilon(0.01));
  CHECK(count(q["at_end"]["events"]["backlog_messages"]) == 100);
  CHECK(count(q["at_end"]["events"]["lag_messages"]["worker"]) == 100);
  CHECK(count(q["events.dropped"]) == 0);
  // One message at a time: never more than one of the 4 workers busy.
  CHECK(number(r["components"]["worker"]["concurrency"]["max"]) == 1);
  // The producer waits for the broker's acknowledgement only: at once here.
  CHECK(number(r["summary"]["latency_ms"]["max"]) == 0);
}

TEST_CASE("each partition has one consumer of the group: partition p goes to replica p mod replicas") {
  // Round robin over 2 partitions: odd messages to partition 0, even to 1.
  // Two replicas of 2 workers each: replica r serves partition r only, one
  // message at a time. Publishes every 10 ms (99), service 15 ms: a
  // partition gets a message every 20 ms and keeps up, so every message is
  // done 15 ms after its publish; the last (990 + 15 > 1000) is not.
  Setup setup;
  setup.rate_qps = 100;
  setup.topic = R"(, "partitions": 2, "partition_by": "round_robin")";
  setup.worker = R"(, "replicas": 2, "workers": 2)" + constant_service(15);
  const auto r = run_scenario(scenario(setup));
  const auto& q = r["components"]["queue"];
  CHECK(count(q["events.worker.acknowledged"]) == 98);
  CHECK(number(q["events.worker.async_latency_ms"]["mean"]) == ms(15));
  const auto& w = r["components"]["worker"];
  REQUIRE(w["instances"].size() == 2);
  // Replica 0 finished messages 1, 3, ..., 97 (49); replica 1 2, 4, ..., 98 (49).
  CHECK(number(w["instances"][0]["throughput_qps"]) == doctest::Approx(49));
  CHECK(number(w["instances"][1]["throughput_qps"]) == doctest::Approx(49));
  // One message per partition at a time: at most one worker busy on each
  // replica, two in all (their messages overlap from 20k to 20k + 5 ms).
  CHECK(number(w["concurrency"]["max"]) == 2);
}

TEST_CASE("transfers take size / bandwidth on each card, one after another") {
  // 1000-byte messages, inbound card 1e6 bytes/s (1 ms each), outbound 1e5
  // (10 ms each), consumer 5 ms. Publishes at 100k ms: appended at 100k + 1,
  // acknowledged to the producer then (its client waits 1 ms), sent to the
  // consumer at 100k + 11, done at 100k + 16: 16 ms from publish to done.
  Setup setup;
  setup.broker = R"(, "bandwidth_in_bytes_per_s": 1e6, "bandwidth_out_bytes_per_s": 1e5)";
  setup.topic = R"(, "message_size": { "type": "constant", "value_bytes": 1000 })";
  setup.worker = constant_service(5);
  auto r = run_scenario(scenario(setup));
  auto q = r["components"]["queue"];
  CHECK(count(q["events.worker.acknowledged"]) == 9);
  CHECK(number(q["events.worker.async_latency_ms"]["mean"]) == ms(16));
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(1));
  CHECK(number(q["received_bytes_per_s"]) == doctest::Approx(9000));
  // The inbound card as the bottleneck: 1000 bytes at 1e5 bytes/s is 10 ms
  // a message, and requests come every 5 ms to a producer of one worker.
  // Request 1's bytes are in at 15; request k's publish starts when request
  // k - 1's is acknowledged, at 5 + 10(k - 1), and is in at 5 + 10k: 99 by
  // 995 ms. The consumer (1 ms) keeps up: 11 ms from a publish to its end,
  // of which 10 on the card. The producer's worker is busy from 5 ms to
  // the end.
  setup.rate_qps = 200;
  setup.broker = R"(, "bandwidth_in_bytes_per_s": 1e5)";
  setup.worker = constant_service(1);
  r = run_scenario(scenario(setup));
  q = r["components"]["queue"];
  CHECK(count(q["events.published"]) == 99);
  CHECK(count(q["events.worker.acknowledged"]) == 99);
  CHECK(number(q["events.worker.async_latency_ms"]["mean"]) == ms(11));
  CHECK(number(r["components"]["api"]["utilization"]) == doctest::Approx(0.995));
}

TEST_CASE("drop_oldest makes room by dropping exactly the oldest; a group loses those it had not been delivered") {
  // Capacity 10 messages; publishes every 5 ms (199); the consumer takes
  // 2 s, so it has message 1 under delivery for the whole run. Message 11
  // pushes out message 1 (not lost, nor dropped: the consumer has it), each
  // later one pushes out the oldest held: 199 - 11 = 188 dropped and lost
  // to the group. Held at the end: messages 190..199; the group's lag is
  // those 10 plus message 1 under delivery.
  Setup setup;
  setup.rate_qps = 200;
  setup.topic = R"(, "capacity_messages": 10)";
  setup.worker = constant_service(2000);
  const auto r = run_scenario(scenario(setup));
  const auto& q = r["components"]["queue"];
  CHECK(count(q["events.published"]) == 199);
  CHECK(count(q["events.dropped"]) == 188);
  CHECK(count(q["events.worker.lost"]) == 188);
  CHECK(count(q["events.worker.delivered"]) == 1);
  CHECK(count(q["at_end"]["events"]["backlog_messages"]) == 10);
  CHECK(count(q["at_end"]["events"]["lag_messages"]["worker"]) == 11);
  CHECK(count(q["events.backlog_messages"]["max"]) == 10);
  CHECK(count(r["summary"]["failed"]["total"]) == 0);
}

TEST_CASE("retention by bytes and by age drops exactly the messages past them") {
  // The consumer takes 2 s, so nothing is acknowledged. 1000-byte messages,
  // capacity_bytes 4500 holds 4 of them: 199 published, message 1 under
  // delivery from the start, 194 others dropped.
  Setup setup;
  setup.rate_qps = 200;
  setup.topic = R"(, "capacity_bytes": 4500, "message_size": { "type": "constant", "value_bytes": 1000 })";
  setup.worker = constant_service(2000);
  auto r = run_scenario(scenario(setup));
  auto q = r["components"]["queue"];
  CHECK(count(q["events.dropped"]) == 194);
  CHECK(count(q["at_end"]["events"]["backlog_bytes"]) == 4000);
  // Retention 0.1 s: the message published at 5k ms is dropped at 5k + 100,
  // which happens before the end (1000) for k <= 179: message 1, under
  // delivery, is not lost; the other 178 are, and messages 180..199
  // (published at 900..995) are held at the end.
  setup.topic = R"(, "retention_s": 0.1)";
  r = run_scenario(scenario(setup));
  q = r["components"]["queue"];
  CHECK(count(q["events.expired"]) == 178);
  CHECK(count(q["events.dropped"]) == 178);
  CHECK(count(q["at_end"]["events"]["backlog_messages"]) == 20);
  CHECK(count(q["events.worker.lost"]) == 178);
}

TEST_CASE("drop_newest refuses the publish: the producer's request fails with broker_full") {
  // Capacity 10: messages 1..10 are held (1 under delivery for 2 s), the
  // other 189 publishes are refused, and their clients see broker_full.
  Setup setup;
  setup.rate_qps = 200;
  setup.topic = R"(, "capacity_messages": 10, "when_full": "drop_newest")";
  setup.worker = constant_service(2000);
  const auto r = run_scenario(scenario(setup));
  const auto& q = r["components"]["queue"];
  CHECK(count(q["events.published"]) == 10);
  CHECK(count(q["events.dropped"]) == 189);
  CHECK(count(q["events.refused"]) == 189);
  CHECK(count(r["summary"]["failed"]["total"]) == 189);
  CHECK(r["summary"]["failed"].dump().find("broker_full") != std::string::npos);
  CHECK(count(q["at_end"]["events"]["lag_messages"]["worker"]) == 10);
}

TEST_CASE("block holds the producer's publish until room is made") {
  // Capacity 1 message, consumer 50 ms, publishes at 10k ms. Message 1 is
  // held at 10 and done at 60; message 2 (at 20) waits, and the producer's
  // one worker with it, until 60; requests 3.. queue at the producer. From
  // then on message k is appended at 50k - 40 and done at 50k + 10: request
  // k's client waits 50k - 40 - 10k = 40(k - 1) ms. Requests 1..20 are
  // answered before 1000 ms (request 20 at 960): mean 40 x 9.5 = 380 ms,
  // max 760; messages 1..19 are done. Nothing is dropped.
  Setup setup;
  setup.rate_qps = 100;
  setup.topic = R"(, "capacity_messages": 1, "when_full": "block")";
  setup.worker = constant_service(50);
  const auto r = run_scenario(scenario(setup));
  const auto& q = r["components"]["queue"];
  CHECK(count(r["summary"]["completed"]) == 20);
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(380));
  CHECK(number(r["summary"]["latency_ms"]["max"]) == doctest::Approx(760).epsilon(0.01));
  CHECK(count(q["events.worker.acknowledged"]) == 19);
  CHECK(count(q["events.dropped"]) == 0);
  CHECK(count(r["summary"]["failed"]["total"]) == 0);
}

TEST_CASE("a consumer crashing mid-message gets it again after the redelivery delay, counted as a duplicate") {
  // Publishes at 100k ms, consumer 30 ms. The consumer crashes at 110 ms
  // (message 1 half done) and recovers at 120: message 1 is delivered again
  // at 110 + 100 = 210 and done at 240; message 2 (published at 200) waits
  // behind it, delivered at 240 and done at 270. The others take 30 ms.
  // Latencies 140, 70 and 7 x 30: mean 420 / 9.
  Setup setup;
  setup.worker = constant_service(30);
  setup.more = R"(, "faults": { "timeline": [
                    { "at_s": 0.11, "until_s": 0.12, "action": "crash", "target": "worker" } ] })";
  const auto r = run_scenario(scenario(setup));
  const auto& q = r["components"]["queue"];
  CHECK(count(q["events.worker.delivered"]) == 10);
  CHECK(count(q["events.worker.failed_deliveries"]) == 1);
  CHECK(count(q["events.worker.duplicates"]) == 1);
  CHECK(count(q["events.worker.acknowledged"]) == 9);
  CHECK(number(q["events.worker.async_latency_ms"]["mean"]) == ms(420.0 / 9));
  CHECK(count(q["at_end"]["events"]["lag_messages"]["worker"]) == 0);
}

TEST_CASE("a message failing max_deliveries times goes to the dead-letter topic, whose own group consumes it") {
  // The consumer is down from 50 ms on: every delivery fails at once. With
  // max_deliveries 3 and 100 ms between tries, message 1 (published at 100)
  // fails at 100, 200 and 300 and is dead-lettered at 300; message 2 then
  // fails at 300, 400, 500; message 3 at 500..700; message 4 at 700..900;
  // message 5 fails at 900 and waits. Dead-lettered 4; deliveries 13, of
  // which 8 repeat a message; the auditor takes each dead letter 10 ms
  // after it arrives.
  Setup setup;
  setup.topic = R"(, "max_deliveries": 3, "dead_letter_topic": "events-dlq" },
                   "events-dlq": { "consumers": [{ "service": "auditor" }])";
  setup.worker = constant_service(30);
  setup.extra = R"(, { "type": "service", "name": "auditor")" + constant_service(10) + " }";
  setup.more = R"(, "faults": { "timeline": [ { "at_s": 0.05, "action": "crash", "target": "worker" } ] })";
  const auto r = run_scenario(scenario(setup));
  const auto& q = r["components"]["queue"];
  CHECK(count(q["events.worker.dead_lettered"]) == 4);
  CHECK(count(q["events.worker.delivered"]) == 13);
  CHECK(count(q["events.worker.failed_deliveries"]) == 13);
  CHECK(count(q["events.worker.duplicates"]) == 8);
  CHECK(count(q["events.worker.acknowledged"]) == 0);
  CHECK(count(q["events-dlq.dead_letters_in"]) == 4);
  CHECK(count(q["events-dlq.auditor.acknowledged"]) == 4);
  CHECK(number(q["events-dlq.auditor.async_latency_ms"]["mean"]) == ms(10));
  // Messages 5..9 are still the group's: 5 behind.
  CHECK(count(q["at_end"]["events"]["lag_messages"]["worker"]) == 5);
}

TEST_CASE("several groups on one topic each get every message, at their own pace") {
  // Two groups: "worker" (10 ms) and "slow" (40 ms), publishes every 20 ms
  // (49). The fast one keeps up: 49 done, 10 ms each. The slow one does one
  // per 40 ms: message k is done at 20 + 40k, so 24 by 980 ms. A message
  // is held until both have it done: the slow group's 25.
  Setup setup;
  setup.rate_qps = 50;
  setup.consumers = R"([{ "service": "worker" }, { "service": "slow" }])";
  setup.worker = constant_service(10);
  setup.extra = R"(, { "type": "service", "name": "slow")" + constant_service(40) + " }";
  const auto r = run_scenario(scenario(setup));
  const auto& q = r["components"]["queue"];
  CHECK(count(q["events.worker.acknowledged"]) == 49);
  CHECK(number(q["events.worker.async_latency_ms"]["mean"]) == ms(10));
  CHECK(count(q["events.slow.acknowledged"]) == 24);
  CHECK(count(q["at_end"]["events"]["lag_messages"]["slow"]) == 25);
  CHECK(count(q["at_end"]["events"]["backlog_messages"]) == 25);
}

TEST_CASE("one partition read by one consumer of exponential service is an M/M/1 queue: backlog and latency") {
  // Poisson publishes at 50/s, one consumer of exponential service with a
  // mean of 10 ms, no latency anywhere: the messages held (waiting or under
  // delivery) are the M/M/1 queue's number in system, and publish to
  // acknowledgement its time in system. Theory at rho = 0.5: L = rho /
  // (1 - rho) = 1 message, W = 1 / (mu - lambda) = 20 ms. 2,000 s of run
  // (100,000 messages) in 40 intervals of 50 s; the queue forgets its state
  // in well under a second (its relaxation time 1 / (mu (1 - sqrt rho)^2) is
  // 0.12 s), so the 40 interval means are independent batch means, and each
  // estimate must lie within 4 of their standard errors (39 degrees of
  // freedom: missed by chance with probability about 3e-4).
  const Json r = run_scenario(R"({
    "duration_s": 2000, "warmup_s": 0, "report_interval_s": 50, "seed": 3,
    "workloads": [{ "name": "clients", "target": "api", "arrival": { "type": "poisson", "rate_qps": 50 } }],
    "components": [
      { "type": "service", "name": "api", "workers": 8,
        "handlers": { "request": [{ "publish": "queue", "topic": "events" }] } },
      { "type": "broker", "name": "queue", "topics": { "events": { "consumers": [{ "service": "worker" }] } } },
      { "type": "service", "name": "worker", "service_time": { "type": "exponential", "mean_ms": 10 } }
    ]
  })");
  const auto& columns = r["timeseries"]["columns"];
  std::size_t backlog = 0, latency = 0, done = 0;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i]["name"] == "components.queue.events.backlog_messages_mean") backlog = i;
    if (columns[i]["name"] == "components.queue.events.worker.async_latency_mean") latency = i;
    if (columns[i]["name"] == "components.queue.events.worker.acknowledged") done = i;
  }
  REQUIRE(backlog > 0);
  REQUIRE(latency > 0);
  REQUIRE(done > 0);
  const auto& rows = r["timeseries"]["rows"];
  REQUIRE(rows.size() == 40);
  // Batch means, and their mean and standard error. A batch's latency is
  // the mean of the messages done in it; the overall mean weighs them by
  // count (the batches hold nearly equal counts).
  const auto estimate = [&](const std::vector<double>& batches) {
    double mean = 0;
    for (double b : batches) mean += b;
    mean /= static_cast<double>(batches.size());
    double squares = 0;
    for (double b : batches) squares += (b - mean) * (b - mean);
    const double k = static_cast<double>(batches.size());
    return std::pair<double, double>{mean, std::sqrt(squares / (k - 1) / k)};
  };
  std::vector<double> backlogs, latencies;
  for (const auto& row : rows) {
    backlogs.push_back(number(row[backlog]));
    latencies.push_back(number(row[latency]));
  }
  const auto [l, l_se] = estimate(backlogs);
  const auto [w, w_se] = estimate(latencies);
  INFO("L = " << l << " (SE " << l_se << "), W = " << w << " ms (SE " << w_se << ")");
  CHECK(std::fabs(l - 1.0) < 4 * l_se);
  CHECK(std::fabs(w - 20.0) < 4 * w_se);
  // The overall figures agree with the batches'.
  const auto& q = r["components"]["queue"];
  CHECK(number(q["events.worker.async_latency_ms"]["mean"]) == doctest::Approx(w).epsilon(0.01));
  CHECK(number(q["events.backlog_messages"]["mean"]) == doctest::Approx(l).epsilon(1e-9));
}

TEST_CASE("a consumer group that autoscales: the backlog of a spike grows while instances start, then drains") {
  // 100 messages/s, 800/s from 30 s to 80 s, into 8 partitions read by an
  // autoscaled service of one worker per instance at 10 ms (100/s each):
  // 2 instances at first, at most 8, decisions every 5 s, 10 s to start.
  // For at least the 10 s before a new instance serves, 600/s more arrive
  // than 2 instances take: the backlog passes 6,000. With 8 instances the
  // group takes the 800/s it is offered, and from 80 s drains the rest at
  // 700/s; by 120 s every message is done once, none twice or lost.
  const Json r = run_scenario(R"({
    "duration_s": 120, "warmup_s": 0, "seed": 1,
    "workloads": [{ "name": "clients", "target": "api", "arrival": { "type": "schedule", "points": [
      { "at_s": 0, "rate_qps": 100 }, { "at_s": 30, "rate_qps": 800 }, { "at_s": 80, "rate_qps": 100 } ] } }],
    "components": [
      { "type": "service", "name": "api", "workers": 64, "handlers": { "request": [{ "publish": "queue", "topic": "events" }] } },
      { "type": "broker", "name": "queue", "topics": { "events": { "partitions": 8, "consumers": [{ "service": "worker" }] } } },
      { "type": "service", "name": "worker", "replicas": 2, "service_time": { "type": "exponential", "mean_ms": 10 },
        "autoscaling": { "metric": "utilization", "target": 0.6, "min_instances": 1, "max_instances": 8,
                         "interval_s": 5, "startup_s": 10, "cooldown_s": 20 } }
    ]
  })");
  const Json& q = r["components"]["queue"];
  const Json& w = r["components"]["worker"];
  CHECK(count(w["autoscaling"]["instances_serving"]["max"]) == 8);
  CHECK(count(w["scale_outs"]) >= 1);
  CHECK(number(q["events.backlog_messages"]["max"]) > 6000);
  const std::uint64_t published = count(q["events.published"]);
  CHECK(count(q["events.worker.acknowledged"]) <= published);
  CHECK(count(q["events.worker.acknowledged"]) + 10 >= published);
  CHECK(count(q["events.worker.duplicates"]) == 0);
  CHECK(count(q["events.worker.lost"]) == 0);
  CHECK(count(q["events.dropped"]) == 0);
}
