#pragma once

#include "kafkareader.h"
#include "telemetrymailbox.h"

#include <QObject>

#include <atomic>
#include <string_view>
#include <unordered_set>

namespace fleetdeck {
class PrometheusText;
}

namespace fleetdeck::kafka {

// Kafka telemetry topic -> decoded RobotState samples -> the latest-value mailbox. A payload that does
// not decode is counted, logged at a limited rate, and skipped.
// Thread: owner's for start/stop; decoding runs on the reader's thread.
class TelemetryIngest : public QObject
{
    Q_OBJECT

public:
    explicit TelemetryIngest(TelemetryMailbox *mailbox, QObject *parent = nullptr);

    [[nodiscard]] bool start(const KafkaSettings &settings, KafkaReader::StartAt startAt, QString *error,
                             std::int64_t startTimeUnixMs = 0);
    void stop() { m_reader.stop(); }

    [[nodiscard]] quint64 decodeErrorCount() const { return m_decodeErrors.load(std::memory_order_relaxed); }
    [[nodiscard]] quint64 messageCount() const { return m_reader.messageCount(); }
    [[nodiscard]] const KafkaReader &reader() const { return m_reader; }
    [[nodiscard]] KafkaReader &reader() { return m_reader; }

    // Appends ingest metrics: messages, decode errors, coalesced samples, per-partition position and lag.
    void writeMetrics(PrometheusText *out) const;

    // Decodes one batch into `mailbox`; public so benchmarks can drive it without a consumer. The
    // messages must come from librdkafka (it reads their timestamps past the public struct), so
    // fuzzers copy its loop instead.
    void decodeBatch(rd_kafka_message_t *const *messages, std::size_t count);

private:
    TelemetryMailbox *m_mailbox;
    KafkaReader m_reader;
    std::atomic<quint64> m_decodeErrors{0};
    std::atomic<quint64> m_superseded{0};
    std::unordered_set<std::string_view> m_seenKeys;  // reader thread only; views into one batch
    RateLimitedLog m_decodeErrorLog;  // reader thread only
};

}  // namespace fleetdeck::kafka
