#pragma once

#include "robotstate.h"
#include "streetgraph.h"

#include "fleet/v1/command.pb.h"

#include <QHash>
#include <QString>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace fleetdeck::sim {

struct FleetSimulatorConfig {
    int robotCount = 200;
    std::uint64_t seed = 1;
    int publishIntervalMs = 500;
    QString idPrefix = QStringLiteral("nb-");
    int hubCount = 4;
    // Incidents per robot and hour of simulated time. Stuck and overtemp strike only while driving.
    double stuckPerHour = 0.05;
    double sensorFaultPerHour = 0.04;
    double overtempPerHour = 0.02;
    double offlinePerHour = 0.05;
    double crossingWaitChance = 0.6;  // that a robot must wait for a gap at a road it crosses
};

// A fleet of delivery robots driving the streets of a StreetGraph: tasks, crossings, charging,
// incidents and teleoperation, as pure logic moved by step(). Deterministic: the same seed and the
// same calls give bit-identical states. The graph must outlive the simulator. Thread: the owner's.
class FleetSimulator
{
public:
    using Config = FleetSimulatorConfig;

    // Without a valid Drive for this long, a teleoperated robot stops.
    static constexpr std::int64_t kDeadmanMs = 300;
    // A longer gap between steps is simulated as this much, so a stalled caller does not teleport robots.
    static constexpr std::int64_t kMaxStepMs = 1000;

    explicit FleetSimulator(const StreetGraph &graph, Config config = {});

    // Advances the world to `nowUnixMs`; the first call only sets the clock.
    void step(std::int64_t nowUnixMs);

    // Robots whose telemetry is due at `nowUnixMs`, stamped with that time and their next sequence.
    // Offline robots are never due, and none is before the first step(). The pointers point into
    // robots(), whose contents the next step() or applyCommand() changes.
    void takeDue(std::int64_t nowUnixMs, std::vector<const RobotState *> *out);
    [[nodiscard]] std::vector<const RobotState *> takeDue(std::int64_t nowUnixMs);

    [[nodiscard]] fleet::v1::CommandAck applyCommand(const fleet::v1::Command &command,
                                                     std::int64_t nowUnixMs);

    // Incidents on demand, for drills: deterministic (no random draw, so the rest of the fleet runs
    // as it would have) and over by themselves after `durationMs` of simulated time. A robot that
    // already has the incident keeps it for the longer of the two. `index` must be < robots().size().
    // Fault: a degraded lidar, mode Fault. Stuck: a blocked wheel, mode Stuck (an operator may free it
    // sooner, as any stuck robot). Offline: no telemetry at all.
    void injectFault(std::size_t index, std::int64_t nowUnixMs, std::int64_t durationMs);
    void injectStuck(std::size_t index, std::int64_t nowUnixMs, std::int64_t durationMs);
    void injectOffline(std::size_t index, std::int64_t durationMs);

    [[nodiscard]] const std::vector<RobotState> &robots() const { return m_states; }
    [[nodiscard]] const Config &config() const { return m_config; }
    [[nodiscard]] const std::vector<std::uint32_t> &hubs() const { return m_hubs; }
    [[nodiscard]] std::optional<std::size_t> indexOf(const QString &robotId) const;
    [[nodiscard]] bool isOffline(std::size_t index) const { return m_robots[index].offline; }
    [[nodiscard]] bool isEmergencyStopped(std::size_t index) const { return m_robots[index].eStopped; }
    [[nodiscard]] std::uint64_t deliveriesCompleted() const { return m_deliveries; }
    [[nodiscard]] std::uint64_t incidentCount() const { return m_incidents; }

private:
    enum class Activity : std::uint8_t { Idle, Charging, ToCustomer, WaitingToCross, Delivering, Returning };

