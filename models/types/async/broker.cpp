#include "models/types/async/broker.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <map>
#include <set>

#include "sim/rng.h"

namespace archsim::models {

using spec::Json;
using spec::Spec;

namespace {

// Messages every partition of a broker may hold together, so that no
// scenario runs the machine out of memory silently (32 bytes each).
constexpr double kMaxHeldMessages = 20'000'000;
// Places of groups in partitions (each with its lag), likewise.
constexpr double kMaxCursors = 1'000'000;

std::string number_text(double v) {
  const auto n = static_cast<std::int64_t>(v);
  return static_cast<double>(n) == v ? std::to_string(n) : std::to_string(v);
}

TopicConfig read_topic(const std::string& name, const Json& v) {
  TopicConfig t;
  t.name = name;
  t.partitions = v.at("partitions").get<std::int64_t>();
  t.partition_by = v.at("partition_by") == "round_robin" ? TopicConfig::PartitionBy::RoundRobin
                                                         : TopicConfig::PartitionBy::Key;
  t.message_size = SizeDistribution(v.at("message_size"));
  t.capacity_messages = v.at("capacity_messages").get<std::int64_t>();
  if (v.contains("capacity_bytes")) t.capacity_bytes = v["capacity_bytes"].get<double>();
  if (v.contains("retention_s")) t.retention_s = v["retention_s"].get<double>();
  const std::string full = v.at("when_full").get<std::string>();
  t.when_full = full == "block"         ? TopicConfig::WhenFull::Block
                : full == "drop_newest" ? TopicConfig::WhenFull::DropNewest
                                        : TopicConfig::WhenFull::DropOldest;
  if (v.contains("max_deliveries")) t.max_deliveries = v["max_deliveries"].get<std::int64_t>();
  t.dead_letter_topic = v.value("dead_letter_topic", "");
  t.redelivery_delay_ms = v.at("redelivery_delay_ms").get<double>();
  for (const auto& c : v.at("consumers"))
    t.consumers.push_back({c.at("service").get<std::string>(), c.value("operation", "")});
  return t;
}

std::vector<std::string> topic_names(const Json& config) {
  std::vector<std::string> names;
  for (const auto& [name, _] : config["topics"].items()) names.push_back(name);
  return names;
}

}  // namespace

spec::NodeRef broker_spec() {
  static const spec::NodeRef node = [] {
    Spec group = Spec::object("A consumer group: a service whose replicas are its consumers and whose handler is their "
                              "work; its reply acknowledges the message");
    group.required("service", Spec::reference("The service consuming (partition p goes to its replica p mod replicas)",
                                              "replicated")
                                  .calls())
        .optional("operation", Spec::string("Operation asked of it for each message; by default the topic's name"));

    Spec topic = Spec::object("A topic: partitions, each read in order by one consumer of every group");
    topic.optional("partitions", Spec::integer("Partitions of the topic").min(1).max(10000).default_value(1))
        .optional("partition_by", Spec::enumeration("How a message's partition is chosen: the hash of the request's key, "
                                                    "or each partition in turn",
                                                    {"key", "round_robin"})
                                      .default_value("key"))
        .optional("message_size", size_distribution_spec(), Json{{"type", "constant"}, {"value_bytes", 1024}})
        .optional("capacity_messages", Spec::integer("Most messages each partition holds (not yet acknowledged by every "
                                                     "group)")
                                           .unit("messages")
                                           .min(1)
                                           .max(kMaxHeldMessages)
                                           .default_value(100000))
        .optional("capacity_bytes", Spec::number("Most bytes of messages each partition holds; none when left out")
                                        .unit("bytes")
                                        .min(1)
                                        .max(1e15))
        .optional("retention_s", Spec::number("A message held this long is dropped (retention by age); none when left out")
                                     .unit("s")
                                     .greater_than(0)
                                     .max(sim::kMaxTimeSeconds))
        .optional("when_full", Spec::enumeration("What a message that does not fit does: drop the oldest held to make "
                                                 "room, be refused (the publish fails, broker_full), or wait for room "
                                                 "(the producer's publish waits)",
                                                 {"drop_oldest", "drop_newest", "block"})
                                   .default_value("drop_oldest"))
        .optional("max_deliveries", Spec::integer("Failed deliveries after which a message goes to the dead-letter topic "
                                                  "(or is discarded); redelivered for ever when left out")
                                        .min(1)
                                        .max(1000))
        .optional("dead_letter_topic", Spec::string("Another topic of this broker that takes messages failed "
                                                    "max_deliveries times"))
        .optional("redelivery_delay_ms", Spec::number("Wait before a failed delivery is made again (the partition waits "
                                                      "too, to keep order)")
                                             .unit("ms")
                                             .min(0)
                                             .max(kMaxMilliseconds)
                                             .default_value(100))
        .optional("consumers", Spec::array("Consumer groups; each gets every message", group).items(0, 100),
                  Json::array());
    topic.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      if (v.contains("dead_letter_topic") && !v.contains("max_deliveries"))
        errors.add(path / "dead_letter_topic", "is never used without max_deliveries: add max_deliveries, or remove it");
      std::set<std::string> services;
      for (std::size_t i = 0; i < v["consumers"].size(); ++i) {
        const std::string s = v["consumers"][i]["service"].get<std::string>();
        if (!services.insert(s).second)
          errors.add((path / "consumers")[i] / "service",
                     "\"" + s + "\" is already a consumer group of this topic; a group gets each message once");
      }
    });

