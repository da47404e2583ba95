// Driving a simulated robot through the real path: console -> fleetdeckd (lease, command gate) ->
// Kafka (embedded broker) -> robot (simulator) -> ack -> Kafka -> fleetdeckd -> console.

#include "clock.h"
#include "codec.h"
#include "embeddedkafka.h"
#include "fleetclient.h"
#include "fleetserver.h"
#include "fleetsimulator.h"
#include "geo.h"
#include "operatorconsole.h"
#include "simulatorrunner.h"
#include "streetgraph.h"
#include "telemetryingest.h"
#include "teleoplog.h"
#include "teleopservice.h"
#include "websockettransport.h"

#include <QTest>
#include <QTimer>

using namespace fleetdeck;

namespace {

using Operator = testing::OperatorConsole;

QUrl consoleUrl(quint16 port)
{
    return QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(port));
}

}  // namespace

class TestTeleopEndToEnd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void driveAroundAnObstacleAndStop()
    {
        QString error;
        kafka::EmbeddedKafka cluster;
        kafka::KafkaSettings settings;
        QVERIFY2(cluster.start(1, &error), qPrintable(error));
        settings.bootstrapServers = cluster.bootstrapServers();
        const kafka::Topics &t = settings.topics;
        for (const QString &topic : {t.telemetry, t.commands, t.commandAcks, t.audit, t.leases})
            QVERIFY2(cluster.createTopic(topic, 3, &error), qPrintable(error));

        SystemClock clock;
        TelemetryMailbox mailbox;
        FleetServer server(FleetServer::Settings{}, &mailbox, &clock);
        QVERIFY2(server.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        kafka::TelemetryIngest ingest(&mailbox);
        QVERIFY2(ingest.start(settings, kafka::KafkaReader::StartAt::Beginning, &error), qPrintable(error));
        TeleopService teleop(&server, &clock);
        QVERIFY2(teleop.start(settings, &error), qPrintable(error));
        server.startTicking();

        const auto graph = sim::StreetGraph::loadShipped(&error);
        QVERIFY2(graph, qPrintable(error));
        sim::FleetSimulator::Config config;
        config.robotCount = 20;
        config.seed = 11;
        config.offlinePerHour = 0;
        config.stuckPerHour = 0;
        sim::FleetSimulator simulator(*graph, config);
        sim::SimulatorRunner runner(&simulator, &clock);
        QVERIFY2(runner.start(settings, 50, 0, &error), qPrintable(error));

        const QString robotId = simulator.robots()[0].robotId;
        Operator alice(QStringLiteral("alice"), consoleUrl(server.port()));
        Operator bob(QStringLiteral("bob"), consoleUrl(server.port()));
        QTRY_COMPARE_WITH_TIMEOUT(alice.client.state(), FleetClient::ConnectionState::Live, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(bob.client.state(), FleetClient::ConnectionState::Live, 20000);

        // Only robots the backend knows can be leased.
        QTRY_VERIFY_WITH_TIMEOUT(alice.client.robots()->rowOf(robotId) >= 0, 20000);
        fleet::v1::ClientMessage bogus;
        bogus.mutable_acquire_lease()->set_robot_id("nb-9999");
        bob.client.sendClientMessage(bogus);
        QTRY_COMPARE(bob.lastRefusal, QStringLiteral("no such robot"));

        // Exactly one of two operators gets the robot.
        alice.acquire(robotId);
        bob.acquire(robotId);
        QTRY_VERIFY(!alice.leaseId.isEmpty());
        QTRY_VERIFY(bob.lastLeaseReason.contains(QStringLiteral("alice")));
        QVERIFY(bob.leaseId.isEmpty());

        // The first command on a fresh topic waits for the producer's metadata (about a second), and
        // the gate refuses driving while the measured round trip is that slow. Warm the path with
        // stops, as a console does when control is taken, until the round trip is a fresh, fast one.
        for (int i = 1; i <= 3; ++i) {
            alice.send(fleet::v1::TeleopCommand::KIND_STOP, robotId);
            QTRY_COMPARE_WITH_TIMEOUT(alice.acks, i, 10000);
        }

        // Drive at 1 m/s for 2 s at 20 Hz, then let go.
        const RobotState start = simulator.robots()[0];
        QTimer drive;
        drive.setTimerType(Qt::PreciseTimer);
        QObject::connect(&drive, &QTimer::timeout, [&] { alice.send(fleet::v1::TeleopCommand::KIND_DRIVE, robotId, 1.0f); });
        drive.start(50);
        QTest::qWait(2000);
        drive.stop();
        QCOMPARE(simulator.robots()[0].mode, Mode::Teleop);
        // The robot's deadman (300 ms) stops it; give it that and a margin, then check it stays put.
        QTest::qWait(600);
        const RobotState stopped = simulator.robots()[0];
        QCOMPARE(stopped.speedMps, 0.f);
        const double metres = geo::distanceM({start.latDeg, start.lonDeg}, {stopped.latDeg, stopped.lonDeg});
        QVERIFY2(metres > 1.7 && metres < 2.7, qPrintable(QStringLiteral("moved %1 m for 2 s at 1 m/s").arg(metres)));
        QTest::qWait(400);
        QCOMPARE(geo::distanceM({stopped.latDeg, stopped.lonDeg},
                                {simulator.robots()[0].latDeg, simulator.robots()[0].lonDeg}), 0.0);
        QVERIFY2(alice.accepted >= 30, qPrintable(QString::number(alice.accepted)));
        QTRY_VERIFY2(alice.acks >= 30, qPrintable(QString::number(alice.acks)));

        // E-stop needs no lease: bob stops the robot alice holds.
        const int bobAcksBefore = bob.acks;
        bob.send(fleet::v1::TeleopCommand::KIND_EMERGENCY_STOP, robotId);
        QTRY_COMPARE(bob.acks, bobAcksBefore + 1);
        const std::optional<std::size_t> index = simulator.indexOf(robotId);
        QVERIFY(index && simulator.isEmergencyStopped(*index));

        // With the command path down, control is refused at once, never queued.
        teleop.setCommandPathUp(false);
        alice.send(fleet::v1::TeleopCommand::KIND_DRIVE, robotId, 1.0f);
        QTRY_VERIFY(alice.lastRefusal.contains(QStringLiteral("command path")));
        teleop.setCommandPathUp(true);

        // Releasing ends the lease for everyone.
        fleet::v1::ClientMessage release;
        release.mutable_release_lease()->set_lease_id(codec::toStd(alice.leaseId));
        alice.client.sendClientMessage(release);
        QTRY_VERIFY(alice.leaseId.isEmpty() && alice.lastLeaseReason.contains(QStringLiteral("released")));
        QVERIFY(!teleop.leases().leaseFor(robotId));

        // The audit trail reaches every console, and a console that joins later gets the recent part.
        TeleopLog bobsLog(&bob.client);
        bobsLog.setRobotId(robotId);
        Operator carol(QStringLiteral("carol"), consoleUrl(server.port()));
        TeleopLog carolsLog(&carol.client);
        carolsLog.setRobotId(robotId);
        QTRY_COMPARE_WITH_TIMEOUT(carol.client.state(), FleetClient::ConnectionState::Live, 20000);
        {
            const TeleopLog *log = &carolsLog;
            QTRY_VERIFY(log->events().size() >= 3);
            const QVariantMap ended = log->events().at(0).toMap();   // newest first
            QCOMPARE(ended.value(QStringLiteral("kind")).toInt(), int(fleet::v1::TeleopEvent::KIND_LEASE_ENDED));
            QCOMPARE(ended.value(QStringLiteral("operatorName")).toString(), QStringLiteral("alice"));
            QVERIFY2(ended.value(QStringLiteral("commands")).toInt() >= 30, qPrintable(ended.value(QStringLiteral("commands")).toString()));
            QVERIFY(ended.value(QStringLiteral("maxLinearMps")).toDouble() > 0.9);
            QVERIFY(ended.value(QStringLiteral("detail")).toString().contains(QStringLiteral("released")));
            QCOMPARE(log->events().at(1).toMap().value(QStringLiteral("kind")).toInt(), int(fleet::v1::TeleopEvent::KIND_EMERGENCY_STOP));
            QCOMPARE(log->events().at(1).toMap().value(QStringLiteral("operatorName")).toString(), QStringLiteral("bob"));
            QCOMPARE(log->events().at(2).toMap().value(QStringLiteral("kind")).toInt(), int(fleet::v1::TeleopEvent::KIND_LEASE_ACQUIRED));
        }

        // A console that goes quiet while holding a robot: the lease expires and the robot is told to stop.
        const std::optional<std::size_t> robotIndex = simulator.indexOf(robotId);
        // The release travels through the lease log; a claim right behind it may still meet the old
        // lease (on a loaded machine the release record can even time out, and the lease then runs
        // to its expiry). An operator clicks again: so does the test.
        for (int attempt = 0; attempt < 20 && alice.leaseId.isEmpty(); ++attempt) {
            alice.acquire(robotId);
            QTest::qWait(500);
        }
        QVERIFY2(!alice.leaseId.isEmpty(), qPrintable(alice.lastLeaseReason));
        alice.sequence = 0;
        alice.send(fleet::v1::TeleopCommand::KIND_RESUME_AUTONOMY, robotId);  // clear bob's e-stop
        QTRY_VERIFY(!simulator.isEmergencyStopped(*robotIndex));
        for (int i = 0; i < 10; ++i) {
            alice.send(fleet::v1::TeleopCommand::KIND_DRIVE, robotId, 0.5f);
            QTest::qWait(50);
        }
        QTRY_VERIFY_WITH_TIMEOUT(alice.lastLeaseReason.contains(QStringLiteral("expired")), 8000);
        QVERIFY(!teleop.leases().leaseFor(robotId));
        QTRY_COMPARE(simulator.robots()[*robotIndex].speedMps, 0.f);
        // bob watched it all live: the second session (resumed autonomy, then expired) after the first.
        QTRY_COMPARE(bobsLog.events().at(0).toMap().value(QStringLiteral("kind")).toInt(), int(fleet::v1::TeleopEvent::KIND_LEASE_ENDED));
        QVERIFY(bobsLog.events().at(0).toMap().value(QStringLiteral("detail")).toString().contains(QStringLiteral("expired")));
        QCOMPARE(bobsLog.events().at(1).toMap().value(QStringLiteral("kind")).toInt(), int(fleet::v1::TeleopEvent::KIND_RESUME_AUTONOMY));

        runner.stop();
        teleop.stop(QStringLiteral("test over"));
        ingest.stop();
    }
};

QTEST_GUILESS_MAIN(TestTeleopEndToEnd)
#include "tst_teleop_endtoend.moc"
