#include "leasemanager.h"

#include "logging.h"

#include <QDateTime>
#include <QRandomGenerator>

#include <algorithm>
#include <array>
#include <cmath>

namespace fleetdeck::teleop {

QString LeaseManager::newLeaseId()
{
    std::array<quint32, 4> words{};
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    QString id;
    for (const quint32 word : words)
        id += QStringLiteral("%1").arg(word, 8, 16, QLatin1Char('0'));
    return id;
}

LeaseManager::LeaseManager(const Clock &clock, Config config) : m_clock(clock), m_config(config) {}

LeaseManager::Result LeaseManager::acquire(const QString &robotId, const QString &operatorId, Role role,
                                           const QString &leaseId)
{
    if (robotId.isEmpty() || operatorId.isEmpty())
        return refuse(Refusal::Invalid, QStringLiteral("a lease needs a robot and an operator"));
    if (role == Role::Viewer)
        return refuse(Refusal::ViewerRole, QStringLiteral("%1 is a viewer: viewers cannot drive").arg(operatorId));

    const auto it = m_byRobot.find(robotId);
    if (it != m_byRobot.end() && isLive(it->second)) {
        if (it->second.operatorId != operatorId)
            return refuse(Refusal::HeldByOther, describeHolder(it->second));
        it->second.expiresUnixMs = m_clock.nowUnixMs() + m_config.ttlMs;
        Result result;
        result.ok = true;
        result.lease = it->second;
        return result;
    }
    return grant(robotId, operatorId, role, leaseId);
}

LeaseManager::Result LeaseManager::takeOver(const QString &robotId, const QString &adminId, Role role,
                                            const QString &why, const QString &leaseId)
{
    if (robotId.isEmpty() || adminId.isEmpty())
        return refuse(Refusal::Invalid, QStringLiteral("a lease needs a robot and an operator"));
    if (role != Role::Admin)
        return refuse(Refusal::NotAdmin, QStringLiteral("only an admin may take over %1").arg(robotId));
    // The previous holder deserves to be told why.
    if (why.trimmed().isEmpty())
        return refuse(Refusal::Invalid, QStringLiteral("a takeover needs a reason"));

    const auto it = m_byRobot.find(robotId);
    const bool held = it != m_byRobot.end() && isLive(it->second);
    if (held && it->second.operatorId == adminId)
        return acquire(robotId, adminId, role, leaseId);

    std::optional<Lease> revoked;
    if (held) {
        revoked = take(robotId);
        qCInfo(lcTeleop).noquote() << robotId << "taken over from" << revoked->operatorId << "by" << adminId
                                   << "because" << why;
    }
    Result result = grant(robotId, adminId, role, leaseId);
    result.revoked = revoked;
    if (revoked)
        result.reason = QStringLiteral("%1 taken over by %2: %3").arg(robotId, adminId, why);
    return result;
}

LeaseManager::Result LeaseManager::renew(const QString &leaseId, const QString &operatorId)
{
    const auto robot = m_robotByLease.constFind(leaseId);
    if (robot == m_robotByLease.constEnd())
        return refuse(Refusal::UnknownLease, QStringLiteral("no such lease (ended or never granted)"));
    Lease &lease = m_byRobot.at(*robot);
    if (lease.operatorId != operatorId)
        return refuse(Refusal::NotHolder, QStringLiteral("the lease on %1 is not yours").arg(lease.robotId));
    if (!isLive(lease))
        return refuse(Refusal::Expired, QStringLiteral("the lease on %1 has expired").arg(lease.robotId));
    lease.expiresUnixMs = m_clock.nowUnixMs() + m_config.ttlMs;
    Result result;
    result.ok = true;
    result.lease = lease;
    return result;
}

LeaseManager::Result LeaseManager::release(const QString &leaseId, const QString &operatorId)
{
    const auto robot = m_robotByLease.constFind(leaseId);
    if (robot == m_robotByLease.constEnd())
        return refuse(Refusal::UnknownLease, QStringLiteral("no such lease (ended or never granted)"));
    const Lease &lease = m_byRobot.at(*robot);
    if (lease.operatorId != operatorId)
        return refuse(Refusal::NotHolder, QStringLiteral("the lease on %1 is not yours").arg(lease.robotId));
    // A dead lease is handed back by expire() alone, so that no lease ends twice.
    if (!isLive(lease))
        return refuse(Refusal::Expired, QStringLiteral("the lease on %1 has expired").arg(lease.robotId));
    Result result;
    result.ok = true;
    result.lease = take(lease.robotId);
    qCInfo(lcTeleop).noquote() << result.lease.robotId << "released by" << operatorId;
    return result;
}

std::vector<Lease> LeaseManager::expire()
{
    std::vector<Lease> ended;
    ended.swap(m_endedUncollected);
    for (auto it = m_byRobot.begin(); it != m_byRobot.end();) {
        if (isLive(it->second)) {
            ++it;
            continue;
        }
        m_robotByLease.remove(it->second.id);
        ended.push_back(std::move(it->second));
        it = m_byRobot.erase(it);
    }
    for (const Lease &lease : ended)
        qCInfo(lcTeleop).noquote() << "lease of" << lease.operatorId << "on" << lease.robotId << "expired";
    return ended;
}

std::vector<Lease> LeaseManager::leases() const
{
    std::vector<Lease> live;
    for (const auto &[robotId, lease] : m_byRobot) {
        if (isLive(lease))
            live.push_back(lease);
    }
    return live;
}

std::optional<Lease> LeaseManager::leaseFor(const QString &robotId) const
{
    const auto it = m_byRobot.find(robotId);
    if (it == m_byRobot.end() || !isLive(it->second))
        return std::nullopt;
    return it->second;
}

std::optional<Lease> LeaseManager::find(const QString &leaseId) const
{
    const auto robot = m_robotByLease.constFind(leaseId);
    if (robot == m_robotByLease.constEnd())
        return std::nullopt;
    return m_byRobot.at(*robot);
}

bool LeaseManager::recordCommand(const QString &leaseId, std::uint64_t sequence, double linearMps)
{
    const auto robot = m_robotByLease.constFind(leaseId);
    if (robot == m_robotByLease.constEnd())
        return false;
    Lease &lease = m_byRobot.at(*robot);
    ++lease.commandsAccepted;
    lease.maxLinearMps = std::max(lease.maxLinearMps, std::abs(linearMps));
    lease.lastSequence = sequence;
    return true;
}

LeaseManager::Result LeaseManager::grant(const QString &robotId, const QString &operatorId, Role role,
                                         const QString &leaseId)
{
    // A lease that died unnoticed still owes the caller its Stop and audit: keep it for expire().
    if (m_byRobot.count(robotId) != 0)
        m_endedUncollected.push_back(take(robotId));

    Lease lease;
    lease.id = leaseId.isEmpty() ? newLeaseId() : leaseId;
    lease.robotId = robotId;
    lease.operatorId = operatorId;
    lease.role = role;
    lease.startedUnixMs = m_clock.nowUnixMs();
    lease.expiresUnixMs = lease.startedUnixMs + m_config.ttlMs;
    m_robotByLease.insert(lease.id, robotId);
    m_byRobot.emplace(robotId, lease);
    qCInfo(lcTeleop).noquote() << robotId << "leased to" << operatorId;

    Result result;
    result.ok = true;
    result.lease = lease;
    return result;
}

LeaseManager::Result LeaseManager::refuse(Refusal refusal, const QString &reason)
{
    Result result;
    result.refusal = refusal;
    result.reason = reason;
    return result;
}

Lease LeaseManager::take(const QString &robotId)
{
    const auto it = m_byRobot.find(robotId);
    Lease lease = std::move(it->second);
    m_byRobot.erase(it);
    m_robotByLease.remove(lease.id);
    return lease;
}

QString LeaseManager::describeHolder(const Lease &lease) const
{
    const QString until =
        QDateTime::fromMSecsSinceEpoch(lease.expiresUnixMs, Qt::UTC).toString(QStringLiteral("HH:mm:ss"));
    return QStringLiteral("%1 is driven by %2 until %3 UTC").arg(lease.robotId, lease.operatorId, until);
}

}  // namespace fleetdeck::teleop
