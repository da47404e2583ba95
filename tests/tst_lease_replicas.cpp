// Two backend replicas on one Kafka (the embedded broker): operators on different replicas race for
// the same robot, and the shared lease log (fleet.leases) keeps the lease exclusive.

#include "clock.h"
#include "codec.h"
#include "embeddedkafka.h"
#include "fleetclient.h"
#include "fleetserver.h"
#include "fleetsimulator.h"
#include "kafkareader.h"
#include "simulatorrunner.h"
#include "streetgraph.h"
#include "telemetryingest.h"
#include "teleopservice.h"
#include "websockettransport.h"

#include <QElapsedTimer>
#include <QTest>

#include <memory>
#include <mutex>
#include <vector>

using namespace fleetdeck;

namespace {

// One complete backend: WebSocket server, telemetry ingest and teleoperation.
struct Replica {
    TelemetryMailbox mailbox;
    FleetServer server;
    kafka::TelemetryIngest ingest{&mailbox};
    TeleopService teleop;  // last: goes first, before the server it serves

    Replica(const kafka::KafkaSettings &settings, const Clock *clock, QString *error)
        : server(serverSettings(), &mailbox, clock), teleop(&server, clock)
    {
        ok = server.listen(QHostAddress::LocalHost, 0, error)
            && ingest.start(settings, kafka::KafkaReader::StartAt::Beginning, error) && teleop.start(settings, error);
        if (ok)
            server.startTicking();
    }
    ~Replica() { ingest.stop(); }

    static FleetServer::Settings serverSettings()
    {
        FleetServer::Settings settings;
        settings.adminOperators = {QStringLiteral("sam")};
        return settings;
    }
    [[nodiscard]] std::optional<teleop::SharedLease> sharedLease(const QString &robotId)
    {
        return teleop.router().sharedLeases().leaseFor(robotId);
    }
    // Who holds the robot in this replica's copy of the shared table; empty when nobody does.
    [[nodiscard]] QString holder(const QString &robotId) { return sharedLease(robotId).value_or(teleop::SharedLease{}).operatorId; }

    bool ok = false;
};

struct LeaseReply {
    bool granted = false;
    QString reason;
};

// A console with an operator at it.
struct Operator {
    SystemClock clock;
    WebSocketTransport transport;
    FleetClient client{&transport, &clock};
    QString name;
    QString leaseId;
    std::vector<LeaseReply> replies;
    QHash<QString, QString> table;  // robot -> operator, from the last LeaseTable
    QString lastRefusal;
    int accepted = 0;
    quint64 sequence = 0;

    Operator(const QString &operatorName, quint16 port) : name(operatorName)
    {
        client.setOperatorName(name);
        client.setTeleopHandler([this](const fleet::v1::ServerMessage &m) {
            if (m.has_lease_result()) {
                const auto &r = m.lease_result();
                leaseId = r.granted() ? codec::toQString(r.lease().lease_id()) : QString();
                replies.push_back({r.granted(), codec::toQString(r.reason())});
            } else if (m.has_lease_table()) {
                table.clear();
                for (const auto &lease : m.lease_table().leases())
                    table.insert(codec::toQString(lease.robot_id()), codec::toQString(lease.operator_name()));
            } else if (m.has_teleop_result()) {
                if (m.teleop_result().accepted())
                    ++accepted;
                else
                    lastRefusal = codec::toQString(m.teleop_result().reason());
            }
        });
        client.setUrl(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(port)));
    }
    void acquire(const QString &robotId, const QString &takeoverReason = {})
    {
        fleet::v1::ClientMessage m;
        m.mutable_acquire_lease()->set_robot_id(codec::toStd(robotId));
        if (!takeoverReason.isEmpty()) {
            m.mutable_acquire_lease()->set_takeover(true);
            m.mutable_acquire_lease()->set_reason(codec::toStd(takeoverReason));
        }
        client.sendClientMessage(m);
    }
    void release()
    {
        fleet::v1::ClientMessage m;
        m.mutable_release_lease()->set_lease_id(codec::toStd(leaseId));
        client.sendClientMessage(m);
    }
    void send(fleet::v1::TeleopCommand::Kind kind, const QString &robotId, const QString &lease)
    {
        fleet::v1::ClientMessage m;
        auto *c = m.mutable_teleop();
        c->set_kind(kind);
        c->set_robot_id(codec::toStd(robotId));
        c->set_lease_id(codec::toStd(lease));
        c->set_sequence(++sequence);
        c->set_sent_unix_ms(clock.nowUnixMs());
        client.sendClientMessage(m);
    }
};