    Spec broker = Spec::object("A message broker: topics of partitions, consumer groups, retention, at-least-once "
                               "delivery, a network card of finite bandwidth");
    broker.required("name", Spec::string("Unique name of the component").max_length(100))
        .to(&BrokerConfig::name)
        .optional("bandwidth_in_bytes_per_s", bandwidth_spec("Bytes per second its network card takes in from producers; "
                                                             "unlimited when left out"))
        .to(&BrokerConfig::bandwidth_in_bytes_per_s)
        .optional("bandwidth_out_bytes_per_s", bandwidth_spec("Bytes per second its network card sends to consumers; "
                                                              "unlimited when left out"))
        .to(&BrokerConfig::bandwidth_out_bytes_per_s)
        .required("topics", Spec::map("Topics by name; a publish step names one", topic).items(1, 1000))
        .store<BrokerConfig>([](const Json& v, BrokerConfig& c) {
          for (const auto& [name, t] : v.items()) c.topics.push_back(read_topic(name, t));
        });
    broker.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const std::vector<std::string> names = topic_names(v);
      double held = 0, cursors = 0;
      for (const auto& [name, t] : v["topics"].items()) {
        const auto partitions = t["partitions"].get<double>();
        held += partitions * t["capacity_messages"].get<double>();
        cursors += partitions * static_cast<double>(t["consumers"].size());
        if (!t.contains("dead_letter_topic")) continue;
        const std::string dead = t["dead_letter_topic"].get<std::string>();
        const spec::Path at = path / "topics" / name / "dead_letter_topic";
        if (dead == name)
          errors.add(at, "names its own topic: a message failed there would come back for ever; name another topic");
        else if (!v["topics"].contains(dead))
          errors.add(at, "no topic named \"" + dead + "\" in this broker" + spec::did_you_mean_suffix(dead, names));
      }
      if (held > kMaxHeldMessages)
        errors.add(path / "topics", "its partitions may hold " + number_text(held) + " messages together " +
                                        "(partitions x capacity_messages), more than the " +
                                        number_text(kMaxHeldMessages) + " a run can keep; lower capacity_messages");
      if (cursors > kMaxCursors)
        errors.add(path / "topics", "has " + number_text(cursors) + " pairs of a partition and a consumer group, "
                                        "more than " + number_text(kMaxCursors) + "; use fewer partitions or groups");
    });
    return broker.build();
  }();
  return node;
}

