// The replicated lease table: the same records in the same order give the same verdicts, judged by
// the records' own times.

#include "leasetable.h"

#include <QTest>

using namespace fleetdeck::teleop;

namespace {

LeaseRecord claim(const QString &lease, const QString &op, std::int64_t at, Role role = Role::Operator,
                  const QString &takeoverReason = {})
{
    LeaseRecord r;
    r.kind = LeaseRecord::Kind::Claim;
    r.robotId = QStringLiteral("nb-0001");
    r.leaseId = lease;
    r.replicaId = r.holderReplicaId = QStringLiteral("replica-") + op;
    r.operatorId = op;
    r.role = role;
    r.takeover = !takeoverReason.isEmpty();
    r.reason = takeoverReason;
    r.atUnixMs = r.startedUnixMs = at;
    r.expiresUnixMs = at + 3000;
    return r;
}

LeaseRecord renew(const LeaseRecord &of, std::int64_t at)
{
    LeaseRecord r = of;
    r.kind = LeaseRecord::Kind::Renew;
    r.takeover = false;
    r.reason.clear();
    r.atUnixMs = at;
    r.expiresUnixMs = at + 3000;
    return r;
}

LeaseRecord release(const LeaseRecord &of, std::int64_t at)
{
    LeaseRecord r;
    r.kind = LeaseRecord::Kind::Release;
    r.robotId = of.robotId;
    r.leaseId = of.leaseId;
    r.replicaId = of.replicaId;
    r.reason = QStringLiteral("released");
    r.atUnixMs = at;
    return r;
}

}  // namespace

class TestLeaseTable : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firstClaimWinsTheSecondIsToldWho()
    {
        LeaseTable table;
        QVERIFY(table.apply(claim(QStringLiteral("L1"), QStringLiteral("alice"), 1000)).claimWon);
        const LeaseTable::Outcome lost = table.apply(claim(QStringLiteral("L2"), QStringLiteral("bob"), 1001));
        QVERIFY(!lost.claimWon);
        QVERIFY(lost.refusal.contains(QStringLiteral("alice")));
        QCOMPARE(table.leaseFor(QStringLiteral("nb-0001"))->leaseId, QStringLiteral("L1"));
    }

    void expiryIsJudgedByRecordTime()
    {
        LeaseTable table;
        const LeaseRecord first = claim(QStringLiteral("L1"), QStringLiteral("alice"), 1000);
        (void)table.apply(first);
        (void)table.apply(renew(first, 3500));  // live until 6500
        QVERIFY(!table.apply(claim(QStringLiteral("L2"), QStringLiteral("bob"), 6499)).claimWon);
        const LeaseTable::Outcome won = table.apply(claim(QStringLiteral("L3"), QStringLiteral("bob"), 6500));
        QVERIFY(won.claimWon);
        QVERIFY(won.ended && won.ended->leaseId == QStringLiteral("L1"));
        // A renewal of the lease that lapsed does not bring it back.
        (void)table.apply(renew(first, 6600));
        QCOMPARE(table.leaseFor(QStringLiteral("nb-0001"))->leaseId, QStringLiteral("L3"));
    }

    void adminTakesOverWithAReason()
    {
        LeaseTable table;
        (void)table.apply(claim(QStringLiteral("L1"), QStringLiteral("alice"), 1000));
        QVERIFY(!table.apply(claim(QStringLiteral("L2"), QStringLiteral("bob"), 1100, Role::Operator, QStringLiteral("mine"))).claimWon);
        const LeaseTable::Outcome taken =
            table.apply(claim(QStringLiteral("L3"), QStringLiteral("sam"), 1200, Role::Admin, QStringLiteral("tram")));
        QVERIFY(taken.claimWon && taken.endedByTakeover);
        QVERIFY(taken.endedWhy.contains(QStringLiteral("taken over by sam: tram")));
        QCOMPARE(taken.ended->operatorId, QStringLiteral("alice"));
    }

    void releaseEndsOnceAndStrayRenewalsStayDead()
    {
        LeaseTable table;
        const LeaseRecord first = claim(QStringLiteral("L1"), QStringLiteral("alice"), 1000);
        (void)table.apply(first);
        QVERIFY(table.apply(release(first, 1500)).ended);
        QVERIFY(!table.apply(release(first, 1501)).ended);
        (void)table.apply(renew(first, 1502));
        QVERIFY(!table.leaseFor(QStringLiteral("nb-0001")));
    }

    void aRenewalAdoptsALeaseClaimedBeforeTheReaderStarted()
    {
        LeaseTable table;
        const LeaseRecord old = claim(QStringLiteral("L1"), QStringLiteral("alice"), 1000);
        (void)table.apply(renew(old, 50'000));
        QCOMPARE(table.leaseFor(QStringLiteral("nb-0001"))->operatorId, QStringLiteral("alice"));
        QVERIFY(!table.apply(claim(QStringLiteral("L2"), QStringLiteral("bob"), 51'000)).claimWon);
    }

    void encodesAndDecodes()
    {
        const LeaseRecord r = claim(QStringLiteral("L1"), QStringLiteral("sam"), 1000, Role::Admin, QStringLiteral("tram"));
        const std::optional<LeaseRecord> back = LeaseRecord::decode(r.encode());
        QVERIFY(back);
        QCOMPARE(back->leaseId, r.leaseId);
        QCOMPARE(back->role, Role::Admin);
        QVERIFY(back->takeover);
        QCOMPARE(back->expiresUnixMs, r.expiresUnixMs);
        QVERIFY(!LeaseRecord::decode("{\"type\":\"claim\"}"));
        QVERIFY(!LeaseRecord::decode("not json"));
    }
};

QTEST_GUILESS_MAIN(TestLeaseTable)
#include "tst_leasetable.moc"