// Every Stop that reaches fleet.commands, by lease id: what the robot is told when a lease ends.
struct StopWatcher {
    kafka::KafkaReader reader;
    mutable std::mutex mutex;
    QSet<QString> stoppedLeases;

    bool start(const kafka::KafkaSettings &settings, QString *error)
    {
        return reader.start(
            settings, settings.topics.commands, kafka::KafkaReader::StartAt::Beginning,
            [this](rd_kafka_message_t *const *messages, std::size_t count) {
                for (std::size_t i = 0; i < count; ++i) {
                    fleet::v1::Command command;
                    if (command.ParseFromArray(messages[i]->payload, static_cast<int>(messages[i]->len)) && command.has_stop()) {
                        const std::lock_guard lock(mutex);
                        stoppedLeases.insert(codec::toQString(command.lease_id()));
                    }
                }
            },
            error);
    }
    [[nodiscard]] bool stopped(const QString &leaseId) const
    {
        const std::lock_guard lock(mutex);
        return stoppedLeases.contains(leaseId);
    }
};

}  // namespace

class TestLeaseReplicas : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void leasesStayExclusiveAcrossReplicas()
    {
        QElapsedTimer elapsed;
        elapsed.start();
        QString error;
        kafka::EmbeddedKafka cluster;
        QVERIFY2(cluster.start(1, &error), qPrintable(error));
        kafka::KafkaSettings settings;
        settings.bootstrapServers = cluster.bootstrapServers();
        const kafka::Topics &t = settings.topics;
        for (const QString &topic : {t.telemetry, t.commands, t.commandAcks, t.audit, t.leases})
            QVERIFY2(cluster.createTopic(topic, 3, &error), qPrintable(error));

        SystemClock clock;
        auto a = std::make_unique<Replica>(settings, &clock, &error);
        QVERIFY2(a->ok, qPrintable(error));
        Replica b(settings, &clock, &error);
        QVERIFY2(b.ok, qPrintable(error));
        QVERIFY(a->teleop.replicaId() != b.teleop.replicaId());
        StopWatcher stops;
        QVERIFY2(stops.start(settings, &error), qPrintable(error));

        const auto graph = sim::StreetGraph::loadShipped(&error);
        QVERIFY2(graph, qPrintable(error));
        sim::FleetSimulator::Config config;
        config.robotCount = 10;
        config.seed = 7;
        config.offlinePerHour = 0;
        config.stuckPerHour = 0;
        sim::FleetSimulator simulator(*graph, config);
        sim::SimulatorRunner runner(&simulator, &clock);
        QVERIFY2(runner.start(settings, 50, 0, &error), qPrintable(error));
        const QString robotId = simulator.robots()[0].robotId;

        Operator alice(QStringLiteral("alice"), a->server.port());
        Operator bob(QStringLiteral("bob"), b.server.port());
        Operator carol(QStringLiteral("carol"), b.server.port());  // watches from replica B
        Operator sam(QStringLiteral("sam"), b.server.port());      // an admin, on replica B
        for (Operator *o : {&alice, &bob, &carol, &sam}) {
            QTRY_COMPARE_WITH_TIMEOUT(o->client.state(), FleetClient::ConnectionState::Live, 20000);
            QTRY_VERIFY_WITH_TIMEOUT(o->client.robots()->rowOf(robotId) >= 0, 20000);
        }

        // Two operators on two replicas race for one robot, again and again: exactly one wins, and
        // the other is told who holds it.
        int aliceWins = 0;
        for (int round = 0; round < 20; ++round) {
            alice.replies.clear();
            bob.replies.clear();
            if (round % 2 == 0) {
                alice.acquire(robotId);
                bob.acquire(robotId);
            } else {
                bob.acquire(robotId);
                alice.acquire(robotId);
            }
            QTRY_VERIFY_WITH_TIMEOUT(alice.replies.size() == 1 && bob.replies.size() == 1, 10000);
            const bool aliceWon = alice.replies[0].granted;
            QVERIFY2(aliceWon != bob.replies[0].granted, qPrintable(QStringLiteral("round %1: alice %2, bob %3")
                                                                       .arg(round).arg(aliceWon).arg(bob.replies[0].granted)));
            Operator &winner = aliceWon ? alice : bob;
            Operator &loser = aliceWon ? bob : alice;
            QVERIFY2(loser.replies[0].reason.contains(winner.name), qPrintable(loser.replies[0].reason));
            aliceWins += aliceWon ? 1 : 0;
            // Both replicas agree on who holds it.
            QTRY_COMPARE(a->holder(robotId), winner.name);
            QTRY_COMPARE(b.holder(robotId), winner.name);

            winner.release();
            QTRY_VERIFY(winner.replies.size() == 2 && winner.replies[1].reason.contains(QStringLiteral("released")));
            QTRY_VERIFY(!a->sharedLease(robotId) && !b.sharedLease(robotId));
        }
        qInfo("alice won %d of 20 rounds", aliceWins);

        // alice drives through A; B's consoles see it in their lease table.
        alice.replies.clear();
        alice.acquire(robotId);
        QTRY_VERIFY(!alice.replies.empty() && alice.replies[0].granted);
        const QString alicesLease = alice.leaseId;
        QTRY_COMPARE(carol.table.value(robotId), QStringLiteral("alice"));

        // A command for the robot through the other replica is refused, even with alice's lease id
        // and name: replica B does not hold that lease.
        Operator aliceOnB(QStringLiteral("alice"), b.server.port());
        QTRY_COMPARE_WITH_TIMEOUT(aliceOnB.client.state(), FleetClient::ConnectionState::Live, 20000);
        aliceOnB.send(fleet::v1::TeleopCommand::KIND_STOP, robotId, alicesLease);
        QTRY_VERIFY(aliceOnB.lastRefusal.contains(QStringLiteral("driven by alice")));
        bob.send(fleet::v1::TeleopCommand::KIND_STOP, robotId, QString());
        QTRY_VERIFY(!bob.lastRefusal.isEmpty());
        QCOMPARE(aliceOnB.accepted + bob.accepted, 0);

        // Commanding keeps the lease past its TTL (3 s) on both replicas: renewals go through the log.
        for (int i = 0; i < 20; ++i) {
            alice.send(fleet::v1::TeleopCommand::KIND_STOP, robotId, alice.leaseId);
            QTest::qWait(200);
        }
        QVERIFY2(alice.accepted >= 18, qPrintable(QString::number(alice.accepted)));
        QCOMPARE(alice.leaseId, alicesLease);
        QCOMPARE(b.sharedLease(robotId).value_or(teleop::SharedLease{}).leaseId, alicesLease);
        QCOMPARE(carol.table.value(robotId), QStringLiteral("alice"));

        // An admin on B takes the robot from alice on A: alice is told, and the robot is told to stop.
        sam.acquire(robotId, QStringLiteral("blocking a tram"));
        QTRY_VERIFY(!sam.replies.empty() && sam.replies.back().granted);
        QTRY_VERIFY(alice.replies.size() == 2);
        QVERIFY(!alice.replies[1].granted);
        QVERIFY2(alice.replies[1].reason.contains(QStringLiteral("taken over by sam")), qPrintable(alice.replies[1].reason));
        QVERIFY(alice.replies[1].reason.contains(QStringLiteral("blocking a tram")));
        QTRY_VERIFY(stops.stopped(alicesLease));
        QTRY_COMPARE(a->holder(robotId), QStringLiteral("sam"));
        QVERIFY(!a->teleop.leases().leaseFor(robotId));
        sam.release();
        QTRY_VERIFY(!a->sharedLease(robotId) && !b.sharedLease(robotId));

        // alice takes it again, then replica A dies without a word. Until the lease expires nobody
        // else gets the robot; after it, B ends the lease, stops the robot, and bob gets it.
        alice.replies.clear();
        alice.acquire(robotId);
        QTRY_VERIFY(!alice.replies.empty() && alice.replies[0].granted);
        const QString orphanLease = alice.leaseId;
        QTRY_COMPARE(b.sharedLease(robotId).value_or(teleop::SharedLease{}).leaseId, orphanLease);
        const std::int64_t expiresUnixMs = b.sharedLease(robotId)->expiresUnixMs;
        a.reset();

        bob.replies.clear();
        bob.acquire(robotId);
        QTRY_VERIFY(!bob.replies.empty());
        QVERIFY(!bob.replies[0].granted);
        QVERIFY2(bob.replies[0].reason.contains(QStringLiteral("alice")), qPrintable(bob.replies[0].reason));
        QTRY_VERIFY_WITH_TIMEOUT(stops.stopped(orphanLease), 10000);
        QVERIFY(clock.nowUnixMs() >= expiresUnixMs);
        QTRY_VERIFY(carol.table.isEmpty());
        bob.replies.clear();
        bob.acquire(robotId);
        QTRY_VERIFY(!bob.replies.empty());
        QVERIFY2(bob.replies[0].granted, qPrintable(bob.replies[0].reason));
        QTRY_COMPARE(carol.table.value(robotId), QStringLiteral("bob"));

        runner.stop();
        b.teleop.stop(QStringLiteral("test over"));
        stops.reader.stop();
        qInfo("took %lld ms", qint64(elapsed.elapsed()));
    }
};

QTEST_GUILESS_MAIN(TestLeaseReplicas)
#include "tst_lease_replicas.moc"
