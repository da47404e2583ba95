#include "commandgate.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace fleetdeck;
using namespace fleetdeck::teleop;

using Kind = CommandGate::Kind;
using Refusal = CommandGate::Refusal;
using Request = CommandGate::Request;

namespace {

const QString kRobot = QStringLiteral("nb-0001");
const QString kAlice = QStringLiteral("alice");

// A gate with Alice holding a lease on kRobot.
struct Fixture {
    explicit Fixture(CommandGate::Config config = {}) : gate(leases, clock, std::move(config))
    {
        lease = leases.acquire(kRobot, kAlice, Role::Operator).lease;
    }

    [[nodiscard]] Request request(Kind kind, std::uint64_t sequence, double linear = 0, double angular = 0) const
    {
        Request r;
        r.kind = kind;
        r.robotId = kRobot;
        r.operatorId = kAlice;
        r.role = Role::Operator;
        r.leaseId = lease.id;
        r.sequence = sequence;
        r.sentUnixMs = clock.nowUnixMs() - 20;
        r.linearMps = linear;
        r.angularDps = angular;
        return r;
    }

    [[nodiscard]] Request drive(std::uint64_t sequence, double linear = 1.0, double angular = 0) const
    {
        return request(Kind::Drive, sequence, linear, angular);
    }

    ManualClock clock;
    LeaseManager leases{clock};
    CommandGate gate;
    Lease lease;
};

// What a rejection row does to an otherwise valid drive at sequence 10, after one accepted at 5.
enum class Scenario {
    Late,
    ClockAhead,
    OutOfOrder,
    Duplicate,
    SequenceJump,
    ForeignOperator,
    OtherRobotsLease,
    NoLease,
    UnknownLease,
    ExpiredLease,
    ReleasedLease,
    RateOverLimit,
    NaNLinear,
    InfAngular,
    NegInfLinear,
    PathDownDrive,
    PathDownStop,
    PathDownEmergencyStop,
    Viewer,
};

}  // namespace

Q_DECLARE_METATYPE(Scenario)

