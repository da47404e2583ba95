#include "fleetsimulator.h"
#include "streetgraph.h"

#include <QElapsedTimer>
#include <QTest>

#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

using fleet::v1::Command;
using fleet::v1::CommandAck;
using fleetdeck::Mode;
using fleetdeck::RobotState;
using fleetdeck::geo::LatLon;
using fleetdeck::sim::FleetSimulator;
using fleetdeck::sim::FleetSimulatorConfig;
using fleetdeck::sim::StreetGraph;

namespace {

constexpr std::int64_t kStart = 1'700'000'000'000;
constexpr std::int64_t kStepMs = 100;

FleetSimulatorConfig quietConfig(int robots = 20)
{
    FleetSimulatorConfig config;
    config.robotCount = robots;
    config.seed = 42;
    config.stuckPerHour = 0;
    config.sensorFaultPerHour = 0;
    config.overtempPerHour = 0;
    config.offlinePerHour = 0;
    return config;
}

Command command(const RobotState &robot, std::uint64_t sequence, std::int64_t now, const char *lease = "L1")
{
    Command c;
    c.set_robot_id(robot.robotId.toStdString());
    c.set_sequence(sequence);
    c.set_lease_id(lease);
    c.set_operator_id("op-1");
    c.set_issued_unix_ms(now - 20);
    c.set_deadline_unix_ms(now + 500);
    return c;
}

Command drive(const RobotState &robot, std::uint64_t sequence, std::int64_t now, float linear, float angular)
{
    Command c = command(robot, sequence, now);
    c.mutable_drive()->set_linear_mps(linear);
    c.mutable_drive()->set_angular_dps(angular);
    return c;
}

LatLon position(const RobotState &s)
{
    return {s.latDeg, s.lonDeg};
}

bool hasFault(const RobotState &s, fleetdeck::FaultCode code)
{
    for (const fleetdeck::Fault &f : s.faults) {
        if (f.code == static_cast<int>(code))
            return true;
    }
    return false;
}

double angleDifference(double a, double b)
{
    const double d = std::fmod(std::abs(a - b), 360.0);
    return d > 180 ? 360 - d : d;
}

}  // namespace

class TestFleetSimulator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void robotsStartAtHubs();
    void sameSeedGivesIdenticalFleets();
    void longRunStaysPlausible();
    void unknownRobotIsRejected();
    void lateCommandIsRejectedAndNotApplied();
    void outOfSequenceCommandIsRejected();
    void nonFiniteDriveIsRejected_data();
    void nonFiniteDriveIsRejected();
    void driveMovesAlongHeading_data();
    void driveMovesAlongHeading();
    void deadmanStopsRobot();
    void stopHoldsRobotInTeleop();
    void emergencyStopNeedsNoLease();
    void resumeClearsStuckRobot();
    void offlineRobotPublishesNothing();
    void sensorFaultClears();
    void motorOvertempClears();
    void injectedIncidentLastsItsDuration_data();
    void injectedIncidentLastsItsDuration();
    void randomCommandsKeepStatesSane();
    void stepTime();

private:
    // Steps `sim` from `*now` for `ms`, in kStepMs steps.
    static void run(FleetSimulator &sim, std::int64_t *now, std::int64_t ms);
    std::optional<StreetGraph> m_graph;
};

void TestFleetSimulator::initTestCase()
{
    QString error;
    m_graph = StreetGraph::loadShipped(&error);
    QVERIFY2(m_graph, qPrintable(error));
}

void TestFleetSimulator::run(FleetSimulator &sim, std::int64_t *now, std::int64_t ms)
{
    for (std::int64_t end = *now + ms; *now < end;) {
        *now += kStepMs;
        sim.step(*now);
    }
}

void TestFleetSimulator::robotsStartAtHubs()
{
    FleetSimulatorConfig config = quietConfig(12);
    config.idPrefix = QStringLiteral("xy-");
    FleetSimulator sim(*m_graph, config);
    QCOMPARE(sim.robots().size(), std::size_t{12});
    QCOMPARE(sim.hubs().size(), std::size_t{4});
    QCOMPARE(sim.robots().front().robotId, QStringLiteral("xy-0001"));
    QCOMPARE(sim.robots().back().robotId, QStringLiteral("xy-0012"));
    QCOMPARE(sim.indexOf(QStringLiteral("xy-0003")), std::optional<std::size_t>(2));
    for (std::uint32_t a : sim.hubs()) {
        for (std::uint32_t b : sim.hubs()) {
            if (a != b)
                QVERIFY(fleetdeck::geo::distanceM(m_graph->node(a), m_graph->node(b)) > 300);
        }
    }
    for (const RobotState &s : sim.robots()) {
        QVERIFY(s.mode == Mode::Idle || s.mode == Mode::Charging);
        const std::uint32_t node = m_graph->nearestNode(position(s));
        QVERIFY(fleetdeck::geo::distanceM(position(s), m_graph->node(node)) < 1e-6);
        QVERIFY(std::find(sim.hubs().begin(), sim.hubs().end(), node) != sim.hubs().end());
        QCOMPARE(s.lidar, fleetdeck::SensorStatus::Ok);
    }
    FleetSimulatorConfig many = quietConfig(12345);
    FleetSimulator big(*m_graph, many);
    QCOMPARE(big.robots().back().robotId, QStringLiteral("nb-12345"));
}

