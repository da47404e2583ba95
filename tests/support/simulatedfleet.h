#pragma once

// The robots' side of a fleet for tests that run the backend as its own process: an embedded Kafka
// (librdkafka's mock cluster, reachable by any process) with every topic fleetdeckd uses, and the
// fleet simulator publishing telemetry and obeying commands through it, in this process, so a test
// can stop the brokers and look at a robot directly.

#include "embeddedkafka.h"
#include "fleetsimulator.h"
#include "kafkasettings.h"
#include "simulatorrunner.h"
#include "streetgraph.h"

#include <memory>
#include <optional>

namespace fleetdeck::testing {

class SimulatedFleet
{
public:
    // Robots that neither go offline nor get stuck on their own: what a test sees is what it did.
    bool start(int robots, QString *error, std::uint64_t seed = 11)
    {
        if (!m_cluster.start(1, error))
            return false;
        m_settings.bootstrapServers = m_cluster.bootstrapServers();
        const kafka::Topics &t = m_settings.topics;
        for (const QString &topic : {t.telemetry, t.events, t.commands, t.commandAcks, t.audit, t.leases}) {
            if (!m_cluster.createTopic(topic, 3, error))
                return false;
        }
        m_graph = sim::StreetGraph::loadShipped(error);
        if (!m_graph)
            return false;
        sim::FleetSimulator::Config config;
        config.robotCount = robots;
        config.seed = seed;
        config.offlinePerHour = 0;
        config.stuckPerHour = 0;
        m_simulator = std::make_unique<sim::FleetSimulator>(*m_graph, config);
        m_runner = std::make_unique<sim::SimulatorRunner>(m_simulator.get(), &m_clock);
        return m_runner->start(m_settings, 50, 0, error);
    }
    ~SimulatedFleet()
    {
        if (m_runner)
            m_runner->stop();
    }

    [[nodiscard]] QString brokers() const { return m_settings.bootstrapServers; }
    [[nodiscard]] kafka::EmbeddedKafka &cluster() { return m_cluster; }
    [[nodiscard]] sim::FleetSimulator &simulator() { return *m_simulator; }
    [[nodiscard]] const RobotState &robot(int index) const { return m_simulator->robots()[std::size_t(index)]; }

private:
    SystemClock m_clock;
    kafka::EmbeddedKafka m_cluster;
    kafka::KafkaSettings m_settings;
    std::optional<sim::StreetGraph> m_graph;
    std::unique_ptr<sim::FleetSimulator> m_simulator;
    std::unique_ptr<sim::SimulatorRunner> m_runner;
};

}  // namespace fleetdeck::testing
