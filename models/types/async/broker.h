// models/types/async/broker.h: a message broker (Kafka, RabbitMQ, SQS):
// topics split into partitions, producers that publish and go on, and
// consumer groups that each get every message, at least once.
//
// A producer is a service whose handler has a `publish` step: its worker
// sends the message to the broker and waits for the broker's
// acknowledgement only (Kafka's acks=1), never for the consumers. A message
// arrives over the broker's network card: inbound transfers queue in one
// FIFO at `bandwidth_in_bytes_per_s`, each taking size / bandwidth, and the
// message is appended to its partition when its last byte is in; the ack
// then goes back. The partition is the request key's hash (the project's
// own) modulo the partitions, or the next in turn (partition_by).
// A message's size is drawn from the topic's message_size, per message.
//
// A consumer group is a service: its replicas are the group's consumers, its
// handler for the group's operation is the consumer's work, and its reply is
// the acknowledgement. Partition p of a topic belongs to consumer p mod k of
// a group of k replicas (round-robin assignment; k must not exceed the
// partitions, or consumers would idle). Each group reads each partition in
// order, one message at a time: the next is delivered when the previous is
// acknowledged. Deliveries leave through the outbound FIFO at
// `bandwidth_out_bytes_per_s` (each group's copy is a transfer of its own),
// then travel the link to the consumer. Groups on one topic each get every
// message and read at their own pace; a message is held until every group
// has acknowledged it (or it is dropped).
//
// Capacity per partition: at most `capacity_messages` messages and
// `capacity_bytes` bytes held, none older than `retention_s`. A message past
// its age is dropped when it comes of age. When a new message does not fit:
//   drop_oldest  the oldest held messages are dropped to make room (Kafka's
//                retention: a group that had not read them loses them);
//   drop_newest  the new message is refused: the publish fails (broker_full)
//                and the producer's handler fails with it;
//   block        the ack is held until room is made (the producer's worker
//                waits; a publish timeout gives up on it, but the message is
//                still appended when room comes, as a Kafka send that timed
//                out may still land).
// A message larger than capacity_bytes never fits: it is refused (dropped).
//
// Delivery is at least once. A delivery that fails (the consumer's handler
// failed, or its replica crashed mid-message and replied crashed) is
// delivered again to the same consumer after `redelivery_delay_ms`, with the
// partition waiting meanwhile (order is kept); every delivery after a
// message's first to a group is counted as a duplicate. After
// `max_deliveries` failed deliveries the message goes to the dead-letter
// topic (another topic of the broker, with consumers of its own if it has
// any), or is discarded when the topic names none; counted as dead-lettered
// either way.
//
// Not modelled: the broker's CPU and disk (its cost is its network card),
// replication between brokers and leader election, rebalancing of a group
// when a consumer dies (its partitions wait for it), consumers fetching in
// batches, compaction, replays of consumed messages (a consumed message is
// not kept), producer batching and fire-and-forget producers (acks=0), a
// broker crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/format/params.h"
#include "models/runtime/component_type.h"
#include "models/runtime/dependency.h"
#include "models/runtime/transmitter.h"
#include "sim/ring_buffer.h"

namespace archsim::models {

struct ConsumerGroupConfig {
  std::string service;    // the group: its replicas are the consumers
  std::string operation;  // asked of it; empty: the topic's name
};

struct TopicConfig {
  enum class PartitionBy { Key, RoundRobin };
  enum class WhenFull { DropOldest, DropNewest, Block };
  std::string name;
  std::int64_t partitions = 1;
  PartitionBy partition_by = PartitionBy::Key;
  SizeDistribution message_size;
  std::int64_t capacity_messages = 100000;     // per partition
  std::optional<double> capacity_bytes;        // per partition; none: no limit in bytes
  std::optional<double> retention_s;           // none: no limit of age
  WhenFull when_full = WhenFull::DropOldest;
  std::optional<std::int64_t> max_deliveries;  // none: redelivered for ever
  std::string dead_letter_topic;               // empty: none
  double redelivery_delay_ms = 100;
  std::vector<ConsumerGroupConfig> consumers;
};

struct BrokerConfig {
  std::string name;
  std::optional<double> bandwidth_in_bytes_per_s;   // none: unlimited
  std::optional<double> bandwidth_out_bytes_per_s;  // none: unlimited
  std::vector<TopicConfig> topics;                  // by name
};

spec::NodeRef broker_spec();
ComponentType broker_type();

class Broker final : public Component {
 public:
  Broker(BrokerConfig config, Context& context);

  const char* type() const override { return "broker"; }
  void connect(Wiring& wiring) override;

  void on_request(Request& request) override;
  void on_reply(Request& call) override;
  void on_call_timeout(Request& call) override;
  void on_timer(std::uint32_t kind, std::uint64_t data) override;

  void check_invariants() const override;