void TestFleetSimulator::sameSeedGivesIdenticalFleets()
{
    FleetSimulatorConfig config;
    config.robotCount = 200;
    config.seed = 7;
    // Many incidents, so their randomness is covered too.
    config.stuckPerHour = 2;
    config.sensorFaultPerHour = 2;
    config.overtempPerHour = 2;
    config.offlinePerHour = 2;
    FleetSimulator a(*m_graph, config);
    FleetSimulator b(*m_graph, config);
    config.seed = 8;
    FleetSimulator c(*m_graph, config);
    std::int64_t now = kStart;
    for (int i = 0; i < 3000; ++i) {
        now += kStepMs;
        a.step(now);
        b.step(now);
        c.step(now);
    }
    bool differs = false;
    for (std::size_t i = 0; i < a.robots().size(); ++i) {
        const RobotState &x = a.robots()[i];
        const RobotState &y = b.robots()[i];
        const RobotState &z = c.robots()[i];
        QCOMPARE(x.latDeg, y.latDeg);
        QCOMPARE(x.lonDeg, y.lonDeg);
        QCOMPARE(x.mode, y.mode);
        QCOMPARE(x.batteryPct, y.batteryPct);
        QCOMPARE(x.headingDeg, y.headingDeg);
        QCOMPARE(x.taskId, y.taskId);
        QCOMPARE(x.signalDbm, y.signalDbm);
        QCOMPARE(x.faults, y.faults);
        differs = differs || x.latDeg != z.latDeg || x.lonDeg != z.lonDeg || x.batteryPct != z.batteryPct;
    }
    QVERIFY(differs);
    QVERIFY(a.hubs() != c.hubs());
    QVERIFY(a.incidentCount() > 0);
}

void TestFleetSimulator::longRunStaysPlausible()
{
    FleetSimulatorConfig config;
    config.robotCount = 200;
    config.seed = 3;
    FleetSimulator sim(*m_graph, config);
    const std::size_t count = sim.robots().size();
    std::int64_t now = kStart;
    sim.step(now);
    // Robots whose phase falls on the first step publish right away.
    std::vector<const RobotState *> due = sim.takeDue(now);

    std::set<Mode> modes;
    std::vector<std::int64_t> lastPublish(count, 0);
    std::vector<std::uint64_t> lastSequence(count, 0);
    std::vector<bool> everOffline(count, false);
    for (const RobotState *s : due) {
        const std::size_t i = static_cast<std::size_t>(s - sim.robots().data());
        lastPublish[i] = now;
        lastSequence[i] = s->sequence;
    }
    std::map<std::int64_t, int> intervals;
    std::size_t maxDuePerStep = 0;
    std::size_t published = 0;
    double worstOffGraphM = 0;
    int faultsSeen = 0;
    constexpr int kSteps = 20 * 60 * 10;
    for (int step = 1; step <= kSteps; ++step) {
        now += kStepMs;
        sim.step(now);
        sim.takeDue(now, &due);
        maxDuePerStep = std::max(maxDuePerStep, due.size());
        published += due.size();
        for (const RobotState *s : due) {
            const std::size_t i = static_cast<std::size_t>(s - sim.robots().data());
            QCOMPARE(s->sampleTimeUnixMs, now);
            QCOMPARE(s->sequence, lastSequence[i] + 1);
            lastSequence[i] = s->sequence;
            if (lastPublish[i] != 0) {
                ++intervals[now - lastPublish[i]];
                // A robot back from an outage keeps its beat.
                QCOMPARE((now - lastPublish[i]) % config.publishIntervalMs, std::int64_t{0});
            }
            QVERIFY(!sim.isOffline(i));
            lastPublish[i] = now;
        }
        for (std::size_t i = 0; i < count; ++i) {
            const RobotState &s = sim.robots()[i];
            everOffline[i] = everOffline[i] || sim.isOffline(i);
            modes.insert(s.mode);
            faultsSeen += s.faults.empty() ? 0 : 1;
            QVERIFY2(s.speedMps >= 0 && s.speedMps <= 2, qPrintable(QString::number(s.speedMps)));
            QVERIFY(s.batteryPct >= 0 && s.batteryPct <= 100);
            QVERIFY(s.headingDeg >= 0 && s.headingDeg < 360);
            QVERIFY(s.signalDbm >= -120 && s.signalDbm <= -60);
            QVERIFY(s.linkRttMs >= 30 && s.linkRttMs <= 400);
            QVERIFY(s.cpuPct > 0 && s.cpuPct <= 100 && s.diskPct > 0 && s.diskPct < 100);
            QVERIFY(s.motorLeftTempC > 5 && s.motorLeftTempC < 100);
            if (step % 10 == 0 && s.mode != Mode::Teleop) {
                const double off = m_graph->distanceToEdgesM(position(s), 20);
                worstOffGraphM = std::max(worstOffGraphM, off);
                QVERIFY2(off <= 2.0, qPrintable(QStringLiteral("%1 is %2 m off the graph").arg(s.robotId).arg(off)));
            }
            if (s.mode == Mode::Autonomous || s.mode == Mode::Delivering)
                QVERIFY(s.taskId.startsWith(QLatin1String("T-")));
            else if (s.mode == Mode::Idle || s.mode == Mode::Charging || s.mode == Mode::Returning)
                QVERIFY(s.taskId.isEmpty());
        }
    }
    for (Mode m : {Mode::Idle, Mode::Autonomous, Mode::WaitingToCross, Mode::Delivering, Mode::Returning,
                   Mode::Charging})
        QVERIFY2(modes.count(m), qPrintable(fleetdeck::modeName(m)));
    for (std::size_t i = 0; i < count; ++i) {
        const auto beats = std::uint64_t(kSteps * kStepMs / config.publishIntervalMs);
        // One more for robots whose beat also fell on the very first step.
        if (!everOffline[i])
            QVERIFY(lastSequence[i] == beats || lastSequence[i] == beats + 1);
    }
    // Most intervals are exactly one publish interval; the rest are outages.
    const int regular = intervals[config.publishIntervalMs];
    int total = 0;
    for (const auto &[ms, n] : intervals)
        total += n;
    QVERIFY(regular > total * 0.99);
    // Staggered: each step carries about its share of the fleet.
    const double perStep = double(count) * kStepMs / config.publishIntervalMs;
    QVERIFY2(maxDuePerStep <= perStep * 1.2, qPrintable(QString::number(maxDuePerStep)));
    qInfo("20 min, 200 robots: %llu deliveries, %llu incidents, %zu publishes, %d robot-steps with faults,"
          " worst %.3f m off the graph, %zu modes",
          static_cast<unsigned long long>(sim.deliveriesCompleted()),
          static_cast<unsigned long long>(sim.incidentCount()), published, faultsSeen, worstOffGraphM,
          modes.size());
    QVERIFY(sim.deliveriesCompleted() > 50);
    QVERIFY(sim.incidentCount() >= 2);
    QVERIFY(faultsSeen > 0);
}

