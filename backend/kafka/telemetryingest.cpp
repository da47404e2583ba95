#include "telemetryingest.h"

#include "clock.h"
#include "codec.h"
#include "prometheustext.h"

namespace fleetdeck::kafka {

TelemetryIngest::TelemetryIngest(TelemetryMailbox *mailbox, QObject *parent)
    : QObject(parent), m_mailbox(mailbox), m_reader(this)
{
}

bool TelemetryIngest::start(const KafkaSettings &settings, KafkaReader::StartAt startAt, QString *error,
                            std::int64_t startTimeUnixMs)
{
    return m_reader.start(settings, settings.topics.telemetry, startAt,
                          [this](rd_kafka_message_t *const *messages, std::size_t count) {
                              decodeBatch(messages, count);
                          },
                          error, startTimeUnixMs);
}

void TelemetryIngest::decodeBatch(rd_kafka_message_t *const *messages, std::size_t count)
{
    std::vector<RobotState> batch;
    batch.reserve(count);
    QString error;
    // Latest value wins: messages are keyed by robot id, so within a batch only the newest message
    // of each key can reach the state. Walking backwards, older ones are skipped undecoded (counted
    // as coalesced) — the common case while catching up after a start or an outage.
    m_seenKeys.clear();
    std::size_t superseded = 0;
    for (std::size_t i = count; i-- > 0;) {
        if (messages[i]->key_len > 0) {
            const std::string_view key(static_cast<const char *>(messages[i]->key), messages[i]->key_len);
            if (!m_seenKeys.insert(key).second) {
                ++superseded;
                continue;
            }
        }
        RobotState sample;
        if (codec::decodeTelemetry(messages[i]->payload, messages[i]->len, &sample, &error)) {
            // When it reached Kafka: replayed backlog must not look fresh (the store takes the
            // earlier of this and its own clock).
            sample.receivedUnixMs = rd_kafka_message_timestamp(messages[i], nullptr);
            batch.push_back(std::move(sample));
            continue;
        }
        m_decodeErrors.fetch_add(1, std::memory_order_relaxed);
        quint64 suppressed = 0;
        if (m_decodeErrorLog.shouldLog(SystemClock().nowUnixMs(), &suppressed))
            qCWarning(lcKafka).noquote() << "skipped telemetry at partition" << messages[i]->partition
                                         << "offset" << messages[i]->offset << ":" << error
                                         << QStringLiteral("(%1 more skipped since last report)").arg(suppressed);
    }
    m_superseded.fetch_add(superseded, std::memory_order_relaxed);
    m_mailbox->put(std::move(batch));
}

}  // namespace fleetdeck::kafka

namespace fleetdeck::kafka {

void TelemetryIngest::writeMetrics(PrometheusText *out) const
{
    out->counter("fleetdeck_ingest_messages_total", "Telemetry messages consumed from Kafka.", double(messageCount()));
    out->counter("fleetdeck_ingest_decode_errors_total", "Telemetry payloads that did not decode and were skipped.",
                 double(decodeErrorCount()));
    out->counter("fleetdeck_ingest_coalesced_total",
                 "Samples skipped because a newer one of the same robot arrived before the state took them.",
                 double(m_mailbox->coalescedCount() + m_superseded.load(std::memory_order_relaxed)));
    out->gauge("fleetdeck_kafka_broker_reachable", "0 while librdkafka reports all brokers down.",
               m_reader.isBrokerReachable() ? 1 : 0);
    // Samples of one family must stand together in the exposition: one loop per family.
    const std::vector<KafkaReader::PartitionState> partitions = m_reader.partitionStates();
    for (const KafkaReader::PartitionState &p : partitions)
        out->gauge("fleetdeck_kafka_consumer_lag", "Messages behind the partition's high watermark (-1: unknown).",
                   double(p.lag()), {{"partition", QByteArray::number(p.partition)}});
    for (const KafkaReader::PartitionState &p : partitions)
        out->gauge("fleetdeck_kafka_consumer_position", "Next offset to consume per partition.", double(p.position),
                   {{"partition", QByteArray::number(p.partition)}});
}

}  // namespace fleetdeck::kafka
