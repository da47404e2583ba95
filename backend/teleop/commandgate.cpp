#include "commandgate.h"

#include "codec.h"

#include <QStringList>

#include <algorithm>
#include <cmath>
#include <utility>

namespace fleetdeck::teleop {

namespace {

constexpr std::uint64_t kMaxSequenceJump = std::uint64_t(1) << 32;

using Decision = CommandGate::Decision;
using Refusal = CommandGate::Refusal;

constexpr std::int64_t kHourMs = 3'600'000;

Decision refuse(Refusal refusal, const QString &reason)
{
    Decision decision;
    decision.refusal = refusal;
    decision.reason = reason;
    return decision;
}

QString metres(double v)
{
    return QString::number(v, 'f', 2) + QStringLiteral(" m/s");
}

QString degrees(double v)
{
    return QString::number(v, 'f', 1) + QStringLiteral(" °/s");
}

}  // namespace

CommandGate::CommandGate(LeaseManager &leases, const Clock &clock, Config config)
    : m_leases(leases), m_clock(clock), m_config(std::move(config))
{
}

CommandGate::Decision CommandGate::decide(const Request &request)
{
    const std::int64_t now = m_clock.nowUnixMs();
    if (!m_pathUp)
        return refuse(Refusal::CommandPathDown, QStringLiteral("command path down: not queued"));
    if (request.role == Role::Viewer)
        return refuse(Refusal::NotPermitted, QStringLiteral("viewers cannot command robots"));
    if (request.robotId.isEmpty() || request.operatorId.isEmpty())
        return refuse(Refusal::Invalid, QStringLiteral("a command needs a robot and an operator"));

    // Any operator may stop any robot: no lease, sequence, age, round-trip or rate check stands in the way.
    if (request.kind == Kind::EmergencyStop) {
        Decision decision;
        decision.accepted = true;
        decision.command = build(request, 0, 0, now);
        return decision;
    }

    const std::optional<Lease> lease = m_leases.find(request.leaseId);
    if (!lease) {
        return refuse(Refusal::NoLease, request.leaseId.isEmpty()
                                            ? QStringLiteral("no lease on %1: acquire one first").arg(request.robotId)
                                            : QStringLiteral("no such lease on %1 (ended or never granted)")
                                                  .arg(request.robotId));
    }
    if (lease->robotId != request.robotId) {
        return refuse(Refusal::NotHolder,
                      QStringLiteral("the lease is for %1, not %2").arg(lease->robotId, request.robotId));
    }
    if (lease->operatorId != request.operatorId) {
        return refuse(Refusal::NotHolder,
                      QStringLiteral("%1 is driven by %2").arg(lease->robotId, lease->operatorId));
    }
    if (!m_leases.isLive(*lease))
        return refuse(Refusal::LeaseExpired, QStringLiteral("the lease on %1 has expired").arg(lease->robotId));

    // A jump this far cannot be a console counting up; and the lease-end Stop (lastSequence + 1)
    // must never wrap to 0, which the robot would ignore as old.
    if (request.sequence > lease->lastSequence + kMaxSequenceJump) {
        return refuse(Refusal::Sequence,
                      QStringLiteral("sequence %1 jumps too far ahead of %2").arg(request.sequence).arg(lease->lastSequence));
    }
    if (request.sequence == lease->lastSequence) {
        return refuse(Refusal::Sequence, QStringLiteral("duplicate of command %1").arg(request.sequence));
    }
    if (request.sequence < lease->lastSequence) {
        return refuse(Refusal::Sequence, QStringLiteral("command %1 is older than the last accepted, %2")
                                             .arg(request.sequence)
                                             .arg(lease->lastSequence));
    }

    const bool stopping = request.kind == Kind::Stop;
    if (!stopping) {
        // Compared, not subtracted: the console's send time may be any 64-bit value.
        const auto ageMs = [&] { return QString::number(std::abs(double(now) - double(request.sentUnixMs)), 'f', 0); };
        if (request.sentUnixMs < now - m_config.budgetMs) {
            return refuse(Refusal::Late,
                          QStringLiteral("sent %1 ms ago, over the %2 ms budget").arg(ageMs()).arg(m_config.budgetMs));
        }
        // A console clock running ahead would otherwise make every command look fresh.
        if (request.sentUnixMs > now + m_config.budgetMs) {
            return refuse(Refusal::Late,
                          QStringLiteral("sent %1 ms in the future: the console's clock is off").arg(ageMs()));
        }
    }

    Link &link = linkFor(request.leaseId);
    const std::int64_t roundTripMs =
        now - link.roundTripReportedUnixMs <= m_config.roundTripMaxAgeMs ? link.roundTripMs : -1;
    double linear = 0;
    double angular = 0;
    Decision decision;
    if (request.kind == Kind::Drive) {
        if (!std::isfinite(request.linearMps) || !std::isfinite(request.angularDps))
            return refuse(Refusal::Invalid, QStringLiteral("drive speeds must be finite"));
        if (roundTripMs > m_config.hardRoundTripMs) {
            return refuse(Refusal::LatencyTooHigh,
                          QStringLiteral("round trip %1 ms is over %2 ms: driving refused, stopping allowed")
                              .arg(roundTripMs)
                              .arg(m_config.hardRoundTripMs));
        }

        QStringList notes;
        const SpeedLimits limits = limitsFor(request.robotId);
        // min/max rather than std::clamp: a misconfigured class (min > max) must not be undefined.
        linear = std::min(std::max(request.linearMps, limits.minLinearMps), limits.maxLinearMps);
        angular = std::min(std::max(request.angularDps, -limits.maxAngularDps), limits.maxAngularDps);
        if (linear != request.linearMps)
            notes << QStringLiteral("linear %1 limited to %2").arg(metres(request.linearMps), metres(linear));
        if (angular != request.angularDps)
            notes << QStringLiteral("angular %1 limited to %2").arg(degrees(request.angularDps), degrees(angular));

        if (roundTripMs > m_config.softRoundTripMs) {
            const double span = double(m_config.hardRoundTripMs - m_config.softRoundTripMs);
            const double over = double(roundTripMs - m_config.softRoundTripMs);
            const double scale =
                span > 0 ? 1.0 - (1.0 - m_config.scaleAtHardRoundTrip) * std::min(over / span, 1.0)
                         : m_config.scaleAtHardRoundTrip;
            if (linear != 0) {
                linear *= scale;
                notes << QStringLiteral("linear scaled to %1 % for a %2 ms round trip")
                             .arg(std::lround(scale * 100))
                             .arg(roundTripMs);
            }
        }
        decision.limited = !notes.isEmpty();
        decision.reason = notes.join(QStringLiteral("; "));
    }

    if (!stopping && !takeToken(link, now)) {
        return refuse(Refusal::RateLimited,
                      QStringLiteral("over %1 commands per second on this lease").arg(m_config.ratePerSecond));
    }

    decision.accepted = true;
    decision.command = build(request, linear, angular, now);
    m_leases.recordCommand(request.leaseId, request.sequence, linear);
    return decision;
}

fleet::v1::Command CommandGate::stopAfter(const Lease &ended) const
{
    Request request;
    request.kind = Kind::Stop;
    request.robotId = ended.robotId;
    request.operatorId = ended.operatorId;
    request.leaseId = ended.id;
    request.sequence = ended.lastSequence + 1;
    return build(request, 0, 0, m_clock.nowUnixMs());
}

bool CommandGate::reportRoundTrip(const QString &leaseId, std::int64_t roundTripMs)
{
    if (roundTripMs < 0 || !m_leases.find(leaseId))
        return false;
    Link &link = linkFor(leaseId);
    link.roundTripMs = roundTripMs;
    link.roundTripReportedUnixMs = m_clock.nowUnixMs();
    return true;
}

void CommandGate::setRobotClass(const QString &robotId, const QString &robotClass)
{
    m_classByRobot.insert(robotId, robotClass);
}

SpeedLimits CommandGate::limitsFor(const QString &robotId) const
{
    const auto robotClass = m_classByRobot.constFind(robotId);
    if (robotClass == m_classByRobot.constEnd())
        return m_config.defaultLimits;
    return m_config.limitsByClass.value(*robotClass, m_config.defaultLimits);
}

CommandGate::Link &CommandGate::linkFor(const QString &leaseId)
{
    auto it = m_links.find(leaseId);
    if (it != m_links.end())
        return *it;
    // A new lease is a rare event: the moment to forget the ones that ended.
    for (auto old = m_links.begin(); old != m_links.end();)
        old = m_leases.find(old.key()) ? std::next(old) : m_links.erase(old);
    Link link;
    link.milliTokens = std::int64_t(m_config.rateBurst) * 1000;
    link.refilledUnixMs = m_clock.nowUnixMs();
    return *m_links.insert(leaseId, link);
}

bool CommandGate::takeToken(Link &link, std::int64_t nowUnixMs) const
{
    // `rate` milli-tokens per ms. A clock stepping back refills nothing; an hour fills any bucket and
    // keeps the product far from overflow.
    const std::int64_t capacity = std::int64_t(m_config.rateBurst) * 1000;
    const std::int64_t elapsedMs = std::clamp<std::int64_t>(nowUnixMs - link.refilledUnixMs, 0, kHourMs);
    link.milliTokens = std::min(capacity, link.milliTokens + elapsedMs * m_config.ratePerSecond);
    link.refilledUnixMs = nowUnixMs;
    if (link.milliTokens < 1000)
        return false;
    link.milliTokens -= 1000;
    return true;
}

fleet::v1::Command CommandGate::build(const Request &request, double linearMps, double angularDps,
                                      std::int64_t nowUnixMs) const
{
    fleet::v1::Command command;
    command.set_robot_id(codec::toStd(request.robotId));
    command.set_sequence(request.sequence);
    command.set_operator_id(codec::toStd(request.operatorId));
    command.set_issued_unix_ms(nowUnixMs);
    command.set_deadline_unix_ms(nowUnixMs + m_config.budgetMs);
    if (!request.traceparent.isEmpty())
        command.set_traceparent(codec::toStd(request.traceparent));
    switch (request.kind) {
    case Kind::Drive:
        command.set_lease_id(codec::toStd(request.leaseId));
        command.mutable_drive()->set_linear_mps(static_cast<float>(linearMps));
        command.mutable_drive()->set_angular_dps(static_cast<float>(angularDps));
        break;
    case Kind::Stop:
        command.set_lease_id(codec::toStd(request.leaseId));
        command.mutable_stop();
        break;
    case Kind::EmergencyStop:
        // No lease, and no deadline: a robot applies a late e-stop too, as stopping late is still safe.
        command.set_deadline_unix_ms(0);
        command.mutable_emergency_stop();
        break;
    case Kind::ResumeAutonomy:
        command.set_lease_id(codec::toStd(request.leaseId));
        command.mutable_resume_autonomy();
        break;
    }
    return command;
}

}  // namespace fleetdeck::teleop
