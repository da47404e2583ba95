#include "teleopservice.h"

#include "codec.h"
#include "fleetserver.h"

#include <algorithm>

namespace fleetdeck {
namespace {

teleop::CommandGateConfig gateConfig(const FleetServer::Settings &settings)
{
    teleop::CommandGateConfig config;
    config.budgetMs = settings.commandBudgetMs;
    return config;
}

}  // namespace

TeleopService::TeleopService(FleetServer *server, const Clock *clock, QObject *parent)
    : QObject(parent),
      m_leases(*clock, teleop::LeaseManagerConfig{server->settings().leaseTtlMs}),
      m_gate(m_leases, *clock, gateConfig(server->settings())),
      m_producer(this),
      m_acks(this),
      m_router(
          &m_leases, &m_gate, clock,
          {[server](quint64 session, const fleet::v1::ServerMessage &m) { server->sendToConsole(session, m); },
           [server](const fleet::v1::ServerMessage &m) { server->broadcastToConsoles(m); }},
          [this](const fleet::v1::Command &command) {
              return m_producer.produce(m_settings.topics.commands, QByteArray::fromStdString(command.robot_id()),
                                        codec::serialize(command));
          },
          [this](const QByteArray &json) { (void)m_producer.produce(m_settings.topics.audit, QByteArray(), json); }),
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
    m_server->setTeleopRouter(&m_router);
    return true;
}

void TeleopService::stop(const QString &why)
{
    m_router.endAllLeases(why);
    m_acks.stop();
    m_producer.flush(2000);
}

}  // namespace fleetdeck
