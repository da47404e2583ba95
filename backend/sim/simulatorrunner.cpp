#include "simulatorrunner.h"

#include "codec.h"
#include "fleetsimulator.h"
#include "logging.h"

namespace fleetdeck::sim {

SimulatorRunner::SimulatorRunner(FleetSimulator *simulator, const Clock *clock, QObject *parent)
    : QObject(parent), m_simulator(simulator), m_clock(clock), m_producer(this), m_ackProducer(this), m_commandReader(this)
{
    m_stepTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_stepTimer, &QTimer::timeout, this, &SimulatorRunner::step);
}

SimulatorRunner::~SimulatorRunner()
{
    stop();
}

bool SimulatorRunner::start(const kafka::KafkaSettings &settings, int stepIntervalMs, std::int64_t warmUpMs,
                            QString *error)
{
    m_settings = settings;
    if (!m_producer.start(settings, error))
        return false;
    // Acks are latency-critical: their own producer that does not wait for company (telemetry's
    // batches linger), and their topic's metadata fetched now, not with the first ack.
    kafka::KafkaSettings ackSettings = settings;
    ackSettings.properties.insert(QStringLiteral("linger.ms"), QStringLiteral("0"));
    if (!m_ackProducer.start(ackSettings, error) || !m_ackProducer.prepareTopic(settings.topics.commandAcks, 10'000, error))
        return false;
    const bool reading = m_commandReader.start(
        settings, settings.topics.commands, kafka::KafkaReader::StartAt::End,
        [this](rd_kafka_message_t *const *messages, std::size_t count) {
            for (std::size_t i = 0; i < count; ++i) {
                fleet::v1::Command command;
                if (!command.ParseFromArray(messages[i]->payload, static_cast<int>(messages[i]->len))) {
                    m_badCommands.fetch_add(1);
                    continue;
                }
                QMetaObject::invokeMethod(this, [this, command] { applyCommand(command); }, Qt::QueuedConnection);
            }
        },
        error);
    if (!reading)
        return false;
    const std::int64_t now = m_clock->nowUnixMs();
    for (std::int64_t t = now - warmUpMs; t < now; t += FleetSimulator::kMaxStepMs)
        m_simulator->step(t);
    m_simulator->step(now);
    m_stepTimer.start(stepIntervalMs);
    return true;
}

void SimulatorRunner::stop()
{
    m_stepTimer.stop();
    m_commandReader.stop();
}

void SimulatorRunner::step()
{
    const qint64 now = m_clock->nowUnixMs();
    m_simulator->step(now);
    fleet::v1::Telemetry telemetry;
    for (const RobotState *robot : m_simulator->takeDue(now)) {
        telemetry.Clear();
        codec::stateToTelemetry(*robot, &telemetry);
        if (m_producer.produce(m_settings.topics.telemetry, robot->robotId.toUtf8(), codec::serialize(telemetry)))
            ++m_published;
    }
}

void SimulatorRunner::applyCommand(const fleet::v1::Command &command)
{
    ++m_commands;
    const fleet::v1::CommandAck ack = m_simulator->applyCommand(command, m_clock->nowUnixMs());
    QString error;
    if (!m_ackProducer.produce(m_settings.topics.commandAcks, QByteArray::fromStdString(ack.robot_id()),
                            codec::serialize(ack), &error))
        qCWarning(lcSim).noquote() << "cannot publish command ack:" << error;
}

}  // namespace fleetdeck::sim