ComponentType broker_type() {
  ComponentType t;
  t.name = "broker";
  t.summary = "A message broker: topics of partitions read in order by consumer groups (services), retention that "
              "drops or blocks, at-least-once redelivery, dead letters, a network card of finite bandwidth";
  t.spec = broker_spec();
  t.capabilities = {capability::kCallable, capability::kBroker};
  t.route = [](const Json& config, const std::string& operation, std::vector<Outflow>& out) {
    // A topic no topic matches is reported by check, with the names it could be.
    if (!config["topics"].contains(operation)) return true;
    const Json& topic = config["topics"][operation];
    for (const auto& c : topic["consumers"])
      out.push_back({c["service"].get<std::string>(), c.value("operation", operation)});
    if (topic.contains("dead_letter_topic"))
      out.push_back({config["name"].get<std::string>(), topic["dead_letter_topic"].get<std::string>()});
    return true;
  };
  t.check = [](const Json& config, const std::vector<std::string>& reaching, const ScenarioView& scenario,
               const spec::Path& path, spec::Errors& errors) {
    const std::vector<std::string> names = topic_names(config);
    for (const auto& operation : reaching)
      if (!config["topics"].contains(operation))
        errors.add(path / "topics", "no topic named \"" + operation + "\", which requests reaching broker \"" +
                                        config["name"].get<std::string>() + "\" publish to (or ask for)" +
                                        spec::did_you_mean_suffix(operation, names));
    for (const auto& [name, topic] : config["topics"].items()) {
      const auto partitions = topic["partitions"].get<std::int64_t>();
      for (std::size_t i = 0; i < topic["consumers"].size(); ++i) {
        const std::string service = topic["consumers"][i]["service"].get<std::string>();
        const ComponentType* type = scenario.type_of(service);
        if (type == nullptr || !type->replicas) continue;
        const std::int64_t consumers = type->replicas(*scenario.component(service));
        if (consumers > partitions)
          errors.warn((path / "topics" / name / "consumers")[i] / "service",
                     "\"" + service + "\" has " + std::to_string(consumers) + " replicas (consumers) for " +
                         std::to_string(partitions) + " partition" + (partitions == 1 ? "" : "s") + ": " +
                         std::to_string(consumers - partitions) +
                         " would idle, as a partition has one consumer per group; add partitions, or use fewer "
                         "replicas");
      }
    }
  };
  t.make = factory<Broker, BrokerConfig>(broker_spec);
  return t;
}