void TestFleetSimulator::unknownRobotIsRejected()
{
    FleetSimulator sim(*m_graph, quietConfig());
    std::int64_t now = kStart;
    sim.step(now);
    RobotState ghost;
    ghost.robotId = QStringLiteral("nb-9999");
    const CommandAck ack = sim.applyCommand(drive(ghost, 1, now, 1, 0), now);
    QCOMPARE(ack.result(), CommandAck::RESULT_REJECTED_STATE);
    QVERIFY(!ack.reason().empty());
    QCOMPARE(ack.robot_id(), "nb-9999");

    Command empty = command(sim.robots()[0], 1, now);
    QCOMPARE(sim.applyCommand(empty, now).result(), CommandAck::RESULT_REJECTED_STATE);
    Command garbage;
    QCOMPARE(sim.applyCommand(garbage, now).result(), CommandAck::RESULT_REJECTED_STATE);
}

void TestFleetSimulator::lateCommandIsRejectedAndNotApplied()
{
    FleetSimulator sim(*m_graph, quietConfig());
    std::int64_t now = kStart;
    sim.step(now);
    const RobotState &robot = sim.robots()[0];
    const Mode before = robot.mode;
    Command late = drive(robot, 1, now - 1000, 1.5, 0);
    late.set_deadline_unix_ms(now - 1);
    const CommandAck ack = sim.applyCommand(late, now);
    QCOMPARE(ack.result(), CommandAck::RESULT_REJECTED_LATE);
    QCOMPARE(ack.sequence(), std::uint64_t{1});
    QCOMPARE(ack.lease_id(), "L1");
    QCOMPARE(ack.command_issued_unix_ms(), late.issued_unix_ms());
    QCOMPARE(ack.time_unix_ms(), now);
    run(sim, &now, 500);
    QCOMPARE(robot.mode, before);
    QVERIFY(robot.mode != Mode::Teleop);

    // Not applied means not counted either: the same sequence in time goes through.
    const CommandAck inTime = sim.applyCommand(drive(robot, 1, now, 1.5, 0), now);
    QCOMPARE(inTime.result(), CommandAck::RESULT_APPLIED);
    QCOMPARE(robot.mode, Mode::Teleop);

    Command lateStop = command(robot, 2, now - 1000);
    lateStop.mutable_emergency_stop();
    lateStop.set_deadline_unix_ms(now - 1);
    QCOMPARE(sim.applyCommand(lateStop, now).result(), CommandAck::RESULT_REJECTED_LATE);
    QVERIFY(!sim.isEmergencyStopped(0));
}

