#include "codec.h"
#include "faketransport.h"
#include "fleetclient.h"

#include <QSignalSpy>
#include <QTest>

using namespace fleetdeck;
using fleetdeck::testing::FakeTransport;

namespace {

RobotState robot(int i)
{
    RobotState r;
    r.robotId = QStringLiteral("nb-%1").arg(i, 4, 10, QLatin1Char('0'));
    r.latDeg = 53.55;
    r.lonDeg = 13.26 + i * 1e-4;
    r.mode = Mode::Autonomous;
    r.freshness = Freshness::Live;
    return r;
}

QByteArray snapshotFrame(quint64 sequence, int robots)
{
    fleet::v1::ServerMessage m;
    m.mutable_snapshot()->set_sequence(sequence);
    for (int i = 0; i < robots; ++i)
        codec::writeRobotState(robot(i), std::uint32_t(i), FieldGroup::All, m.mutable_snapshot()->add_robots());
    return codec::serialize(m);
}

QByteArray deltaFrame(quint64 sequence, int row, double lat)
{
    fleet::v1::ServerMessage m;
    m.mutable_delta()->set_sequence(sequence);
    RobotState r = robot(row);
    r.latDeg = lat;
    codec::writeRobotState(r, std::uint32_t(row), FieldGroup::Position, m.mutable_delta()->add_robots());
    return codec::serialize(m);
}

fleet::v1::ClientMessage lastSent(const FakeTransport &t)
{
    fleet::v1::ClientMessage m;
    (void)codec::parse(t.sent.constLast(), &m);
    return m;
}

}  // namespace

class TestFleetClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void handshakeThenSnapshotMakesItLive()
    {
        ManualClock clock;
        FakeTransport transport;
        FleetClient client(&transport, &clock);
        client.setUrl(QUrl(QStringLiteral("ws://backend:8765")));
        QCOMPARE(client.state(), FleetClient::ConnectionState::Synchronizing);
        QVERIFY(lastSent(transport).has_hello());
        QCOMPARE(lastSent(transport).hello().protocol_version(), fleet::v1::PROTOCOL_VERSION_1);

        transport.deliver(snapshotFrame(5, 3));
        QCOMPARE(client.state(), FleetClient::ConnectionState::Live);
        QCOMPARE(client.robots()->rowCount(), 3);
        QCOMPARE(client.sequence(), quint64(5));
    }

    void gapInSequenceAsksForSnapshotAndIgnoresDeltasUntilThen()
    {
        ManualClock clock;
        FakeTransport transport;
        FleetClient client(&transport, &clock);
        client.setUrl(QUrl(QStringLiteral("ws://backend:8765")));
        transport.deliver(snapshotFrame(5, 3));
        transport.deliver(deltaFrame(6, 1, 53.6));
        QCOMPARE(client.robots()->robotAt(1).latDeg, 53.6);

        transport.deliver(deltaFrame(8, 1, 53.7));  // 7 went missing
        QVERIFY(lastSent(transport).has_resync());
        QCOMPARE(lastSent(transport).resync().last_good_sequence(), quint64(6));
        QCOMPARE(client.state(), FleetClient::ConnectionState::Synchronizing);
        QCOMPARE(client.robots()->robotAt(1).latDeg, 53.6);

        transport.deliver(deltaFrame(9, 1, 53.8));  // still before the snapshot: ignored
        QCOMPARE(client.robots()->robotAt(1).latDeg, 53.6);

        transport.deliver(snapshotFrame(9, 3));
        transport.deliver(deltaFrame(10, 2, 53.9));
        QCOMPARE(client.state(), FleetClient::ConnectionState::Live);
        QCOMPARE(client.robots()->robotAt(2).latDeg, 53.9);
        QCOMPARE(client.stats().gaps, quint64(1));
    }

    void lostConnectionReconnectsWithGrowingBackoff()
    {
        ManualClock clock;
        FakeTransport transport;
        FleetClient client(&transport, &clock);
        client.setUrl(QUrl(QStringLiteral("ws://backend:8765")));
        transport.deliver(snapshotFrame(5, 3));

        transport.drop(QStringLiteral("connection refused"));
        QCOMPARE(client.state(), FleetClient::ConnectionState::Reconnecting);
        QCOMPARE(client.lastError(), QStringLiteral("connection refused"));
        const int firstDelay = client.reconnectDelayMs();
        QVERIFY(firstDelay >= FleetClient::kInitialBackoffMs);
        // The last known fleet stays on screen while reconnecting.
        QCOMPARE(client.robots()->rowCount(), 3);

        client.reconnectNow();
        transport.drop(QStringLiteral("connection refused"));
        QVERIFY(client.reconnectDelayMs() > firstDelay);
        QCOMPARE(transport.openedUrls.size(), 2);

        client.reconnectNow();
        transport.deliver(snapshotFrame(1, 4));  // a restarted backend starts its sequence again
        QCOMPARE(client.state(), FleetClient::ConnectionState::Live);
        QCOMPARE(client.robots()->rowCount(), 4);
        QCOMPARE(client.reconnectAttempt(), 0);
    }

    void undecodableFrameDropsTheConnection()
    {
        ManualClock clock;
        FakeTransport transport;
        FleetClient client(&transport, &clock);
        client.setUrl(QUrl(QStringLiteral("ws://backend:8765")));
        transport.deliver(QByteArray("\xff\xff\xff", 3));
        QVERIFY(!transport.isOpen);
        QCOMPARE(client.state(), FleetClient::ConnectionState::Reconnecting);
        QVERIFY(!client.lastError().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestFleetClient)
#include "tst_fleetclient.moc"