Broker::Broker(BrokerConfig config, Context& context) : Component(config.name, context) {
  if (config.bandwidth_in_bytes_per_s) card_in_.emplace(*config.bandwidth_in_bytes_per_s);
  if (config.bandwidth_out_bytes_per_s) card_out_.emplace(*config.bandwidth_out_bytes_per_s);
  bool can_refuse = false;
  // Every part is built before any figure is declared: the figures point
  // into these vectors, which do not move again.
  std::size_t partitions = 0, cursors = 0, groups = 0;
  for (const auto& t : config.topics) {
    partitions += static_cast<std::size_t>(t.partitions);
    cursors += static_cast<std::size_t>(t.partitions) * t.consumers.size();
    groups += t.consumers.size();
  }
  topics_.reserve(config.topics.size());
  partitions_.resize(partitions);
  cursors_.resize(cursors);
  groups_.resize(groups);
  std::uint32_t p = 0, c = 0, g = 0;
  for (auto& tc : config.topics) {
    const auto topic = static_cast<std::uint32_t>(topics_.size());
    Topic& t = topics_.emplace_back();
    t.first_partition = p;
    if (tc.capacity_bytes) t.capacity_bytes = static_cast<std::int64_t>(*tc.capacity_bytes);
    if (tc.retention_s) t.retention = sim::Time::from_s(*tc.retention_s);
    t.redelivery_delay = sim::Time::from_ms(tc.redelivery_delay_ms);
    // Each topic's sizes from a stream of their own, from the run's seed.
    t.salt = sim::mix64(value_size_salt(context.streams.seed()) ^ sim::hash_name(name_ + "/" + tc.name));
    can_refuse = can_refuse || tc.when_full != TopicConfig::WhenFull::DropOldest || tc.capacity_bytes.has_value();
    for (const auto& gc : tc.consumers) {
      Group& group = groups_[g];
      group.topic = topic;
      group.service = gc.service;
      group.operation_name = gc.operation.empty() ? tc.name : gc.operation;
      t.groups.push_back(g++);
    }
    for (std::int64_t i = 0; i < tc.partitions; ++i, ++p) {
      Partition& part = partitions_[p];
      part.topic = topic;
      part.first_cursor = c;
      for (const std::uint32_t group : t.groups) {
        cursors_[c].group = group;
        cursors_[c].partition = p;
        ++c;
      }
    }
    t.config = std::move(tc);
  }
  for (std::size_t i = 0; i < topics_.size(); ++i) {
    Topic& t = topics_[i];
    if (t.config.dead_letter_topic.empty()) continue;
    for (std::size_t j = 0; j < topics_.size(); ++j)
      if (topics_[j].config.name == t.config.dead_letter_topic) t.dead_letter = static_cast<std::int64_t>(j);
    assert(t.dead_letter >= 0);
  }
  if (can_refuse) broker_full_ = context.failures.intern("broker_full");

  // The figures: the card's, then each topic's, its groups' and its partitions'.
  metrics_.rate("received_bytes_per_s", "bytes/s", "Bytes of messages taken in from producers, per second",
                &received_bytes_);
  metrics_.rate("sent_bytes_per_s", "bytes/s", "Bytes of deliveries sent to consumers, per second", &sent_bytes_);
  for (auto& t : topics_) {
    const std::string at = t.config.name + ".";
    metrics_.count(at + "published", "messages", "Messages appended to the topic (dead letters included)", &t.published);
    metrics_.rate(at + "published_per_s", "messages/s", "Messages appended per second", &t.published);
    metrics_.rate(at + "published_bytes_per_s", "bytes/s", "Bytes of messages appended per second", &t.published_bytes);
    metrics_.count(at + "dropped", "messages",
                   "Messages dropped before some group was delivered them (pushed out for room, or past retention_s), "
                   "or refused",
                   &t.dropped);
    metrics_.count(at + "expired", "messages", "Of the dropped, those past retention_s", &t.expired);
    if (t.config.when_full != TopicConfig::WhenFull::DropOldest || t.capacity_bytes > 0)
      metrics_.count(at + "refused", "messages", "Of the dropped, publishes refused (broker_full): no room, or larger "
                                                 "than capacity_bytes",
                     &t.refused);
    if (t.dead_letter >= 0 || std::any_of(topics_.begin(), topics_.end(), [&](const Topic& o) {
          return o.dead_letter >= 0 && &topics_[static_cast<std::size_t>(o.dead_letter)] == &t;
        }))
      metrics_.count(at + "dead_letters_in", "messages", "Messages that came here as dead letters of another topic",
                     &t.dead_letters_in);
    metrics_.level(at + "backlog_messages", "messages", "Messages held by its partitions", &t.backlog_messages);
    metrics_.level(at + "backlog_bytes", "bytes", "Bytes of messages held by its partitions", &t.backlog_bytes);
    for (const std::uint32_t gi : t.groups) {
      Group& g = groups_[gi];
      const std::string in = at + g.service + ".";
      metrics_.count(in + "delivered", "messages", "Deliveries to the group, redeliveries included", &g.delivered);
      metrics_.count(in + "acknowledged", "messages", "Messages the group's consumers acknowledged (done)",
                     &g.acknowledged);
      metrics_.rate(in + "throughput", "messages/s", "Messages acknowledged per second", &g.acknowledged);
      metrics_.rate(in + "throughput_bytes_per_s", "bytes/s", "Bytes of messages acknowledged per second",
                    &g.acknowledged_bytes);
      metrics_.count(in + "failed_deliveries", "messages", "Deliveries that failed (the handler failed, or its consumer "
                                                           "crashed)",
                     &g.failed);
      metrics_.count(in + "duplicates", "messages", "Deliveries of a message the group had been delivered before",
                     &g.duplicates);
      metrics_.count(in + "lost", "messages", "Messages dropped before the group was delivered them", &g.lost);
      metrics_.count(in + "dead_lettered", "messages", "Messages the group failed max_deliveries times",
                     &g.dead_lettered);
      metrics_.level(in + "lag_messages", "messages", "Messages published and not yet acknowledged by the group",
                     &g.lag);
      metrics_.distribution(in + "async_latency_ms", "Time from a message's publish (sent by its producer) to its acknowledgement by the group",
                            &g.latency, &g.latency_ns, &g.acknowledged, in + "async_latency_mean");
    }
    if (t.config.partitions > 1 && t.config.partitions <= kMaxPartitionSeries)
      for (std::int64_t i = 0; i < t.config.partitions; ++i) {
        Partition& part = partitions_[t.first_partition + static_cast<std::size_t>(i)];
        const std::string here = t.config.name + "[" + std::to_string(i) + "].";
        metrics_.level(here + "backlog_messages", "messages", "Messages held by the partition", &part.backlog_messages,
                       LevelSeries::Mean);
        metrics_.series_only();
        for (std::size_t k = 0; k < t.groups.size(); ++k) {
          Cursor& cursor = cursors_[part.first_cursor + k];
          metrics_.level(here + groups_[cursor.group].service + ".lag_messages", "messages",
                         "Messages of the partition published and not yet acknowledged by the group", &cursor.lag,
                         LevelSeries::Mean);
          metrics_.series_only();
        }
      }
  }
  // What is left at the end of the window: the backlog and each group's lag.
  metrics_.extra("at_end", [this](sim::Time, sim::Time) {
    Json out = Json::object();
    for (const auto& t : topics_) {
      Json topic{{"backlog_messages", t.backlog_messages.value()}, {"backlog_bytes", t.backlog_bytes.value()}};
      Json lag = Json::object();
      for (const std::uint32_t g : t.groups) lag[groups_[g].service] = groups_[g].lag.value();
      topic["lag_messages"] = lag;
      out[t.config.name] = topic;
    }
    return out;
  });
}

