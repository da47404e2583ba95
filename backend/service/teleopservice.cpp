#include "teleopservice.h"

#include "codec.h"
#include "fleetserver.h"

#include <QRandomGenerator>
#include <QSysInfo>

#include <algorithm>
#include <vector>

namespace fleetdeck {
namespace {

teleop::CommandGateConfig gateConfig(const FleetServer::Settings &settings)
{
    teleop::CommandGateConfig config;
    config.budgetMs = settings.commandBudgetMs;
    return config;
}

// A replica starting reads the lease log from this far back. Any live lease has a record (its
// claim or a renewal) younger than its TTL; the margin covers the TTL and clock skew.
constexpr std::int64_t kLeaseLookBackMs = 60'000;
// A lease record is worth delivering for longer than a command, but not forever: an unanswered
// claim is refused after a few seconds anyway.
constexpr int kLeaseRecordTimeoutMs = 5'000;

QString newReplicaId()
{
    return QSysInfo::machineHostName() + QLatin1Char('-')
        + QStringLiteral("%1").arg(QRandomGenerator::system()->generate(), 8, 16, QLatin1Char('0'));
}

}  // namespace

TeleopService::TeleopService(FleetServer *server, const Clock *clock, QObject *parent)
    : QObject(parent),
      m_clock(clock),
      m_replicaId(newReplicaId()),
      m_leases(*clock, teleop::LeaseManagerConfig{server->settings().leaseTtlMs}),
      m_gate(m_leases, *clock, gateConfig(server->settings())),
      m_producer(this),
      m_acks(this),
      m_leaseProducer(this),
      m_router(
          &m_leases, &m_gate, clock,
          {[server](quint64 session, const fleet::v1::ServerMessage &m) { server->sendToConsole(session, m); },
           [server](const fleet::v1::ServerMessage &m) { server->broadcastToConsoles(m); }},
          [this](const fleet::v1::Command &command) {
              kafka::KafkaProducer::Headers headers;
              if (!command.traceparent().empty())
                  headers.append({QByteArrayLiteral("traceparent"), QByteArray::fromStdString(command.traceparent())});
              return m_producer.produce(m_settings.topics.commands, QByteArray::fromStdString(command.robot_id()),
                                        codec::serialize(command), headers);
          },
          [this](const QByteArray &json) { (void)m_producer.produce(m_settings.topics.audit, QByteArray(), json); }),
      m_leaseReader(this),
      m_server(server)
{
}

TeleopService::~TeleopService()
{
    m_server->setTeleopRouter(nullptr);
}

bool TeleopService::start(const kafka::KafkaSettings &settings, QString *error)
{
    m_settings = settings;
    kafka::KafkaSettings commandSettings = settings;
    commandSettings.properties.insert(QStringLiteral("linger.ms"), QStringLiteral("0"));
    // A command librdkafka cannot deliver within its budget is dropped, never delivered late after
    // a broker outage (the robot would refuse it as late anyway, if its clock agrees).
    commandSettings.properties.insert(QStringLiteral("message.timeout.ms"),
                                      QString::number(std::max(1, m_server->settings().commandBudgetMs)));
    if (!m_producer.start(commandSettings, error) || !m_producer.prepareTopic(settings.topics.commands, 10'000, error))
        return false;
    const bool reading = m_acks.start(
        settings, settings.topics.commandAcks, kafka::KafkaReader::StartAt::End,
        [this](rd_kafka_message_t *const *messages, std::size_t count) {
            for (std::size_t i = 0; i < count; ++i) {
                fleet::v1::CommandAck ack;
                if (ack.ParseFromArray(messages[i]->payload, static_cast<int>(messages[i]->len)))
                    QMetaObject::invokeMethod(this, [this, ack] { m_router.acknowledged(ack); }, Qt::QueuedConnection);
            }
        },
        error);
    if (!reading)
        return false;

    kafka::KafkaSettings leaseSettings = settings;
    leaseSettings.properties.insert(QStringLiteral("linger.ms"), QStringLiteral("0"));
    leaseSettings.properties.insert(QStringLiteral("message.timeout.ms"), QString::number(kLeaseRecordTimeoutMs));
    // One robot's records must reach the log in the order this replica made them, retries included.
    leaseSettings.properties.insert(QStringLiteral("enable.idempotence"), QStringLiteral("true"));
    if (!m_leaseProducer.start(leaseSettings, error) || !m_leaseProducer.prepareTopic(settings.topics.leases, 10'000, error))
        return false;
    m_router.setLeaseLog({m_replicaId, [this](const teleop::LeaseRecord &record) {
                              return m_leaseProducer.produce(m_settings.topics.leases, record.robotId.toUtf8(), record.encode());
                          }});
    connect(&m_leaseReader, &kafka::KafkaReader::brokerReachableChanged, this,
            [this](bool reachable) { m_router.setLeaseLogUp(reachable); });
    const bool readingLeases = m_leaseReader.start(
        settings, settings.topics.leases, kafka::KafkaReader::StartAt::Time,
        [this](rd_kafka_message_t *const *messages, std::size_t count) {
            std::vector<teleop::LeaseRecord> records;
            records.reserve(count);
            for (std::size_t i = 0; i < count; ++i) {
                const auto *payload = static_cast<const char *>(messages[i]->payload);
                // A record this version cannot read is skipped: every replica skips it alike.
                if (std::optional<teleop::LeaseRecord> record =
                        teleop::LeaseRecord::decode(QByteArray(payload, static_cast<int>(messages[i]->len))))
                    records.push_back(std::move(*record));
            }
            // Queued in read order, so the table applies one robot's records in log order.
            QMetaObject::invokeMethod(
                this,
                [this, records = std::move(records)] {
                    for (const teleop::LeaseRecord &record : records)
                        m_router.applyLeaseRecord(record);
                },
                Qt::QueuedConnection);
        },
        error, m_clock->nowUnixMs() - std::max<std::int64_t>(kLeaseLookBackMs, 10 * m_server->settings().leaseTtlMs));
    if (!readingLeases)
        return false;
    m_server->setTeleopRouter(&m_router);
    return true;
}

void TeleopService::stop(const QString &why)
{
    m_router.endAllLeases(why);
    m_acks.stop();
    m_leaseReader.stop();
    m_producer.flush(2000);
    m_leaseProducer.flush(2000);
}

}  // namespace fleetdeck