void TestFleetSimulator::outOfSequenceCommandIsRejected()
{
    FleetSimulator sim(*m_graph, quietConfig());
    std::int64_t now = kStart;
    sim.step(now);
    const RobotState &robot = sim.robots()[1];
    QCOMPARE(sim.applyCommand(drive(robot, 5, now, 1, 0), now).result(), CommandAck::RESULT_APPLIED);
    QCOMPARE(sim.applyCommand(drive(robot, 5, now, 1, 0), now).result(), CommandAck::RESULT_REJECTED_SEQUENCE);
    QCOMPARE(sim.applyCommand(drive(robot, 4, now, 1, 0), now).result(), CommandAck::RESULT_REJECTED_SEQUENCE);
    QCOMPARE(sim.applyCommand(drive(robot, 6, now, 1, 0), now).result(), CommandAck::RESULT_APPLIED);
    Command otherLease = drive(robot, 1, now, 1, 0);
    otherLease.set_lease_id("L2");
    QCOMPARE(sim.applyCommand(otherLease, now).result(), CommandAck::RESULT_APPLIED);
    Command noLease = drive(robot, 10, now, 1, 0);
    noLease.set_lease_id("");
    QCOMPARE(sim.applyCommand(noLease, now).result(), CommandAck::RESULT_REJECTED_LEASE);
    // Sequences are per robot.
    QCOMPARE(sim.applyCommand(drive(sim.robots()[2], 1, now, 1, 0), now).result(), CommandAck::RESULT_APPLIED);
}

void TestFleetSimulator::nonFiniteDriveIsRejected_data()
{
    QTest::addColumn<float>("linear");
    QTest::addColumn<float>("angular");
    QTest::newRow("nan linear") << std::nanf("") << 0.0f;
    QTest::newRow("nan angular") << 1.0f << std::nanf("");
    QTest::newRow("inf linear") << std::numeric_limits<float>::infinity() << 0.0f;
    QTest::newRow("-inf angular") << 0.0f << -std::numeric_limits<float>::infinity();
}

void TestFleetSimulator::nonFiniteDriveIsRejected()
{
    QFETCH(float, linear);
    QFETCH(float, angular);
    FleetSimulator sim(*m_graph, quietConfig());
    std::int64_t now = kStart;
    sim.step(now);
    const RobotState &robot = sim.robots()[0];
    const CommandAck ack = sim.applyCommand(drive(robot, 1, now, linear, angular), now);
    QCOMPARE(ack.result(), CommandAck::RESULT_REJECTED_STATE);
    QVERIFY(!ack.reason().empty());
    run(sim, &now, 300);
    QVERIFY(robot.mode != Mode::Teleop);
    QVERIFY(std::isfinite(robot.latDeg) && std::isfinite(robot.headingDeg));
}

void TestFleetSimulator::driveMovesAlongHeading_data()
{
    QTest::addColumn<float>("linear");
    QTest::addColumn<float>("angular");
    QTest::addColumn<int>("durationMs");
    QTest::addColumn<double>("expectedM");
    QTest::addColumn<double>("expectedTurnDeg");
    QTest::addColumn<bool>("backwards");
    QTest::newRow("1 m/s for 5 s") << 1.0f << 0.0f << 5000 << 5.0 << 0.0 << false;
    QTest::newRow("2 m/s for 3 s") << 2.0f << 0.0f << 3000 << 6.0 << 0.0 << false;
    QTest::newRow("too fast is clamped") << 5.0f << 0.0f << 2000 << 4.0 << 0.0 << false;
    QTest::newRow("reverse") << -0.5f << 0.0f << 4000 << 2.0 << 0.0 << true;
    QTest::newRow("reverse clamped") << -3.0f << 0.0f << 2000 << 2.0 << 0.0 << true;
    QTest::newRow("turn on the spot") << 0.0f << 30.0f << 3000 << 0.0 << 90.0 << false;
    QTest::newRow("turn left") << 0.0f << -45.0f << 2000 << 0.0 << -90.0 << false;
}

void TestFleetSimulator::driveMovesAlongHeading()
{
    QFETCH(float, linear);
    QFETCH(float, angular);
    QFETCH(int, durationMs);
    QFETCH(double, expectedM);
    QFETCH(double, expectedTurnDeg);
    QFETCH(bool, backwards);
    FleetSimulator sim(*m_graph, quietConfig());
    std::int64_t now = kStart;
    sim.step(now);
    const RobotState &robot = sim.robots()[3];
    const LatLon start = position(robot);
    const double heading = robot.headingDeg;
    std::uint64_t sequence = 0;
    for (std::int64_t end = now + durationMs; now < end;) {
        QCOMPARE(sim.applyCommand(drive(robot, ++sequence, now, linear, angular), now).result(),
                 CommandAck::RESULT_APPLIED);
        now += kStepMs;
        sim.step(now);
        QCOMPARE(robot.mode, Mode::Teleop);
    }
    const double moved = fleetdeck::geo::distanceM(start, position(robot));
    QVERIFY2(std::abs(moved - expectedM) < 0.05 * expectedM + 0.01, qPrintable(QString::number(moved)));
    if (expectedM > 0) {
        const double bearing = fleetdeck::geo::bearingDeg(start, position(robot));
        QVERIFY2(angleDifference(bearing, heading + (backwards ? 180 : 0)) < 1.0,
                 qPrintable(QStringLiteral("bearing %1, heading %2").arg(bearing).arg(heading)));
        QVERIFY(std::abs(robot.speedMps - std::min(std::abs(linear), backwards ? 1.0f : 2.0f)) < 1e-6);
    }
    QVERIFY2(angleDifference(robot.headingDeg, heading + expectedTurnDeg) < 0.5,
             qPrintable(QString::number(robot.headingDeg)));
}

