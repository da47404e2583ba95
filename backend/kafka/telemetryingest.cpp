#include "telemetryingest.h"

#include "clock.h"
#include "codec.h"

namespace fleetdeck::kafka {

TelemetryIngest::TelemetryIngest(TelemetryMailbox *mailbox, QObject *parent)
    : QObject(parent), m_mailbox(mailbox), m_reader(this)
{
}

bool TelemetryIngest::start(const KafkaSettings &settings, KafkaReader::StartAt startAt, QString *error)
{
    return m_reader.start(settings, settings.topics.telemetry, startAt,
                          [this](rd_kafka_message_t *const *messages, std::size_t count) {
                              decodeBatch(messages, count);
                          },
                          error);
}

void TelemetryIngest::decodeBatch(rd_kafka_message_t *const *messages, std::size_t count)
{
    std::vector<RobotState> batch;
    batch.reserve(count);
    QString error;
    for (std::size_t i = 0; i < count; ++i) {
        RobotState sample;
        if (codec::decodeTelemetry(messages[i]->payload, messages[i]->len, &sample, &error)) {
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
    m_mailbox->put(std::move(batch));
}

}  // namespace fleetdeck::kafka
