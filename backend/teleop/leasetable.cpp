#include "leasetable.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace fleetdeck::teleop {
namespace {

// Ended lease ids remembered against stray renewals; a renewal is in flight for milliseconds.
constexpr std::size_t kEndedRemembered = 10'000;

QString kindName(LeaseRecord::Kind kind)
{
    switch (kind) {
    case LeaseRecord::Kind::Claim: return QStringLiteral("claim");
    case LeaseRecord::Kind::Renew: return QStringLiteral("renew");
    case LeaseRecord::Kind::Release: return QStringLiteral("release");
    }
    return {};
}

QString roleName(Role role)
{
    switch (role) {
    case Role::Viewer: return QStringLiteral("viewer");
    case Role::Operator: return QStringLiteral("operator");
    case Role::Admin: return QStringLiteral("admin");
    }
    return {};
}

}  // namespace

QByteArray LeaseRecord::encode() const
{
    QJsonObject o;
    o.insert(QStringLiteral("type"), kindName(kind));
    o.insert(QStringLiteral("robot"), robotId);
    o.insert(QStringLiteral("lease"), leaseId);
    o.insert(QStringLiteral("replica"), replicaId);
    o.insert(QStringLiteral("at"), double(atUnixMs));
    if (kind != Kind::Release) {
        o.insert(QStringLiteral("holder_replica"), holderReplicaId);
        o.insert(QStringLiteral("operator"), operatorId);
        o.insert(QStringLiteral("role"), roleName(role));
        o.insert(QStringLiteral("started"), double(startedUnixMs));
        o.insert(QStringLiteral("expires"), double(expiresUnixMs));
    }
    if (takeover)
        o.insert(QStringLiteral("takeover"), true);
    if (!reason.isEmpty())
        o.insert(QStringLiteral("reason"), reason);
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

std::optional<LeaseRecord> LeaseRecord::decode(const QByteArray &payload)
{
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(payload, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return std::nullopt;
    const QJsonObject o = document.object();
    LeaseRecord r;
    const QString type = o.value(QStringLiteral("type")).toString();
    if (type == QLatin1String("claim"))
        r.kind = Kind::Claim;
    else if (type == QLatin1String("renew"))
        r.kind = Kind::Renew;
    else if (type == QLatin1String("release"))
        r.kind = Kind::Release;
    else
        return std::nullopt;
    r.robotId = o.value(QStringLiteral("robot")).toString();
    r.leaseId = o.value(QStringLiteral("lease")).toString();
    r.replicaId = o.value(QStringLiteral("replica")).toString();
    r.holderReplicaId = o.value(QStringLiteral("holder_replica")).toString();
    r.operatorId = o.value(QStringLiteral("operator")).toString();
    const QString role = o.value(QStringLiteral("role")).toString();
    r.role = role == QLatin1String("admin") ? Role::Admin : role == QLatin1String("operator") ? Role::Operator : Role::Viewer;
    r.takeover = o.value(QStringLiteral("takeover")).toBool();
    r.reason = o.value(QStringLiteral("reason")).toString();
    r.atUnixMs = static_cast<std::int64_t>(o.value(QStringLiteral("at")).toDouble());
    r.startedUnixMs = static_cast<std::int64_t>(o.value(QStringLiteral("started")).toDouble());
    r.expiresUnixMs = static_cast<std::int64_t>(o.value(QStringLiteral("expires")).toDouble());
    if (r.robotId.isEmpty() || r.leaseId.isEmpty())
        return std::nullopt;
    if (r.kind != Kind::Release && (r.operatorId.isEmpty() || r.holderReplicaId.isEmpty()))
        return std::nullopt;
    return r;
}

LeaseTable::Outcome LeaseTable::apply(const LeaseRecord &record)
{
    Outcome outcome;
    const auto current = m_byRobot.find(record.robotId);
    const bool live = current != m_byRobot.end() && record.atUnixMs < current->second.expiresUnixMs;

    switch (record.kind) {
    case LeaseRecord::Kind::Claim: {
        if (live && current->second.leaseId == record.leaseId) {
            outcome.claimWon = true;  // the same claim delivered twice
            return outcome;
        }
        if (m_ended.contains(record.leaseId)) {
            outcome.refusal = QStringLiteral("the lease on %1 has already ended").arg(record.robotId);
            return outcome;
        }
        // The same rules as LeaseManager, judged at the record's time.
        if (record.role == Role::Viewer) {
            outcome.refusal = QStringLiteral("%1 is a viewer: viewers cannot drive").arg(record.operatorId);
            return outcome;
        }
        const bool takeover = record.takeover && record.role == Role::Admin && !record.reason.trimmed().isEmpty();
        if (record.takeover && !takeover) {
            outcome.refusal = QStringLiteral("only an admin may take over %1, and with a reason").arg(record.robotId);
            return outcome;
        }
        if (live && !(takeover && current->second.operatorId != record.operatorId)) {
            outcome.holder = current->second;
            outcome.refusal = describeHolder(current->second);
            return outcome;
        }
        if (current != m_byRobot.end()) {
            outcome.endedByTakeover = live;
            outcome.endedWhy = live ? QStringLiteral("%1 taken over by %2: %3").arg(record.robotId, record.operatorId, record.reason)
                                    : QStringLiteral("expired: the console stopped renewing it");
            outcome.ended = take(record.robotId);
        }
        hold(record);
        outcome.claimWon = true;
        outcome.changed = true;
        return outcome;
    }
    case LeaseRecord::Kind::Renew: {
        if (current != m_byRobot.end() && current->second.leaseId == record.leaseId) {
            // A renewal made after the lease lapsed (by its own time) does not revive it.
            if (live)
                current->second.expiresUnixMs = std::max(current->second.expiresUnixMs, record.expiresUnixMs);
            return outcome;
        }
        // A lease whose claim is older than where this replica started reading: adopt it, unless the
        // robot is held by another live lease or the lease is known to have ended.
        if (live || m_robotByLease.contains(record.leaseId) || m_ended.contains(record.leaseId))
            return outcome;
        if (current != m_byRobot.end()) {
            outcome.endedWhy = QStringLiteral("expired: the console stopped renewing it");
            outcome.ended = take(record.robotId);
        }
        hold(record);
        outcome.changed = true;
        return outcome;
    }
    case LeaseRecord::Kind::Release: {
        if (current == m_byRobot.end() || current->second.leaseId != record.leaseId) {
            rememberEnded(record.leaseId);
            return outcome;
        }
        outcome.endedWhy = record.reason;
        outcome.ended = take(record.robotId);
        outcome.changed = true;
        return outcome;
    }
    }
    return outcome;
}

LeaseManager::Refusal LeaseTable::precheck(const QString &robotId, const QString &operatorId, Role role, bool takeover,
                                           const QString &reason, std::int64_t nowUnixMs, QString *why) const
{
    using Refusal = LeaseManager::Refusal;
    if (robotId.isEmpty() || operatorId.isEmpty()) {
        *why = QStringLiteral("a lease needs a robot and an operator");
        return Refusal::Invalid;
    }
    if (role == Role::Viewer) {
        *why = QStringLiteral("%1 is a viewer: viewers cannot drive").arg(operatorId);
        return Refusal::ViewerRole;
    }
    if (takeover && role != Role::Admin) {
        *why = QStringLiteral("only an admin may take over %1").arg(robotId);
        return Refusal::NotAdmin;
    }
    if (takeover && reason.trimmed().isEmpty()) {
        *why = QStringLiteral("a takeover needs a reason");
        return Refusal::Invalid;
    }
    const auto current = m_byRobot.find(robotId);
    if (current != m_byRobot.end() && nowUnixMs < current->second.expiresUnixMs
        && !(takeover && current->second.operatorId != operatorId))
    {
        *why = describeHolder(current->second);
        return Refusal::HeldByOther;
    }
    return Refusal::None;
}

std::vector<SharedLease> LeaseTable::leases(std::int64_t nowUnixMs) const
{
    std::vector<SharedLease> live;
    for (const auto &[robotId, lease] : m_byRobot) {
        if (nowUnixMs < lease.expiresUnixMs)
            live.push_back(lease);
    }
    return live;
}

std::optional<SharedLease> LeaseTable::find(const QString &leaseId) const
{
    const auto robot = m_robotByLease.constFind(leaseId);
    if (robot == m_robotByLease.constEnd())
        return std::nullopt;
    return m_byRobot.at(*robot);
}

std::optional<SharedLease> LeaseTable::leaseFor(const QString &robotId) const
{
    const auto it = m_byRobot.find(robotId);
    if (it == m_byRobot.end())
        return std::nullopt;
    return it->second;
}

std::vector<SharedLease> LeaseTable::abandoned(const QString &replicaId, std::int64_t nowUnixMs, std::int64_t graceMs) const
{
    std::vector<SharedLease> found;
    for (const auto &[robotId, lease] : m_byRobot) {
        if (lease.replicaId != replicaId && nowUnixMs >= lease.expiresUnixMs + graceMs)
            found.push_back(lease);
    }
    return found;
}

QString LeaseTable::describeHolder(const SharedLease &lease)
{
    const QString until =
        QDateTime::fromMSecsSinceEpoch(lease.expiresUnixMs, Qt::UTC).toString(QStringLiteral("HH:mm:ss"));
    return QStringLiteral("%1 is driven by %2 until %3 UTC").arg(lease.robotId, lease.operatorId, until);
}

void LeaseTable::hold(const LeaseRecord &record)
{
    SharedLease lease;
    lease.leaseId = record.leaseId;
    lease.robotId = record.robotId;
    lease.operatorId = record.operatorId;
    lease.replicaId = record.holderReplicaId;
    lease.role = record.role;
    lease.startedUnixMs = record.startedUnixMs;
    lease.expiresUnixMs = record.expiresUnixMs;
    m_robotByLease.insert(lease.leaseId, lease.robotId);
    m_byRobot[lease.robotId] = lease;
}

SharedLease LeaseTable::take(const QString &robotId)
{
    const auto it = m_byRobot.find(robotId);
    SharedLease lease = std::move(it->second);
    m_byRobot.erase(it);
    m_robotByLease.remove(lease.leaseId);
    rememberEnded(lease.leaseId);
    return lease;
}

void LeaseTable::rememberEnded(const QString &leaseId)
{
    if (m_ended.contains(leaseId))
        return;
    if (m_endedOrder.size() >= kEndedRemembered) {
        m_ended.remove(m_endedOrder.front());
        m_endedOrder.pop_front();
    }
    m_ended.insert(leaseId);
    m_endedOrder.push_back(leaseId);
}

}  // namespace fleetdeck::teleop
