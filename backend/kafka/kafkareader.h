#pragma once

#include "kafkahandles.h"
#include "kafkasettings.h"
#include "logging.h"

#include <QObject>

#include <atomic>
#include <cstdint>
#include <vector>
#include <functional>
#include <memory>

class QThread;

namespace fleetdeck::kafka {

// Reads every partition of one topic on a thread of its own and hands each batch of messages to a
// handler on that thread. It assigns partitions itself rather than joining a consumer group, because
// every backend replica needs the whole fleet, not a share of it (and a group join costs seconds).
// Thread: start()/stop() on the owner's thread; the handler runs on the thread "kafka:<topic>".
class KafkaReader : public QObject
{
    Q_OBJECT

public:
    // Time: the first offset at or after startTimeUnixMs (Kafka's offsets-for-times); where the broker
    // cannot answer that (librdkafka's mock cluster), the beginning of what it retains.
    enum class StartAt { Beginning, End, Time };

    struct PartitionState {
        int partition = 0;
        qint64 position = -1;       // next offset this reader will consume; -1 before the first message
        qint64 highWatermark = -1;  // as last reported by the broker; -1 when not known yet
        [[nodiscard]] qint64 lag() const { return highWatermark >= 0 && position >= 0 ? highWatermark - position : -1; }
    };
    // Messages are valid only during the call; errors (msg->err) are filtered out before.
    using BatchHandler = std::function<void(rd_kafka_message_t *const *messages, std::size_t count)>;

    explicit KafkaReader(QObject *parent = nullptr);
    ~KafkaReader() override;

    [[nodiscard]] bool start(const KafkaSettings &settings, const QString &topic, StartAt startAt,
                             BatchHandler handler, QString *error, std::int64_t startTimeUnixMs = 0);
    void stop();

    [[nodiscard]] quint64 messageCount() const { return m_messages.load(std::memory_order_relaxed); }
    [[nodiscard]] bool isBrokerReachable() const { return m_brokerReachable.load(); }
    // True once everything the topic held when the reader started has been consumed.
    [[nodiscard]] bool isCaughtUp() const { return m_caughtUp.load(); }
    // Thread: any (reads atomics and librdkafka's cached watermarks, no network).
    [[nodiscard]] std::vector<PartitionState> partitionStates() const;

Q_SIGNALS:
    // Emitted on the owner's thread once per change of broker reachability.
    void brokerReachableChanged(bool reachable);
    // Emitted on the owner's thread when the reader has consumed what was there at start.
    void caughtUp();

private:
    void pollLoop();
    static void errorCallback(rd_kafka_t *rk, int err, const char *reason, void *opaque);
    void setBrokerReachable(bool reachable);
    void applyStartPosition(rd_kafka_topic_partition_list_t *assignment, StartAt startAt, std::int64_t startTimeUnixMs);
    void checkCaughtUp();

    KafkaHandle m_consumer;
    BatchHandler m_handler;
    QString m_topic;
    std::unique_ptr<QThread> m_thread;
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_brokerReachable{true};
    std::atomic<quint64> m_messages{0};
    std::atomic<bool> m_caughtUp{false};
    int m_partitionCount = 0;
    std::unique_ptr<std::atomic<qint64>[]> m_positions;  // per partition, written by the polling thread
    std::vector<qint64> m_targetOffsets;                 // per partition: the high watermark at start
    std::vector<qint64> m_lowOffsets;                    // per partition: the low watermark at start
    RateLimitedLog m_errorLog;  // used only on the polling thread, where librdkafka calls back
};

}  // namespace fleetdeck::kafka
