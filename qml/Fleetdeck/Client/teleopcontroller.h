#pragma once

#include "clock.h"
#include "tracecontext.h"

#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QVariantList>

#include <cstdint>

namespace fleet::v1 {
class LeaseTable;
class ServerMessage;
}

namespace fleetdeck {

class FleetClient;

// The console's side of teleoperation (DESIGN.md §5): the lease on the target robot, the deadman
// (Drive at a fixed 20 Hz only while the operator holds a key, the joystick or a button; one explicit
// Stop the moment they let go), e-stop of any robot, the measured round trip, and who drives what.
// Losing the connection counts as letting go; the backend ends the lease of a console that leaves.
// One lease at a time: taking control of another robot releases the one held.
// Thread: main.
class TeleopController : public QObject
{
    Q_OBJECT
    // The robot the panel acts on, normally the selected one. Changing it lets go of the controls.
    Q_PROPERTY(QString robotId READ robotId WRITE setRobotId NOTIFY robotIdChanged)
    Q_PROPERTY(bool holding READ holding NOTIFY stateChanged)
    Q_PROPERTY(QString holderName READ holderName NOTIFY stateChanged)
    // Role operator or admin, a live connection, and nobody else holds the target.
    Q_PROPERTY(bool canDrive READ canDrive NOTIFY stateChanged)
    // Admin, live, and someone else holds the target.
    Q_PROPERTY(bool canTakeOver READ canTakeOver NOTIFY stateChanged)
    Q_PROPERTY(bool driving READ driving NOTIFY drivingChanged)
    Q_PROPERTY(QString statusText READ statusText NOTIFY stateChanged)
    // The last refusal (by the backend or the robot) concerning the target, until the next lease.
    Q_PROPERTY(QString lastRefusal READ lastRefusal NOTIFY stateChanged)
    Q_PROPERTY(bool limited READ limited NOTIFY limitedChanged)
    Q_PROPERTY(QString limitReason READ limitReason NOTIFY limitedChanged)
    // -1 until the first acknowledgement.
    Q_PROPERTY(int roundTripMs READ roundTripMs NOTIFY roundTripChanged)
    Q_PROPERTY(QList<qreal> roundTripHistory READ roundTripHistory NOTIFY roundTripChanged)
    Q_PROPERTY(qreal maxLinearMps READ maxLinearMps WRITE setMaxLinearMps NOTIFY limitsChanged)
    Q_PROPERTY(qreal maxAngularDps READ maxAngularDps WRITE setMaxAngularDps NOTIFY limitsChanged)
    // [{robotId, operatorName, expiresUnixMs, mine}] from the last LeaseTable: who drives what.
    Q_PROPERTY(QVariantList leases READ leases NOTIFY leasesChanged)
    Q_PROPERTY(bool estopAcknowledged READ estopAcknowledged NOTIFY estopAcknowledgedChanged)

public:
    static constexpr int kCommandIntervalMs = 50;  // 20 Hz
    static constexpr int kRoundTripHistory = 60;

    // `client` and `clock` must outlive the controller.
    TeleopController(FleetClient *client, const Clock *clock, QObject *parent = nullptr);
    ~TeleopController() override;

    [[nodiscard]] QString robotId() const { return m_robotId; }
    void setRobotId(const QString &robotId);
    [[nodiscard]] bool holding() const;
    [[nodiscard]] QString holderName() const { return holderOf(m_robotId); }
    [[nodiscard]] bool canDrive() const;
    [[nodiscard]] bool canTakeOver() const;
    [[nodiscard]] bool driving() const { return m_driving; }
    [[nodiscard]] QString statusText() const;
    [[nodiscard]] QString lastRefusal() const { return m_lastRefusal; }
    [[nodiscard]] bool limited() const { return m_limited; }
    [[nodiscard]] QString limitReason() const { return m_limitReason; }
    [[nodiscard]] int roundTripMs() const { return m_roundTripMs; }
    [[nodiscard]] QList<qreal> roundTripHistory() const { return m_roundTripHistory; }
    [[nodiscard]] qreal maxLinearMps() const { return m_maxLinearMps; }
    void setMaxLinearMps(qreal mps);
    [[nodiscard]] qreal maxAngularDps() const { return m_maxAngularDps; }
    void setMaxAngularDps(qreal dps);
    [[nodiscard]] QVariantList leases() const { return m_leases; }
    [[nodiscard]] bool estopAcknowledged() const { return m_estopAcknowledged; }
    [[nodiscard]] QString heldLeaseId() const { return m_held.leaseId; }

