#pragma once

#include "kafkahandles.h"
#include "kafkasettings.h"

#include <QList>
#include <QObject>
#include <QPair>
#include <QTimer>

#include <atomic>

namespace fleetdeck::kafka {

// One producer handle per process part. produce() never blocks: it queues in librdkafka, or fails
// at once when the local queue is full, so callers can refuse work instead of piling it up.
// Thread: start()/flush() on the owner's thread (which serves delivery reports); produce() any.
class KafkaProducer : public QObject
{
    Q_OBJECT

public:
    explicit KafkaProducer(QObject *parent = nullptr);
    ~KafkaProducer() override;

    [[nodiscard]] bool start(const KafkaSettings &settings, QString *error);
    // Fetches `topic`'s metadata now, so the first message to it does not wait a metadata round
    // (about a second on a fresh client): for latency-critical topics such as teleop commands.
    [[nodiscard]] bool prepareTopic(const QString &topic, int timeoutMs, QString *error);
    using Headers = QList<QPair<QByteArray, QByteArray>>;
    [[nodiscard]] bool produce(const QString &topic, const QByteArray &key, const QByteArray &payload,
                               QString *error = nullptr);
    // With record headers (e.g. `traceparent`, which OpenTelemetry's Kafka instrumentations read).
    [[nodiscard]] bool produce(const QString &topic, const QByteArray &key, const QByteArray &payload,
                               const Headers &headers, QString *error = nullptr);
    // Waits up to `timeoutMs` for queued messages to be delivered; false if some were not.
    bool flush(int timeoutMs);

    [[nodiscard]] quint64 deliveredCount() const { return m_delivered.load(std::memory_order_relaxed); }
    [[nodiscard]] quint64 failedCount() const { return m_failed.load(std::memory_order_relaxed); }
    [[nodiscard]] int queuedCount() const;

private:
    static void deliveryCallback(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque);

    KafkaHandle m_producer;
    QTimer m_pollTimer;
    std::atomic<quint64> m_delivered{0};
    std::atomic<quint64> m_failed{0};
};

}  // namespace fleetdeck::kafka