  // Largest series columns per partition (a topic with more has none).
  static constexpr std::int64_t kMaxPartitionSeries = 32;

 private:
  enum Timer : std::uint32_t { kReceived = kFirstTimer, kSent, kRedeliver, kExpire };

  struct Message {
    sim::Time published{};  // appended to its partition: its age counts from here
    sim::Time sent{};       // the producer sent it: its async latency counts from here
    std::uint64_t key = 0;
    std::uint32_t size = 0;
  };
  // A publish whose bytes are in, waiting for room (block).
  struct Blocked {
    Request* request = nullptr;
    std::uint32_t size = 0;
  };
  // A publish on the inbound card, in order of arrival.
  struct Inbound {
    Request* request = nullptr;
    std::uint32_t partition = 0;  // the broker-wide index of its partition
    std::uint32_t size = 0;
  };
  // One group's place in one partition: the offset of the next message it
  // acknowledges (everything before is done), and the one under delivery.
  struct Cursor {
    std::uint32_t group = 0;      // index into groups_
    std::uint32_t partition = 0;  // broker-wide
    std::uint64_t next = 0;
    bool busy = false;            // a delivery out, or waiting to be made again
    bool in_flight = false;       // a delivery out (sent or on the card)
    std::uint32_t failures = 0;   // failed deliveries of the message at `next`
    Message current;              // the message under delivery
    sim::TimeWeighted lag;        // messages published and not yet acknowledged by the group
  };
  struct Partition {
    std::uint32_t topic = 0;
    sim::RingBuffer<Message> held;  // offsets base .. base + size - 1
    std::uint64_t base = 0;
    std::int64_t bytes = 0;
    sim::RingBuffer<Blocked> blocked;
    bool expiry_set = false;
    std::uint32_t first_cursor = 0;  // its cursors, one per group of its topic, in order
    sim::TimeWeighted backlog_messages, backlog_bytes;
  };
  struct Group {
    std::uint32_t topic = 0;
    std::string service, operation_name;
    std::optional<Dependency> to;
    std::int64_t consumers = 1;
    std::uint64_t delivered = 0, acknowledged = 0, duplicates = 0, failed = 0, lost = 0, dead_lettered = 0;
    std::uint64_t acknowledged_bytes = 0;
    __int128 latency_ns = 0;  // publish to acknowledgement, summed
    sim::Histogram latency;
    sim::TimeWeighted lag;
  };
  struct Topic {
    TopicConfig config;
    std::uint32_t first_partition = 0;
    std::uint32_t next_partition = 0;  // round robin
    std::int64_t capacity_bytes = 0;   // 0: none
    sim::Time retention = sim::Time::max();
    sim::Time redelivery_delay{};
    std::int64_t dead_letter = -1;     // index of the dead-letter topic
    std::vector<std::uint32_t> groups;
    std::uint64_t salt = 0;
    std::uint64_t sequence = 0;        // messages drawn a size so far
    std::uint64_t published = 0, published_bytes = 0, dropped = 0, refused = 0, expired = 0, dead_letters_in = 0;
    sim::TimeWeighted backlog_messages, backlog_bytes;
  };

  void append(Request* request, std::uint32_t partition, std::uint32_t size);
  // Whether a message of `size` fits in the partition now.
  bool fits(const Partition& partition, std::uint32_t size) const;
  void hold(std::uint32_t partition, const Message& message);
  // Drops the oldest held message (retention or room); `expired`: by age.
  void drop_oldest(std::uint32_t partition, bool expired);
  void pop_front(std::uint32_t partition);
  // Frees what every group has acknowledged, then lets blocked publishes in.
  void release_acknowledged(std::uint32_t partition);
  void admit_blocked(std::uint32_t partition);
  void expire(std::uint32_t partition);
  void arm_expiry(std::uint32_t partition);
  void try_deliver(Cursor& cursor);
  void send_delivery(Cursor& cursor);
  void acknowledged(Cursor& cursor);
  void delivery_failed(Cursor& cursor);
  void move_on(Cursor& cursor);
  void dead_letter(std::uint32_t topic, const Message& message);
  void level(std::uint32_t partition);
  std::uint32_t partition_of(Topic& topic, std::uint64_t key);

  // Its network card's two ways (none: unlimited).
  std::optional<Transmitter> card_in_, card_out_;
  std::vector<Topic> topics_;
  std::vector<Partition> partitions_;
  std::vector<Cursor> cursors_;
  std::vector<Group> groups_;
  std::vector<std::int32_t> topic_of_operation_;  // by operation index; -1: no topic
  sim::RingBuffer<Inbound> inbound_;
  sim::RingBuffer<std::uint32_t> outbound_;  // cursors whose deliveries are on the card, in order
  std::int64_t held_ = 0;                    // messages held in every partition
  std::uint64_t received_bytes_ = 0, sent_bytes_ = 0;
  Failure broker_full_{};
};

}  // namespace archsim::models
