#include "fleetstore.h"
#include "telemetrymailbox.h"

#include <QTest>

using namespace fleetdeck;

namespace {

RobotState robot(const QString &id, quint64 sequence, double lat = 53.55, double lon = 13.26)
{
    RobotState r;
    r.robotId = id;
    r.sequence = sequence;
    r.latDeg = lat;
    r.lonDeg = lon;
    r.mode = Mode::Autonomous;
    r.batteryPct = 80;
    r.sampleTimeUnixMs = 1000 + qint64(sequence);
    return r;
}

}  // namespace

class TestFleetStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void newRobotsGetSlotsInArrivalOrder()
    {
        FleetStore store;
        QVERIFY(store.apply(robot(QStringLiteral("b"), 1), 10));
        QVERIFY(store.apply(robot(QStringLiteral("a"), 1), 10));
        QCOMPARE(store.size(), std::size_t(2));
        QCOMPARE(store.slotOf(QStringLiteral("b")), std::optional<std::uint32_t>(0));
        QCOMPARE(store.slotOf(QStringLiteral("a")), std::optional<std::uint32_t>(1));
        const auto changes = store.takeChanges();
        QCOMPARE(changes.size(), std::size_t(2));
        QCOMPARE(changes[0].groups, quint32(FieldGroup::All));
        QVERIFY(!store.hasChanges());
    }

    void changeCarriesOnlyChangedGroups()
    {
        FleetStore store;
        QVERIFY(store.apply(robot(QStringLiteral("a"), 1), 10));
        (void)store.takeChanges();

        RobotState moved = robot(QStringLiteral("a"), 2, 53.56);
        QVERIFY(store.apply(moved, 20));
        auto changes = store.takeChanges();
        QCOMPARE(changes.size(), std::size_t(1));
        // Position moved; receipt time advanced; mode, battery, health untouched.
        QCOMPARE(changes[0].groups, quint32(FieldGroup::Position | FieldGroup::Freshness));

        moved.sequence = 3;
        moved.batteryPct = 79;
        QVERIFY(store.apply(moved, 20));
        changes = store.takeChanges();
        QCOMPARE(changes[0].groups, quint32(FieldGroup::Battery));
    }

    void olderSamplesAreDropped()
    {
        FleetStore store;
        QVERIFY(store.apply(robot(QStringLiteral("a"), 5, 53.0), 10));
        QVERIFY(!store.apply(robot(QStringLiteral("a"), 4, 54.0), 11));
        QVERIFY(!store.apply(robot(QStringLiteral("a"), 5, 54.0), 11));
        QCOMPARE(store.robot(0).latDeg, 53.0);
    }

    // A rebooted robot counts from 1 again: a lower sequence with a later sample time supersedes,
    // even when the sample with sequence 1 was coalesced away on the way.
    void rebootedRobotIsFollowedAgain()
    {
        FleetStore store;
        QVERIFY(store.apply(robot(QStringLiteral("a"), 5'000'000, 53.0), 10));
        RobotState rebooted = robot(QStringLiteral("a"), 2, 54.0);
        rebooted.sampleTimeUnixMs = 10'000'000;  // later than before the reboot
        QVERIFY(store.apply(rebooted, 20));
        QCOMPARE(store.robot(0).latDeg, 54.0);
        RobotState stale = robot(QStringLiteral("a"), 1, 55.0);
        stale.sampleTimeUnixMs = 9'000'000;  // lower sequence and older: a late duplicate
        QVERIFY(!store.apply(stale, 30));

        TelemetryMailbox mailbox;
        mailbox.put({robot(QStringLiteral("b"), 900)});
        RobotState afterReboot = robot(QStringLiteral("b"), 2);
        afterReboot.sampleTimeUnixMs = 10'000'000;
        mailbox.put({afterReboot});
        QCOMPARE(mailbox.take().front().sequence, quint64(2));
    }

    void changesRememberWhereTheRobotWas()
    {
        FleetStore store;
        QVERIFY(store.apply(robot(QStringLiteral("a"), 1, 53.0, 13.0), 10));
        (void)store.takeChanges();
        QVERIFY(store.apply(robot(QStringLiteral("a"), 2, 53.1, 13.1), 20));
        QVERIFY(store.apply(robot(QStringLiteral("a"), 3, 53.2, 13.2), 30));
        const auto changes = store.takeChanges();
        QCOMPARE(changes.size(), std::size_t(1));
        QCOMPARE(changes[0].previousLatDeg, 53.0);  // before the first change of the round
        QCOMPARE(changes[0].previousLonDeg, 13.0);
    }

    void freshnessFollowsAgeAndRecovers()
    {
        FleetStore store({/*stale*/ 5000, /*lost*/ 30000});
        QVERIFY(store.apply(robot(QStringLiteral("a"), 1), 1000));
        (void)store.takeChanges();

        store.updateFreshness(5999);
        QVERIFY(!store.hasChanges());
        QCOMPARE(store.robot(0).freshness, Freshness::Live);

        store.updateFreshness(6000);
        auto changes = store.takeChanges();
        QCOMPARE(changes.size(), std::size_t(1));
        QCOMPARE(changes[0].groups, quint32(FieldGroup::Freshness));
        QCOMPARE(store.robot(0).freshness, Freshness::Stale);

        store.updateFreshness(31000);
        QCOMPARE(store.robot(0).freshness, Freshness::Lost);
        QCOMPARE(store.size(), std::size_t(1));  // a lost robot stays, visible

        QVERIFY(store.apply(robot(QStringLiteral("a"), 2), 40000));
        store.updateFreshness(40000);
        QCOMPARE(store.robot(0).freshness, Freshness::Live);
    }

    void mailboxKeepsOneSamplePerRobot()
    {
        TelemetryMailbox mailbox;
        std::vector<RobotState> batch;
        for (quint64 seq = 1; seq <= 10; ++seq)
            batch.push_back(robot(QStringLiteral("a"), seq, 53.0 + double(seq)));
        batch.push_back(robot(QStringLiteral("b"), 1));
        mailbox.put(std::move(batch));
        const auto taken = mailbox.take();
        QCOMPARE(taken.size(), std::size_t(2));
        QCOMPARE(taken[0].sequence, quint64(10));
        QCOMPARE(mailbox.receivedCount(), quint64(11));
        QCOMPARE(mailbox.coalescedCount(), quint64(9));
        QVERIFY(mailbox.take().empty());
    }
};

QTEST_GUILESS_MAIN(TestFleetStore)
#include "tst_fleetstore.moc"
