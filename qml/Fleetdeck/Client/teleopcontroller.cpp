#include "teleopcontroller.h"

#include "codec.h"
#include "fleetclient.h"
#include "logging.h"

#include <QVariantMap>

#include <algorithm>

namespace fleetdeck {
namespace {

using Kind = fleet::v1::TeleopCommand;

// Enough unacknowledged commands for three seconds at 20 Hz; older ones' acks are no longer news.
constexpr int kMaxRemembered = 64;
// Used until the Welcome names the lease lifetime.
constexpr int kDefaultLeaseTtlMs = 3000;

QString ackResultText(fleet::v1::CommandAck::Result result)
{
    switch (result) {
    case fleet::v1::CommandAck::RESULT_REJECTED_LATE: return TeleopController::tr("it arrived too late");
    case fleet::v1::CommandAck::RESULT_REJECTED_SEQUENCE: return TeleopController::tr("it was out of order");
    case fleet::v1::CommandAck::RESULT_REJECTED_LEASE: return TeleopController::tr("the robot does not know the lease");
    case fleet::v1::CommandAck::RESULT_REJECTED_STATE: return TeleopController::tr("the robot cannot do that now");
    default: break;
    }
    return TeleopController::tr("refused");
}

}  // namespace

TeleopController::TeleopController(FleetClient *client, const Clock *clock, QObject *parent)
    : QObject(parent), m_client(client), m_clock(clock)
{
    // PreciseTimer: the backend and the robot judge the command stream by its rate.
    m_driveTimer.setTimerType(Qt::PreciseTimer);
    m_driveTimer.setInterval(kCommandIntervalMs);
    connect(&m_driveTimer, &QTimer::timeout, this, &TeleopController::sendDriveNow);
    connect(&m_renewTimer, &QTimer::timeout, this, [this] {
        // Driving renews the lease; holding it while not driving (looking, thinking) must too.
        if (!m_driving && !m_held.leaseId.isEmpty())
            (void)sendAcquire(m_held.robotId, false, {});
    });
    connect(m_client, &FleetClient::stateChanged, this, &TeleopController::onConnectionChanged);
    m_client->setTeleopHandler([this](const fleet::v1::ServerMessage &message) { onServerMessage(message); });
    m_stateSignature = QStringLiteral("-");  // differs from any real one: the first refresh emits
    refresh();
}

TeleopController::~TeleopController()
{
    m_client->setTeleopHandler({});
}

void TeleopController::setRobotId(const QString &robotId)
{
    if (robotId == m_robotId)
        return;
    // The operator looks at another robot: the keys must not keep driving the previous one.
    stopDriving(true);
    m_robotId = robotId;
    m_notice.clear();
    m_lastRefusal.clear();
    setLimited(false, {});
    setEstopAcknowledged(false);
    Q_EMIT robotIdChanged();
    refresh();
}

bool TeleopController::live() const
{
    return m_client->state() == FleetClient::ConnectionState::Live;
}

bool TeleopController::mayCommand() const
{
    return m_client->role() == fleet::v1::ROLE_OPERATOR || m_client->role() == fleet::v1::ROLE_ADMIN;
}

bool TeleopController::holding() const
{
    return !m_held.leaseId.isEmpty() && !m_robotId.isEmpty() && m_held.robotId == m_robotId;
}

bool TeleopController::canDrive() const
{
    return live() && mayCommand() && !m_robotId.isEmpty() && (holding() || holderOf(m_robotId).isEmpty());
}

bool TeleopController::canTakeOver() const
{
    return live() && m_client->role() == fleet::v1::ROLE_ADMIN && !holding() && !holderOf(m_robotId).isEmpty();
}

QString TeleopController::statusText() const
{
    if (!m_notice.isEmpty())
        return m_notice;
    if (m_robotId.isEmpty())
        return {};
    if (!live())
        return tr("Not connected: no driving");
    if (holding())
        return tr("You drive %1").arg(m_robotId);
    const QString holder = holderOf(m_robotId);
    if (!holder.isEmpty())
        return tr("%1 is driven by %2").arg(m_robotId, holder);
    if (!mayCommand())
        return tr("This console may watch but not drive");
    return tr("Nobody drives %1").arg(m_robotId);
}

QString TeleopController::holderOf(const QString &robotId) const
{
    if (robotId.isEmpty())
        return {};
    for (const QVariant &entry : m_leases) {
        const QVariantMap lease = entry.toMap();
        if (lease.value(QStringLiteral("robotId")).toString() == robotId)
            return lease.value(QStringLiteral("operatorName")).toString();
    }
    return {};
}

void TeleopController::setMaxLinearMps(qreal mps)
{
    if (!(mps >= 0) || qFuzzyCompare(mps + 1, m_maxLinearMps + 1))
        return;
    m_maxLinearMps = mps;
    Q_EMIT limitsChanged();
}

void TeleopController::setMaxAngularDps(qreal dps)
{
    if (!(dps >= 0) || qFuzzyCompare(dps + 1, m_maxAngularDps + 1))
        return;
    m_maxAngularDps = dps;
    Q_EMIT limitsChanged();
}

bool TeleopController::sendAcquire(const QString &robotId, bool takeover, const QString &reason)
{
    fleet::v1::ClientMessage message;
    auto *acquire = message.mutable_acquire_lease();
    acquire->set_robot_id(codec::toStd(robotId));
    acquire->set_takeover(takeover);
    acquire->set_reason(codec::toStd(reason));
    // One trace per control session: the grant, every drive and the release are followed as one.
    m_sessionTrace = TraceContext::newTrace();
    acquire->set_traceparent(m_sessionTrace.traceparent().toStdString());
    return m_client->sendClientMessage(message);
}

void TeleopController::takeControl()
{
    if (m_robotId.isEmpty() || holding())
        return;
    if (!canDrive()) {
        setNotice(!live() ? tr("Not connected: cannot take control")
                  : !mayCommand() ? tr("This console may watch but not drive")
                                  : tr("%1 is driven by %2").arg(m_robotId, holderOf(m_robotId)));
        return;
    }
    if (!m_held.leaseId.isEmpty())
        release();  // one lease at a time
    if (sendAcquire(m_robotId, false, {}))
        setNotice(tr("Asking for control of %1…").arg(m_robotId));
}

void TeleopController::takeOver(const QString &reason)
{
    if (m_robotId.isEmpty() || holding())
        return;
    if (reason.trimmed().isEmpty()) {
        setNotice(tr("Say why you take over: %1 will be told").arg(holderOf(m_robotId)));
        return;
    }
    if (!m_held.leaseId.isEmpty())
        release();
    if (sendAcquire(m_robotId, true, reason.trimmed()))
        setNotice(tr("Taking over %1…").arg(m_robotId));
}

void TeleopController::release()
{
    if (m_held.leaseId.isEmpty())
        return;
    stopDriving(true);
    fleet::v1::ClientMessage message;
    message.mutable_release_lease()->set_lease_id(codec::toStd(m_held.leaseId));
    (void)m_client->sendClientMessage(message);
    // Forgotten now, not on the answer: nothing more may be sent under it either way.
    m_releasedRobotId = m_held.robotId;
    dropLease(tr("You released %1").arg(m_held.robotId));
}

void TeleopController::setDriveInput(qreal forward, qreal turn)
{
    m_forward = std::clamp(forward, qreal(-1), qreal(1));
    m_turn = std::clamp(turn, qreal(-1), qreal(1));
}

void TeleopController::engage(bool held)
{
    if (!held) {
        stopDriving(true);
        return;
    }
    if (m_driving)
        return;
    if (!holding() || !live()) {
        setNotice(holding() ? tr("Not connected: no driving") : tr("Take control of %1 first").arg(m_robotId));
        return;
    }
    setDriving(true);
    sendDriveNow();  // at once, not a tick later
    m_driveTimer.start();
}

void TeleopController::sendDriveNow()
{
    if (!m_driving)
        return;
    if (!holding() || !live()) {
        stopDriving(false);  // no lease or no connection: a Stop could not go either
        return;
    }
    (void)sendCommand(Kind::KIND_DRIVE, m_robotId, m_forward * m_maxLinearMps, m_turn * m_maxAngularDps);
}

void TeleopController::emergencyStop()
{
    if (m_robotId.isEmpty())
        return;
    // Driving on after an e-stop would only be refused by the robot; let go of the controls.
    stopDriving(false);
    setEstopAcknowledged(false);
    if (!sendCommand(Kind::KIND_EMERGENCY_STOP, m_robotId))
        setNotice(tr("E-stop NOT sent: not connected"));
    else
        setNotice(tr("E-stop sent to %1").arg(m_robotId));
}

void TeleopController::resumeAutonomy()
{
    if (m_robotId.isEmpty())
        return;
    if (!holding()) {
        setNotice(tr("Take control of %1 first to resume autonomy").arg(m_robotId));
        return;
    }
    stopDriving(true);
    if (sendCommand(Kind::KIND_RESUME_AUTONOMY, m_robotId))
        setNotice(tr("Asked %1 to resume autonomy").arg(m_robotId));
}

bool TeleopController::sendCommand(int kind, const QString &robotId, double linearMps, double angularDps)
{
    const bool leased = !m_held.leaseId.isEmpty() && m_held.robotId == robotId;
    const std::uint64_t sequence = leased ? m_held.sequence + 1 : m_unleasedSequence + 1;
    const std::int64_t now = m_clock->nowUnixMs();
    fleet::v1::ClientMessage message;
    auto *command = message.mutable_teleop();
    command->set_kind(static_cast<Kind::Kind>(kind));
    command->set_robot_id(codec::toStd(robotId));
    if (leased)
        command->set_lease_id(codec::toStd(m_held.leaseId));
    command->set_sequence(sequence);
    command->set_sent_unix_ms(now);
    command->set_linear_mps(static_cast<float>(linearMps));
    command->set_angular_dps(static_cast<float>(angularDps));
    // An e-stop of a robot this console does not drive is an action of its own: a trace of its own.
    command->set_traceparent((leased ? m_sessionTrace : TraceContext::newTrace()).traceparent().toStdString());
    if (!m_client->sendClientMessage(message))
        return false;
    // A sequence is used up once sent, so that the next one is newer whatever happened to this one.
    (leased ? m_held.sequence : m_unleasedSequence) = sequence;
    if (m_sent.size() >= kMaxRemembered)
        m_sent.removeFirst();
    m_sent.append({robotId, sequence, now, kind});
    return true;
}

void TeleopController::setDriving(bool driving)
{
    if (driving == m_driving)
        return;
    m_driving = driving;
    if (!driving)
        m_driveTimer.stop();
    Q_EMIT drivingChanged();
    updateRenewal();
}

void TeleopController::stopDriving(bool sendStop)
{
    m_forward = 0;
    m_turn = 0;
    if (!m_driving)
        return;
    setDriving(false);
    if (sendStop && !m_held.leaseId.isEmpty())
        (void)sendCommand(Kind::KIND_STOP, m_held.robotId);
}

void TeleopController::dropLease(const QString &notice)
{
    stopDriving(false);
    m_held = {};
    updateRenewal();
    setLimited(false, {});
    setNotice(notice);
}

void TeleopController::updateRenewal()
{
    const bool renew = !m_held.leaseId.isEmpty() && live() && !m_driving;
    if (!renew) {
        m_renewTimer.stop();
        return;
    }
    const int ttl = m_client->leaseTtlMs() > 0 ? m_client->leaseTtlMs() : kDefaultLeaseTtlMs;
    // A third of the lifetime: one lost renewal does not end the lease.
    m_renewTimer.setInterval(std::max(100, ttl / 3));
    if (!m_renewTimer.isActive())
        m_renewTimer.start();
}

void TeleopController::setNotice(const QString &notice)
{
    m_notice = notice;
    refresh();
}

void TeleopController::setRefusal(const QString &refusal)
{
    m_lastRefusal = refusal;
    m_notice = refusal;
    refresh();
}

void TeleopController::setLimited(bool limited, const QString &reason)
{
    if (limited == m_limited && reason == m_limitReason)
        return;
    m_limited = limited;
    m_limitReason = reason;
    Q_EMIT limitedChanged();
}

void TeleopController::setEstopAcknowledged(bool acknowledged)
{
    if (acknowledged == m_estopAcknowledged)
        return;
    m_estopAcknowledged = acknowledged;
    Q_EMIT estopAcknowledgedChanged();
}

void TeleopController::refresh()
{
    const QString signature = QStringLiteral("%1|%2|%3|%4|%5|%6")
                                  .arg(holding())
                                  .arg(holderName())
                                  .arg(canDrive())
                                  .arg(canTakeOver())
                                  .arg(statusText(), m_lastRefusal);
    if (signature == m_stateSignature)
        return;
    m_stateSignature = signature;
    Q_EMIT stateChanged();
}

void TeleopController::onConnectionChanged()
{
    if (!live()) {
        // Letting go without a Stop, which could not be sent; the robot's own deadman stops it, and
        // the backend ends the lease of a console that leaves.
        if (!m_held.leaseId.isEmpty())
            dropLease(tr("Connection lost: you no longer drive %1").arg(m_held.robotId));
        stopDriving(false);
    }
    updateRenewal();
    refresh();
}

void TeleopController::onLeaseTable(const fleet::v1::LeaseTable &table)
{
    QVariantList leases;
    bool stillHeld = false;
    for (const auto &lease : table.leases()) {
        const QString leaseId = codec::toQString(lease.lease_id());
        const QString robotId = codec::toQString(lease.robot_id());
        const QString operatorName = codec::toQString(lease.operator_name());
        // The lease id may be left out even for its holder: then the robot and the name must match.
        const bool mine = !m_held.leaseId.isEmpty() && robotId == m_held.robotId
                          && (leaseId.isEmpty() ? operatorName == m_held.operatorName : leaseId == m_held.leaseId);
        stillHeld = stillHeld || mine;
        leases.append(QVariantMap{
            {QStringLiteral("robotId"), robotId},
            {QStringLiteral("operatorName"), operatorName},
            {QStringLiteral("expiresUnixMs"), double(lease.expires_unix_ms())},
            {QStringLiteral("mine"), mine},
        });
    }
    if (leases != m_leases) {
        m_leases = leases;
        Q_EMIT leasesChanged();
    }
    // Normally a LeaseResult says so first, with the reason; this catches a table that shows the
    // robot free or someone else's.
    if (!m_held.leaseId.isEmpty() && !stillHeld)
        dropLease(tr("You no longer drive %1").arg(m_held.robotId));
    refresh();
}

void TeleopController::onServerMessage(const fleet::v1::ServerMessage &message)
{
    switch (message.kind_case()) {
    case fleet::v1::ServerMessage::kLeaseTable:
        onLeaseTable(message.lease_table());
        return;
    case fleet::v1::ServerMessage::kLeaseResult: {
        const auto &result = message.lease_result();
        const QString robotId = codec::toQString(result.robot_id());
        const QString reason = codec::toQString(result.reason());
        if (result.granted() && !result.lease().lease_id().empty()) {
            const QString leaseId = codec::toQString(result.lease().lease_id());
            if (leaseId == m_held.leaseId)
                return;  // a renewal: same lease, same sequence
            if (!m_held.leaseId.isEmpty() && m_held.robotId != robotId)
                return;  // answer to an acquire this console has since given up
            m_releasedRobotId.clear();
            m_held = {leaseId, robotId.isEmpty() ? codec::toQString(result.lease().robot_id()) : robotId,
                      codec::toQString(result.lease().operator_name()), 0};
            m_lastRefusal.clear();
            updateRenewal();
            setNotice({});
            // Taking control first stops the robot: it must not carry on with whatever it was doing
            // under the operator's hands. The ack also gives the first round-trip measurement, before
            // the operator moves it.
            (void)sendCommand(Kind::KIND_STOP, m_held.robotId);
            return;
        }
        if (!m_releasedRobotId.isEmpty() && robotId == m_releasedRobotId && m_held.leaseId.isEmpty()) {
            m_releasedRobotId.clear();
            return;  // the backend confirms the release ("released by …"): not a refusal
        }
        if (!m_held.leaseId.isEmpty() && robotId == m_held.robotId) {
            // The lease ended: expired, taken over, or the command path went down.
            const QString ended = m_held.robotId;
            dropLease(reason.isEmpty() ? tr("You no longer drive %1").arg(ended)
                                       : tr("You no longer drive %1: %2").arg(ended, reason));
            return;
        }
        if (robotId.isEmpty() || robotId == m_robotId)
            setRefusal(reason.isEmpty() ? tr("Control refused") : tr("Control refused: %1").arg(reason));
        return;
    }
    case fleet::v1::ServerMessage::kTeleopResult: {
        const auto &result = message.teleop_result();
        if (codec::toQString(result.robot_id()) != m_robotId)
            return;
        const QString reason = codec::toQString(result.reason());
        if (!result.accepted()) {
            setRefusal(tr("Command refused: %1").arg(reason.isEmpty() ? tr("no reason given") : reason));
            return;
        }
        setLimited(result.limited(), result.limited() ? reason : QString());
        // An accepted command after a refusal: the refusal is history (still in lastRefusal).
        if (!m_notice.isEmpty() && m_notice == m_lastRefusal)
            setNotice({});
        return;
    }
    case fleet::v1::ServerMessage::kTeleopAck: {
        const auto &ack = message.teleop_ack();
        const QString robotId = codec::toQString(ack.robot_id());
        // By index: Qt 5's QList has no erase(const_iterator).
        int index = -1;
        for (int i = 0; i < int(m_sent.size()) && index < 0; ++i) {
            if (m_sent.at(i).sequence == ack.sequence() && m_sent.at(i).robotId == robotId)
                index = i;
        }
        if (index < 0)
            return;  // too old to remember, or never ours
        const Sent command = m_sent.takeAt(index);
        m_roundTripMs = static_cast<int>(std::clamp<std::int64_t>(m_clock->nowUnixMs() - command.sentUnixMs, 0, 1'000'000));
        m_roundTripHistory.append(m_roundTripMs);
        while (m_roundTripHistory.size() > kRoundTripHistory)
            m_roundTripHistory.removeFirst();
        Q_EMIT roundTripChanged();
        if (robotId != m_robotId)
            return;
        const bool applied = ack.result() == fleet::v1::CommandAck::RESULT_APPLIED;
        if (applied && command.kind == Kind::KIND_EMERGENCY_STOP) {
            setEstopAcknowledged(true);
            setNotice(tr("%1 confirmed the e-stop").arg(robotId));
        } else if (applied && command.kind == Kind::KIND_RESUME_AUTONOMY) {
            setEstopAcknowledged(false);
        } else if (!applied) {
            const QString detail = codec::toQString(ack.reason());
            setRefusal(tr("%1 refused command %2: %3")
                           .arg(robotId)
                           .arg(ack.sequence())
                           .arg(detail.isEmpty() ? ackResultText(ack.result()) : detail));
        }
        return;
    }
    default:
        return;
    }
}

}  // namespace fleetdeck
