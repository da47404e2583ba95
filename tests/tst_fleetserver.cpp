// The backend's WebSocket side with real sockets on loopback: real FleetServer, real FleetClient over
// QWebSocket, and raw QWebSocket peers for hostile input. The server's clock is injected.

#include "clock.h"
#include "codec.h"
#include "fleetclient.h"
#include "fleetserver.h"
#include "telemetrymailbox.h"
#include "websockettransport.h"

#include <QScopeGuard>
#include <QSemaphore>
#include <QSignalSpy>
#include <QThread>

#include <limits>
#include <QTest>
#include <QWebSocket>

using namespace fleetdeck;

namespace {

RobotState sample(int i, quint64 sequence, double lonOffset = 0)
{
    RobotState r;
    r.robotId = QStringLiteral("nb-%1").arg(i, 4, 10, QLatin1Char('0'));
    r.sequence = sequence;
    r.latDeg = 53.55 + i * 1e-4;
    r.lonDeg = 13.26 + lonOffset;
    r.mode = Mode::Autonomous;
    r.batteryPct = 90;
    r.sampleTimeUnixMs = qint64(sequence);
    return r;
}

struct Backend {
    ManualClock clock;
    TelemetryMailbox mailbox;
    std::unique_ptr<FleetServer> server;

    explicit Backend(FleetServer::Settings settings = {})
    {
        server = std::make_unique<FleetServer>(settings, &mailbox, &clock);
        QString error;
        if (!server->listen(QHostAddress::LocalHost, 0, &error))
            qFatal("%s", qPrintable(error));
    }
    [[nodiscard]] QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(server->port())); }
    void publish(int robots, quint64 sequence, double lonOffset = 0)
    {
        std::vector<RobotState> batch;
        for (int i = 0; i < robots; ++i)
            batch.push_back(sample(i, sequence, lonOffset));
        mailbox.put(std::move(batch));
    }
};

struct Console {
    SystemClock clock;
    WebSocketTransport transport;
    FleetClient client{&transport, &clock};
};

// A street-sized viewport around robot 0 of `sample()`'s fleet, and no other robot.
void watchRobot0Only(FleetClient &client)
{
    client.watchViewport(53.5499, 13.25, 53.55005, 13.27);
}

QByteArray helloFrame()
{
    fleet::v1::ClientMessage hello;
    hello.mutable_hello()->set_protocol_version(fleet::v1::PROTOCOL_VERSION_1);
    return codec::serialize(hello);
}

// A console on a thread of its own, so the test can stop it from reading by blocking that thread.
class StalledPeer : public QObject
{
public:
    void open(const QUrl &url)
    {
        connect(&m_socket, &QWebSocket::connected, this, [this] { m_socket.sendBinaryMessage(helloFrame()); });
        connect(&m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &bytes) {
            fleet::v1::ServerMessage message;
            if (!codec::parse(bytes, &message))
                return;
            if (message.has_snapshot()) {
                ++snapshots;
                lastSequence = message.snapshot().sequence();
            } else if (message.has_delta()) {
                if (message.delta().sequence() != lastSequence + 1)
                    ++gaps;
                lastSequence = message.delta().sequence();
            }
        });
        m_socket.open(url);
    }

    std::atomic<int> snapshots{0};
    std::atomic<int> gaps{0};
    std::atomic<quint64> lastSequence{0};

private:
    QWebSocket m_socket{QString(), QWebSocketProtocol::VersionLatest, this};  // a child: moves with the peer
};


}  // namespace

class TestFleetServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void snapshotThenContiguousDeltas()
    {
        Backend backend;
        backend.publish(50, 1);
        backend.server->tick();

        Console console;
        console.client.setUrl(backend.url());
        QTRY_COMPARE(console.client.state(), FleetClient::ConnectionState::Live);
        QCOMPARE(console.client.robots()->rowCount(), 50);
        QCOMPARE(console.client.sequence(), backend.server->sequence());

        for (quint64 seq = 2; seq <= 20; ++seq) {
            backend.clock.advance(100);
            backend.publish(50, seq, double(seq) * 1e-4);
            backend.server->tick();
        }
        QTRY_COMPARE(console.client.sequence(), backend.server->sequence());
        QCOMPARE(console.client.stats().gaps, quint64(0));
        QCOMPARE(console.client.stats().snapshots, quint64(1));
        QCOMPARE(console.client.stats().deltas, quint64(19));
        for (int row = 0; row < 50; ++row)
            QCOMPARE(console.client.robots()->robotAt(row).lonDeg, backend.server->store().robot(std::uint32_t(row)).lonDeg);
    }

    void encodesOneDeltaForAllClients()
    {
        Backend backend;
        backend.publish(10, 1);
        backend.server->tick();
        Console a, b, c;
        for (Console *console : {&a, &b, &c})
            console->client.setUrl(backend.url());
        QTRY_VERIFY(a.client.state() == FleetClient::ConnectionState::Live
                    && b.client.state() == FleetClient::ConnectionState::Live
                    && c.client.state() == FleetClient::ConnectionState::Live);
        const quint64 encodedBefore = backend.server->stats().deltasEncoded;
        backend.publish(10, 2, 1e-3);
        backend.server->tick();
        QCOMPARE(backend.server->stats().deltasEncoded, encodedBefore + 1);
        QTRY_VERIFY(a.client.sequence() == backend.server->sequence() && b.client.sequence() == backend.server->sequence()
                    && c.client.sequence() == backend.server->sequence());
    }

    void staleThenLostReachTheConsole()
    {
        FleetServer::Settings settings;
        settings.freshness = {5000, 30000};
        settings.peerTimeoutMs = 3'600'000;  // the manual clock jumps; keep the session
        Backend backend(settings);
        backend.publish(3, 1);
        backend.server->tick();
        Console console;
        console.client.setUrl(backend.url());
        QTRY_COMPARE(console.client.state(), FleetClient::ConnectionState::Live);
        RobotModel *model = console.client.robots();
        QCOMPARE(model->robotAt(0).freshness, Freshness::Live);

        QSignalSpy changed(model, &QAbstractItemModel::dataChanged);
        backend.clock.advance(6000);
        backend.server->tick();
        QTRY_COMPARE(model->robotAt(0).freshness, Freshness::Stale);
        QVERIFY(changed.constLast().at(2).value<QVector<int>>().contains(RobotModel::FreshnessRole));

        backend.clock.advance(30000);
        backend.server->tick();
        QTRY_COMPARE(model->robotAt(2).freshness, Freshness::Lost);
        QCOMPARE(model->rowCount(), 3);  // lost robots stay listed
    }

    void malformedFrameClosesOnlyThatClient()
    {
        Backend backend;
        backend.publish(5, 1);
        backend.server->tick();
        Console good;
        good.client.setUrl(backend.url());
        QTRY_COMPARE(good.client.state(), FleetClient::ConnectionState::Live);

        QWebSocket hostile;
        QSignalSpy received(&hostile, &QWebSocket::binaryMessageReceived);
        QSignalSpy disconnected(&hostile, &QWebSocket::disconnected);
        hostile.open(backend.url());
        QTRY_COMPARE(hostile.state(), QAbstractSocket::ConnectedState);
        hostile.sendBinaryMessage(QByteArray("\x0a\xff\xff\xff\xff\xff", 6));
        QTRY_COMPARE(disconnected.count(), 1);
        QCOMPARE(hostile.closeCode(), QWebSocketProtocol::CloseCodeProtocolError);
        QVERIFY2(hostile.closeReason().contains(QStringLiteral("malformed")), qPrintable(hostile.closeReason()));
        QVERIFY(received.count() >= 1);  // the Goodbye, with the reason
        fleet::v1::ServerMessage goodbye;
        QVERIFY(codec::parse(received.constLast().at(0).toByteArray(), &goodbye));
        QVERIFY(goodbye.has_goodbye());
        QCOMPARE(backend.server->stats().clientsClosedForBadInput, quint64(1));

        backend.publish(5, 2, 1e-3);
        backend.server->tick();
        QTRY_COMPARE(good.client.sequence(), backend.server->sequence());
        QCOMPARE(good.client.state(), FleetClient::ConnectionState::Live);
    }

    void protocolViolationsAreRefusedWithReasons_data()
    {
        QTest::addColumn<QByteArray>("firstFrame");
        QTest::addColumn<QString>("reason");
        fleet::v1::ClientMessage heartbeat;
        heartbeat.mutable_heartbeat()->set_sent_unix_ms(1);
        QTest::newRow("no hello first") << codec::serialize(heartbeat) << QStringLiteral("first message must be Hello");
        fleet::v1::ClientMessage future;
        future.mutable_hello()->set_protocol_version(static_cast<fleet::v1::ProtocolVersion>(9));
        QTest::newRow("unknown protocol version") << codec::serialize(future) << QStringLiteral("unsupported protocol version 9");
        QTest::newRow("empty message") << QByteArray() << QStringLiteral("malformed");
    }

    void protocolViolationsAreRefusedWithReasons()
    {
        QFETCH(QByteArray, firstFrame);
        QFETCH(QString, reason);
        Backend backend;
        QWebSocket peer;
        QSignalSpy disconnected(&peer, &QWebSocket::disconnected);
        peer.open(backend.url());
        QTRY_COMPARE(peer.state(), QAbstractSocket::ConnectedState);
        peer.sendBinaryMessage(firstFrame);
        QTRY_COMPARE(disconnected.count(), 1);
        QVERIFY2(peer.closeReason().contains(reason), qPrintable(peer.closeReason()));
    }

    void oversizedFrameIsRefused()
    {
        FleetServer::Settings settings;
        settings.maxClientFrameBytes = 1024;
        Backend backend(settings);
        QWebSocket peer;
        QSignalSpy disconnected(&peer, &QWebSocket::disconnected);
        peer.open(backend.url());
        QTRY_COMPARE(peer.state(), QAbstractSocket::ConnectedState);
        peer.sendBinaryMessage(helloFrame());
        peer.sendBinaryMessage(QByteArray(64 * 1024, 'x'));
        QTRY_COMPARE(disconnected.count(), 1);
        QCOMPARE(peer.closeCode(), QWebSocketProtocol::CloseCodeTooMuchData);
    }

    // Zoomed in, a console receives positions only for robots in its viewport, still hears every
    // robot's mode changes, and gets current positions back (a Refresh) when it widens its view.
    void viewportSubscriberGetsPositionsOnlyInView()
    {
        Backend backend;
        backend.publish(10, 1);  // robot i at latitude 53.55 + i * 1e-4
        backend.server->tick();
        Console console;
        console.client.setUrl(backend.url());
        QTRY_COMPARE(console.client.state(), FleetClient::ConnectionState::Live);
        RobotModel *model = console.client.robots();

        console.client.watchViewport(53.5499, 13.25, 53.55045, 13.27);  // robots 0..4
        QTRY_COMPARE(console.client.stats().refreshes, quint64(1));

        backend.clock.advance(100);
        backend.publish(10, 2, 1e-3);
        RobotState charging = sample(9, 3, 1e-3);
        charging.mode = Mode::Charging;
        backend.mailbox.put({charging});
        backend.server->tick();
        QTRY_COMPARE(console.client.sequence(), backend.server->sequence());
        QCOMPARE(backend.server->stats().filteredDeltasSent, quint64(1));
        for (int row = 0; row < 5; ++row)
            QCOMPARE(model->robotAt(row).lonDeg, 13.26 + 1e-3);
        for (int row = 5; row < 10; ++row)
            QCOMPARE(model->robotAt(row).lonDeg, 13.26);  // held back: out of view
        QCOMPARE(model->robotAt(9).mode, Mode::Charging);  // but its mode arrived

        console.client.watchWholeFleet();
        QTRY_COMPARE(console.client.stats().refreshes, quint64(2));
        for (int row = 5; row < 10; ++row)
            QCOMPARE(model->robotAt(row).lonDeg, 13.26 + 1e-3);
        QCOMPARE(console.client.stats().gaps, quint64(0));
    }

    void followedRobotArrivesInFullOutsideTheViewport()
    {
        Backend backend;
        backend.publish(10, 1);
        backend.server->tick();
        Console console;
        console.client.setUrl(backend.url());
        QTRY_COMPARE(console.client.state(), FleetClient::ConnectionState::Live);
        console.client.setFollowedRobot(QStringLiteral("nb-0008"));
        watchRobot0Only(console.client);
        QTRY_COMPARE(console.client.stats().refreshes, quint64(1));
        backend.publish(10, 2, 2e-3);
        backend.server->tick();
        QTRY_COMPARE(console.client.sequence(), backend.server->sequence());
        QCOMPARE(console.client.robots()->robotAt(8).lonDeg, 13.26 + 2e-3);
        QCOMPARE(console.client.robots()->robotAt(7).lonDeg, 13.26);
    }

    // As the console starts: robot selected and viewport chosen before the connection is live.
    void subscriptionChosenBeforeConnectingIsAppliedOnceLive()
    {
        Backend backend;
        backend.publish(10, 1);
        backend.server->tick();
        Console console;
        console.client.setFollowedRobot(QStringLiteral("nb-0008"));
        watchRobot0Only(console.client);
        console.client.setUrl(backend.url());
        QTRY_COMPARE(console.client.stats().refreshes, quint64(1));
        for (quint64 seq = 2; seq <= 4; ++seq) {
            backend.clock.advance(500);
            backend.publish(10, seq, double(seq) * 1e-3);
            backend.server->tick();
        }
        QTRY_COMPARE(console.client.sequence(), backend.server->sequence());
        QCOMPARE(console.client.robots()->robotAt(8).lonDeg, 13.26 + 4e-3);
        QCOMPARE(console.client.robots()->robotAt(8).receivedUnixMs, backend.server->store().robot(8).receivedUnixMs);
        QCOMPARE(console.client.robots()->robotAt(7).lonDeg, 13.26);
    }

    // A fresh backend may not know the followed robot when the console subscribes; once the robot
    // appears the console must say so, or the robot stays frozen outside the viewport.
    void followedRobotUnknownAtSubscriptionIsFollowedOnceItAppears()
    {
        Backend backend;
        backend.publish(3, 1);
        backend.server->tick();
        Console console;
        console.client.setFollowedRobot(QStringLiteral("nb-0008"));
        watchRobot0Only(console.client);
        console.client.setUrl(backend.url());
        QTRY_COMPARE(console.client.stats().refreshes, quint64(1));
        backend.publish(10, 2);  // nb-0003 .. nb-0009 appear
        backend.server->tick();
        QTRY_COMPARE(console.client.robots()->rowCount(), 10);
        QTRY_COMPARE(console.client.stats().refreshes, quint64(2));
        backend.publish(10, 3, 5e-3);
        backend.server->tick();
        QTRY_COMPARE(console.client.sequence(), backend.server->sequence());
        QCOMPARE(console.client.robots()->robotAt(8).lonDeg, 13.26 + 5e-3);
        QCOMPARE(console.client.robots()->robotAt(7).lonDeg, 13.26);
    }

    // A robot that drives out of the viewport arrives with its new position (not frozen at the edge).
    void robotLeavingTheViewportIsShownLeaving()
    {
        Backend backend;
        backend.publish(3, 1);  // robots 0..2 at latitude 53.55, 53.5501, 53.5502
        backend.server->tick();
        Console console;
        console.client.setUrl(backend.url());
        QTRY_COMPARE(console.client.state(), FleetClient::ConnectionState::Live);
        watchRobot0Only(console.client);
        QTRY_COMPARE(console.client.stats().refreshes, quint64(1));
        RobotState leaving = sample(0, 2);
        leaving.latDeg = 53.56;  // out of the box
        backend.mailbox.put({leaving});
        backend.server->tick();
        QTRY_COMPARE(console.client.sequence(), backend.server->sequence());
        QCOMPARE(console.client.robots()->robotAt(0).latDeg, 53.56);
    }

    // After a restart the backend replays recent telemetry; a robot silent for a minute must show
    // its true age, not look fresh because it was just read.
    void replayedSamplesKeepTheirAge()
    {
        Backend backend;
        RobotState old = sample(0, 1);
        old.receivedUnixMs = backend.clock.nowUnixMs() - 60'000;  // reached Kafka a minute ago
        backend.mailbox.put({old, sample(1, 1)});
        backend.server->tick();
        QCOMPARE(backend.server->store().robot(0).freshness, Freshness::Lost);
        QCOMPARE(backend.server->store().robot(1).freshness, Freshness::Live);
    }

    // Shutting down with several consoles: each is told why, and nothing is used after it is gone.
    void closingAllSessionsTellsEveryConsole()
    {
        Backend backend;
        backend.publish(2, 1);
        backend.server->tick();
        Console a, b, c;
        for (Console *console : {&a, &b, &c})
            console->client.setUrl(backend.url());
        QTRY_VERIFY(a.client.state() == FleetClient::ConnectionState::Live && b.client.state() == FleetClient::ConnectionState::Live
                    && c.client.state() == FleetClient::ConnectionState::Live);
        backend.server->closeAllSessions(QStringLiteral("the backend is shutting down"));
        QTRY_COMPARE(backend.server->sessionCount(), 0);
        for (Console *console : {&a, &b, &c})
            QTRY_COMPARE(console->client.lastError(), QStringLiteral("the backend is shutting down"));
    }

    void invalidSubscribeClosesTheClient_data()
    {
        QTest::addColumn<double>("south");
        QTest::addColumn<double>("north");
        QTest::newRow("NaN") << std::numeric_limits<double>::quiet_NaN() << 53.0;
        QTest::newRow("south above north") << 54.0 << 53.0;
        QTest::newRow("off the globe") << -91.0 << 53.0;
    }

    void invalidSubscribeClosesTheClient()
    {
        QFETCH(double, south);
        QFETCH(double, north);
        Backend backend;
        QWebSocket peer;
        QSignalSpy disconnected(&peer, &QWebSocket::disconnected);
        peer.open(backend.url());
        QTRY_COMPARE(peer.state(), QAbstractSocket::ConnectedState);
        peer.sendBinaryMessage(helloFrame());
        fleet::v1::ClientMessage subscribe;
        subscribe.mutable_subscribe()->set_south_deg(south);
        subscribe.mutable_subscribe()->set_north_deg(north);
        subscribe.mutable_subscribe()->set_west_deg(13.0);
        subscribe.mutable_subscribe()->set_east_deg(14.0);
        peer.sendBinaryMessage(codec::serialize(subscribe));
        QTRY_COMPARE(disconnected.count(), 1);
        QVERIFY2(peer.closeReason().contains(QStringLiteral("invalid Subscribe")), qPrintable(peer.closeReason()));
    }

    // The backend tells consoles at once when it loses Kafka, so they can say "the backend is cut
    // off" rather than "the robots are quiet".
    void upstreamTroubleReachesConsolesAtOnce()
    {
        Backend backend;
        backend.publish(3, 1);
        backend.server->tick();
        Console console;
        QSignalSpy problems(&console.client, &FleetClient::upstreamProblemChanged);
        console.client.setUrl(backend.url());
        QTRY_COMPARE(console.client.state(), FleetClient::ConnectionState::Live);
        QVERIFY(console.client.upstreamProblem().isEmpty());

        backend.server->setUpstreamStatus(false, true);  // no tick needed
        QTRY_VERIFY(console.client.upstreamProblem().contains(QStringLiteral("Kafka")));
        backend.server->setUpstreamStatus(true, true);
        QTRY_VERIFY(console.client.upstreamProblem().isEmpty());
        QCOMPARE(problems.count(), 2);

        backend.server->setUpstreamStatus(true, false);
        Console late;  // a console that connects now hears it in its handshake
        late.client.setUrl(backend.url());
        QTRY_VERIFY(late.client.upstreamProblem().contains(QStringLiteral("restart")));
    }

    // A backend that goes away and comes back: the console says so, reconnects by itself and
    // resynchronises from the new backend's snapshot (whose sequence starts again).
    void consoleReconnectsAfterBackendRestart()
    {
        auto backend = std::make_unique<Backend>();
        backend->publish(5, 1);
        backend->server->tick();
        const quint16 port = backend->server->port();
        Console console;
        console.client.setUrl(backend->url());
        QTRY_COMPARE(console.client.state(), FleetClient::ConnectionState::Live);

        backend.reset();
        QTRY_COMPARE(console.client.state(), FleetClient::ConnectionState::Reconnecting);
        QCOMPARE(console.client.robots()->rowCount(), 5);  // the last known fleet stays on screen

        TelemetryMailbox mailbox;
        ManualClock clock;
        FleetServer restarted(FleetServer::Settings{}, &mailbox, &clock);
        QString error;
        QVERIFY2(restarted.listen(QHostAddress::LocalHost, port, &error), qPrintable(error));
        std::vector<RobotState> batch;
        for (int i = 0; i < 7; ++i)
            batch.push_back(sample(i, 1));
        mailbox.put(std::move(batch));
        restarted.tick();
        QTRY_COMPARE_WITH_TIMEOUT(console.client.state(), FleetClient::ConnectionState::Live, 15000);
        QCOMPARE(console.client.robots()->rowCount(), 7);
        QCOMPARE(console.client.sequence(), restarted.sequence());
    }

    // A console that stops reading (its thread is blocked, so the kernel buffers fill and the server's
    // unsent bytes grow): its deltas stop at a bounded backlog, the other console is unaffected, and
    // once it reads again it gets one fresh snapshot instead of a flood of stale deltas.
    void stalledClientIsBoundedAndResyncedBySnapshot()
    {
        FleetServer::Settings settings;
        settings.maxPendingBytes = 1024 * 1024;  // well above one snapshot of this fleet (~300 KiB)
        settings.peerTimeoutMs = 3'600'000;
        Backend backend(settings);
        backend.publish(2000, 1);
        backend.server->tick();

        Console fast;
        fast.client.setUrl(backend.url());
        QThread peerThread;
        peerThread.start();
        auto *slow = new StalledPeer;
        slow->moveToThread(&peerThread);
        QSemaphore gate;
        const auto stopPeer = qScopeGuard([&] {
            gate.release();
            QMetaObject::invokeMethod(slow, &QObject::deleteLater);
            peerThread.quit();
            peerThread.wait();
        });
        QMetaObject::invokeMethod(slow, [slow, url = backend.url()] { slow->open(url); });
        QTRY_COMPARE(fast.client.state(), FleetClient::ConnectionState::Live);
        QTRY_COMPARE(slow->snapshots.load(), 1);

        QMetaObject::invokeMethod(slow, [&gate] { gate.acquire(); });  // the peer stops reading
        quint64 seq = 2;
        qint64 mostPending = 0;
        for (; seq <= 400 && backend.server->stats().deltasSkippedForSlowClients < 20; ++seq) {
            backend.publish(2000, seq, double(seq) * 1e-5);
            backend.server->tick();
            QTest::qWait(2);  // lets sockets write, and the fast console read
            mostPending = std::max(mostPending, backend.server->pendingBytes());
        }
        QVERIFY2(backend.server->stats().deltasSkippedForSlowClients >= 20, "the stalled console was never paused");
        // Bounded: the limit plus at most the one delta that crossed it (2000 robots: ~100 KiB).
        QVERIFY2(mostPending < settings.maxPendingBytes + 256 * 1024,
                 qPrintable(QStringLiteral("%1 bytes queued").arg(mostPending)));
        // The fast console kept up throughout, without a resync.
        QTRY_COMPARE(fast.client.sequence(), backend.server->sequence());
        QCOMPARE(fast.client.stats().gaps, quint64(0));
        QCOMPARE(fast.client.stats().snapshots, quint64(1));

        gate.release();  // the peer reads again
        for (int i = 0; i < 200 && slow->snapshots.load() < 2; ++i) {
            backend.server->tick();
            QTest::qWait(10);
        }
        QCOMPARE(slow->snapshots.load(), 2);
        backend.publish(2000, seq + 1, 0.01);
        backend.server->tick();
        QTRY_COMPARE(slow->lastSequence.load(), backend.server->sequence());
        QVERIFY2(slow->gaps.load() == 0, "the peer saw a sequence gap after its fresh snapshot");
    }
};

QTEST_GUILESS_MAIN(TestFleetServer)
#include "tst_fleetserver.moc"
