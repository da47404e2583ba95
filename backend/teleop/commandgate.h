#pragma once

#include "leasemanager.h"

#include "fleet/v1/command.pb.h"

#include <QHash>
#include <QObject>
#include <QString>

#include <cstdint>

namespace fleetdeck::teleop {

// How fast one robot class may be driven. Requests over these are clamped, not refused.
struct SpeedLimits {
    double minLinearMps = -1.0;  // reverse
    double maxLinearMps = 2.0;
    double maxAngularDps = 180.0;  // either way
};

struct CommandGateConfig {
    std::int64_t budgetMs = 250;  // deadline = issued + budget; a request older than this is late
    int ratePerSecond = 50;       // per lease, refilling a token bucket of `rateBurst`
    int rateBurst = 10;
    std::int64_t softRoundTripMs = 150;  // above this, linear speed is scaled down...
    std::int64_t hardRoundTripMs = 400;  // ...to `scaleAtHardRoundTrip` here; above this, no driving
    double scaleAtHardRoundTrip = 0.3;
    // A refused drive gets no ack, so no new measurement: an old one would lock the operator out for
    // good. Past this age it no longer speaks for the link (the robot's deadline and deadman still do).
    std::int64_t roundTripMaxAgeMs = 1000;
    SpeedLimits defaultLimits;  // for robots of no class or an unknown one
    QHash<QString, SpeedLimits> limitsByClass;
};

// Decides, for each command a console sends, whether it may go to the robot, before anything is
// produced to Kafka, and builds the fleet.v1.Command that goes. It checks, in this order: command
// path up, role, lease (holder, robot, liveness), sequence, age, values, round trip, rate.
// Stopping is never refused for age, round trip or rate: it is never the unsafe choice. Per-lease
// sequence and driving statistics live on the lease in the LeaseManager. Thread: main.
class CommandGate
{
    Q_GADGET

public:
    using Config = CommandGateConfig;

    enum class Kind : std::uint8_t { Drive, Stop, EmergencyStop, ResumeAutonomy };
    Q_ENUM(Kind)

    enum class Refusal : std::uint8_t {
        None,
        CommandPathDown,  // Kafka unreachable: refused, never queued for later
        NotPermitted,     // viewers command nothing
        Invalid,          // no robot or operator named, speeds not finite
        NoLease,
        NotHolder,        // another operator's lease, or a lease on another robot
        LeaseExpired,
        Sequence,         // not newer than the last accepted on the lease: duplicate or out of order
        Late,             // the console's send time is further than the budget from now
        LatencyTooHigh,   // round trip over the hard threshold: no driving
        RateLimited,
    };
    Q_ENUM(Refusal)

    struct Request {
        Kind kind = Kind::Stop;
        QString robotId;
        QString operatorId;  // as authenticated by the caller, never as claimed by the console
        Role role = Role::Viewer;
        QString leaseId;  // not needed for EmergencyStop
        std::uint64_t sequence = 0;   // per lease, from 1, strictly increasing
        std::int64_t sentUnixMs = 0;  // by the console's clock
        double linearMps = 0;
        double angularDps = 0;
        QString traceparent;
    };

    struct Decision {
        bool accepted = false;
        Refusal refusal = Refusal::None;
        QString reason;  // why refused, or how an accepted drive was limited
        bool limited = false;
        fleet::v1::Command command;  // when accepted: what to produce
    };

    // Both must outlive the gate.
    CommandGate(LeaseManager &leases, const Clock &clock, Config config = {});

    // Accepting records the command in the lease's driving session.
    [[nodiscard]] Decision decide(const Request &request);

    // The explicit Stop for a lease that ended (released, revoked or expired). It carries that lease
    // and the next sequence, because a robot applies a Stop only under a lease it has not seen a
    // newer command of.
    [[nodiscard]] fleet::v1::Command stopAfter(const Lease &ended) const;

    // While down, every request is refused, e-stop included: the caller must not pretend it went.
    void setCommandPathUp(bool up) { m_pathUp = up; }
    [[nodiscard]] bool isCommandPathUp() const { return m_pathUp; }

    // The measured console -> robot -> console round trip on a lease. False for an unknown lease
    // or a negative time. Until the first report a lease is not limited for latency.
    bool reportRoundTrip(const QString &leaseId, std::int64_t roundTripMs);

    // Selects the robot's SpeedLimits from Config::limitsByClass.
    void setRobotClass(const QString &robotId, const QString &robotClass);
    [[nodiscard]] SpeedLimits limitsFor(const QString &robotId) const;

    [[nodiscard]] const Config &config() const { return m_config; }

private:
    // Per lease, what only the gate needs; entries of ended leases are dropped as new ones arrive.
    struct Link {
        std::int64_t milliTokens = 0;  // integers, so that refilling is exact
        std::int64_t refilledUnixMs = 0;
        std::int64_t roundTripMs = -1;  // none reported yet
        std::int64_t roundTripReportedUnixMs = 0;
    };

    [[nodiscard]] Link &linkFor(const QString &leaseId);
    [[nodiscard]] bool takeToken(Link &link, std::int64_t nowUnixMs) const;
    [[nodiscard]] fleet::v1::Command build(const Request &request, double linearMps, double angularDps,
                                           std::int64_t nowUnixMs) const;

    LeaseManager &m_leases;
    const Clock &m_clock;
    Config m_config;
    QHash<QString, QString> m_classByRobot;
    QHash<QString, Link> m_links;  // by lease id
    bool m_pathUp = true;
};

}  // namespace fleetdeck::teleop