void Broker::connect(Wiring& wiring) {
  topic_of_operation_.assign(context_.operations.size(), -1);
  const auto index = [&](const std::string& name) -> std::int64_t {
    const auto it = std::find(context_.operations.begin(), context_.operations.end(), name);
    return it == context_.operations.end() ? -1 : it - context_.operations.begin();
  };
  for (std::size_t t = 0; t < topics_.size(); ++t) {
    const std::int64_t op = index(topics_[t].config.name);
    if (op >= 0) topic_of_operation_[static_cast<std::size_t>(op)] = static_cast<std::int32_t>(t);
  }
  for (auto& g : groups_) {
    // A topic nothing publishes to (nor dead-letters into) has no operation
    // of its own in the run, and never delivers.
    if (index(g.operation_name) < 0) continue;
    g.to.emplace(DependencyConfig{g.service, g.operation_name, std::nullopt});
    g.to->connect(*this, wiring);
    const auto* consumer = dynamic_cast<const Component*>(&wiring.node(g.service));
    assert(consumer != nullptr && consumer->replicas() >= 1);
    g.consumers = consumer->replicas();
  }
}

std::uint32_t Broker::partition_of(Topic& t, std::uint64_t key) {
  const auto n = static_cast<std::uint64_t>(t.config.partitions);
  if (n == 1) return t.first_partition;
  std::uint64_t i;
  if (t.config.partition_by == TopicConfig::PartitionBy::Key) {
    i = sim::mix64(key) % n;
  } else {
    i = t.next_partition;
    t.next_partition = t.next_partition + 1 == n ? 0 : t.next_partition + 1;
  }
  return t.first_partition + static_cast<std::uint32_t>(i);
}

void Broker::on_request(Request& request) {
  ++stats_.counters.arrivals;
  request.arrived = now();
  stats_.in_system.add(now(), +1);
  const std::int32_t topic = topic_of_operation_[request.operation];
  assert(topic >= 0 && "a publish to a topic the scenario check let through");
  Topic& t = topics_[static_cast<std::size_t>(topic)];
  const std::uint32_t size = t.config.message_size.size_of(t.sequence++, t.salt);
  const std::uint32_t partition = partition_of(t, request.key);
  received_bytes_ += size;
  if (card_in_) {
    // The card takes messages in one after another, in order of arrival.
    const sim::Time in = card_in_->pass(now(), size);
    inbound_.push_back(Inbound{&request, partition, size});
    context_.engine.post_in(in - now(), sim::Phase::Departure, this, kReceived);
    return;
  }
  append(&request, partition, size);
}

bool Broker::fits(const Partition& part, std::uint32_t size) const {
  const Topic& t = topics_[part.topic];
  return static_cast<std::int64_t>(part.held.size()) < t.config.capacity_messages &&
         (t.capacity_bytes == 0 || part.bytes + size <= t.capacity_bytes);
}

