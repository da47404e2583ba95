#pragma once

#include "kafkahandles.h"
#include "kafkasettings.h"
#include "logging.h"

#include <QObject>

#include <atomic>
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
    enum class StartAt { Beginning, End };
    // Messages are valid only during the call; errors (msg->err) are filtered out before.
    using BatchHandler = std::function<void(rd_kafka_message_t *const *messages, std::size_t count)>;

    explicit KafkaReader(QObject *parent = nullptr);
    ~KafkaReader() override;

    [[nodiscard]] bool start(const KafkaSettings &settings, const QString &topic, StartAt startAt,
                             BatchHandler handler, QString *error);
    void stop();

    [[nodiscard]] quint64 messageCount() const { return m_messages.load(std::memory_order_relaxed); }
    [[nodiscard]] bool isBrokerReachable() const { return m_brokerReachable.load(); }

Q_SIGNALS:
    // Emitted on the owner's thread once per change of broker reachability.
    void brokerReachableChanged(bool reachable);

private:
    void pollLoop();
    static void errorCallback(rd_kafka_t *rk, int err, const char *reason, void *opaque);
    void setBrokerReachable(bool reachable);

    KafkaHandle m_consumer;
    BatchHandler m_handler;
    QString m_topic;
    std::unique_ptr<QThread> m_thread;
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_brokerReachable{true};
    std::atomic<quint64> m_messages{0};
    RateLimitedLog m_errorLog;  // used only on the polling thread, where librdkafka calls back
};

}  // namespace fleetdeck::kafka