void TestFleetSimulator::deadmanStopsRobot()
{
    FleetSimulator sim(*m_graph, quietConfig());
    std::int64_t now = kStart;
    sim.step(now);
    const RobotState &robot = sim.robots()[0];
    std::uint64_t sequence = 0;
    for (int i = 0; i < 10; ++i) {
        QCOMPARE(sim.applyCommand(drive(robot, ++sequence, now, 1.5, 0), now).result(), CommandAck::RESULT_APPLIED);
        now += kStepMs;
        sim.step(now);
    }
    const std::int64_t lastDrive = now;
    QCOMPARE(sim.applyCommand(drive(robot, ++sequence, now, 1.5, 0), now).result(), CommandAck::RESULT_APPLIED);
    const LatLon atLastCommand = position(robot);
    LatLon stoppedAt = atLastCommand;
    std::int64_t stoppedTime = 0;
    while (now < lastDrive + 2000) {
        now += kStepMs;
        sim.step(now);
        if (stoppedTime == 0 && robot.speedMps == 0) {
            stoppedTime = now;
            stoppedAt = position(robot);
        }
    }
    QVERIFY(stoppedTime != 0);
    QVERIFY2(stoppedTime - lastDrive <= FleetSimulator::kDeadmanMs + kStepMs,
             qPrintable(QString::number(stoppedTime - lastDrive)));
    QCOMPARE(robot.mode, Mode::Teleop);
    // It coasted for the deadman time, no longer.
    const double coasted = fleetdeck::geo::distanceM(atLastCommand, stoppedAt);
    QVERIFY2(std::abs(coasted - 1.5 * FleetSimulator::kDeadmanMs / 1000.0) < 0.01, qPrintable(QString::number(coasted)));
    QCOMPARE(position(robot).latDeg, stoppedAt.latDeg);
    QCOMPARE(position(robot).lonDeg, stoppedAt.lonDeg);
}

