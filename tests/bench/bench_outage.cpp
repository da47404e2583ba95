// A broker outage of BENCH_OUTAGE_S seconds (default 30) with the real fleetdeckd, at its default
// freshness settings, reading an embedded Kafka where the simulator (BENCH_OUTAGE_ROBOTS robots,
// default 200) publishes and obeys commands; a console watching and an operator driving one robot
// throughout. Printed: how soon the outage is noticed (/readyz, consoles, teleop) and, once the
// brokers are back, how soon /readyz says ready, the first fresh telemetry arrives, every robot is
// fresh and teleop is accepted again. Baseline from the same run: the same figures for the cold
// start of the backend (process start -> ready, -> every robot fresh).

#include "benchsupport.h"
#include "daemonprocess.h"
#include "operatorconsole.h"
#include "simulatedfleet.h"

#include <QCoreApplication>
#include <QDateTime>

#include <cstdio>

using namespace fleetdeck;
using namespace fleetdeck::testing;

namespace {

int countLiveSince(RobotModel *model, qint64 sinceUnixMs)
{
    int n = 0;
    for (int row = 0; row < model->rowCount(); ++row) {
        const RobotState &robot = model->robotAt(row);
        n += robot.freshness == Freshness::Live && robot.sampleTimeUnixMs >= sinceUnixMs ? 1 : 0;
    }
    return n;
}

int countIn(RobotModel *model, Freshness freshness)
{
    int n = 0;
    for (int row = 0; row < model->rowCount(); ++row)
        n += model->robotAt(row).freshness == freshness ? 1 : 0;
    return n;
}

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "bench_outage: %s\n", what);
    std::exit(1);
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int outageS = qEnvironmentVariableIsSet("BENCH_OUTAGE_S") ? qEnvironmentVariableIntValue("BENCH_OUTAGE_S") : 30;
    const int robots = qEnvironmentVariableIsSet("BENCH_OUTAGE_ROBOTS") ? qEnvironmentVariableIntValue("BENCH_OUTAGE_ROBOTS") : 200;
    using bench::print;

    QString error;
    SimulatedFleet fleet;
    if (!fleet.start(robots, &error))
        fail(qPrintable(error));
    QElapsedTimer sinceStart;
    sinceStart.start();
    const qint64 startUnixMs = QDateTime::currentMSecsSinceEpoch();
    DaemonProcess backend;
    // BENCH_OUTAGE_BACKEND_ARGS: more fleetdeckd flags, e.g. --kafka-property socket.timeout.ms=10000.
    QStringList arguments{QStringLiteral("--brokers"), fleet.brokers(), QStringLiteral("--port"), QStringLiteral("0"),
                          QStringLiteral("--auth-mode"), QStringLiteral("open")};
    arguments += qEnvironmentVariable("BENCH_OUTAGE_BACKEND_ARGS").split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (!backend.start(arguments, &error))
        fail(qPrintable(error));
    if (waitFor([&] { return backend.get("/readyz").status == 200; }, 60'000) < 0)
        fail("the backend never became ready");
    print("coldstart_ready_ms", double(sinceStart.elapsed()), "ms");

    OperatorConsole wall(QStringLiteral("wall"), backend.url());
    OperatorConsole alice(QStringLiteral("alice"), backend.url());
    if (waitFor([&] { return countLiveSince(wall.client.robots(), startUnixMs) == robots; }, 60'000) < 0)
        fail("not every robot became fresh after the start");
    print("coldstart_all_fresh_ms", double(sinceStart.elapsed()), "ms");

    // An operator drives robot 0 through it all, at 20 Hz, as if holding the control.
    const QString robotId = fleet.robot(0).robotId;
    waitFor([&] {
        if (alice.leaseId.isEmpty())
            alice.acquire(robotId);
        return !alice.leaseId.isEmpty();
    }, 10'000);
    for (int i = 0; i < 3; ++i) {
        alice.send(fleet::v1::TeleopCommand::KIND_STOP, robotId);
        waitFor([] { return false; }, 200);
    }
    alice.startDriving(robotId, 0.5f);
    waitFor([] { return false; }, 2000);
    std::printf("before the outage: robot %s at %.2f m/s, lease %s, %d drive commands accepted\n", qPrintable(robotId),
                double(fleet.robot(0).speedMps), alice.leaseId.isEmpty() ? "none" : "held", alice.accepted);

    // The outage.
    const int acceptedBefore = alice.accepted;
    const int refusedBefore = alice.refused;
    fleet.cluster().setBrokersUp(false);
    const qint64 outageStartUnixMs = QDateTime::currentMSecsSinceEpoch();
    QElapsedTimer outage;
    outage.start();
    qint64 readyzDown = -1, consoleTold = -1, teleopRefused = -1, robotStopped = -1, allStale = -1, allLost = -1;
    waitFor([&] {
        const qint64 t = outage.elapsed();
        if (readyzDown < 0 && backend.get("/readyz", 1000).status == 503)
            readyzDown = t;
        if (consoleTold < 0 && !wall.client.upstreamProblem().isEmpty())
            consoleTold = t;
        if (teleopRefused < 0 && alice.refused > refusedBefore)
            teleopRefused = t;
        if (robotStopped < 0 && fleet.robot(0).speedMps == 0.f)
            robotStopped = t;
        if (allStale < 0 && countIn(wall.client.robots(), Freshness::Live) == 0)
            allStale = t;
        if (allLost < 0 && countIn(wall.client.robots(), Freshness::Lost) == robots)
            allLost = t;
        return t >= qint64(outageS) * 1000;
    }, qint64(outageS) * 1000 + 1000);
    const int acceptedDuring = alice.accepted - acceptedBefore;
    std::printf("during the outage: %d drive commands accepted (before the backend noticed), %d refused (last: \"%s\"); "
                "lease %s (%s); %d robots still listed, %d stale, %d lost\n",
                acceptedDuring, alice.refused - refusedBefore, qPrintable(alice.lastRefusal),
                alice.leaseId.isEmpty() ? "gone" : "still held", qPrintable(alice.lastLeaseReason), wall.client.robots()->rowCount(),
                countIn(wall.client.robots(), Freshness::Stale), countIn(wall.client.robots(), Freshness::Lost));
    print("outage_seconds", outageS, "s");
    print("outage_readyz_503_ms", double(readyzDown), "ms");
    print("outage_console_told_ms", double(consoleTold), "ms");
    print("outage_teleop_refused_ms", double(teleopRefused), "ms");
    print("outage_driven_robot_stopped_ms", double(robotStopped), "ms");
    print("outage_all_stale_ms", double(allStale), "ms");
    print("outage_all_lost_ms", double(allLost), "ms");

    // Recovery.
    const int acceptedBeforeRecovery = alice.accepted;
    fleet.cluster().setBrokersUp(true);
    const qint64 recoveryStartUnixMs = QDateTime::currentMSecsSinceEpoch();
    QElapsedTimer recovery;
    recovery.start();
    qint64 readyzUp = -1, consoleClear = -1, firstFresh = -1, allFresh = -1, teleopBack = -1;
    waitFor([&] {
        const qint64 t = recovery.elapsed();
        if (readyzUp < 0 && backend.get("/readyz", 1000).status == 200)
            readyzUp = t;
        if (consoleClear < 0 && wall.client.upstreamProblem().isEmpty())
            consoleClear = t;
        const int fresh = countLiveSince(wall.client.robots(), recoveryStartUnixMs);
        if (firstFresh < 0 && fresh > 0)
            firstFresh = t;
        if (allFresh < 0 && fresh == robots)
            allFresh = t;
        if (teleopBack < 0 && alice.accepted > acceptedBeforeRecovery)
            teleopBack = t;
        // An operator whose lease the outage ended takes the robot again.
        if (alice.leaseId.isEmpty() && t % 500 < 15)
            alice.acquire(robotId);
        return readyzUp >= 0 && allFresh >= 0 && teleopBack >= 0 && consoleClear >= 0;
    }, 120'000);
    alice.driving.stop();
    std::printf("after the outage: lease %s (%s), last refusal \"%s\"; %lld ms of outage seen by the wall's oldest robot\n",
                alice.leaseId.isEmpty() ? "none" : "held", qPrintable(alice.lastLeaseReason), qPrintable(alice.lastRefusal),
                qlonglong(recoveryStartUnixMs - outageStartUnixMs));
    print("recovery_readyz_200_ms", double(readyzUp), "ms");
    print("recovery_console_told_ms", double(consoleClear), "ms");
    print("recovery_first_fresh_telemetry_ms", double(firstFresh), "ms");
    print("recovery_all_robots_fresh_ms", double(allFresh), "ms");
    print("recovery_teleop_accepted_ms", double(teleopBack), "ms");
    print("recovery_gaps_seen_by_console", double(wall.client.stats().gaps), "gaps");
    return readyzUp >= 0 && allFresh >= 0 ? 0 : 1;
}
