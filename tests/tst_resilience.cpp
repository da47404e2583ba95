// Outages with real parts: the real fleetdeckd process, reading the robots' Kafka (an embedded
// broker in this process, with the simulator publishing and obeying commands through it), and real
// consoles over WebSockets. The brokers stop and come back; the backend is killed and replaced.
// The 30 s outage and its recovery times are bench_outage's; here a shorter one, asserted.

#include "daemonprocess.h"
#include "operatorconsole.h"
#include "simulatedfleet.h"
#include "teleoplog.h"

#include <QElapsedTimer>
#include <QTest>

using namespace fleetdeck;
using namespace fleetdeck::testing;

namespace {

constexpr int kRobots = 20;
constexpr int kStaleAfterMs = 1500;
constexpr int kLostAfterMs = 4000;

QStringList backendArguments(const SimulatedFleet &fleet, quint16 port = 0)
{
    return {QStringLiteral("--brokers"), fleet.brokers(), QStringLiteral("--port"), QString::number(port),
            QStringLiteral("--auth-mode"), QStringLiteral("open"),
            QStringLiteral("--stale-after-ms"), QString::number(kStaleAfterMs),
            QStringLiteral("--lost-after-ms"), QString::number(kLostAfterMs)};
}

int countIn(RobotModel *model, Freshness freshness)
{
    int n = 0;
    for (int row = 0; row < model->rowCount(); ++row)
        n += model->robotAt(row).freshness == freshness ? 1 : 0;
    return n;
}

std::int64_t oldestSample(RobotModel *model)
{
    std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
    for (int row = 0; row < model->rowCount(); ++row)
        oldest = std::min(oldest, model->robotAt(row).sampleTimeUnixMs);
    return oldest;
}

// Takes the robot and warms the command path with stops until three are acknowledged (the first
// command on a topic waits for metadata, and the gate refuses driving while the measured round trip
// is that slow), retrying as an operator clicks again while an old lease still stands or a new one
// is lost.
bool takeControl(OperatorConsole *console, const QString &robotId, int timeoutMs)
{
    QElapsedTimer elapsed;
    elapsed.start();
    console->leaseId.clear();
    QString lease;
    int acknowledged = 0;
    while (elapsed.elapsed() < timeoutMs) {
        if (console->leaseId.isEmpty()) {
            console->acquire(robotId);
            QTest::qWait(500);
            continue;
        }
        if (console->leaseId != lease) {  // sequences start again with each lease
            lease = console->leaseId;
            console->sequence = 0;
            acknowledged = 0;
        }
        const int acksBefore = console->acks;
        console->send(fleet::v1::TeleopCommand::KIND_STOP, robotId);
        if (QTest::qWaitFor([&] { return console->acks > acksBefore; }, 1000) && ++acknowledged >= 3)
            return true;
    }
    qWarning("no control of %s after %lld ms: lease \"%s\" (%s), last refusal \"%s\", %d acknowledged", qPrintable(robotId),
             qlonglong(elapsed.elapsed()), qPrintable(console->leaseId), qPrintable(console->lastLeaseReason),
             qPrintable(console->lastRefusal), acknowledged);
    return false;
}

}  // namespace