void Broker::append(Request* request, std::uint32_t p, std::uint32_t size) {
  Partition& part = partitions_[p];
  Topic& t = topics_[part.topic];
  const auto answer = [&](Failure failure) {
    request->failure = failure;
    stats_.depart(now(), *request, context_.callers_may_give_up);
    reply(*request);
  };
  if (t.capacity_bytes > 0 && size > t.capacity_bytes) {
    // Larger than the partition can ever hold: no policy makes room for it.
    ++t.dropped;
    ++t.refused;
    answer(broker_full_);
    return;
  }
  if (!part.blocked.empty() || !fits(part, size)) {
    switch (t.config.when_full) {
      case TopicConfig::WhenFull::DropOldest:
        while (!fits(part, size)) drop_oldest(p, false);
        break;
      case TopicConfig::WhenFull::DropNewest:
        ++t.dropped;
        ++t.refused;
        answer(broker_full_);
        return;
      case TopicConfig::WhenFull::Block:
        // Behind those already waiting, so that the partition keeps their order.
        part.blocked.push_back(Blocked{request, size});
        return;
    }
  }
  hold(p, Message{now(), request->created, request->key, size});
  answer(kNoFailure);
  for (std::uint32_t c = part.first_cursor; c < part.first_cursor + t.groups.size(); ++c) try_deliver(cursors_[c]);
}

void Broker::hold(std::uint32_t p, const Message& message) {
  Partition& part = partitions_[p];
  Topic& t = topics_[part.topic];
  part.held.push_back(message);
  part.bytes += message.size;
  ++held_;
  ++t.published;
  t.published_bytes += message.size;
  part.backlog_messages.add(now(), +1);
  part.backlog_bytes.add(now(), message.size);
  t.backlog_messages.add(now(), +1);
  t.backlog_bytes.add(now(), message.size);
  for (std::uint32_t c = part.first_cursor; c < part.first_cursor + t.groups.size(); ++c) {
    cursors_[c].lag.add(now(), +1);
    groups_[cursors_[c].group].lag.add(now(), +1);
  }
  if (t.retention != sim::Time::max()) arm_expiry(p);
}

void Broker::pop_front(std::uint32_t p) {
  Partition& part = partitions_[p];
  Topic& t = topics_[part.topic];
  const Message m = part.held.pop_front();
  ++part.base;
  part.bytes -= m.size;
  --held_;
  part.backlog_messages.add(now(), -1);
  part.backlog_bytes.add(now(), -static_cast<std::int64_t>(m.size));
  t.backlog_messages.add(now(), -1);
  t.backlog_bytes.add(now(), -static_cast<std::int64_t>(m.size));
}

void Broker::drop_oldest(std::uint32_t p, bool expired) {
  Partition& part = partitions_[p];
  Topic& t = topics_[part.topic];
  assert(!part.held.empty());
  // A group whose next message this is loses it, unless it has it under
  // delivery: then its consumer finishes that copy, and its ack counts. The
  // message is dropped if some group loses it.
  bool lost = false;
  for (std::uint32_t c = part.first_cursor; c < part.first_cursor + t.groups.size(); ++c) {
    Cursor& cursor = cursors_[c];
    if (cursor.next > part.base) continue;  // acknowledged by this group
    if (cursor.in_flight && cursor.next == part.base) continue;
    Group& g = groups_[cursor.group];
    ++g.lost;
    lost = true;
    cursor.lag.add(now(), -1);
    g.lag.add(now(), -1);
    // Its next message is gone: the one after is its next. (A group with an
    // older copy under delivery moves past the dropped ones when it ends.)
    if (cursor.next == part.base) {
      cursor.failures = 0;
      ++cursor.next;
    }
  }
  // Without groups, nobody would read it: dropped.
  if (lost || t.groups.empty()) {
    ++t.dropped;
    if (expired) ++t.expired;
  }
  pop_front(p);
}

void Broker::release_acknowledged(std::uint32_t p) {
  Partition& part = partitions_[p];
  const Topic& t = topics_[part.topic];
  if (t.groups.empty()) return;  // held until retention: nobody reads them
  std::uint64_t done = std::numeric_limits<std::uint64_t>::max();
  for (std::uint32_t c = part.first_cursor; c < part.first_cursor + t.groups.size(); ++c)
    done = std::min(done, cursors_[c].next);
  while (!part.held.empty() && part.base < done) pop_front(p);
  admit_blocked(p);
}

