#include "teleoprouter.h"

#include "codec.h"
#include "logging.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <iterator>
#include <limits>
#include <utility>
#include <vector>

namespace fleetdeck {
namespace {

// An acknowledgement that has not come back after this long will not; forget the command.
constexpr std::int64_t kAckWaitMs = 10'000;
// One operator drives one robot; a few leases allow a hand-over in progress, not a hoard.
constexpr int kMaxLeasesPerConsole = 4;
// Commands awaiting their ack, all consoles together; past this the oldest are forgotten.
constexpr int kMaxAwaitingAck = 20'000;
// A claim not read back from the lease log by then is refused; if it wins later, it is released.
constexpr std::int64_t kClaimWaitMs = 5'000;
// Driving renews the shared lease at most this often (each renewal is a record in the log).
constexpr std::int64_t kRenewEveryMs = 1'000;
// Another replica's lease expired this long ago is ended by whoever notices: its holder is gone.
constexpr std::int64_t kAbandonedGraceMs = 1'000;
// The Stop for a lease another replica held: no command of it can be newer than this one.
constexpr std::uint64_t kForeignStopAfterSequence = std::numeric_limits<std::uint64_t>::max() - 1;

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

const char *commandKindName(fleet::v1::TeleopCommand::Kind kind)
{
    switch (kind) {
    case fleet::v1::TeleopCommand::KIND_DRIVE: return "drive";
    case fleet::v1::TeleopCommand::KIND_STOP: return "stop";
    case fleet::v1::TeleopCommand::KIND_EMERGENCY_STOP: return "emergency_stop";
    case fleet::v1::TeleopCommand::KIND_RESUME_AUTONOMY: return "resume_autonomy";
    default: return "unknown";
    }
}

const char *ackResultName(fleet::v1::CommandAck::Result result)
{
    switch (result) {
    case fleet::v1::CommandAck::RESULT_APPLIED: return "applied";
    case fleet::v1::CommandAck::RESULT_REJECTED_LATE: return "rejected_late";
    case fleet::v1::CommandAck::RESULT_REJECTED_SEQUENCE: return "rejected_sequence";
    case fleet::v1::CommandAck::RESULT_REJECTED_LEASE: return "rejected_lease";
    case fleet::v1::CommandAck::RESULT_REJECTED_STATE: return "rejected_state";
    default: return "unspecified";
    }
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

void TeleopRouter::audit(fleet::v1::TeleopEvent event, const QByteArray &traceId)
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
    if (!traceId.isEmpty())
        record.insert(QStringLiteral("trace_id"), QString::fromLatin1(traceId));
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
    // One entry per console (its latest request): bounded by the number of consoles.
    m_requestedTrace.insert(console.sessionId,
                            {robotId, TraceContext::parse(request.traceparent()).value_or(TraceContext::newTrace())});
    if (!m_gate->isCommandPathUp()) {
        m_outbox.sendTo(console.sessionId, leaseResult(false, robotId, tr("The command path to the robots is down; try again when it is back.")));
        return;
    }
    if (m_log) {
        acquireThroughLog(console, request);
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
    granted(console, result.lease, request.takeover(), request.reason());
}

void TeleopRouter::granted(const Console &console, const teleop::Lease &lease, bool takeover, const std::string &reason)
{
    const bool renewed = m_sessionByLease.contains(lease.id);
    m_sessionByLease.insert(lease.id, console.sessionId);
    m_operatorByLease.insert(lease.id, console.operatorName);
    // A grant is a rare event: the moment to forget traces of leases that ended by any path.
    for (auto it = m_traceByLease.begin(); it != m_traceByLease.end();)
        it = m_sessionByLease.contains(it.key()) ? std::next(it) : m_traceByLease.erase(it);
    const auto requested = m_requestedTrace.constFind(console.sessionId);
    if (requested != m_requestedTrace.cend() && requested->first == lease.robotId)
        m_traceByLease.insert(lease.id, requested->second);

    fleet::v1::ServerMessage reply = leaseResult(true, lease.robotId, {});
    auto *out = reply.mutable_lease_result()->mutable_lease();
    out->set_lease_id(codec::toStd(lease.id));
    out->set_robot_id(codec::toStd(lease.robotId));
    out->set_operator_name(codec::toStd(console.operatorName));
    out->set_expires_unix_ms(lease.expiresUnixMs);
    m_outbox.sendTo(console.sessionId, reply);
    if (!renewed) {
        fleet::v1::TeleopEvent event = teleopEvent(takeover ? fleet::v1::TeleopEvent::KIND_LEASE_TAKEN_OVER
                                                            : fleet::v1::TeleopEvent::KIND_LEASE_ACQUIRED,
                                                   lease.robotId, console.operatorName);
        if (takeover)
            event.set_detail(reason);
        audit(std::move(event), m_traceByLease.value(lease.id).traceId);
        if (!m_log)  // with a lease log, the table changed when the claim was applied, and was sent then
            broadcastLeaseTable();
    }
}

void TeleopRouter::setLeaseLog(LeaseLog log)
{
    m_log = std::move(log);
}

void TeleopRouter::acquireThroughLog(const Console &console, const fleet::v1::AcquireLease &request)
{
    const QString robotId = codec::toQString(request.robot_id());
    if (!m_leaseLogUp) {
        m_outbox.sendTo(console.sessionId, leaseResult(false, robotId, tr("The lease log is unreachable; try again when it is back.")));
        return;
    }
    // The holder asking again keeps what it has: a renewal, not a new claim.
    const std::optional<teleop::Lease> current = m_leases->leaseFor(robotId);
    if (current && m_sessionByLease.value(current->id) == console.sessionId) {
        const teleop::LeaseManager::Result result = m_leases->acquire(robotId, console.operatorName, console.role);
        if (result.ok) {
            renewShared(result.lease, false);
            granted(console, result.lease, false, {});
            return;
        }
    }
    int held = int(std::count(m_sessionByLease.cbegin(), m_sessionByLease.cend(), console.sessionId));
    for (const PendingClaim &claim : std::as_const(m_pending)) {
        if (claim.abandoned || claim.console.sessionId != console.sessionId)
            continue;
        if (claim.robotId == robotId)
            return;  // already claimed, the answer is on its way
        ++held;
    }
    if (held >= kMaxLeasesPerConsole) {
        m_outbox.sendTo(console.sessionId,
                        leaseResult(false, robotId, tr("This console already holds %1 robots; release one first.").arg(kMaxLeasesPerConsole)));
        return;
    }
    const QString reason = codec::toQString(request.reason());
    const std::int64_t now = m_clock->nowUnixMs();
    QString why;
    // What the log would refuse anyway is refused now; the log still decides the rest.
    const teleop::LeaseManager::Refusal refusal =
        m_table.precheck(robotId, console.operatorName, console.role, request.takeover(), reason, now, &why);
    // A lease this replica ended whose Release is still on its way to the log is no obstacle: the
    // claim follows that Release into the same partition.
    const std::optional<teleop::SharedLease> shared = m_table.leaseFor(robotId);
    const bool releaseInFlight = refusal == teleop::LeaseManager::Refusal::HeldByOther && shared
        && shared->replicaId == m_log->replicaId && !m_leases->find(shared->leaseId);
    if (refusal != teleop::LeaseManager::Refusal::None && !releaseInFlight) {
        m_outbox.sendTo(console.sessionId, leaseResult(false, robotId, why));
        return;
    }

    teleop::LeaseRecord claim;
    claim.kind = teleop::LeaseRecord::Kind::Claim;
    claim.robotId = robotId;
    claim.leaseId = teleop::LeaseManager::newLeaseId();
    claim.replicaId = m_log->replicaId;
    claim.holderReplicaId = m_log->replicaId;
    claim.operatorId = console.operatorName;
    claim.role = console.role;
    claim.takeover = request.takeover();
    claim.reason = reason;
    claim.atUnixMs = now;
    claim.startedUnixMs = now;
    claim.expiresUnixMs = now + m_leases->config().ttlMs;
    if (!m_log->produce(claim)) {
        m_outbox.sendTo(console.sessionId, leaseResult(false, robotId, tr("The lease log cannot take the claim; try again.")));
        return;
    }
    m_pending.insert(claim.leaseId, PendingClaim{console, robotId, claim.takeover, reason, now, false});
}

void TeleopRouter::applyLeaseRecord(const teleop::LeaseRecord &record)
{
    if (!m_log)
        return;
    const teleop::LeaseTable::Outcome outcome = m_table.apply(record);
    if (outcome.ended)
        sharedLeaseEnded(*outcome.ended, outcome.endedWhy, record);

    if (record.kind == teleop::LeaseRecord::Kind::Claim && record.replicaId == m_log->replicaId) {
        const auto found = m_pending.constFind(record.leaseId);
        const std::optional<PendingClaim> pending =
            found == m_pending.cend() ? std::nullopt : std::optional<PendingClaim>(*found);
        m_pending.remove(record.leaseId);
        if (!pending || pending->abandoned) {
            // Nobody waits for it any more: a lease nobody drives must not block the robot.
            if (outcome.claimWon && outcome.changed)
                produceRelease(record.robotId, record.leaseId, tr("the claim was abandoned"));
        } else if (!outcome.claimWon) {
            m_outbox.sendTo(pending->console.sessionId, leaseResult(false, record.robotId, outcome.refusal));
        } else if (outcome.changed) {
            grantClaim(*pending, record.leaseId);
        }
    }
    if (outcome.changed)
        broadcastLeaseTable();
}

void TeleopRouter::grantClaim(const PendingClaim &claim, const QString &leaseId)
{
    // The log has decided: whatever this replica still holds on the robot has ended.
    if (const std::optional<teleop::Lease> old = m_leases->leaseFor(claim.robotId)) {
        const teleop::LeaseManager::Result ended = m_leases->release(old->id, old->operatorId);
        if (ended.ok)
            endLease(ended.lease, tr("%1 taken over by %2").arg(claim.robotId, claim.console.operatorName));
    }
    const teleop::LeaseManager::Result result = claim.takeover
        ? m_leases->takeOver(claim.robotId, claim.console.operatorName, claim.console.role, claim.reason, leaseId)
        : m_leases->acquire(claim.robotId, claim.console.operatorName, claim.console.role, leaseId);
    if (!result.ok) {
        m_outbox.sendTo(claim.console.sessionId, leaseResult(false, claim.robotId, result.reason));
        produceRelease(claim.robotId, leaseId, result.reason);
        return;
    }
    m_renewedUnixMs.insert(leaseId, m_clock->nowUnixMs());
    granted(claim.console, result.lease, claim.takeover, codec::toStd(claim.reason));
}

void TeleopRouter::sharedLeaseEnded(const teleop::SharedLease &ended, const QString &why, const teleop::LeaseRecord &by)
{
    m_renewedUnixMs.remove(ended.leaseId);
    if (ended.replicaId == m_log->replicaId) {
        // Ours, ended by the log (a takeover, or found expired): this replica tells its console and
        // stops the robot, with the lease's own next sequence.
        if (const std::optional<teleop::Lease> local = m_leases->find(ended.leaseId)) {
            const teleop::LeaseManager::Result result = m_leases->release(local->id, local->operatorId);
            if (result.ok)
                endLease(result.lease, why);
        }
        return;
    }
    if (by.replicaId != m_log->replicaId)
        return;
    // Another replica's lease that this replica's record ended (a takeover, or its holder vanished):
    // that replica may not be there to stop the robot, so this one does.
    teleop::Lease lease;
    lease.id = ended.leaseId;
    lease.robotId = ended.robotId;
    lease.operatorId = ended.operatorId;
    lease.lastSequence = kForeignStopAfterSequence;
    sendStop(lease);
    fleet::v1::TeleopEvent event = teleopEvent(fleet::v1::TeleopEvent::KIND_LEASE_ENDED, ended.robotId, ended.operatorId);
    event.set_detail(codec::toStd(why));
    event.set_duration_ms(by.atUnixMs - ended.startedUnixMs);
    audit(std::move(event));
}

void TeleopRouter::renewShared(const teleop::Lease &lease, bool force)
{
    if (!m_log)
        return;
    const std::int64_t now = m_clock->nowUnixMs();
    const auto last = m_renewedUnixMs.constFind(lease.id);
    if (!force && last != m_renewedUnixMs.cend() && now - *last < kRenewEveryMs)
        return;
    teleop::LeaseRecord renew;
    renew.kind = teleop::LeaseRecord::Kind::Renew;
    renew.robotId = lease.robotId;
    renew.leaseId = lease.id;
    renew.replicaId = m_log->replicaId;
    renew.holderReplicaId = m_log->replicaId;
    renew.operatorId = lease.operatorId;
    renew.role = lease.role;
    renew.atUnixMs = now;
    renew.startedUnixMs = lease.startedUnixMs;
    renew.expiresUnixMs = lease.expiresUnixMs;
    if (m_log->produce(renew))
        m_renewedUnixMs.insert(lease.id, now);
}

void TeleopRouter::produceRelease(const QString &robotId, const QString &leaseId, const QString &why)
{
    teleop::LeaseRecord release;
    release.kind = teleop::LeaseRecord::Kind::Release;
    release.robotId = robotId;
    release.leaseId = leaseId;
    release.replicaId = m_log->replicaId;
    release.reason = why;
    release.atUnixMs = m_clock->nowUnixMs();
    // Not queued: the lease still ends here now; the log lets it expire, and others then release it.
    if (!m_log->produce(release))
        qCWarning(lcTeleop).noquote() << "could not log the end of the lease on" << robotId;
}

void TeleopRouter::expireShared()
{
    const std::int64_t now = m_clock->nowUnixMs();
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (!it->abandoned && now - it->madeUnixMs > kClaimWaitMs) {
            m_outbox.sendTo(it->console.sessionId,
                            leaseResult(false, it->robotId, tr("The lease log did not answer in time; try again.")));
            it->abandoned = true;
        }
        // Long gone: it never came back, and will not.
        it = now - it->madeUnixMs > 12 * kClaimWaitMs ? m_pending.erase(it) : std::next(it);
    }
    for (const teleop::SharedLease &lease : m_table.abandoned(m_log->replicaId, now, kAbandonedGraceMs)) {
        if (m_swept.contains(lease.leaseId))
            continue;
        m_swept.insert(lease.leaseId);
        produceRelease(lease.robotId, lease.leaseId, tr("expired: its backend replica stopped renewing it"));
    }
    if (m_swept.size() > 10'000)
        m_swept.clear();
    // Leases of other replicas also lapse by time alone: consoles must stop showing them.
    QStringList live;
    for (const teleop::SharedLease &lease : m_table.leases(now))
        live.append(lease.leaseId);
    if (live != m_broadcastLeases)
        broadcastLeaseTable();
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
    // Ended here first (a release, a console gone, local expiry): the other replicas learn it from the log.
    if (m_log) {
        const std::optional<teleop::SharedLease> shared = m_table.find(lease.id);
        if (shared && shared->replicaId == m_log->replicaId)
            produceRelease(lease.robotId, lease.id, why);
        m_renewedUnixMs.remove(lease.id);
    }
    const quint64 holder = m_sessionByLease.take(lease.id);
    const QString operatorName = m_operatorByLease.take(lease.id);
    const TraceContext trace = m_traceByLease.take(lease.id);
    if (holder)
        m_outbox.sendTo(holder, leaseResult(false, lease.robotId, why));
    fleet::v1::TeleopEvent event = teleopEvent(fleet::v1::TeleopEvent::KIND_LEASE_ENDED, lease.robotId,
                                               operatorName.isEmpty() ? lease.operatorId : operatorName);
    event.set_detail(codec::toStd(why));
    event.set_duration_ms(m_clock->nowUnixMs() - lease.startedUnixMs);
    event.set_commands(static_cast<std::uint32_t>(lease.commandsAccepted));
    event.set_max_linear_mps(static_cast<float>(lease.maxLinearMps));
    audit(std::move(event), trace.traceId);
    if (!m_log)  // with a lease log, consoles see the end when the log has it
        broadcastLeaseTable();
}

void TeleopRouter::sendStop(const teleop::Lease &ended)
{
    // A robot on a street must not keep moving on the last drive command of a lease that ended.
    fleet::v1::Command stop = m_gate->stopAfter(ended);
    const auto trace = m_traceByLease.constFind(ended.id);
    if (trace != m_traceByLease.cend())
        stop.set_traceparent(trace->child().traceparent().toStdString());
    if (!m_commands(stop))
        qCWarning(lcTeleop).noquote() << "could not queue the stop for" << ended.robotId
                                      << "; its own deadman will stop it";
}

void TeleopRouter::command(const Console &console, const fleet::v1::TeleopCommand &request)
{
    QElapsedTimer elapsed;
    elapsed.start();
    const std::int64_t receivedUnixMs = m_clock->nowUnixMs();
    // A missing or malformed traceparent starts a trace of our own (W3C), it does not fail the command.
    const std::optional<TraceContext> parent = TraceContext::parse(request.traceparent());
    Span span;
    span.name = QStringLiteral("teleop.command");
    span.kind = Span::Kind::Server;
    span.context = parent ? parent->child() : TraceContext::newTrace();
    span.parentSpanId = parent ? parent->spanId : QByteArray();
    span.startUnixNs = receivedUnixMs * 1'000'000;
    span.attributes = {{QStringLiteral("fleetdeck.robot_id"), codec::toQString(request.robot_id())},
                       {QStringLiteral("fleetdeck.operator"), console.operatorName},
                       {QStringLiteral("fleetdeck.command.kind"), QLatin1String(commandKindName(request.kind()))},
                       {QStringLiteral("fleetdeck.command.sequence"), qint64(request.sequence())}};
    const TraceContext publish = span.context.child();
    const auto finish = [&](bool accepted, const QString &reason) {
        span.endUnixNs = span.startUnixNs + elapsed.nsecsElapsed();
        span.attributes.append({QStringLiteral("fleetdeck.command.accepted"), accepted});
        span.failed = !accepted;
        span.statusMessage = accepted ? QString() : reason;
        exportSpan(std::move(span));
    };

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
    gateRequest.traceparent = QString::fromLatin1(publish.traceparent());

    fleet::v1::ServerMessage reply;
    auto *result = reply.mutable_teleop_result();
    result->set_robot_id(request.robot_id());
    result->set_sequence(request.sequence());
    if (!known) {
        result->set_reason(codec::toStd(tr("unknown command kind %1").arg(int(request.kind()))));
        m_outbox.sendTo(console.sessionId, reply);
        finish(false, codec::toQString(result->reason()));
        return;
    }

    // Across replicas, only the log says who holds a lease: this replica must hold it there too.
    // (A command path that is down is the gate's to report first.)
    if (m_log && m_gate->isCommandPathUp() && gateRequest.kind != teleop::CommandGate::Kind::EmergencyStop) {
        const std::optional<teleop::SharedLease> shared = m_table.find(gateRequest.leaseId);
        if (!shared || shared->replicaId != m_log->replicaId || m_clock->nowUnixMs() >= shared->expiresUnixMs) {
            const std::optional<teleop::SharedLease> holder = m_table.leaseFor(gateRequest.robotId);
            result->set_reason(codec::toStd(holder && m_clock->nowUnixMs() < holder->expiresUnixMs
                                                ? teleop::LeaseTable::describeHolder(*holder)
                                                : tr("no lease on %1 held through this backend").arg(gateRequest.robotId)));
            m_outbox.sendTo(console.sessionId, reply);
            finish(false, codec::toQString(result->reason()));
            return;
        }
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
    const QByteArray traceId = span.context.traceId;
    const QByteArray commandSpanId = span.context.spanId;
    finish(accepted, reason);
    if (!accepted)
        return;

    if (m_sent.size() >= kMaxAwaitingAck)
        m_sent.clear();  // acks that never came; round trips of the lost ones are not measured
    m_sent.insert(sentKey(gateRequest.robotId, request.sequence()),
                  {console.sessionId, gateRequest.leaseId, m_clock->nowUnixMs(), publish, commandSpanId, gateRequest.robotId});
    if (gateRequest.kind == teleop::CommandGate::Kind::EmergencyStop) {
        audit(teleopEvent(fleet::v1::TeleopEvent::KIND_EMERGENCY_STOP, gateRequest.robotId, console.operatorName), traceId);
        return;
    }
    if (gateRequest.kind == teleop::CommandGate::Kind::ResumeAutonomy)
        audit(teleopEvent(fleet::v1::TeleopEvent::KIND_RESUME_AUTONOMY, gateRequest.robotId, console.operatorName), traceId);
    const teleop::LeaseManager::Result renewed = m_leases->renew(gateRequest.leaseId, console.operatorName);  // driving keeps the lease
    if (renewed.ok)
        renewShared(renewed.lease, false);
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
    endPublishSpan(*sent, &ack);
    m_sent.erase(sent);
}

void TeleopRouter::exportSpan(Span span) const
{
    if (m_spans)
        m_spans(std::move(span));
}

void TeleopRouter::endPublishSpan(const Sent &sent, const fleet::v1::CommandAck *ack) const
{
    if (!m_spans || !sent.publish.isValid())
        return;
    Span span;
    span.name = QStringLiteral("fleet.commands publish");
    span.kind = Span::Kind::Producer;
    span.context = sent.publish;
    span.parentSpanId = sent.publishParentSpanId;
    span.startUnixNs = sent.issuedUnixMs * 1'000'000;
    span.endUnixNs = m_clock->nowUnixMs() * 1'000'000;
    span.attributes = {{QStringLiteral("messaging.system"), QStringLiteral("kafka")},
                       {QStringLiteral("messaging.operation"), QStringLiteral("publish")},
                       {QStringLiteral("fleetdeck.robot_id"), sent.robotId}};
    if (ack) {
        span.attributes.append({QStringLiteral("fleetdeck.ack.result"), QLatin1String(ackResultName(ack->result()))});
        span.attributes.append({QStringLiteral("fleetdeck.round_trip_ms"), qint64(m_clock->nowUnixMs() - sent.issuedUnixMs)});
        span.failed = ack->result() != fleet::v1::CommandAck::RESULT_APPLIED;
        span.statusMessage = span.failed ? codec::toQString(ack->reason()) : QString();
    } else {
        span.failed = true;
        span.statusMessage = tr("no acknowledgement from the robot within %1 s").arg(kAckWaitMs / 1000);
    }
    m_spans(std::move(span));
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
    for (PendingClaim &claim : m_pending) {
        if (claim.console.sessionId == sessionId)
            claim.abandoned = true;
    }
    m_requestedTrace.remove(sessionId);
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
    // While Kafka is unreachable every drive command is refused, and a refused command renews
    // nothing: the lease runs out however hard the operator holds the control.
    const QString why = m_gate->isCommandPathUp() ? tr("expired: the console stopped renewing it")
                                                  : tr("expired: Kafka is unreachable, so no command could renew it");
    for (const teleop::Lease &lease : m_leases->expire())
        endLease(lease, why);
    if (m_log)
        expireShared();
    const std::int64_t now = m_clock->nowUnixMs();
    for (auto it = m_sent.begin(); it != m_sent.end();) {
        if (now - it->issuedUnixMs > kAckWaitMs) {
            endPublishSpan(*it, nullptr);
            it = m_sent.erase(it);
        }
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
    if (m_log) {
        // Everyone's, through every replica, as the log has it.
        for (const teleop::SharedLease &lease : m_table.leases(m_clock->nowUnixMs())) {
            auto *out = table->add_leases();
            out->set_robot_id(codec::toStd(lease.robotId));
            out->set_operator_name(codec::toStd(lease.operatorId));
            out->set_expires_unix_ms(lease.expiresUnixMs);
        }
        return message;
    }
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
    if (m_log) {
        m_broadcastLeases.clear();
        for (const teleop::SharedLease &lease : m_table.leases(m_clock->nowUnixMs()))
            m_broadcastLeases.append(lease.leaseId);
    }
    if (m_outbox.broadcast)
        m_outbox.broadcast(leaseTable());
}

}  // namespace fleetdeck
