#include "teleoprouter.h"

#include "codec.h"
#include "logging.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <limits>
#include <vector>

namespace fleetdeck {
namespace {

// An acknowledgement that has not come back after this long will not; forget the command.
constexpr std::int64_t kAckWaitMs = 10'000;
// One operator drives one robot; a few leases allow a hand-over in progress, not a hoard.
constexpr int kMaxLeasesPerConsole = 4;
// Commands awaiting their ack, all consoles together; past this the oldest are forgotten.
constexpr int kMaxAwaitingAck = 20'000;

teleop::CommandGate::Kind toKind(fleet::v1::TeleopCommand::Kind kind, bool *known)
{
    *known = true;
    switch (kind) {
    case fleet::v1::TeleopCommand::KIND_DRIVE: return teleop::CommandGate::Kind::Drive;
    case fleet::v1::TeleopCommand::KIND_STOP: return teleop::CommandGate::Kind::Stop;
    case fleet::v1::TeleopCommand::KIND_EMERGENCY_STOP: return teleop::CommandGate::Kind::EmergencyStop;
    case fleet::v1::TeleopCommand::KIND_RESUME_AUTONOMY: return teleop::CommandGate::Kind::ResumeAutonomy;
    default: break;
    }
    *known = false;
    return teleop::CommandGate::Kind::Stop;
}

fleet::v1::ServerMessage leaseResult(bool granted, const QString &robotId, const QString &reason)
{
    fleet::v1::ServerMessage message;
    auto *result = message.mutable_lease_result();
    result->set_granted(granted);
    result->set_robot_id(codec::toStd(robotId));
    result->set_reason(codec::toStd(reason));
    return message;
}

}  // namespace

TeleopRouter::TeleopRouter(teleop::LeaseManager *leases, teleop::CommandGate *gate, const Clock *clock, Outbox outbox,
                           CommandSink commands, AuditSink audit, QObject *parent)
    : QObject(parent),
      m_leases(leases),
      m_gate(gate),
      m_clock(clock),
      m_outbox(std::move(outbox)),
      m_commands(std::move(commands)),
      m_audit(std::move(audit))
{
}

QString TeleopRouter::sentKey(const QString &robotId, std::uint64_t sequence)
{
    return robotId + QLatin1Char('#') + QString::number(sequence);
}

namespace {
const char *auditEventName(fleet::v1::TeleopEvent::Kind kind)
{
    switch (kind) {
    case fleet::v1::TeleopEvent::KIND_LEASE_ACQUIRED: return "lease_acquired";
    case fleet::v1::TeleopEvent::KIND_LEASE_TAKEN_OVER: return "lease_taken_over";
    case fleet::v1::TeleopEvent::KIND_LEASE_ENDED: return "lease_ended";
    case fleet::v1::TeleopEvent::KIND_EMERGENCY_STOP: return "emergency_stop";
    case fleet::v1::TeleopEvent::KIND_RESUME_AUTONOMY: return "resume_autonomy";
    default: return "unknown";
    }
}

fleet::v1::TeleopEvent teleopEvent(fleet::v1::TeleopEvent::Kind kind, const QString &robotId, const QString &operatorName)
{
    fleet::v1::TeleopEvent event;
    event.set_kind(kind);
    event.set_robot_id(codec::toStd(robotId));
    event.set_operator_name(codec::toStd(operatorName));
    return event;
}
}  // namespace

void TeleopRouter::audit(fleet::v1::TeleopEvent event)
{
    event.set_time_unix_ms(m_clock->nowUnixMs());
    QJsonObject record;
    record.insert(QStringLiteral("ts"), QDateTime::fromMSecsSinceEpoch(event.time_unix_ms(), Qt::UTC).toString(Qt::ISODateWithMs));
    record.insert(QStringLiteral("event"), QLatin1String(auditEventName(event.kind())));
    record.insert(QStringLiteral("robot_id"), codec::toQString(event.robot_id()));
    record.insert(QStringLiteral("operator"), codec::toQString(event.operator_name()));
    if (!event.detail().empty())
        record.insert(event.kind() == fleet::v1::TeleopEvent::KIND_LEASE_ENDED ? QStringLiteral("why") : QStringLiteral("reason"),
                      codec::toQString(event.detail()));
    if (event.kind() == fleet::v1::TeleopEvent::KIND_LEASE_ENDED) {
        record.insert(QStringLiteral("duration_ms"), double(event.duration_ms()));
        record.insert(QStringLiteral("commands"), double(event.commands()));
        record.insert(QStringLiteral("max_linear_mps"), double(event.max_linear_mps()));
    }
    const QByteArray json = QJsonDocument(record).toJson(QJsonDocument::Compact);
    qCInfo(lcTeleop).noquote() << "audit" << json;
    if (m_audit)
        m_audit(json);

    if (m_history.size() >= kHistoryLength)
        m_history.pop_front();
    m_history.push_back(event);
    fleet::v1::ServerMessage message;
    *message.mutable_teleop_event() = std::move(event);
    m_outbox.broadcast(message);
}

fleet::v1::ServerMessage TeleopRouter::recentHistory() const
{
    fleet::v1::ServerMessage message;
    auto *history = message.mutable_teleop_history();
    for (const fleet::v1::TeleopEvent &event : m_history)
        *history->add_events() = event;
    return message;
}

void TeleopRouter::acquire(const Console &console, const fleet::v1::AcquireLease &request)
{
    const QString robotId = codec::toQString(request.robot_id());
    if (!m_gate->isCommandPathUp()) {
        m_outbox.sendTo(console.sessionId, leaseResult(false, robotId, tr("The command path to the robots is down; try again when it is back.")));
        return;
    }
    const bool alreadyHeld = [&] {
        const std::optional<teleop::Lease> current = m_leases->leaseFor(robotId);
        return current && m_sessionByLease.value(current->id) == console.sessionId;
    }();
    if (!alreadyHeld && std::count(m_sessionByLease.cbegin(), m_sessionByLease.cend(), console.sessionId) >= kMaxLeasesPerConsole) {
        m_outbox.sendTo(console.sessionId,
                        leaseResult(false, robotId, tr("This console already holds %1 robots; release one first.").arg(kMaxLeasesPerConsole)));
        return;
    }
    teleop::LeaseManager::Result result = request.takeover()
        ? m_leases->takeOver(robotId, console.operatorName, console.role, codec::toQString(request.reason()))
        : m_leases->acquire(robotId, console.operatorName, console.role);
    if (!result.ok) {
        m_outbox.sendTo(console.sessionId, leaseResult(false, robotId, result.reason));
        return;
    }
    if (result.revoked)
        endLease(*result.revoked, result.reason);
    const bool renewed = m_sessionByLease.contains(result.lease.id);
    m_sessionByLease.insert(result.lease.id, console.sessionId);
    m_operatorByLease.insert(result.lease.id, console.operatorName);

    fleet::v1::ServerMessage reply = leaseResult(true, robotId, {});
    auto *lease = reply.mutable_lease_result()->mutable_lease();
    lease->set_lease_id(codec::toStd(result.lease.id));
    lease->set_robot_id(request.robot_id());
    lease->set_operator_name(codec::toStd(console.operatorName));
    lease->set_expires_unix_ms(result.lease.expiresUnixMs);
    m_outbox.sendTo(console.sessionId, reply);
    if (!renewed) {
        fleet::v1::TeleopEvent event = teleopEvent(request.takeover() ? fleet::v1::TeleopEvent::KIND_LEASE_TAKEN_OVER
                                                                      : fleet::v1::TeleopEvent::KIND_LEASE_ACQUIRED,
                                                   robotId, console.operatorName);
        if (request.takeover())
            event.set_detail(request.reason());
        audit(std::move(event));
        broadcastLeaseTable();
    }
}

void TeleopRouter::release(const Console &console, const fleet::v1::ReleaseLease &request)
{
    const teleop::LeaseManager::Result result = m_leases->release(codec::toQString(request.lease_id()), console.operatorName);
    if (!result.ok) {
        m_outbox.sendTo(console.sessionId, leaseResult(false, {}, result.reason));
        return;
    }
    endLease(result.lease, tr("released by %1").arg(console.operatorName));
}

void TeleopRouter::endLease(const teleop::Lease &lease, const QString &why)
{
    sendStop(lease);
    const quint64 holder = m_sessionByLease.take(lease.id);
    const QString operatorName = m_operatorByLease.take(lease.id);
    if (holder)
        m_outbox.sendTo(holder, leaseResult(false, lease.robotId, why));
    fleet::v1::TeleopEvent event = teleopEvent(fleet::v1::TeleopEvent::KIND_LEASE_ENDED, lease.robotId,
                                               operatorName.isEmpty() ? lease.operatorId : operatorName);
    event.set_detail(codec::toStd(why));
    event.set_duration_ms(m_clock->nowUnixMs() - lease.startedUnixMs);
    event.set_commands(static_cast<std::uint32_t>(lease.commandsAccepted));
    event.set_max_linear_mps(static_cast<float>(lease.maxLinearMps));
    audit(std::move(event));
    broadcastLeaseTable();
}

void TeleopRouter::sendStop(const teleop::Lease &ended)
{
    // A robot on a street must not keep moving on the last drive command of a lease that ended.
    if (!m_commands(m_gate->stopAfter(ended)))
        qCWarning(lcTeleop).noquote() << "could not queue the stop for" << ended.robotId
                                      << "; its own deadman will stop it";
}

void TeleopRouter::command(const Console &console, const fleet::v1::TeleopCommand &request)
{
    teleop::CommandGate::Request gateRequest;
    bool known = false;
    gateRequest.kind = toKind(request.kind(), &known);
    gateRequest.robotId = codec::toQString(request.robot_id());
    gateRequest.operatorId = console.operatorName;
    gateRequest.role = console.role;
    gateRequest.leaseId = codec::toQString(request.lease_id());
    gateRequest.sequence = request.sequence();
    gateRequest.sentUnixMs = request.sent_unix_ms();
    gateRequest.linearMps = request.linear_mps();
    gateRequest.angularDps = request.angular_dps();

    fleet::v1::ServerMessage reply;
    auto *result = reply.mutable_teleop_result();
    result->set_robot_id(request.robot_id());
    result->set_sequence(request.sequence());
    if (!known) {
        result->set_reason(codec::toStd(tr("unknown command kind %1").arg(int(request.kind()))));
        m_outbox.sendTo(console.sessionId, reply);
        return;
    }

    const teleop::CommandGate::Decision decision = m_gate->decide(gateRequest);
    bool accepted = decision.accepted;
    QString reason = decision.reason;
    if (accepted && !m_commands(decision.command)) {
        accepted = false;
        reason = tr("The command could not be queued for the robot: not sent.");
    }
    result->set_accepted(accepted);
    result->set_limited(accepted && decision.limited);
    result->set_reason(codec::toStd(reason));
    m_outbox.sendTo(console.sessionId, reply);
    if (!accepted)
        return;

    if (m_sent.size() >= kMaxAwaitingAck)
        m_sent.clear();  // acks that never came; round trips of the lost ones are not measured
    m_sent.insert(sentKey(gateRequest.robotId, request.sequence()),
                  {console.sessionId, gateRequest.leaseId, m_clock->nowUnixMs()});
    if (gateRequest.kind == teleop::CommandGate::Kind::EmergencyStop) {
        audit(teleopEvent(fleet::v1::TeleopEvent::KIND_EMERGENCY_STOP, gateRequest.robotId, console.operatorName));
        return;
    }
    if (gateRequest.kind == teleop::CommandGate::Kind::ResumeAutonomy)
        audit(teleopEvent(fleet::v1::TeleopEvent::KIND_RESUME_AUTONOMY, gateRequest.robotId, console.operatorName));
    (void)m_leases->renew(gateRequest.leaseId, console.operatorName);  // driving keeps the lease
}

void TeleopRouter::acknowledged(const fleet::v1::CommandAck &ack)
{
    const auto sent = m_sent.constFind(sentKey(codec::toQString(ack.robot_id()), ack.sequence()));
    if (sent == m_sent.cend())
        return;  // another replica's console, or a stop the backend sent itself
    const std::int64_t roundTripMs = m_clock->nowUnixMs() - sent->issuedUnixMs;
    if (!sent->leaseId.isEmpty())
        (void)m_gate->reportRoundTrip(sent->leaseId, roundTripMs);
    const std::int64_t now = m_clock->nowUnixMs();
    while (!m_roundTrips.empty() && (m_roundTrips.front().first < now - 60'000 || m_roundTrips.size() >= 4096))
        m_roundTrips.pop_front();
    m_roundTrips.emplace_back(now, roundTripMs);
    fleet::v1::ServerMessage relay;
    auto *out = relay.mutable_teleop_ack();
    out->set_robot_id(ack.robot_id());
    out->set_sequence(ack.sequence());
    out->set_result(ack.result());
    out->set_reason(ack.reason());
    m_outbox.sendTo(sent->sessionId, relay);
    m_sent.erase(sent);
}

double TeleopRouter::roundTripP99Ms(std::int64_t windowMs) const
{
    const std::int64_t since = m_clock->nowUnixMs() - windowMs;
    std::vector<std::int64_t> recent;
    for (const auto &[at, roundTripMs] : m_roundTrips) {
        if (at >= since)
            recent.push_back(roundTripMs);
    }
    if (recent.empty())
        return std::numeric_limits<double>::quiet_NaN();
    const auto rank = recent.begin() + static_cast<std::ptrdiff_t>((recent.size() - 1) * 99 / 100);
    std::nth_element(recent.begin(), rank, recent.end());
    return double(*rank);
}

void TeleopRouter::consoleGone(quint64 sessionId)
{
    QList<QString> held;
    for (auto it = m_sessionByLease.cbegin(); it != m_sessionByLease.cend(); ++it) {
        if (it.value() == sessionId)
            held.append(it.key());
    }
    for (const QString &leaseId : held) {
        const teleop::LeaseManager::Result result = m_leases->release(leaseId, m_operatorByLease.value(leaseId));
        if (result.ok)
            endLease(result.lease, tr("the console disconnected"));
        else
            m_sessionByLease.remove(leaseId);
    }
}

void TeleopRouter::endAllLeases(const QString &why)
{
    for (const teleop::Lease &lease : m_leases->leases()) {
        const teleop::LeaseManager::Result result = m_leases->release(lease.id, lease.operatorId);
        if (result.ok)
            endLease(result.lease, why);
    }
}

void TeleopRouter::expireLeases()
{
    for (const teleop::Lease &lease : m_leases->expire())
        endLease(lease, tr("expired: the console stopped renewing it"));
    const std::int64_t now = m_clock->nowUnixMs();
    for (auto it = m_sent.begin(); it != m_sent.end();) {
        if (now - it->issuedUnixMs > kAckWaitMs)
            it = m_sent.erase(it);
        else
            ++it;
    }
}

void TeleopRouter::setCommandPathUp(bool up)
{
    m_gate->setCommandPathUp(up);
}

fleet::v1::ServerMessage TeleopRouter::leaseTable() const
{
    fleet::v1::ServerMessage message;
    auto *table = message.mutable_lease_table();
    for (const teleop::Lease &lease : m_leases->leases()) {
        auto *out = table->add_leases();
        out->set_robot_id(codec::toStd(lease.robotId));
        out->set_operator_name(codec::toStd(m_operatorByLease.value(lease.id, lease.operatorId)));
        out->set_expires_unix_ms(lease.expiresUnixMs);
    }
    return message;
}

void TeleopRouter::broadcastLeaseTable()
{
    if (m_outbox.broadcast)
        m_outbox.broadcast(leaseTable());
}

}  // namespace fleetdeck