void Broker::admit_blocked(std::uint32_t p) {
  Partition& part = partitions_[p];
  if (part.blocked.empty()) return;
  const Topic& t = topics_[part.topic];
  bool added = false;
  while (!part.blocked.empty() && fits(part, part.blocked.front().size)) {
    const Blocked b = part.blocked.pop_front();
    hold(p, Message{now(), b.request->created, b.request->key, b.size});
    stats_.depart(now(), *b.request, context_.callers_may_give_up);
    reply(*b.request);
    added = true;
  }
  if (added)
    for (std::uint32_t c = part.first_cursor; c < part.first_cursor + t.groups.size(); ++c) try_deliver(cursors_[c]);
}

void Broker::arm_expiry(std::uint32_t p) {
  Partition& part = partitions_[p];
  if (part.expiry_set || part.held.empty()) return;
  // One timer per partition, for its oldest message; the oldest only gets
  // younger as messages leave, so the timer is never late, at worst early.
  const sim::Time due = part.held.front().published + topics_[part.topic].retention;
  context_.engine.post_in(std::max(due - now(), sim::Time{}), sim::Phase::Timer, this, kExpire, p);
  part.expiry_set = true;
}

void Broker::expire(std::uint32_t p) {
  Partition& part = partitions_[p];
  const Topic& t = topics_[part.topic];
  part.expiry_set = false;
  bool dropped = false;
  while (!part.held.empty() && part.held.front().published + t.retention <= now()) {
    drop_oldest(p, true);
    dropped = true;
  }
  arm_expiry(p);
  if (!dropped) return;
  admit_blocked(p);
  for (std::uint32_t c = part.first_cursor; c < part.first_cursor + t.groups.size(); ++c) try_deliver(cursors_[c]);
}

void Broker::try_deliver(Cursor& cursor) {
  if (cursor.busy) return;
  Partition& part = partitions_[cursor.partition];
  Group& g = groups_[cursor.group];
  if (!g.to) return;
  if (cursor.next < part.base) {
    // The message whose redelivery it waited for was dropped meanwhile.
    ++g.lost;
    cursor.lag.add(now(), -1);
    g.lag.add(now(), -1);
    cursor.failures = 0;
    cursor.next = part.base;
  }
  if (cursor.next >= part.base + part.held.size()) return;
  cursor.current = part.held[cursor.next - part.base];
  cursor.busy = cursor.in_flight = true;
  if (card_out_) {
    const sim::Time out = card_out_->pass(now(), cursor.current.size);
    outbound_.push_back(static_cast<std::uint32_t>(&cursor - cursors_.data()));
    context_.engine.post_in(out - now(), sim::Phase::Departure, this, kSent);
    return;
  }
  send_delivery(cursor);
}

void Broker::send_delivery(Cursor& cursor) {
  Group& g = groups_[cursor.group];
  const Topic& t = topics_[g.topic];
  Request& delivery = new_request();
  delivery.key = cursor.current.key;
  delivery.user_id = cursor.current.key;
  delivery.operation = g.to->operation(delivery);
  delivery.created = now();
  // Its partition's consumer in the group (round-robin assignment).
  delivery.instance = static_cast<std::int32_t>((cursor.partition - t.first_partition) % static_cast<std::uint64_t>(g.consumers));
  delivery.scratch = static_cast<std::uint64_t>(&cursor - cursors_.data());
  ++g.delivered;
  if (cursor.failures > 0) ++g.duplicates;
  sent_bytes_ += cursor.current.size;
  delivery.request_bytes = cursor.current.size;  // for a link or a consumer's card with a bandwidth
  dispatch(*g.to, delivery);
}

void Broker::on_reply(Request& call) {
  Cursor& cursor = cursors_[call.scratch];
  const bool failed = static_cast<bool>(call.failure);
  context_.requests.release(call);
  if (failed) delivery_failed(cursor);
  else acknowledged(cursor);
}

