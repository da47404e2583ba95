#include "leasemanager.h"

#include <QSet>
#include <QTest>

using namespace fleetdeck;
using namespace fleetdeck::teleop;

using Refusal = LeaseManager::Refusal;

namespace {

const QString kRobot = QStringLiteral("nb-0042");
const QString kAlice = QStringLiteral("alice");
const QString kBob = QStringLiteral("bob");
const QString kAdmin = QStringLiteral("carol");

}  // namespace

class TestLeaseManager : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void acquireGrantsAVisibleLease()
    {
        ManualClock clock;
        LeaseManager leases(clock);
        const auto result = leases.acquire(kRobot, kAlice, Role::Operator);
        QVERIFY(result.ok);
        QCOMPARE(result.refusal, Refusal::None);
        QCOMPARE(result.lease.id.size(), 32);  // 128 bits in hex
        QCOMPARE(result.lease.robotId, kRobot);
        QCOMPARE(result.lease.operatorId, kAlice);
        QCOMPARE(result.lease.startedUnixMs, clock.nowUnixMs());
        QCOMPARE(result.lease.expiresUnixMs, clock.nowUnixMs() + 3000);

        QCOMPARE(leases.leases().size(), std::size_t(1));
        QCOMPARE(leases.leases().front().id, result.lease.id);
        QCOMPARE(leases.leaseFor(kRobot)->operatorId, kAlice);
        QCOMPARE(leases.find(result.lease.id)->robotId, kRobot);
        QVERIFY(!leases.leaseFor(QStringLiteral("nb-0043")));
    }

    void twoOperatorsRacing_data()
    {
        QTest::addColumn<QString>("first");
        QTest::addColumn<QString>("second");
        QTest::newRow("alice first") << kAlice << kBob;
        QTest::newRow("bob first") << kBob << kAlice;
    }

    void twoOperatorsRacing()
    {
        QFETCH(QString, first);
        QFETCH(QString, second);
        ManualClock clock;
        LeaseManager leases(clock);
        const auto winner = leases.acquire(kRobot, first, Role::Operator);
        const auto loser = leases.acquire(kRobot, second, Role::Operator);
        QVERIFY(winner.ok);
        QVERIFY(!loser.ok);
        QCOMPARE(loser.refusal, Refusal::HeldByOther);
        // 1'700'000'000'000 ms is 22:13:20 UTC; the lease runs 3 s.
        QCOMPARE(loser.reason, QStringLiteral("nb-0042 is driven by %1 until 22:13:23 UTC").arg(first));
        QCOMPARE(leases.leases().size(), std::size_t(1));
        QCOMPARE(leases.leaseFor(kRobot)->operatorId, first);
    }

    void manyOperatorsOverManyRobots()
    {
        ManualClock clock;
        LeaseManager leases(clock);
        constexpr int kOperators = 30;
        constexpr int kRobots = 100;
        QHash<QString, QString> holder;  // what the rules say each robot's holder must be
        int granted = 0;
        for (int round = 0; round < 10; ++round) {
            for (int op = 0; op < kOperators; ++op) {
                const int robotNumber = (op * 7 + round * 13) % kRobots;
                const QString robot = QStringLiteral("nb-%1").arg(robotNumber, 4, 10, QLatin1Char('0'));
                const QString operatorId = QStringLiteral("op-%1").arg(op);
                const auto result = leases.acquire(robot, operatorId, Role::Operator);
                const bool free = !holder.contains(robot);
                const bool own = holder.value(robot) == operatorId;
                QCOMPARE(result.ok, free || own);
                if (free) {
                    holder.insert(robot, operatorId);
                    ++granted;
                }
                if (!result.ok)
                    QVERIFY(result.reason.contains(holder.value(robot)));
            }
            clock.advance(100);  // well inside the TTL: nothing expires
        }
        const std::vector<Lease> all = leases.leases();
        QCOMPARE(int(all.size()), granted);
        QCOMPARE(int(all.size()), holder.size());
        QSet<QString> ids;
        for (std::size_t i = 0; i < all.size(); ++i) {
            QCOMPARE(all[i].operatorId, holder.value(all[i].robotId));
            ids.insert(all[i].id);
            if (i > 0)
                QVERIFY(all[i - 1].robotId < all[i].robotId);
        }
        QCOMPARE(int(ids.size()), granted);
        QVERIFY(leases.expire().empty());
    }

    void refusedAcquire_data()
    {
        QTest::addColumn<QString>("robot");
        QTest::addColumn<QString>("operatorId");
        QTest::addColumn<Role>("role");
        QTest::addColumn<Refusal>("refusal");
        QTest::newRow("viewer") << kRobot << kAlice << Role::Viewer << Refusal::ViewerRole;
        QTest::newRow("no robot") << QString() << kAlice << Role::Operator << Refusal::Invalid;
        QTest::newRow("no operator") << kRobot << QString() << Role::Admin << Refusal::Invalid;
    }

    void refusedAcquire()
    {
        QFETCH(QString, robot);
        QFETCH(QString, operatorId);
        QFETCH(Role, role);
        QFETCH(Refusal, refusal);
        ManualClock clock;
        LeaseManager leases(clock);
        const auto result = leases.acquire(robot, operatorId, role);
        QVERIFY(!result.ok);
        QCOMPARE(result.refusal, refusal);
        QVERIFY(!result.reason.isEmpty());
        QVERIFY(leases.leases().empty());
    }

    void renewExtends()
    {
        ManualClock clock;
        LeaseManager leases(clock);
        const Lease lease = leases.acquire(kRobot, kAlice, Role::Operator).lease;
        clock.advance(2000);
        const auto renewed = leases.renew(lease.id, kAlice);
        QVERIFY(renewed.ok);
        QCOMPARE(renewed.lease.expiresUnixMs, clock.nowUnixMs() + 3000);
        clock.advance(2000);  // 4 s after acquiring, 2 s after renewing
        QVERIFY(leases.expire().empty());
        QCOMPARE(leases.leaseFor(kRobot)->id, lease.id);
    }

    void refusedRenew_data()
    {
        QTest::addColumn<bool>("ownLease");
        QTest::addColumn<QString>("operatorId");
        QTest::addColumn<qint64>("advanceMs");
        QTest::addColumn<Refusal>("refusal");
        QTest::newRow("unknown lease") << false << kAlice << qint64(0) << Refusal::UnknownLease;
        QTest::newRow("foreign operator") << true << kBob << qint64(0) << Refusal::NotHolder;
        QTest::newRow("expired") << true << kAlice << qint64(3000) << Refusal::Expired;
    }

    void refusedRenew()
    {
        QFETCH(bool, ownLease);
        QFETCH(QString, operatorId);
        QFETCH(qint64, advanceMs);
        QFETCH(Refusal, refusal);
        ManualClock clock;
        LeaseManager leases(clock);
        const Lease lease = leases.acquire(kRobot, kAlice, Role::Operator).lease;
        clock.advance(advanceMs);
        const auto result = leases.renew(ownLease ? lease.id : QStringLiteral("0123456789abcdef"), operatorId);
        QVERIFY(!result.ok);
        QCOMPARE(result.refusal, refusal);
        // A refused renewal changes nothing.
        QCOMPARE(leases.find(lease.id)->expiresUnixMs, lease.expiresUnixMs);
    }

    void expiryReturnsTheLeaseOnceAndFreesTheRobot()
    {
        ManualClock clock;
        LeaseManager leases(clock);
        const Lease lease = leases.acquire(kRobot, kAlice, Role::Operator).lease;
        clock.advance(2999);
        QVERIFY(leases.expire().empty());
        QVERIFY(leases.leaseFor(kRobot));

        clock.advance(1);
        QVERIFY(!leases.leaseFor(kRobot));  // dead at its expiry time, even before expire()
        QVERIFY(leases.leases().empty());
        const std::vector<Lease> expired = leases.expire();
        QCOMPARE(expired.size(), std::size_t(1));
        QCOMPARE(expired.front().id, lease.id);
        QCOMPARE(expired.front().operatorId, kAlice);
        QVERIFY(leases.expire().empty());
        QVERIFY(!leases.find(lease.id));

        QVERIFY(leases.acquire(kRobot, kBob, Role::Operator).ok);
    }

    void acquiringOverAnUncollectedDeadLeaseStillHandsItBack()
    {
        ManualClock clock;
        LeaseManager leases(clock);
        const Lease alices = leases.acquire(kRobot, kAlice, Role::Operator).lease;
        clock.advance(3500);
        const auto bobs = leases.acquire(kRobot, kBob, Role::Operator);
        QVERIFY(bobs.ok);
        QVERIFY(!bobs.revoked);
        const std::vector<Lease> expired = leases.expire();
        QCOMPARE(expired.size(), std::size_t(1));
        QCOMPARE(expired.front().id, alices.id);
        QVERIFY(leases.expire().empty());
        QCOMPARE(leases.leaseFor(kRobot)->id, bobs.lease.id);
    }

    void releaseReturnsTheLease()
    {
        ManualClock clock;
        LeaseManager leases(clock);
        const Lease lease = leases.acquire(kRobot, kAlice, Role::Operator).lease;
        QCOMPARE(leases.release(lease.id, kBob).refusal, Refusal::NotHolder);

        const auto released = leases.release(lease.id, kAlice);
        QVERIFY(released.ok);
        QCOMPARE(released.lease.id, lease.id);
        QCOMPARE(released.lease.robotId, kRobot);
        QVERIFY(!leases.leaseFor(kRobot));
        QCOMPARE(leases.release(lease.id, kAlice).refusal, Refusal::UnknownLease);
        clock.advance(10'000);
        QVERIFY(leases.expire().empty());  // ended once, by release
        QVERIFY(leases.acquire(kRobot, kBob, Role::Operator).ok);
    }

    void releaseOfADeadLeaseLeavesItToExpire()
    {
        ManualClock clock;
        LeaseManager leases(clock);
        const Lease lease = leases.acquire(kRobot, kAlice, Role::Operator).lease;
        clock.advance(3000);
        QCOMPARE(leases.release(lease.id, kAlice).refusal, Refusal::Expired);
        QCOMPARE(leases.expire().size(), std::size_t(1));
    }

    void adminTakesOver()
    {
        ManualClock clock;
        LeaseManager leases(clock);
        const Lease alices = leases.acquire(kRobot, kAlice, Role::Operator).lease;
        // An admin, too, must take over explicitly rather than acquire.
        QCOMPARE(leases.acquire(kRobot, kAdmin, Role::Admin).refusal, Refusal::HeldByOther);

        const auto result = leases.takeOver(kRobot, kAdmin, Role::Admin, QStringLiteral("robot on the road"));
        QVERIFY(result.ok);
        QVERIFY(result.revoked);
        QCOMPARE(result.revoked->id, alices.id);
        QCOMPARE(result.revoked->operatorId, kAlice);
        QCOMPARE(result.reason, QStringLiteral("nb-0042 taken over by carol: robot on the road"));
        QCOMPARE(result.lease.operatorId, kAdmin);
        QVERIFY(result.lease.id != alices.id);
        QCOMPARE(leases.leaseFor(kRobot)->id, result.lease.id);
        QCOMPARE(leases.renew(alices.id, kAlice).refusal, Refusal::UnknownLease);
        clock.advance(3000);
        QCOMPARE(leases.expire().size(), std::size_t(1));  // the admin's; Alice's ended with the takeover
    }

    void takeOverOfAFreeRobotRevokesNothing()
    {
        ManualClock clock;
        LeaseManager leases(clock);
        const auto result = leases.takeOver(kRobot, kAdmin, Role::Admin, QStringLiteral("inspection"));
        QVERIFY(result.ok);
        QVERIFY(!result.revoked);
        QCOMPARE(leases.leaseFor(kRobot)->operatorId, kAdmin);
    }

    void refusedTakeOver_data()
    {
        QTest::addColumn<Role>("role");
        QTest::addColumn<QString>("why");
        QTest::addColumn<Refusal>("refusal");
        QTest::newRow("operator") << Role::Operator << QStringLiteral("mine now") << Refusal::NotAdmin;
        QTest::newRow("viewer") << Role::Viewer << QStringLiteral("mine now") << Refusal::NotAdmin;
        QTest::newRow("admin without a reason") << Role::Admin << QStringLiteral("  ") << Refusal::Invalid;
    }

    void refusedTakeOver()
    {
        QFETCH(Role, role);
        QFETCH(QString, why);
        QFETCH(Refusal, refusal);
        ManualClock clock;
        LeaseManager leases(clock);
        const Lease alices = leases.acquire(kRobot, kAlice, Role::Operator).lease;
        const auto result = leases.takeOver(kRobot, kBob, role, why);
        QVERIFY(!result.ok);
        QCOMPARE(result.refusal, refusal);
        QVERIFY(!result.revoked);
        QCOMPARE(leases.leaseFor(kRobot)->id, alices.id);
    }

    void reacquireByTheHolderRenews()
    {
        ManualClock clock;
        LeaseManager leases(clock);
        const Lease lease = leases.acquire(kRobot, kAlice, Role::Operator).lease;
        clock.advance(2500);
        const auto again = leases.acquire(kRobot, kAlice, Role::Operator);
        QVERIFY(again.ok);
        QCOMPARE(again.lease.id, lease.id);
        QCOMPARE(again.lease.startedUnixMs, lease.startedUnixMs);
        QCOMPARE(again.lease.expiresUnixMs, clock.nowUnixMs() + 3000);
        QCOMPARE(leases.leases().size(), std::size_t(1));
    }

    void sessionStatsEndWithTheLease()
    {
        ManualClock clock;
        LeaseManager leases(clock, LeaseManager::Config{5000});
        const Lease lease = leases.acquire(kRobot, kAlice, Role::Operator).lease;
        QCOMPARE(lease.expiresUnixMs - lease.startedUnixMs, qint64(5000));
        QVERIFY(leases.recordCommand(lease.id, 1, 0.8));
        QVERIFY(leases.recordCommand(lease.id, 2, -1.0));  // reversing counts by magnitude
        QVERIFY(leases.recordCommand(lease.id, 5, 0.5));
        QVERIFY(!leases.recordCommand(QStringLiteral("nope"), 1, 9.0));

        clock.advance(1000);
        const Lease ended = leases.release(lease.id, kAlice).lease;
        QCOMPARE(ended.startedUnixMs, lease.startedUnixMs);
        QCOMPARE(ended.commandsAccepted, quint64(3));
        QCOMPARE(ended.maxLinearMps, 1.0);
        QCOMPARE(ended.lastSequence, quint64(5));
    }
};

QTEST_GUILESS_MAIN(TestLeaseManager)
#include "tst_leasemanager.moc"