    struct Robot {
        Activity activity = Activity::Idle;
        Activity afterWait = Activity::ToCustomer;  // what WaitingToCross goes back to
        bool offline = false;
        bool eStopped = false;
        bool stuck = false;
        bool teleop = false;
        bool offGraph = false;  // moved by an operator since it last stood on the graph
        bool sensorFault = false;
        bool overtemp = false;
        std::uint32_t node = 0;         // last node reached
        std::uint32_t destination = 0;  // of the current task
        std::uint32_t routePos = 0;     // current edge runs from route[routePos] to route[routePos + 1]
        double edgeLengthM = 0;
        double edgeProgressM = 0;
        double edgeSpeedMps = 0;
        double waitAtM = -1;  // where on this edge to wait for a gap in traffic; negative: nowhere
        double timerS = 0;  // left of the current idle wait, crossing wait or delivery
        double offlineS = 0;
        double sensorFaultS = 0;
        double stuckS = 0;  // left of an injected blockage; a random one (infinite) waits for an operator
        double nextIncidentS = 0;
        double sampleS = 0;  // to the next 1 Hz sample of slow readings (cpu, link)
        double cruiseMps = 1.5;
        double metresPerPct = 90;
        double chargePctPerS = 0.05;
        double chargeTargetPct = 95;
        double batteryPct = 100;
        double diskBasePct = 30;
        double diskPct = 30;
        double tempOffsetC = 0;
        double heatBiasC = 0;  // an overheating motor on its way to a fault
        double motorLeftC = 15;
        double motorRightC = 15;
        double headingDeg = 0;
        double teleLinearMps = 0;
        double teleAngularDps = 0;
        std::int64_t lastDriveMs = 0;
    };

    void initRobot(std::size_t i);
    void stepRobot(std::size_t i, double dtS, std::int64_t prevMs, std::int64_t nowMs);
    double driveAlongRoute(std::size_t i, double distanceM);
    void enterEdge(std::size_t i);
    void placeOnEdge(std::size_t i);
    void placeAtNode(std::size_t i, std::uint32_t node);
    void arrive(std::size_t i);
    bool startTask(std::size_t i);
    void routeTo(std::size_t i, std::uint32_t destination, Activity activity);
    void returnToHub(std::size_t i);
    // Charge to drive `extraM` to `node`, then on to the nearest hub, and keep the reserve.
    [[nodiscard]] double batteryNeededPct(std::size_t i, std::uint32_t node, double extraM) const;
    void resumeAutonomy(std::size_t i);
    void maybeIncident(std::size_t i, std::int64_t nowMs);
    void sampleSlowReadings(std::size_t i);
    void updateThermals(std::size_t i, double dtS, double speedMps);
    void addFault(std::size_t i, FaultCode code, std::int64_t nowMs, const QString &detail);
    void removeFault(std::size_t i, FaultCode code);
    [[nodiscard]] Mode modeOf(const Robot &r) const;
    [[nodiscard]] bool isHub(std::uint32_t node) const;
    [[nodiscard]] double signalDbmAt(double latDeg, double lonDeg) const;
    void buildLinkField();
    void chooseHubs();

    const StreetGraph &m_graph;
    Config m_config;
    std::vector<RobotState> m_states;
    std::vector<Robot> m_robots;
    std::vector<std::mt19937_64> m_rngs;
    std::vector<std::vector<std::uint32_t>> m_routes;
    std::vector<std::int64_t> m_nextPublishMs;
    // Per robot, the last applied sequence of each lease it has seen (a few at most).
    std::vector<std::vector<std::pair<std::string, std::uint64_t>>> m_leaseSequences;
    QHash<QString, std::size_t> m_indexById;

    std::vector<std::uint32_t> m_hubs;
    std::vector<StreetGraph::PathTree> m_hubTrees;

    // Signal strength on a grid over the map, sampled bilinearly.
    std::vector<float> m_linkField;
    int m_linkCols = 0;
    int m_linkRows = 0;
    double m_linkOriginLat = 0;
    double m_linkOriginLon = 0;
    double m_linkStepLat = 0;
    double m_linkStepLon = 0;

    bool m_started = false;
    std::int64_t m_lastStepMs = 0;
    std::uint64_t m_nextTaskNumber = 1;
    std::uint64_t m_deliveries = 0;
    std::uint64_t m_incidents = 0;
};

}  // namespace fleetdeck::sim