void TestFleetSimulator::stopHoldsRobotInTeleop()
{
    FleetSimulator sim(*m_graph, quietConfig());
    std::int64_t now = kStart;
    sim.step(now);
    // Let robots leave their hubs, then stop one that is driving.
    run(sim, &now, 400'000);
    std::optional<std::size_t> driving;
    for (std::size_t i = 0; i < sim.robots().size() && !driving; ++i) {
        if (sim.robots()[i].mode == Mode::Autonomous && sim.robots()[i].speedMps > 0)
            driving = i;
    }
    QVERIFY(driving);
    const RobotState &robot = sim.robots()[*driving];
    const QString task = robot.taskId;
    Command stop = command(robot, 1, now);
    stop.mutable_stop();
    QCOMPARE(sim.applyCommand(stop, now).result(), CommandAck::RESULT_APPLIED);
    QCOMPARE(robot.mode, Mode::Teleop);
    QCOMPARE(robot.speedMps, 0.0f);
    const LatLon held = position(robot);
    run(sim, &now, 5000);
    QCOMPARE(robot.mode, Mode::Teleop);
    QCOMPARE(position(robot).latDeg, held.latDeg);

    Command resume = command(robot, 2, now);
    resume.mutable_resume_autonomy();
    QCOMPARE(sim.applyCommand(resume, now).result(), CommandAck::RESULT_APPLIED);
    QCOMPARE(robot.taskId, task);
    run(sim, &now, 2000);
    QVERIFY(robot.mode == Mode::Autonomous || robot.mode == Mode::WaitingToCross || robot.mode == Mode::Delivering);
    QVERIFY(m_graph->distanceToEdgesM(position(robot)) < 0.01);
}

void TestFleetSimulator::emergencyStopNeedsNoLease()
{
    FleetSimulator sim(*m_graph, quietConfig());
    std::int64_t now = kStart;
    sim.step(now);
    const RobotState &robot = sim.robots()[0];
    // Drive it off the graph first.
    for (std::uint64_t seq = 1; seq <= 20; ++seq) {
        QCOMPARE(sim.applyCommand(drive(robot, seq, now, 1.0, 10), now).result(), CommandAck::RESULT_APPLIED);
        now += kStepMs;
        sim.step(now);
    }
    Command stop = command(robot, 0, now, "");
    stop.set_deadline_unix_ms(0);
    stop.mutable_emergency_stop();
    const CommandAck ack = sim.applyCommand(stop, now);
    QCOMPARE(ack.result(), CommandAck::RESULT_APPLIED);
    QVERIFY(sim.isEmergencyStopped(0));
    QCOMPARE(robot.mode, Mode::Stuck);
    QCOMPARE(robot.speedMps, 0.0f);
    QVERIFY(robot.faults.empty());
    const LatLon held = position(robot);
    run(sim, &now, 3000);
    QCOMPARE(position(robot).latDeg, held.latDeg);
    QCOMPARE(robot.mode, Mode::Stuck);

    const CommandAck refused = sim.applyCommand(drive(robot, 21, now, 1.0, 0), now);
    QCOMPARE(refused.result(), CommandAck::RESULT_REJECTED_STATE);
    // A second e-stop, even with an old sequence, is still applied.
    QCOMPARE(sim.applyCommand(stop, now).result(), CommandAck::RESULT_APPLIED);

    Command resume = command(robot, 22, now);
    resume.mutable_resume_autonomy();
    QCOMPARE(sim.applyCommand(resume, now).result(), CommandAck::RESULT_APPLIED);
    QVERIFY(!sim.isEmergencyStopped(0));
    QVERIFY(robot.mode != Mode::Stuck && robot.mode != Mode::Teleop);
    // Snapped back onto the street network.
    QCOMPARE(fleetdeck::geo::distanceM(position(robot), m_graph->node(m_graph->nearestNode(position(robot)))), 0.0);
    run(sim, &now, 60'000);
    QVERIFY(m_graph->distanceToEdgesM(position(robot)) < 0.01);
}

void TestFleetSimulator::resumeClearsStuckRobot()
{
    FleetSimulatorConfig config = quietConfig(30);
    config.stuckPerHour = 200;
    FleetSimulator sim(*m_graph, config);
    std::int64_t now = kStart;
    sim.step(now);
    std::optional<std::size_t> stuck;
    for (int i = 0; i < 6000 && !stuck; ++i) {
        run(sim, &now, kStepMs);
        for (std::size_t k = 0; k < sim.robots().size() && !stuck; ++k) {
            if (sim.robots()[k].mode == Mode::Stuck)
                stuck = k;
        }
    }
    QVERIFY(stuck);
    const RobotState &robot = sim.robots()[*stuck];
    QVERIFY(hasFault(robot, fleetdeck::FaultCode::WheelBlocked));
    QCOMPARE(robot.speedMps, 0.0f);
    const LatLon held = position(robot);
    run(sim, &now, 30'000);
    QCOMPARE(robot.mode, Mode::Stuck);
    QCOMPARE(position(robot).lonDeg, held.lonDeg);

    Command resume = command(robot, 1, now);
    resume.mutable_resume_autonomy();
    QCOMPARE(sim.applyCommand(resume, now).result(), CommandAck::RESULT_APPLIED);
    QVERIFY(!hasFault(robot, fleetdeck::FaultCode::WheelBlocked));
    QVERIFY(robot.mode == Mode::Autonomous || robot.mode == Mode::Returning || robot.mode == Mode::Delivering
            || robot.mode == Mode::Idle || robot.mode == Mode::Charging);
    // Driving it also frees a stuck robot.
    std::optional<std::size_t> another;
    for (int i = 0; i < 6000 && !another; ++i) {
        run(sim, &now, kStepMs);
        for (std::size_t k = 0; k < sim.robots().size() && !another; ++k) {
            if (sim.robots()[k].mode == Mode::Stuck)
                another = k;
        }
    }
    QVERIFY(another);
    QCOMPARE(sim.applyCommand(drive(sim.robots()[*another], 1, now, 0.5, 0), now).result(),
             CommandAck::RESULT_APPLIED);
    QCOMPARE(sim.robots()[*another].mode, Mode::Teleop);
    QVERIFY(!hasFault(sim.robots()[*another], fleetdeck::FaultCode::WheelBlocked));
}

void TestFleetSimulator::offlineRobotPublishesNothing()
{
    FleetSimulatorConfig config = quietConfig(40);
    config.offlinePerHour = 30;
    FleetSimulator sim(*m_graph, config);
    std::int64_t now = kStart;
    sim.step(now);
    std::vector<std::int64_t> offlineSince(40, 0);
    std::vector<std::int64_t> lastPublish(40, 0);
    std::vector<std::uint64_t> lastSequence(40, 0);
    int outages = 0;
    for (int step = 0; step < 6000; ++step) {
        now += kStepMs;
        sim.step(now);
        for (const RobotState *s : sim.takeDue(now)) {
            const std::size_t i = static_cast<std::size_t>(s - sim.robots().data());
            QCOMPARE(s->sequence, lastSequence[i] + 1);
            lastSequence[i] = s->sequence;
            lastPublish[i] = now;
        }
        for (std::size_t i = 0; i < 40; ++i) {
            if (sim.isOffline(i) && offlineSince[i] == 0) {
                offlineSince[i] = now;
            } else if (!sim.isOffline(i) && offlineSince[i] != 0) {
                const std::int64_t outage = now - offlineSince[i];
                QVERIFY2(outage >= 19'000 && outage <= 91'000, qPrintable(QString::number(outage)));
                ++outages;
                offlineSince[i] = 0;
            }
            if (sim.isOffline(i) && offlineSince[i] != now)
                QVERIFY(lastPublish[i] < offlineSince[i]);
        }
    }
    QVERIFY(outages > 5);
}

void TestFleetSimulator::sensorFaultClears()
{
    FleetSimulatorConfig config = quietConfig(30);
    config.sensorFaultPerHour = 20;
    FleetSimulator sim(*m_graph, config);
    std::int64_t now = kStart;
    sim.step(now);
    std::vector<std::int64_t> since(30, 0);
    int cleared = 0;
    for (int step = 0; step < 12000; ++step) {
        run(sim, &now, kStepMs);
        for (std::size_t i = 0; i < 30; ++i) {
            const RobotState &s = sim.robots()[i];
            const bool lidar = hasFault(s, fleetdeck::FaultCode::LidarDegraded);
            const bool camera = hasFault(s, fleetdeck::FaultCode::CameraFailed);
            QCOMPARE(lidar, s.lidar == fleetdeck::SensorStatus::Degraded);
            QCOMPARE(camera, s.cameras == fleetdeck::SensorStatus::Failed);
            if ((lidar || camera) && since[i] == 0) {
                since[i] = now;
                QCOMPARE(s.mode, Mode::Fault);
                QCOMPARE(s.speedMps, 0.0f);
            } else if (!lidar && !camera && since[i] != 0) {
                const std::int64_t lasted = now - since[i];
                QVERIFY2(lasted >= 29'000 && lasted <= 121'000, qPrintable(QString::number(lasted)));
                since[i] = 0;
                ++cleared;
            }
        }
    }
    QVERIFY(cleared > 3);
}

void TestFleetSimulator::motorOvertempClears()
{
    FleetSimulatorConfig config = quietConfig(30);
    config.overtempPerHour = 30;
    FleetSimulator sim(*m_graph, config);
    std::int64_t now = kStart;
    sim.step(now);
    int raised = 0;
    int cleared = 0;
    std::vector<bool> hot(30, false);
    float hottest = 0;
    for (int step = 0; step < 12000; ++step) {
        run(sim, &now, kStepMs);
        for (std::size_t i = 0; i < 30; ++i) {
            const RobotState &s = sim.robots()[i];
            hottest = std::max(hottest, s.motorLeftTempC);
            const bool fault = hasFault(s, fleetdeck::FaultCode::MotorOvertemp);
            if (fault && !hot[i]) {
                ++raised;
                QCOMPARE(s.mode, Mode::Fault);
                QVERIFY(s.motorLeftTempC >= 80);
            } else if (!fault && hot[i]) {
                ++cleared;
                QVERIFY(s.motorLeftTempC < 55);
            }
            hot[i] = fault;
        }
    }
    QVERIFY(raised > 2);
    QVERIFY(cleared > 1);
    QVERIFY(hottest < 90);
}

void TestFleetSimulator::injectedIncidentLastsItsDuration_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("durationS");
    QTest::newRow("fault") << QStringLiteral("fault") << 40;
    QTest::newRow("stuck") << QStringLiteral("stuck") << 25;
    QTest::newRow("offline") << QStringLiteral("offline") << 30;
}

// A drill's incident strikes the robot it names at once, ends by itself on time, and draws nothing
// from the random streams: every other robot moves exactly as in a fleet without the drill.
void TestFleetSimulator::injectedIncidentLastsItsDuration()
{
    QFETCH(QString, kind);
    QFETCH(int, durationS);
    FleetSimulatorConfig config = quietConfig(30);
    config.sensorFaultPerHour = 1;  // random incidents on, so a drawn number would shift them
    FleetSimulator sim(*m_graph, config);
    FleetSimulator twin(*m_graph, config);
    std::int64_t now = kStart;
    sim.step(now);
    twin.step(now);
    // Out on a task, so "stuck" and "offline" interrupt a moving robot.
    std::int64_t twinNow = now;
    run(sim, &now, 240'000);
    run(twin, &twinNow, 240'000);
    std::optional<std::size_t> victim;
    for (std::size_t k = 0; k < sim.robots().size() && !victim; ++k) {
        if (sim.robots()[k].mode == Mode::Autonomous && sim.robots()[k].speedMps > 0)
            victim = k;
    }
    QVERIFY(victim);
    const std::size_t i = *victim;
    const RobotState &robot = sim.robots()[i];
    const std::uint64_t incidentsBefore = sim.incidentCount();

    if (kind == QLatin1String("fault"))
        sim.injectFault(i, now, durationS * 1000);
    else if (kind == QLatin1String("stuck"))
        sim.injectStuck(i, now, durationS * 1000);
    else
        sim.injectOffline(i, durationS * 1000);
    QCOMPARE(sim.incidentCount(), incidentsBefore + 1);

    const auto struck = [&] {
        if (kind == QLatin1String("fault"))
            return robot.mode == Mode::Fault && hasFault(robot, fleetdeck::FaultCode::LidarDegraded);
        if (kind == QLatin1String("stuck"))
            return robot.mode == Mode::Stuck && hasFault(robot, fleetdeck::FaultCode::WheelBlocked);
        return sim.isOffline(i);
    };
    const LatLon held = position(robot);
    std::uint64_t published = 0;
    for (std::int64_t end = now + durationS * 1000 - 1000; now < end;) {
        now += kStepMs;
        sim.step(now);
        for (const RobotState *s : sim.takeDue(now))
            published += s == &robot ? 1 : 0;
        QVERIFY2(struck(), qPrintable(QStringLiteral("over early, %1 ms in").arg(end + 1000 - now)));
    }
    QCOMPARE(position(robot).latDeg, held.latDeg);
    QCOMPARE(position(robot).lonDeg, held.lonDeg);
    if (kind == QLatin1String("offline"))
        QCOMPARE(published, std::uint64_t(0));
    else
        QVERIFY(published >= std::uint64_t(2 * (durationS - 2)));  // a faulted or stuck robot still reports
    run(sim, &now, 2000);
    QVERIFY(!struck());
    QVERIFY(!hasFault(robot, fleetdeck::FaultCode::LidarDegraded));
    QVERIFY(!hasFault(robot, fleetdeck::FaultCode::WheelBlocked));
    run(sim, &now, 60'000);
    QVERIFY(fleetdeck::geo::distanceM(position(robot), held) > 10 || robot.mode != Mode::Autonomous);

    run(twin, &twinNow, now - twinNow);
    for (std::size_t k = 0; k < sim.robots().size(); ++k) {
        if (k == i)
            continue;
        QCOMPARE(sim.robots()[k].latDeg, twin.robots()[k].latDeg);
        QCOMPARE(sim.robots()[k].batteryPct, twin.robots()[k].batteryPct);
        QCOMPARE(sim.robots()[k].faults, twin.robots()[k].faults);
    }
}

void TestFleetSimulator::randomCommandsKeepStatesSane()
{
    FleetSimulatorConfig config = quietConfig(10);
    config.stuckPerHour = 20;
    FleetSimulator sim(*m_graph, config);
    std::mt19937_64 rng(99);
    const auto pickOf = [&rng](auto... values) {
        const float options[] = {static_cast<float>(values)...};
        return options[rng() % sizeof...(values)];
    };
    std::int64_t now = kStart;
    sim.step(now);
    int applied = 0;
    for (int step = 0; step < 3000; ++step) {
        for (int k = 0; k < 3; ++k) {
            RobotState target = sim.robots()[rng() % sim.robots().size()];
            if (rng() % 10 == 0)
                target.robotId = QStringLiteral("nb-00001");
            Command c = command(target, rng() % 40, now, rng() % 4 == 0 ? "" : (rng() % 2 ? "A" : "B"));
            c.set_deadline_unix_ms(now + static_cast<std::int64_t>(rng() % 400) - 100);
            switch (rng() % 5) {
            case 0:
                c.mutable_drive()->set_linear_mps(pickOf(0.7, -0.4, 1e30, -1e30, NAN, 2.5, 0));
                c.mutable_drive()->set_angular_dps(pickOf(0, 45, -1e9, INFINITY, 3.3));
                break;
            case 1: c.mutable_stop(); break;
            case 2: c.mutable_emergency_stop(); break;
            case 3: c.mutable_resume_autonomy(); break;
            default: break;
            }
            applied += sim.applyCommand(c, now).result() == CommandAck::RESULT_APPLIED ? 1 : 0;
        }
        now += kStepMs;
        sim.step(now);
        QVERIFY(sim.takeDue(now).size() <= sim.robots().size());
        for (const RobotState &s : sim.robots()) {
            QVERIFY(std::isfinite(s.latDeg) && std::isfinite(s.lonDeg));
            QVERIFY(s.speedMps >= 0 && s.speedMps <= 2);
            QVERIFY(s.headingDeg >= 0 && s.headingDeg < 360);
            QVERIFY(s.batteryPct >= 0 && s.batteryPct <= 100);
            if (s.mode != Mode::Teleop && s.mode != Mode::Stuck)
                QVERIFY(m_graph->distanceToEdgesM(position(s), 20) <= 2.0);
        }
    }
    QVERIFY(applied > 100);
}

void TestFleetSimulator::stepTime()
{
    FleetSimulatorConfig config;
    config.robotCount = 20'000;
    QElapsedTimer timer;
    timer.start();
    FleetSimulator sim(*m_graph, config);
    const qint64 setupMs = timer.elapsed();
    std::int64_t now = kStart;
    sim.step(now);
    // A few minutes in, most robots are out on their first task.
    timer.restart();
    for (int i = 0; i < 180; ++i) {
        now += 1000;
        sim.step(now);
    }
    const qint64 warmUpMs = timer.elapsed();
    int driving = 0;
    for (const RobotState &s : sim.robots())
        driving += s.speedMps > 0 ? 1 : 0;
    std::vector<const RobotState *> due;
    constexpr int kSteps = 200;
    std::size_t published = 0;
    timer.restart();
    for (int i = 0; i < kSteps; ++i) {
        now += kStepMs;
        sim.step(now);
        sim.takeDue(now, &due);
        published += due.size();
    }
    const double perStepMs = double(timer.nsecsElapsed()) / 1e6 / kSteps;
    qInfo("20000 robots: setup %lld ms, 3 min warm-up %lld ms, %d driving, %.2f ms per 100 ms step"
          " (incl. takeDue), %zu publishes",
          static_cast<long long>(setupMs), static_cast<long long>(warmUpMs), driving, perStepMs, published);
    QVERIFY(published > 0);
}

QTEST_GUILESS_MAIN(TestFleetSimulator)
#include "tst_fleetsimulator.moc"
