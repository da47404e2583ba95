#pragma once

#include "clock.h"
#include "kafkaproducer.h"
#include "kafkareader.h"
#include "kafkasettings.h"

#include <QObject>
#include <QTimer>

#include <atomic>
#include <cstdint>

namespace fleet::v1 {
class Command;
}

namespace fleetdeck::sim {

class FleetSimulator;

// Runs a FleetSimulator in real time against Kafka: steps it on a timer, publishes the telemetry that
// is due, and answers each command the moment it arrives (not at the next step: teleop latency).
// Thread: main; commands are decoded on the reader's thread and applied on main.
class SimulatorRunner : public QObject
{
    Q_OBJECT

public:
    SimulatorRunner(FleetSimulator *simulator, const Clock *clock, QObject *parent = nullptr);
    ~SimulatorRunner() override;

    // Before going live, simulates `warmUpMs` of the past in one go, so the fleet starts mid-shift
    // (spread over the city, on tasks) instead of every robot waiting at its hub.
    [[nodiscard]] bool start(const kafka::KafkaSettings &settings, int stepIntervalMs, std::int64_t warmUpMs,
                             QString *error);
    void stop();

    [[nodiscard]] quint64 publishedCount() const { return m_published; }
    [[nodiscard]] quint64 commandCount() const { return m_commands; }
    [[nodiscard]] quint64 badCommandCount() const { return m_badCommands.load(); }

private:
    void step();
    void applyCommand(const fleet::v1::Command &command);

    FleetSimulator *m_simulator;
    const Clock *m_clock;
    kafka::KafkaSettings m_settings;
    kafka::KafkaProducer m_producer;
    kafka::KafkaProducer m_ackProducer;
    kafka::KafkaReader m_commandReader;
    QTimer m_stepTimer;
    quint64 m_published = 0;
    quint64 m_commands = 0;
    std::atomic<quint64> m_badCommands{0};
};

}  // namespace fleetdeck::sim