    // Who drives `robotId` by the last LeaseTable, or "".
    Q_INVOKABLE QString holderOf(const QString &robotId) const;

    Q_INVOKABLE void takeControl();
    // Admins only (the backend decides); the reason is shown to the previous holder and audited.
    Q_INVOKABLE void takeOver(const QString &reason);
    // Lets go of the controls (one Stop if driving) and sends ReleaseLease; the backend stops the robot too.
    Q_INVOKABLE void release();
    // forward and turn in -1..1 (turn +1 = right, clockwise), scaled by the maximum speeds.
    Q_INVOKABLE void setDriveInput(qreal forward, qreal turn);
    // The deadman: true while the operator holds a control. Letting go sends one Stop at once.
    Q_INVOKABLE void engage(bool held);
    // Any robot, no lease needed.
    Q_INVOKABLE void emergencyStop();
    Q_INVOKABLE void resumeAutonomy();

    // One 20 Hz tick: sends a Drive if engaged. Public so tests need not wait for the timer.
    void sendDriveNow();

Q_SIGNALS:
    void robotIdChanged();
    void stateChanged();
    void drivingChanged();
    void limitedChanged();
    void roundTripChanged();
    void limitsChanged();
    void leasesChanged();
    void estopAcknowledgedChanged();

private:
    struct HeldLease {
        QString leaseId;
        QString robotId;
        QString operatorName;        // as the backend named this console in the grant
        std::uint64_t sequence = 0;  // last sent under this lease
    };
    // What the controller remembers of a command until its ack: enough to measure the round trip.
    struct Sent {
        QString robotId;
        std::uint64_t sequence = 0;
        std::int64_t sentUnixMs = 0;
        int kind = 0;  // fleet::v1::TeleopCommand::Kind
    };

    void onServerMessage(const fleet::v1::ServerMessage &message);
    void onLeaseTable(const fleet::v1::LeaseTable &table);
    void onConnectionChanged();
    // Sends one TeleopCommand of `kind` to `robotId`, under the held lease when it is that robot's.
    bool sendCommand(int kind, const QString &robotId, double linearMps = 0, double angularDps = 0);
    bool sendAcquire(const QString &robotId, bool takeover, const QString &reason);
    void setDriving(bool driving);
    void stopDriving(bool sendStop);
    void dropLease(const QString &notice);
    void setNotice(const QString &notice);
    void setRefusal(const QString &refusal);
    void setLimited(bool limited, const QString &reason);
    void setEstopAcknowledged(bool acknowledged);
    void updateRenewal();
    // Emits stateChanged once if anything the state properties derive from has changed.
    void refresh();
    [[nodiscard]] bool live() const;
    [[nodiscard]] bool mayCommand() const;

    FleetClient *m_client;
    const Clock *m_clock;
    QString m_robotId;
    HeldLease m_held;
    TraceContext m_sessionTrace;  // W3C trace context of the control session being asked for or held
    QString m_releasedRobotId;  // until the backend confirms the release
    std::uint64_t m_unleasedSequence = 0;  // e-stops of robots this console holds no lease on
    bool m_driving = false;
    qreal m_forward = 0;
    qreal m_turn = 0;
    QString m_notice;       // the latest event worth saying, overriding the derived status
    QString m_lastRefusal;
    bool m_limited = false;
    QString m_limitReason;
    int m_roundTripMs = -1;
    QList<qreal> m_roundTripHistory;
    qreal m_maxLinearMps = 2.0;
    qreal m_maxAngularDps = 90.0;
    QVariantList m_leases;
    bool m_estopAcknowledged = false;
    QList<Sent> m_sent;  // oldest first, bounded
    QString m_stateSignature;  // of the last stateChanged, so it fires only on change
    QTimer m_driveTimer;
    QTimer m_renewTimer;
};

}  // namespace fleetdeck
