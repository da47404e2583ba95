#pragma once

// A console's teleop side against a FakeTransport, and the backend frames it answers with: for the
// teleop controller's tests and those of what drives it (tst_teleopcontroller, tst_gamepadinput).

#include "codec.h"
#include "faketransport.h"
#include "fleetclient.h"
#include "teleopcontroller.h"

#include <QList>

namespace fleetdeck::testing {

inline const QString kRobot = QStringLiteral("nb-0042");

inline QByteArray welcomeFrame(fleet::v1::Role role)
{
    fleet::v1::ServerMessage m;
    m.mutable_welcome()->set_protocol_version(fleet::v1::PROTOCOL_VERSION_1);
    m.mutable_welcome()->set_role(role);
    m.mutable_welcome()->set_lease_ttl_ms(3000);
    m.mutable_welcome()->set_command_budget_ms(250);
    return codec::serialize(m);
}

inline QByteArray snapshotFrame(quint64 sequence)
{
    fleet::v1::ServerMessage m;
    m.mutable_snapshot()->set_sequence(sequence);
    RobotState r;
    r.robotId = kRobot;
    r.mode = Mode::Autonomous;
    r.freshness = Freshness::Live;
    codec::writeRobotState(r, 0, FieldGroup::All, m.mutable_snapshot()->add_robots());
    return codec::serialize(m);
}

inline QByteArray grantedFrame(const QString &leaseId, const QString &robotId = kRobot)
{
    fleet::v1::ServerMessage m;
    auto *r = m.mutable_lease_result();
    r->set_granted(true);
    r->set_robot_id(codec::toStd(robotId));
    r->mutable_lease()->set_lease_id(codec::toStd(leaseId));
    r->mutable_lease()->set_robot_id(codec::toStd(robotId));
    r->mutable_lease()->set_operator_name("alice");
    return codec::serialize(m);
}

inline QByteArray leaseTableFrame(const QString &robotId, const QString &operatorName, const QString &leaseId = {})
{
    fleet::v1::ServerMessage m;
    auto *l = m.mutable_lease_table()->add_leases();
    l->set_robot_id(codec::toStd(robotId));
    l->set_operator_name(codec::toStd(operatorName));
    l->set_lease_id(codec::toStd(leaseId));
    l->set_expires_unix_ms(1'700'000'003'000);
    return codec::serialize(m);
}

inline QByteArray teleopResultFrame(quint64 sequence, bool accepted, bool limited, const QString &reason)
{
    fleet::v1::ServerMessage m;
    auto *r = m.mutable_teleop_result();
    r->set_robot_id(codec::toStd(kRobot));
    r->set_sequence(sequence);
    r->set_accepted(accepted);
    r->set_limited(limited);
    r->set_reason(codec::toStd(reason));
    return codec::serialize(m);
}

inline QByteArray ackFrame(quint64 sequence, fleet::v1::CommandAck::Result result = fleet::v1::CommandAck::RESULT_APPLIED)
{
    fleet::v1::ServerMessage m;
    m.mutable_teleop_ack()->set_robot_id(codec::toStd(kRobot));
    m.mutable_teleop_ack()->set_sequence(sequence);
    m.mutable_teleop_ack()->set_result(result);
    return codec::serialize(m);
}

// The client messages sent since `from`, parsed.
inline QList<fleet::v1::ClientMessage> sentSince(const FakeTransport &t, int from)
{
    QList<fleet::v1::ClientMessage> out;
    for (int i = from; i < t.sent.size(); ++i) {
        fleet::v1::ClientMessage m;
        if (codec::parse(t.sent.at(i), &m))
            out.append(m);
    }
    return out;
}

inline QList<fleet::v1::TeleopCommand> commandsSince(const FakeTransport &t, int from)
{
    QList<fleet::v1::TeleopCommand> out;
    for (const auto &m : sentSince(t, from)) {
        if (m.has_teleop())
            out.append(m.teleop());
    }
    return out;
}

// A live session with role `role`, the controller aimed at nb-0042.
struct Rig {
    explicit Rig(fleet::v1::Role role = fleet::v1::ROLE_OPERATOR)
    {
        client.setUrl(QUrl(QStringLiteral("ws://backend:8765")));
        transport.deliver(welcomeFrame(role));
        transport.deliver(snapshotFrame(1));
        teleop.setRobotId(kRobot);
    }
    // Takes control and has the backend grant it.
    void hold(const QString &leaseId = QStringLiteral("L1"))
    {
        teleop.takeControl();
        transport.deliver(grantedFrame(leaseId));
        // As the backend sends it to everyone, its holder included: without the lease id.
        transport.deliver(leaseTableFrame(kRobot, QStringLiteral("alice")));
    }

    ManualClock clock;
    FakeTransport transport;
    FleetClient client{&transport, &clock};
    TeleopController teleop{&client, &clock};
};

}  // namespace fleetdeck::testing
