// A console that never reads (testing::DeafConsole, heartbeating all along) beside a good one: the
// server must pause it with its queue bounded, then close it; the good console must receive every
// delta in order.
// The server's clock is injected; the latency figures are bench_load's.

#include "clock.h"
#include "codec.h"
#include "deafconsole.h"
#include "fleetclient.h"
#include "fleetserver.h"
#include "movingrobot.h"
#include "telemetrymailbox.h"
#include "websockettransport.h"

#include <QTest>

using namespace fleetdeck;

namespace {

constexpr int kRobots = 2000;


}  // namespace

class TestBackpressure : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void consoleThatNeverReadsIsPausedThenClosedWhileOthersMissNothing()
    {
        FleetServer::Settings settings;
        settings.maxPendingBytes = 512 * 1024;  // above one snapshot of this fleet (~300 KiB)
        settings.maxPausedMs = 5000;
        settings.peerTimeoutMs = 3'600'000;  // the peer heartbeats anyway; silence is not what is tested
        ManualClock clock;
        TelemetryMailbox mailbox;
        FleetServer server(settings, &mailbox, &clock);
        QString error;
        QVERIFY2(server.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        quint64 published = 1;
        const auto publishAndTick = [&] {
            std::vector<RobotState> batch;
            for (int i = 0; i < kRobots; ++i)
                batch.push_back(testing::movingRobot(i, published));
            ++published;
            mailbox.put(std::move(batch));
            clock.advance(settings.tickIntervalMs);
            server.tick();
        };
        publishAndTick();

        SystemClock consoleClock;
        WebSocketTransport transport;
        FleetClient good(&transport, &consoleClock);
        std::vector<quint64> seen;  // every sequence the good console applied, in order
        connect(&good, &FleetClient::updated, this, [&] { seen.push_back(good.sequence()); });
        good.setUrl(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(server.port())));
        QTRY_COMPARE(good.state(), FleetClient::ConnectionState::Live);

        testing::DeafConsole deaf;
        deaf.open(server.port());
        QTRY_COMPARE(server.sessionCount(), 2);
        QTRY_VERIFY(server.stats().snapshotsSent >= 2);  // its Hello was taken: it is live

        // Deltas of ~100 KiB every tick: the deaf console's queue passes the limit within a few.
        qint64 mostPending = 0;
        const quint64 closedBefore = server.stats().clientsClosedForNotReading;
        for (int tick = 0; tick < 200 && server.stats().clientsClosedForNotReading == closedBefore; ++tick) {
            publishAndTick();
            deaf.sendHeartbeat();
            QTest::qWait(5);  // lets sockets write and the good console read
            mostPending = std::max(mostPending, server.pendingBytes());
        }
        QVERIFY2(server.stats().deltasSkippedForSlowClients > 0, "the deaf console was never paused");
        QCOMPARE(server.stats().clientsClosedForNotReading, closedBefore + 1);
        // Bounded: the limit plus the one delta that crossed it, whatever the good console holds.
        QVERIFY2(mostPending < settings.maxPendingBytes + 256 * 1024, qPrintable(QStringLiteral("%1 bytes queued").arg(mostPending)));
        // Closed means gone, queue and all, even though it never reads the close frame: aborted
        // after the close grace.
        QTRY_COMPARE_WITH_TIMEOUT(server.sessionCount(), 1, 5000);
        QCOMPARE(server.pendingBytes() < settings.maxPendingBytes / 4, true);

        // The good console applied every delta, each sequence once and in order, with no resync.
        publishAndTick();
        QTRY_COMPARE(good.sequence(), server.sequence());
        QCOMPARE(good.stats().gaps, quint64(0));
        QCOMPARE(good.stats().snapshots, quint64(1));
        QVERIFY(seen.size() > 20);
        for (std::size_t i = 1; i < seen.size(); ++i)
            QVERIFY2(seen[i] == seen[i - 1] + 1, qPrintable(QStringLiteral("%1 after %2").arg(seen[i]).arg(seen[i - 1])));
        QCOMPARE(seen.back(), server.sequence());
    }
};

QTEST_GUILESS_MAIN(TestBackpressure)
#include "tst_backpressure.moc"
