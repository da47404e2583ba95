#include "codec.h"
#include "faketransport.h"
#include "fleetclient.h"
#include "teleopcontroller.h"
#include "teleoprig.h"

#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace fleetdeck;
using namespace fleetdeck::testing;
using Kind = fleet::v1::TeleopCommand;

class TestTeleopController : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void takeControlSendsAcquireForTheTarget()
    {
        Rig rig;
        QVERIFY(rig.teleop.canDrive());
        const int before = int(rig.transport.sent.size());
        rig.teleop.takeControl();
        const auto sent = sentSince(rig.transport, before);
        QCOMPARE(sent.size(), 1);
        QVERIFY(sent.first().has_acquire_lease());
        QCOMPARE(sent.first().acquire_lease().robot_id(), std::string("nb-0042"));
        QVERIFY(!sent.first().acquire_lease().takeover());
        QVERIFY(!rig.teleop.holding());
    }

    // One trace per control session: the request and every command under the lease carry it; an
    // e-stop of a robot not held is an action of its own.
    void aControlSessionIsOneTrace()
    {
        Rig rig;
        const int before = int(rig.transport.sent.size());
        rig.hold();
        rig.teleop.setDriveInput(0.5, 0);
        rig.teleop.engage(true);
        rig.teleop.engage(false);
        const auto sent = sentSince(rig.transport, before);
        QVERIFY(sent.first().has_acquire_lease());
        const std::optional<TraceContext> session = TraceContext::parse(sent.first().acquire_lease().traceparent());
        QVERIFY2(session, sent.first().acquire_lease().traceparent().c_str());
        const auto commands = commandsSince(rig.transport, before);
        QVERIFY(commands.size() >= 3);  // stop on taking control, a drive, a stop on letting go
        for (const auto &command : commands)
            QCOMPARE(command.traceparent(), session->traceparent().toStdString());

        Rig other;
        other.teleop.setRobotId(QStringLiteral("nb-0007"));
        const int mark = int(other.transport.sent.size());
        other.teleop.emergencyStop();
        const auto estops = commandsSince(other.transport, mark);
        QCOMPARE(estops.size(), 1);
        const std::optional<TraceContext> own = TraceContext::parse(estops.first().traceparent());
        QVERIFY(own);
        QVERIFY(own->traceId != session->traceId);
    }

    void grantedLeaseMeansHolding()
    {
        Rig rig;
        QSignalSpy state(&rig.teleop, &TeleopController::stateChanged);
        rig.teleop.takeControl();
        rig.transport.deliver(grantedFrame(QStringLiteral("L1")));
        QVERIFY(rig.teleop.holding());
        QVERIFY(state.count() > 0);
        QCOMPARE(rig.teleop.heldLeaseId(), QStringLiteral("L1"));
        QCOMPARE(rig.teleop.statusText(), QStringLiteral("You drive nb-0042"));

        // The table that follows names this console's operator: still held, and marked as ours.
        rig.transport.deliver(leaseTableFrame(kRobot, QStringLiteral("alice")));
        QVERIFY(rig.teleop.holding());
        QCOMPARE(rig.teleop.holderName(), QStringLiteral("alice"));
        QVERIFY(rig.teleop.canDrive());
        QCOMPARE(rig.teleop.leases().constFirst().toMap().value(QStringLiteral("mine")).toBool(), true);
        rig.transport.deliver(leaseTableFrame(kRobot, QStringLiteral("alice"), QStringLiteral("L1")));
        QVERIFY(rig.teleop.holding());
    }

    // Taking control stops the robot at once, before the operator moves it.
    void takingControlStopsTheRobotFirst()
    {
        Rig rig;
        const int before = int(rig.transport.sent.size());
        rig.hold();
        const auto commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 1);
        QCOMPARE(commands.first().kind(), Kind::KIND_STOP);
        QCOMPARE(commands.first().sequence(), quint64(1));
        QCOMPARE(commands.first().lease_id(), std::string("L1"));
    }

    void engagedSendsDrivesInSequenceWithLeaseAndClockTime()
    {
        Rig rig;
        rig.hold();
        rig.teleop.setMaxLinearMps(2.0);
        rig.teleop.setMaxAngularDps(90);
        rig.teleop.setDriveInput(0.5, -1.0);
        const int before = int(rig.transport.sent.size());
        QSignalSpy driving(&rig.teleop, &TeleopController::drivingChanged);
        rig.teleop.engage(true);  // sends the first at once
        QVERIFY(rig.teleop.driving());
        QCOMPARE(driving.count(), 1);
        rig.clock.advance(50);
        rig.teleop.sendDriveNow();
        rig.clock.advance(50);
        rig.teleop.sendDriveNow();

        const auto commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 3);
        for (int i = 0; i < 3; ++i) {
            const auto &c = commands.at(i);
            QCOMPARE(c.kind(), Kind::KIND_DRIVE);
            QCOMPARE(c.sequence(), quint64(i + 2));  // 1 was the stop sent when control was taken
            QCOMPARE(c.lease_id(), std::string("L1"));
            QCOMPARE(c.robot_id(), std::string("nb-0042"));
            QCOMPARE(c.sent_unix_ms(), qint64(1'700'000'000'000 + 50 * i));
            QCOMPARE(c.linear_mps(), 1.0f);
            QCOMPARE(c.angular_dps(), -90.0f);
        }
    }

    void inputIsClampedToTheMaximumSpeeds()
    {
        Rig rig;
        rig.hold();
        rig.teleop.setDriveInput(3.0, 2.0);
        const int before = int(rig.transport.sent.size());
        rig.teleop.engage(true);
        const auto commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 1);
        QCOMPARE(commands.first().linear_mps(), 2.0f);
        QCOMPARE(commands.first().angular_dps(), 90.0f);
    }

    void disengagingSendsExactlyOneStop()
    {
        Rig rig;
        rig.hold();
        rig.teleop.setDriveInput(1, 0);
        rig.teleop.engage(true);
        rig.teleop.sendDriveNow();
        const int before = int(rig.transport.sent.size());
        rig.teleop.engage(false);
        rig.teleop.engage(false);   // a second key-up: still one Stop
        rig.teleop.sendDriveNow();  // a timer tick that was already queued: nothing
        const auto commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 1);
        QCOMPARE(commands.first().kind(), Kind::KIND_STOP);
        QCOMPARE(commands.first().sequence(), quint64(4));
        QCOMPARE(commands.first().lease_id(), std::string("L1"));
        QVERIFY(!rig.teleop.driving());
    }

    void engagingWithoutTheLeaseSendsNothing()
    {
        Rig rig;
        const int before = int(rig.transport.sent.size());
        rig.teleop.engage(true);
        rig.teleop.sendDriveNow();
        QVERIFY(!rig.teleop.driving());
        QVERIFY(commandsSince(rig.transport, before).isEmpty());
    }

    void releaseSendsReleaseLease()
    {
        Rig rig;
        rig.hold(QStringLiteral("L7"));
        rig.teleop.engage(true);
        const int before = int(rig.transport.sent.size());
        rig.teleop.release();
        const auto sent = sentSince(rig.transport, before);
        QCOMPARE(sent.size(), 2);
        QCOMPARE(sent.at(0).teleop().kind(), Kind::KIND_STOP);  // let go first
        QVERIFY(sent.at(1).has_release_lease());
        QCOMPARE(sent.at(1).release_lease().lease_id(), std::string("L7"));
        QVERIFY(!rig.teleop.holding());
        QVERIFY(!rig.teleop.driving());

        // The backend's "released by alice" is a confirmation, not a refusal.
        fleet::v1::ServerMessage ended;
        ended.mutable_lease_result()->set_robot_id("nb-0042");
        ended.mutable_lease_result()->set_reason("released by alice");
        rig.transport.deliver(codec::serialize(ended));
        QVERIFY(rig.teleop.lastRefusal().isEmpty());
    }

    void anotherHolderIsShownAndBlocksDriving()
    {
        Rig rig;
        QSignalSpy leases(&rig.teleop, &TeleopController::leasesChanged);
        rig.transport.deliver(leaseTableFrame(kRobot, QStringLiteral("bob")));
        QCOMPARE(leases.count(), 1);
        QCOMPARE(rig.teleop.holderName(), QStringLiteral("bob"));
        QCOMPARE(rig.teleop.holderOf(kRobot), QStringLiteral("bob"));
        QVERIFY(!rig.teleop.canDrive());
        QVERIFY(!rig.teleop.canTakeOver());  // operators cannot; admins can
        QCOMPARE(rig.teleop.statusText(), QStringLiteral("nb-0042 is driven by bob"));
        QCOMPARE(rig.teleop.leases().size(), 1);

        const int before = int(rig.transport.sent.size());
        rig.teleop.takeControl();
        QVERIFY(sentSince(rig.transport, before).isEmpty());

        rig.teleop.setRobotId(QStringLiteral("nb-0007"));
        QVERIFY(rig.teleop.canDrive());
        QVERIFY(rig.teleop.holderName().isEmpty());
    }

    void adminMayTakeOverWithAReason()
    {
        Rig rig(fleet::v1::ROLE_ADMIN);
        rig.transport.deliver(leaseTableFrame(kRobot, QStringLiteral("bob")));
        QVERIFY(rig.teleop.canTakeOver());
        const int before = int(rig.transport.sent.size());
        rig.teleop.takeOver(QStringLiteral("  "));
        QVERIFY(sentSince(rig.transport, before).isEmpty());
        rig.teleop.takeOver(QStringLiteral("robot stuck on a kerb"));
        const auto sent = sentSince(rig.transport, before);
        QCOMPARE(sent.size(), 1);
        QVERIFY(sent.first().acquire_lease().takeover());
        QCOMPARE(sent.first().acquire_lease().reason(), std::string("robot stuck on a kerb"));
    }

    void viewerCannotDrive()
    {
        Rig rig(fleet::v1::ROLE_VIEWER);
        QVERIFY(!rig.teleop.canDrive());
        const int before = int(rig.transport.sent.size());
        rig.teleop.takeControl();
        QVERIFY(sentSince(rig.transport, before).isEmpty());
        QVERIFY(!rig.teleop.statusText().isEmpty());
    }

    void refusalReasonReachesTheStatus()
    {
        Rig rig;
        rig.hold();
        rig.teleop.engage(true);
        rig.transport.deliver(teleopResultFrame(1, false, false, QStringLiteral("round trip 900 ms is over 600 ms")));
        QVERIFY(rig.teleop.statusText().contains(QStringLiteral("round trip 900 ms is over 600 ms")));
        QVERIFY(rig.teleop.lastRefusal().contains(QStringLiteral("round trip 900 ms")));

        QSignalSpy limited(&rig.teleop, &TeleopController::limitedChanged);
        rig.transport.deliver(teleopResultFrame(2, true, true, QStringLiteral("linear 2.0 limited to 1.0")));
        QVERIFY(rig.teleop.limited());
        QCOMPARE(limited.count(), 1);
        QCOMPARE(rig.teleop.statusText(), QStringLiteral("You drive nb-0042"));  // accepted again
        rig.transport.deliver(teleopResultFrame(3, true, false, {}));
        QVERIFY(!rig.teleop.limited());
    }

    void refusedLeaseSaysWhy()
    {
        Rig rig;
        rig.teleop.takeControl();
        fleet::v1::ServerMessage refused;
        refused.mutable_lease_result()->set_robot_id("nb-0042");
        refused.mutable_lease_result()->set_reason("nb-0042 is driven by bob");
        rig.transport.deliver(codec::serialize(refused));
        QVERIFY(!rig.teleop.holding());
        QVERIFY(rig.teleop.statusText().contains(QStringLiteral("nb-0042 is driven by bob")));
    }

    void ackMeasuresTheRoundTrip()
    {
        Rig rig;
        rig.hold();
        QSignalSpy rtt(&rig.teleop, &TeleopController::roundTripChanged);
        rig.teleop.engage(true);   // sequence 2 at t0 (1 was the stop sent when control was taken)
        rig.clock.advance(50);
        rig.teleop.sendDriveNow();  // sequence 3 at t0+50
        rig.clock.advance(130);
        rig.transport.deliver(ackFrame(3));
        QCOMPARE(rig.teleop.roundTripMs(), 130);
        rig.transport.deliver(ackFrame(2));
        QCOMPARE(rig.teleop.roundTripMs(), 180);
        rig.transport.deliver(ackFrame(2));  // a duplicate: already measured
        rig.transport.deliver(ackFrame(99)); // never sent
        QCOMPARE(rtt.count(), 2);
        QCOMPARE(rig.teleop.roundTripHistory(), (QList<qreal>{130, 180}));
    }

    void roundTripHistoryIsBounded()
    {
        Rig rig;
        rig.hold();
        rig.teleop.engage(true);
        for (int i = 0; i < TeleopController::kRoundTripHistory + 10; ++i) {
            rig.teleop.sendDriveNow();
            rig.transport.deliver(ackFrame(quint64(i + 3)));
        }
        QCOMPARE(rig.teleop.roundTripHistory().size(), TeleopController::kRoundTripHistory);
    }

    void robotRefusalIsShown()
    {
        Rig rig;
        rig.hold();
        rig.teleop.engage(true);
        rig.transport.deliver(ackFrame(1, fleet::v1::CommandAck::RESULT_REJECTED_STATE));
        QVERIFY(rig.teleop.lastRefusal().contains(QStringLiteral("nb-0042 refused command 1")));
    }

    void emergencyStopNeedsNoLease()
    {
        Rig rig;
        rig.transport.deliver(leaseTableFrame(kRobot, QStringLiteral("bob")));  // even someone else's robot
        const int before = int(rig.transport.sent.size());
        QSignalSpy estop(&rig.teleop, &TeleopController::estopAcknowledgedChanged);
        rig.teleop.emergencyStop();
        const auto commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 1);
        QCOMPARE(commands.first().kind(), Kind::KIND_EMERGENCY_STOP);
        QCOMPARE(commands.first().robot_id(), std::string("nb-0042"));
        QVERIFY(commands.first().lease_id().empty());
        QCOMPARE(commands.first().sent_unix_ms(), rig.clock.nowUnixMs());
        QVERIFY(!rig.teleop.estopAcknowledged());

        rig.clock.advance(40);
        rig.transport.deliver(ackFrame(commands.first().sequence()));
        QVERIFY(rig.teleop.estopAcknowledged());
        QCOMPARE(estop.count(), 1);
        QCOMPARE(rig.teleop.roundTripMs(), 40);
    }

    void emergencyStopWhileDrivingLetsGo()
    {
        Rig rig;
        rig.hold();
        rig.teleop.engage(true);
        const int before = int(rig.transport.sent.size());
        rig.teleop.emergencyStop();
        rig.teleop.sendDriveNow();
        const auto commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 1);
        QCOMPARE(commands.first().kind(), Kind::KIND_EMERGENCY_STOP);
        QCOMPARE(commands.first().sequence(), quint64(3));  // under the lease, next in order (1 stop, 2 drive)
        QVERIFY(!rig.teleop.driving());
    }

    void resumeAutonomyNeedsTheLease()
    {
        Rig rig;
        int before = int(rig.transport.sent.size());
        rig.teleop.resumeAutonomy();
        QVERIFY(commandsSince(rig.transport, before).isEmpty());
        rig.hold();
        before = int(rig.transport.sent.size());
        rig.teleop.resumeAutonomy();
        const auto commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 1);
        QCOMPARE(commands.first().kind(), Kind::KIND_RESUME_AUTONOMY);
        QCOMPARE(commands.first().lease_id(), std::string("L1"));
    }

    void connectionDropStopsDrivingUntilReengaged()
    {
        Rig rig;
        rig.hold();
        rig.teleop.setDriveInput(1, 0);
        rig.teleop.engage(true);
        QSignalSpy driving(&rig.teleop, &TeleopController::drivingChanged);
        rig.transport.drop(QStringLiteral("connection reset"));
        QVERIFY(!rig.teleop.driving());
        QVERIFY(!rig.teleop.holding());
        QVERIFY(!rig.teleop.canDrive());
        QCOMPARE(driving.count(), 1);

        rig.client.reconnectNow();
        rig.transport.deliver(welcomeFrame(fleet::v1::ROLE_OPERATOR));
        rig.transport.deliver(snapshotFrame(1));
        const int before = int(rig.transport.sent.size());
        rig.teleop.sendDriveNow();
        rig.teleop.sendDriveNow();
        QVERIFY(commandsSince(rig.transport, before).isEmpty());
        QVERIFY(!rig.teleop.driving());

        // Still needs the lease again before the deadman does anything.
        rig.teleop.engage(true);
        QVERIFY(commandsSince(rig.transport, before).isEmpty());
        rig.hold(QStringLiteral("L2"));
        rig.teleop.engage(true);
        const auto commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 2);
        QCOMPARE(commands.at(0).kind(), Kind::KIND_STOP);  // taking control stops the robot first
        QCOMPARE(commands.at(0).sequence(), quint64(1));   // a new lease counts from 1
        QCOMPARE(commands.at(1).kind(), Kind::KIND_DRIVE);
        QCOMPARE(commands.at(1).lease_id(), std::string("L2"));
        QCOMPARE(commands.at(1).sequence(), quint64(2));
    }

    void leaseMissingFromTheTableEndsIt()
    {
        Rig rig;
        rig.hold();
        rig.teleop.engage(true);
        rig.transport.deliver(leaseTableFrame(kRobot, QStringLiteral("bob")));  // taken over
        QVERIFY(!rig.teleop.holding());
        QVERIFY(!rig.teleop.driving());
        QCOMPARE(rig.teleop.holderName(), QStringLiteral("bob"));
    }

    void endedLeaseSaysWhyAndStopsDriving()
    {
        Rig rig;
        rig.hold();
        rig.teleop.engage(true);
        fleet::v1::ServerMessage ended;
        ended.mutable_lease_result()->set_robot_id("nb-0042");
        ended.mutable_lease_result()->set_reason("taken over by carol: robot stuck");
        rig.transport.deliver(codec::serialize(ended));
        QVERIFY(!rig.teleop.holding());
        QVERIFY(!rig.teleop.driving());
        QCOMPARE(rig.teleop.statusText(), QStringLiteral("You no longer drive nb-0042: taken over by carol: robot stuck"));
        const int before = int(rig.transport.sent.size());
        rig.teleop.sendDriveNow();
        QVERIFY(commandsSince(rig.transport, before).isEmpty());
    }

    void renewalKeepsTheSequence()
    {
        Rig rig;
        rig.hold();
        rig.teleop.engage(true);
        rig.teleop.engage(false);
        rig.transport.deliver(grantedFrame(QStringLiteral("L1")));  // answer to a renewal
        const int before = int(rig.transport.sent.size());
        rig.teleop.engage(true);
        const auto commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 1);
        QCOMPARE(commands.first().sequence(), quint64(4));  // stop 1, drive 2, stop 3: no restart
    }

    void changingTheTargetLetsGo()
    {
        Rig rig;
        rig.hold();
        rig.teleop.engage(true);
        const int before = int(rig.transport.sent.size());
        rig.teleop.setRobotId(QStringLiteral("nb-0007"));
        QVERIFY(!rig.teleop.driving());
        const auto commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 1);
        QCOMPARE(commands.first().kind(), Kind::KIND_STOP);
        QCOMPARE(commands.first().robot_id(), std::string("nb-0042"));
    }
};

QTEST_GUILESS_MAIN(TestTeleopController)
#include "tst_teleopcontroller.moc"
