#pragma once

// A console with an operator at it (a real FleetClient over a real WebSocket), recording what the
// backend says about teleoperation, for tests and benchmarks that drive robots.

#include "clock.h"
#include "codec.h"
#include "fleetclient.h"
#include "websockettransport.h"

#include <QTimer>

namespace fleetdeck::testing {

struct OperatorConsole {
    SystemClock clock;
    WebSocketTransport transport;
    FleetClient client{&transport, &clock};
    QString leaseId;
    QString lastLeaseReason;
    QString lastRefusal;
    int accepted = 0;
    int refused = 0;
    int acks = 0;
    quint64 sequence = 0;
    QTimer driving;  // drive commands at 20 Hz while running, as a console while the operator holds control

    OperatorConsole(const QString &name, const QUrl &url)
    {
        client.setOperatorName(name);
        client.setTeleopHandler([this](const fleet::v1::ServerMessage &m) {
            if (m.has_lease_result()) {
                leaseId = m.lease_result().granted() ? codec::toQString(m.lease_result().lease().lease_id()) : QString();
                lastLeaseReason = codec::toQString(m.lease_result().reason());
            } else if (m.has_teleop_result()) {
                if (m.teleop_result().accepted()) {
                    ++accepted;
                } else {
                    ++refused;
                    lastRefusal = codec::toQString(m.teleop_result().reason());
                }
            } else if (m.has_teleop_ack()) {
                ++acks;
            }
        });
        driving.setTimerType(Qt::PreciseTimer);
        driving.setInterval(50);
        client.setUrl(url);
    }
    void acquire(const QString &robotId)
    {
        fleet::v1::ClientMessage m;
        m.mutable_acquire_lease()->set_robot_id(codec::toStd(robotId));
        client.sendClientMessage(m);
    }
    void send(fleet::v1::TeleopCommand::Kind kind, const QString &robotId, float linearMps = 0)
    {
        fleet::v1::ClientMessage m;
        auto *c = m.mutable_teleop();
        c->set_kind(kind);
        c->set_robot_id(codec::toStd(robotId));
        c->set_lease_id(codec::toStd(leaseId));
        c->set_sequence(++sequence);
        c->set_sent_unix_ms(clock.nowUnixMs());
        c->set_linear_mps(linearMps);
        client.sendClientMessage(m);
    }
    void startDriving(const QString &robotId, float linearMps)
    {
        driving.disconnect();
        QObject::connect(&driving, &QTimer::timeout, [this, robotId, linearMps] {
            send(fleet::v1::TeleopCommand::KIND_DRIVE, robotId, linearMps);
        });
        driving.start();
    }
};

}  // namespace fleetdeck::testing