class TestResilience : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void brokerOutageServesLastStateThenCatchesUp()
    {
        QString error;
        SimulatedFleet fleet;
        QVERIFY2(fleet.start(kRobots, &error), qPrintable(error));
        DaemonProcess backend;
        QVERIFY2(backend.start(backendArguments(fleet), &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(backend.get("/readyz").status, 200, 30'000);

        OperatorConsole alice(QStringLiteral("alice"), backend.url());
        OperatorConsole wall(QStringLiteral("wall"), backend.url());
        QTRY_COMPARE_WITH_TIMEOUT(alice.client.robots()->rowCount(), kRobots, 30'000);
        QTRY_COMPARE_WITH_TIMEOUT(countIn(wall.client.robots(), Freshness::Live), kRobots, 30'000);
        QCOMPARE(alice.client.upstreamProblem(), QString());

        const QString robotId = fleet.robot(0).robotId;
        QVERIFY2(takeControl(&alice, robotId, 10'000), qPrintable(alice.lastLeaseReason + alice.lastRefusal));
        alice.startDriving(robotId, 1.0f);
        QTRY_VERIFY_WITH_TIMEOUT(fleet.robot(0).speedMps > 0.5f, 5000);

        // The brokers go; the operator keeps holding the control.
        fleet.cluster().setBrokersUp(false);
        const qint64 outageStartMs = QDateTime::currentMSecsSinceEpoch();
        QTRY_COMPARE_WITH_TIMEOUT(backend.get("/readyz").status, 503, 30'000);
        QVERIFY(backend.get("/readyz").body.contains("Kafka brokers unreachable"));
        QTRY_VERIFY_WITH_TIMEOUT(alice.client.upstreamProblem().contains(QStringLiteral("Kafka")), 5000);
        QTRY_VERIFY(!wall.client.upstreamProblem().isEmpty());
        // Driving is refused with a reason, never queued for later...
        QTRY_VERIFY_WITH_TIMEOUT(alice.lastRefusal.contains(QStringLiteral("command path")), 5000);
        // ...and the robot, hearing nothing, stops by its own deadman.
        QTRY_COMPARE_WITH_TIMEOUT(fleet.robot(0).speedMps, 0.f, 2000);
        // Refused commands renew nothing: the lease runs out (TTL 3 s), and says why.
        QTRY_VERIFY_WITH_TIMEOUT(alice.leaseId.isEmpty(), 10'000);
        QVERIFY2(alice.lastLeaseReason.contains(QStringLiteral("Kafka is unreachable")), qPrintable(alice.lastLeaseReason));

        // The last state stays served, stale and then lost, never dropped.
        const RobotState lastKnown = wall.client.robots()->robotAt(wall.client.robots()->rowOf(robotId));
        QTRY_COMPARE_WITH_TIMEOUT(countIn(wall.client.robots(), Freshness::Lost), kRobots, kLostAfterMs + 10'000);
        QCOMPARE(wall.client.robots()->rowCount(), kRobots);
        const RobotState duringOutage = wall.client.robots()->robotAt(wall.client.robots()->rowOf(robotId));
        QCOMPARE(duringOutage.latDeg, lastKnown.latDeg);
        QCOMPARE(duringOutage.lonDeg, lastKnown.lonDeg);
        QVERIFY(duringOutage.sampleTimeUnixMs <= outageStartMs);
        QCOMPARE(backend.metric("fleetdeck_robots{freshness=\"lost\"}"), double(kRobots));
        alice.driving.stop();
        QCOMPARE(fleet.robot(0).speedMps, 0.f);

        // Back: the backend reconnects by itself and the fleet catches up.
        fleet.cluster().setBrokersUp(true);
        const qint64 recoveryStartMs = QDateTime::currentMSecsSinceEpoch();
        QTRY_COMPARE_WITH_TIMEOUT(backend.get("/readyz").status, 200, 30'000);
        QTRY_COMPARE_WITH_TIMEOUT(countIn(wall.client.robots(), Freshness::Live), kRobots, 30'000);
        QVERIFY(oldestSample(wall.client.robots()) > recoveryStartMs - 1000);
        QTRY_COMPARE(alice.client.upstreamProblem(), QString());
        QCOMPARE(wall.client.stats().gaps, quint64(0));
        QVERIFY(wall.client.robots()->robotAt(wall.client.robots()->rowOf(robotId)).sampleTimeUnixMs > recoveryStartMs - 1000);

        // Teleoperation works again, on a lease taken afresh if the outage ended the old one. The
        // lease log has a reader and a producer of its own: a request they sent into the outage
        // holds their connection until socket.timeout.ms (10 s), so after a short outage the lease
        // path may come back some seconds after the telemetry.
        const int acceptedBefore = alice.accepted;
        if (!takeControl(&alice, robotId, 30'000))
            QFAIL(qPrintable(QStringLiteral("no control after the outage: %1 %2").arg(alice.lastLeaseReason, alice.lastRefusal)));
        alice.startDriving(robotId, 1.0f);
        QTRY_VERIFY_WITH_TIMEOUT(alice.accepted > acceptedBefore + 10, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(fleet.robot(0).speedMps > 0.5f, 5000);
        alice.driving.stop();
        QTRY_COMPARE_WITH_TIMEOUT(fleet.robot(0).speedMps, 0.f, 2000);
        qInfo("brokers down for %lld ms; all robots fresh and teleop back %lld ms after they returned",
              qlonglong(recoveryStartMs - outageStartMs), qlonglong(QDateTime::currentMSecsSinceEpoch() - recoveryStartMs));
    }

    void backendKilledConsolesReconnectAndResync()
    {
        QString error;
        SimulatedFleet fleet;
        QVERIFY2(fleet.start(kRobots, &error), qPrintable(error));
        auto backend = std::make_unique<DaemonProcess>();
        QVERIFY2(backend->start(backendArguments(fleet), &error), qPrintable(error));
        const quint16 port = backend->port();

        OperatorConsole alice(QStringLiteral("alice"), backend->url());
        OperatorConsole wall(QStringLiteral("wall"), backend->url());
        QTRY_COMPARE_WITH_TIMEOUT(wall.client.robots()->rowCount(), kRobots, 30'000);
        QTRY_COMPARE_WITH_TIMEOUT(alice.client.state(), FleetClient::ConnectionState::Live, 30'000);
        const QString robotId = fleet.robot(1).robotId;
        QVERIFY2(takeControl(&alice, robotId, 10'000), qPrintable(alice.lastLeaseReason + alice.lastRefusal));
        alice.startDriving(robotId, 1.0f);
        QTRY_VERIFY_WITH_TIMEOUT(fleet.robot(1).speedMps > 0.5f, 5000);
        const quint64 snapshotsBefore = wall.client.stats().snapshots;

        // A crash mid-drive: no goodbye, no stop from the backend.
        backend->kill();
        QTRY_COMPARE_WITH_TIMEOUT(wall.client.state(), FleetClient::ConnectionState::Reconnecting, 5000);
        QVERIFY(!wall.client.lastError().isEmpty());
        QCOMPARE(wall.client.robots()->rowCount(), kRobots);  // the last known fleet stays on screen
        // Its commands stop with it; the robot's deadman stops the robot.
        QTRY_COMPARE_WITH_TIMEOUT(fleet.robot(1).speedMps, 0.f, 2000);
        alice.driving.stop();
        QTest::qWait(1500);  // a few backoff rounds against a closed port
        QVERIFY(wall.client.reconnectAttempt() >= 2);

        // A new backend on the same port: every console finds it, alone, and resynchronises.
        backend = std::make_unique<DaemonProcess>();
        QVERIFY2(backend->start(backendArguments(fleet, port), &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(wall.client.state(), FleetClient::ConnectionState::Live, 20'000);
        QTRY_COMPARE_WITH_TIMEOUT(alice.client.state(), FleetClient::ConnectionState::Live, 20'000);
        QVERIFY(wall.client.stats().snapshots > snapshotsBefore);
        QTRY_COMPARE_WITH_TIMEOUT(countIn(wall.client.robots(), Freshness::Live), kRobots, 20'000);
        QCOMPARE(wall.client.robots()->rowCount(), kRobots);
        QTRY_COMPARE(backend->metric("fleetdeck_robots{freshness=\"live\"}"), double(kRobots));

        // The dead replica's lease is released once expired (the lease log says so); then the
        // robot can be taken again.
        QVERIFY2(takeControl(&alice, robotId, 20'000), qPrintable(alice.lastLeaseReason + alice.lastRefusal));
        alice.startDriving(robotId, 1.0f);
        QTRY_VERIFY_WITH_TIMEOUT(fleet.robot(1).speedMps > 0.5f, 5000);

        // A console that vanishes mid-drive: its lease ends at once (not at expiry) and the robot is
        // told to stop; every other console sees it end.
        TeleopLog wallLog(&wall.client);
        wallLog.setRobotId(robotId);
        alice.client.setUrl(QUrl());
        alice.driving.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!wallLog.events().isEmpty()
                                     && wallLog.events().at(0).toMap().value(QStringLiteral("kind")).toInt()
                                         == int(fleet::v1::TeleopEvent::KIND_LEASE_ENDED),
                                 5000);
        QVERIFY2(wallLog.events().at(0).toMap().value(QStringLiteral("detail")).toString().contains(QStringLiteral("disconnected")),
                 qPrintable(wallLog.events().at(0).toMap().value(QStringLiteral("detail")).toString()));
        QTRY_COMPARE_WITH_TIMEOUT(fleet.robot(1).speedMps, 0.f, 2000);
    }
};

QTEST_GUILESS_MAIN(TestResilience)
#include "tst_resilience.moc"