void Broker::on_call_timeout(Request&) { assert(false && "a broker's deliveries have no timeout"); }

void Broker::acknowledged(Cursor& cursor) {
  Group& g = groups_[cursor.group];
  ++g.acknowledged;
  g.acknowledged_bytes += cursor.current.size;
  const sim::Time waited = now() - cursor.current.sent;
  g.latency_ns += waited.ns;
  g.latency.record(waited.ns);
  move_on(cursor);
}

void Broker::delivery_failed(Cursor& cursor) {
  Group& g = groups_[cursor.group];
  const Topic& t = topics_[g.topic];
  ++g.failed;
  cursor.in_flight = false;
  ++cursor.failures;
  if (t.config.max_deliveries && cursor.failures >= *t.config.max_deliveries) {
    ++g.dead_lettered;
    if (t.dead_letter >= 0) dead_letter(static_cast<std::uint32_t>(t.dead_letter), cursor.current);
    move_on(cursor);
    return;
  }
  // Made again after the delay; the partition waits for it (busy).
  context_.engine.post_in(t.redelivery_delay, sim::Phase::Timer, this, kRedeliver,
                          static_cast<std::uint64_t>(&cursor - cursors_.data()));
}

void Broker::move_on(Cursor& cursor) {
  Partition& part = partitions_[cursor.partition];
  cursor.lag.add(now(), -1);
  groups_[cursor.group].lag.add(now(), -1);
  cursor.busy = cursor.in_flight = false;
  cursor.failures = 0;
  cursor.next = std::max(cursor.next + 1, part.base);
  release_acknowledged(cursor.partition);
  try_deliver(cursor);
}

void Broker::dead_letter(std::uint32_t topic, const Message& message) {
  Topic& t = topics_[topic];
  const std::uint32_t p = partition_of(t, message.key);
  Partition& part = partitions_[p];
  ++t.dead_letters_in;
  if (t.capacity_bytes > 0 && message.size > t.capacity_bytes) {
    ++t.dropped;
    return;
  }
  if (!fits(part, message.size)) {
    // Nobody waits to be told: the broker itself moves the message, so a
    // full dead-letter topic drops, whatever its policy for producers.
    if (t.config.when_full != TopicConfig::WhenFull::DropOldest || !part.blocked.empty()) {
      ++t.dropped;
      return;
    }
    while (!fits(part, message.size)) drop_oldest(p, false);
  }
  hold(p, Message{now(), now(), message.key, message.size});
  for (std::uint32_t c = part.first_cursor; c < part.first_cursor + t.groups.size(); ++c) try_deliver(cursors_[c]);
}

void Broker::on_timer(std::uint32_t kind, std::uint64_t data) {
  switch (kind) {
    case kReceived: {
      const Inbound in = inbound_.pop_front();
      append(in.request, in.partition, in.size);
      return;
    }
    case kSent:
      send_delivery(cursors_[outbound_.pop_front()]);
      return;
    case kRedeliver: {
      Cursor& cursor = cursors_[data];
      assert(cursor.busy && !cursor.in_flight);
      cursor.busy = false;
      try_deliver(cursor);
      return;
    }
    case kExpire:
      expire(static_cast<std::uint32_t>(data));
      return;
    default:
      Component::on_timer(kind, data);
  }
}

void Broker::check_invariants() const {
  Component::check_invariants();
  std::int64_t held = 0;
  for (const auto& part : partitions_) {
    held += static_cast<std::int64_t>(part.held.size());
    assert(part.backlog_messages.value() == static_cast<std::int64_t>(part.held.size()));
    assert(part.backlog_bytes.value() == part.bytes);
    const Topic& t = topics_[part.topic];
    assert(static_cast<std::int64_t>(part.held.size()) <= t.config.capacity_messages);
    for (std::uint32_t c = part.first_cursor; c < part.first_cursor + t.groups.size(); ++c) {
      const Cursor& cursor = cursors_[c];
      // A group never reads past the end; only a copy under delivery (or
      // waiting to be made again) may be of a message dropped since.
      assert(cursor.next <= part.base + part.held.size());
      assert(cursor.next >= part.base || cursor.busy);
      (void)cursor;
    }
  }
  assert(held == held_);
  (void)held;
}

}  // namespace archsim::models