class TestCommandGate : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void acceptedDriveBuildsTheCommand()
    {
        Fixture f;
        Request r = f.drive(1, 1.2, -30);
        r.traceparent = QStringLiteral("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        const auto decision = f.gate.decide(r);
        QVERIFY(decision.accepted);
        QCOMPARE(decision.refusal, Refusal::None);
        QVERIFY(!decision.limited);
        QVERIFY(decision.reason.isEmpty());
        const fleet::v1::Command &c = decision.command;
        QCOMPARE(c.robot_id(), std::string("nb-0001"));
        QCOMPARE(c.operator_id(), std::string("alice"));
        QCOMPARE(QString::fromStdString(c.lease_id()), f.lease.id);
        QCOMPARE(c.sequence(), quint64(1));
        QCOMPARE(c.issued_unix_ms(), f.clock.nowUnixMs());
        QCOMPARE(c.deadline_unix_ms(), f.clock.nowUnixMs() + 250);
        QCOMPARE(c.traceparent(), r.traceparent.toStdString());
        QCOMPARE(c.kind_case(), fleet::v1::Command::kDrive);
        QCOMPARE(c.drive().linear_mps(), 1.2f);
        QCOMPARE(c.drive().angular_dps(), -30.0f);
    }

    void deadlineIsIssuedPlusBudget_data()
    {
        QTest::addColumn<qint64>("budgetMs");
        QTest::addColumn<Kind>("kind");
        QTest::newRow("default budget, drive") << qint64(250) << Kind::Drive;
        QTest::newRow("default budget, stop") << qint64(250) << Kind::Stop;
        QTest::newRow("default budget, resume") << qint64(250) << Kind::ResumeAutonomy;
        QTest::newRow("100 ms budget, drive") << qint64(100) << Kind::Drive;
    }

    void deadlineIsIssuedPlusBudget()
    {
        QFETCH(qint64, budgetMs);
        QFETCH(Kind, kind);
        CommandGate::Config config;
        config.budgetMs = budgetMs;
        Fixture f(config);
        f.clock.advance(1234);
        const auto decision = f.gate.decide(f.request(kind, 1));
        QVERIFY2(decision.accepted, qPrintable(decision.reason));
        QCOMPARE(decision.command.issued_unix_ms(), f.clock.nowUnixMs());
        QCOMPARE(decision.command.deadline_unix_ms(), decision.command.issued_unix_ms() + budgetMs);
    }

    void rejections_data()
    {
        QTest::addColumn<Scenario>("scenario");
        QTest::addColumn<Refusal>("refusal");
        QTest::addColumn<QString>("reason");
        QTest::newRow("late") << Scenario::Late << Refusal::Late
                              << QStringLiteral("sent 251 ms ago, over the 250 ms budget");
        QTest::newRow("console clock ahead") << Scenario::ClockAhead << Refusal::Late << QStringLiteral("in the future");
        QTest::newRow("out of order") << Scenario::OutOfOrder << Refusal::Sequence
                                      << QStringLiteral("command 4 is older than the last accepted, 5");
        QTest::newRow("duplicate") << Scenario::Duplicate << Refusal::Sequence
                                   << QStringLiteral("duplicate of command 5");
        // The lease-end stop (last + 1) must never wrap to 0, which a robot ignores as old.
        QTest::newRow("sequence jumps to the maximum") << Scenario::SequenceJump << Refusal::Sequence
                                                       << QStringLiteral("jumps too far ahead of 5");
        QTest::newRow("foreign operator") << Scenario::ForeignOperator << Refusal::NotHolder
                                          << QStringLiteral("nb-0001 is driven by alice");
        QTest::newRow("lease on another robot") << Scenario::OtherRobotsLease << Refusal::NotHolder
                                                << QStringLiteral("the lease is for nb-0001, not nb-0002");
        QTest::newRow("no lease") << Scenario::NoLease << Refusal::NoLease << QStringLiteral("no lease on nb-0001");
        QTest::newRow("unknown lease") << Scenario::UnknownLease << Refusal::NoLease << QStringLiteral("no such lease");
        QTest::newRow("expired lease") << Scenario::ExpiredLease << Refusal::LeaseExpired << QStringLiteral("expired");
        QTest::newRow("released lease") << Scenario::ReleasedLease << Refusal::NoLease << QStringLiteral("no such lease");
        QTest::newRow("rate over limit") << Scenario::RateOverLimit << Refusal::RateLimited
                                         << QStringLiteral("over 50 commands per second");
        QTest::newRow("NaN linear") << Scenario::NaNLinear << Refusal::Invalid << QStringLiteral("finite");
        QTest::newRow("inf angular") << Scenario::InfAngular << Refusal::Invalid << QStringLiteral("finite");
        QTest::newRow("-inf linear") << Scenario::NegInfLinear << Refusal::Invalid << QStringLiteral("finite");
        const QString down = QStringLiteral("command path down: not queued");
        QTest::newRow("path down: drive") << Scenario::PathDownDrive << Refusal::CommandPathDown << down;
        QTest::newRow("path down: stop") << Scenario::PathDownStop << Refusal::CommandPathDown << down;
        QTest::newRow("path down: e-stop") << Scenario::PathDownEmergencyStop << Refusal::CommandPathDown << down;
        QTest::newRow("viewer") << Scenario::Viewer << Refusal::NotPermitted << QStringLiteral("viewers");
    }

    void rejections()
    {
        QFETCH(Scenario, scenario);
        QFETCH(Refusal, refusal);
        QFETCH(QString, reason);
        Fixture f;
        QVERIFY(f.gate.decide(f.drive(5)).accepted);
        Request r = f.drive(10);
        switch (scenario) {
        case Scenario::Late: r.sentUnixMs = f.clock.nowUnixMs() - 251; break;
        case Scenario::ClockAhead: r.sentUnixMs = f.clock.nowUnixMs() + 251; break;
        case Scenario::OutOfOrder: r.sequence = 4; break;
        case Scenario::Duplicate: r.sequence = 5; break;
        case Scenario::SequenceJump: r.sequence = std::numeric_limits<std::uint64_t>::max(); break;
        case Scenario::ForeignOperator: r.operatorId = QStringLiteral("mallory"); break;
        case Scenario::OtherRobotsLease: r.robotId = QStringLiteral("nb-0002"); break;
        case Scenario::NoLease: r.leaseId.clear(); break;
        case Scenario::UnknownLease: r.leaseId = QStringLiteral("00000000000000000000000000000000"); break;
        case Scenario::ExpiredLease:
            f.clock.advance(3000);
            r.sentUnixMs = f.clock.nowUnixMs();
            break;
        case Scenario::ReleasedLease: QVERIFY(f.leases.release(f.lease.id, kAlice).ok); break;
        case Scenario::RateOverLimit:
            // The bucket holds 10 and refills 50/s; at one instant the 11th command is one too many.
            for (std::uint64_t s = 6; s < 6 + 9; ++s)
                QVERIFY(f.gate.decide(f.drive(s)).accepted);
            r.sequence = 15;
            break;
        case Scenario::NaNLinear: r.linearMps = std::numeric_limits<double>::quiet_NaN(); break;
        case Scenario::InfAngular: r.angularDps = std::numeric_limits<double>::infinity(); break;
        case Scenario::NegInfLinear: r.linearMps = -std::numeric_limits<double>::infinity(); break;
        case Scenario::PathDownDrive: f.gate.setCommandPathUp(false); break;
        case Scenario::PathDownStop:
            f.gate.setCommandPathUp(false);
            r.kind = Kind::Stop;
            break;
        case Scenario::PathDownEmergencyStop:
            f.gate.setCommandPathUp(false);
            r.kind = Kind::EmergencyStop;
            break;
        case Scenario::Viewer: r.role = Role::Viewer; break;
        }
        const std::optional<Lease> before = f.leases.find(f.lease.id);

        const auto decision = f.gate.decide(r);
        QVERIFY(!decision.accepted);
        QCOMPARE(decision.refusal, refusal);
        QVERIFY2(decision.reason.contains(reason), qPrintable(decision.reason));
        QCOMPARE(decision.command.kind_case(), fleet::v1::Command::KIND_NOT_SET);
        // A refusal leaves the driving session as it was, so the same sequence may come again.
        if (const auto after = f.leases.find(f.lease.id)) {
            QCOMPARE(after->commandsAccepted, before->commandsAccepted);
            QCOMPARE(after->lastSequence, before->lastSequence);
        }
    }

    void pathBackUpAcceptsAgain()
    {
        Fixture f;
        f.gate.setCommandPathUp(false);
        QVERIFY(!f.gate.isCommandPathUp());
        QVERIFY(!f.gate.decide(f.drive(1)).accepted);
        f.gate.setCommandPathUp(true);
        QVERIFY(f.gate.decide(f.drive(1)).accepted);  // nothing was queued: sequence 1 is still new
    }

    void emergencyStopNeedsNoLease_data()
    {
        QTest::addColumn<Role>("role");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("operator") << Role::Operator << true;
        QTest::newRow("admin") << Role::Admin << true;
        QTest::newRow("viewer") << Role::Viewer << false;
    }

    void emergencyStopNeedsNoLease()
    {
        QFETCH(Role, role);
        QFETCH(bool, accepted);
        Fixture f;  // Alice holds the lease; Dave does not
        f.gate.reportRoundTrip(f.lease.id, 900);
        Request r;
        r.kind = Kind::EmergencyStop;
        r.robotId = kRobot;
        r.operatorId = QStringLiteral("dave");
        r.role = role;
        r.sentUnixMs = f.clock.nowUnixMs() - 5000;  // stopping late is still stopping
        const auto decision = f.gate.decide(r);
        QCOMPARE(decision.accepted, accepted);
        if (!accepted) {
            QCOMPARE(decision.refusal, Refusal::NotPermitted);
            return;
        }
        const fleet::v1::Command &c = decision.command;
        QCOMPARE(c.kind_case(), fleet::v1::Command::kEmergencyStop);
        QCOMPARE(c.robot_id(), std::string("nb-0001"));
        QCOMPARE(c.operator_id(), std::string("dave"));
        QVERIFY(c.lease_id().empty());
        QCOMPARE(c.issued_unix_ms(), f.clock.nowUnixMs());
        QCOMPARE(c.deadline_unix_ms(), qint64(0));  // none: a robot applies an e-stop however late
        QCOMPARE(f.leases.find(f.lease.id)->commandsAccepted, quint64(0));
    }

    void overLimitValuesAreClampedAndReported_data()
    {
        QTest::addColumn<QString>("robotClass");
        QTest::addColumn<double>("linear");
        QTest::addColumn<double>("angular");
        QTest::addColumn<double>("sentLinear");
        QTest::addColumn<double>("sentAngular");
        QTest::addColumn<QString>("note");
        QTest::newRow("within") << QString() << 2.0 << -180.0 << 2.0 << -180.0 << QString();
        QTest::newRow("too fast") << QString() << 3.5 << 0.0 << 2.0 << 0.0
                                  << QStringLiteral("linear 3.50 m/s limited to 2.00 m/s");
        QTest::newRow("reverse too fast") << QString() << -2.0 << 0.0 << -1.0 << 0.0
                                          << QStringLiteral("linear -2.00 m/s limited to -1.00 m/s");
        QTest::newRow("turning too fast") << QString() << 0.5 << 270.0 << 0.5 << 180.0
                                          << QStringLiteral("angular 270.0 °/s limited to 180.0 °/s");
        QTest::newRow("both") << QString() << 9.0 << -500.0 << 2.0 << -180.0
                              << QStringLiteral("linear 9.00 m/s limited to 2.00 m/s; "
                                                "angular -500.0 °/s limited to -180.0 °/s");
        QTest::newRow("cargo class") << QStringLiteral("cargo") << 1.5 << 100.0 << 1.0 << 60.0
                                     << QStringLiteral("linear 1.50 m/s limited to 1.00 m/s; "
                                                       "angular 100.0 °/s limited to 60.0 °/s");
        QTest::newRow("unknown class: default") << QStringLiteral("prototype") << 3.0 << 0.0 << 2.0 << 0.0
                                                << QStringLiteral("linear 3.00 m/s limited to 2.00 m/s");
    }

    void overLimitValuesAreClampedAndReported()
    {
        QFETCH(QString, robotClass);
        QFETCH(double, linear);
        QFETCH(double, angular);
        QFETCH(double, sentLinear);
        QFETCH(double, sentAngular);
        QFETCH(QString, note);
        CommandGate::Config config;
        config.limitsByClass.insert(QStringLiteral("cargo"), SpeedLimits{-0.5, 1.0, 60.0});
        Fixture f(config);
        if (!robotClass.isEmpty())
            f.gate.setRobotClass(kRobot, robotClass);
        const auto decision = f.gate.decide(f.drive(1, linear, angular));
        QVERIFY(decision.accepted);
        QCOMPARE(decision.limited, !note.isEmpty());
        QCOMPARE(decision.reason, note);
        QCOMPARE(decision.command.drive().linear_mps(), float(sentLinear));
        QCOMPARE(decision.command.drive().angular_dps(), float(sentAngular));
        QCOMPARE(f.leases.find(f.lease.id)->maxLinearMps, std::abs(sentLinear));
    }

    void latencyLimitsDriving_data()
    {
        QTest::addColumn<qint64>("roundTripMs");
        QTest::addColumn<bool>("accepted");
        QTest::addColumn<double>("sentLinear");
        QTest::addColumn<QString>("reason");
        QTest::newRow("no report yet") << qint64(-1) << true << 2.0 << QString();
        QTest::newRow("fast") << qint64(40) << true << 2.0 << QString();
        QTest::newRow("at soft") << qint64(150) << true << 2.0 << QString();
        QTest::newRow("midway") << qint64(275) << true << 1.3
                                << QStringLiteral("linear scaled to 65 % for a 275 ms round trip");
        QTest::newRow("at hard") << qint64(400) << true << 0.6
                                 << QStringLiteral("linear scaled to 30 % for a 400 ms round trip");
        QTest::newRow("over hard") << qint64(401) << false << 0.0
                                   << QStringLiteral("round trip 401 ms is over 400 ms: driving refused, stopping allowed");
    }

    void latencyLimitsDriving()
    {
        QFETCH(qint64, roundTripMs);
        QFETCH(bool, accepted);
        QFETCH(double, sentLinear);
        QFETCH(QString, reason);
        Fixture f;
        if (roundTripMs >= 0)
            QVERIFY(f.gate.reportRoundTrip(f.lease.id, roundTripMs));
        const auto drive = f.gate.decide(f.drive(1, 2.0, 90.0));
        QCOMPARE(drive.accepted, accepted);
        QCOMPARE(drive.reason, reason);
        if (accepted) {
            QCOMPARE(drive.limited, !reason.isEmpty());
            QCOMPARE(drive.command.drive().linear_mps(), float(sentLinear));
            QCOMPARE(drive.command.drive().angular_dps(), 90.0f);  // only forward speed is scaled
        } else {
            QCOMPARE(drive.refusal, Refusal::LatencyTooHigh);
        }
        // Stopping is never refused for latency.
        const auto stop = f.gate.decide(f.request(Kind::Stop, 2));
        QVERIFY(stop.accepted);
        QCOMPARE(stop.command.kind_case(), fleet::v1::Command::kStop);
    }

    void roundTripOfUnknownLeaseIsIgnored()
    {
        Fixture f;
        QVERIFY(!f.gate.reportRoundTrip(QStringLiteral("feedface"), 100));
        QVERIFY(!f.gate.reportRoundTrip(f.lease.id, -5));
    }

    void stopIsNotRefusedForAgeOrRate()
    {
        Fixture f;
        std::uint64_t sequence = 0;
        while (f.gate.decide(f.drive(++sequence)).accepted) {
        }
        QCOMPARE(sequence, quint64(11));  // the bucket of 10 is empty
        Request stop = f.request(Kind::Stop, ++sequence);
        stop.sentUnixMs = f.clock.nowUnixMs() - 1000;
        QVERIFY(f.gate.decide(stop).accepted);
        // Drive, though, waits for the bucket to refill: 50/s is one token per 20 ms.
        f.clock.advance(19);
        QCOMPARE(f.gate.decide(f.drive(++sequence)).refusal, Refusal::RateLimited);
        f.clock.advance(1);
        QVERIFY(f.gate.decide(f.drive(++sequence)).accepted);
    }

    void resumeAutonomyNeedsALeaseAndIsTimely()
    {
        Fixture f;
        Request resume = f.request(Kind::ResumeAutonomy, 1);
        resume.sentUnixMs = f.clock.nowUnixMs() - 300;
        QCOMPARE(f.gate.decide(resume).refusal, Refusal::Late);
        resume.sentUnixMs = f.clock.nowUnixMs();
        const auto accepted = f.gate.decide(resume);
        QVERIFY(accepted.accepted);
        QCOMPARE(accepted.command.kind_case(), fleet::v1::Command::kResumeAutonomy);
        QCOMPARE(QString::fromStdString(accepted.command.lease_id()), f.lease.id);
    }

    void acceptingUpdatesTheDrivingSession()
    {
        Fixture f;
        QVERIFY(f.gate.decide(f.drive(1, 0.5)).accepted);
        QVERIFY(f.gate.decide(f.drive(3, 3.0)).accepted);  // limited to 2.0: the session records that
        QVERIFY(f.gate.decide(f.drive(4, -0.7)).accepted);
        QVERIFY(!f.gate.decide(f.drive(4, 1.0)).accepted);
        QVERIFY(f.gate.decide(f.request(Kind::Stop, 7)).accepted);
        const Lease lease = *f.leases.find(f.lease.id);
        QCOMPARE(lease.commandsAccepted, quint64(4));
        QCOMPARE(lease.maxLinearMps, 2.0);
        QCOMPARE(lease.lastSequence, quint64(7));
    }

    void stopAfterAnEndedLeaseIsTheNextInItsSequence()
    {
        Fixture f;
        QVERIFY(f.gate.decide(f.drive(41)).accepted);
        f.clock.advance(500);
        const Lease ended = f.leases.release(f.lease.id, kAlice).lease;
        const fleet::v1::Command stop = f.gate.stopAfter(ended);
        QCOMPARE(stop.kind_case(), fleet::v1::Command::kStop);
        QCOMPARE(QString::fromStdString(stop.lease_id()), f.lease.id);
        QCOMPARE(stop.sequence(), quint64(42));
        QCOMPARE(stop.operator_id(), std::string("alice"));
        QCOMPARE(stop.issued_unix_ms(), f.clock.nowUnixMs());
        QCOMPARE(stop.deadline_unix_ms(), f.clock.nowUnixMs() + 250);
        // The ended lease commands nothing more.
        QCOMPARE(f.gate.decide(f.drive(43)).refusal, Refusal::NoLease);
    }

    void newLeaseAfterTakeOverStartsItsOwnSequence()
    {
        Fixture f;
        QVERIFY(f.gate.decide(f.drive(100)).accepted);
        const auto takeOver = f.leases.takeOver(kRobot, QStringLiteral("carol"), Role::Admin, QStringLiteral("help"));
        QVERIFY(takeOver.ok);
        QCOMPARE(f.gate.decide(f.drive(101)).refusal, Refusal::NoLease);  // Alice's lease is gone
        Request r = f.drive(1);
        r.operatorId = QStringLiteral("carol");
        r.role = Role::Admin;
        r.leaseId = takeOver.lease.id;
        QVERIFY(f.gate.decide(r).accepted);
    }
};

QTEST_GUILESS_MAIN(TestCommandGate)
#include "tst_commandgate.moc"
