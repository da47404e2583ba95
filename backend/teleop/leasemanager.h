#pragma once

#include "clock.h"

#include <QHash>
#include <QObject>
#include <QString>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

// Teleoperation: who may drive which robot (LeaseManager) and which commands may reach it
// (CommandGate). Pure logic moved by an injected Clock: no timers, sockets or Kafka.
namespace fleetdeck::teleop {
Q_NAMESPACE

// What an authenticated console user may do. A viewer never holds a lease; an admin may take over.
enum class Role : std::uint8_t { Viewer, Operator, Admin };
Q_ENUM_NS(Role)

// An exclusive right to drive one robot, with the driving session it covers (for the audit record).
struct Lease {
    QString id;  // 128 random bits in hex: a console cannot guess another's lease
    QString robotId;
    QString operatorId;
    Role role = Role::Operator;
    std::int64_t startedUnixMs = 0;
    std::int64_t expiresUnixMs = 0;  // live while now < this
    std::uint64_t commandsAccepted = 0;
    double maxLinearMps = 0;         // largest |linear| accepted, after limiting
    std::uint64_t lastSequence = 0;  // of the last accepted command; the robot applies only newer ones
};

struct LeaseManagerConfig {
    std::int64_t ttlMs = 3000;
};

// Exclusive control leases, one operator per robot. A lease lives until it is released, taken
// over, or not renewed within the TTL; every way a lease ends hands it back exactly once so that the
// caller can send the robot an explicit Stop and audit it. Thread: main.
class LeaseManager
{
    Q_GADGET

public:
    using Config = LeaseManagerConfig;

    enum class Refusal : std::uint8_t {
        None,
        Invalid,      // empty robot or operator id, takeover without a reason
        ViewerRole,   // viewers cannot drive
        NotAdmin,     // only an admin may take over
        HeldByOther,  // another operator holds a live lease on the robot
        UnknownLease,
        NotHolder,    // the lease belongs to someone else
        Expired,      // past its expiry: only expire() hands it back now
    };
    Q_ENUM(Refusal)

    struct Result {
        bool ok = false;
        Refusal refusal = Refusal::None;
        QString reason;              // why refused; after a takeover, what to tell the previous holder
        Lease lease;                 // granted, renewed or released
        std::optional<Lease> revoked;  // takeOver(): the previous holder's lease, now ended
    };

    explicit LeaseManager(const Clock &clock, Config config = {});

    // Granted when nobody holds a live lease on the robot; the holder re-acquiring renews. A new
    // lease gets `leaseId` when given (one the shared lease log already granted), else a random id.
    [[nodiscard]] Result acquire(const QString &robotId, const QString &operatorId, Role role,
                                 const QString &leaseId = {});
    // Admin only: ends any other holder's lease (returned in `revoked`) and grants a new one.
    [[nodiscard]] Result takeOver(const QString &robotId, const QString &adminId, Role role,
                                  const QString &why, const QString &leaseId = {});
    // A fresh lease id: 128 random bits in hex.
    [[nodiscard]] static QString newLeaseId();
    [[nodiscard]] Result renew(const QString &leaseId, const QString &operatorId);
    // Ends the lease; `lease` is what ended, so the caller can stop the robot.
    [[nodiscard]] Result release(const QString &leaseId, const QString &operatorId);
    // Ends and returns the leases whose TTL has run out, each exactly once.
    [[nodiscard]] std::vector<Lease> expire();

    // Live leases by robot id: who drives what, for everyone to see.
    [[nodiscard]] std::vector<Lease> leases() const;
    [[nodiscard]] std::optional<Lease> leaseFor(const QString &robotId) const;
    // Also finds a lease past its expiry that expire() has not yet collected.
    [[nodiscard]] std::optional<Lease> find(const QString &leaseId) const;
    [[nodiscard]] bool isLive(const Lease &lease) const { return m_clock.nowUnixMs() < lease.expiresUnixMs; }

    // Adds an accepted command to the lease's driving session. False for an unknown lease.
    bool recordCommand(const QString &leaseId, std::uint64_t sequence, double linearMps);

    [[nodiscard]] const Config &config() const { return m_config; }

private:
    [[nodiscard]] Result grant(const QString &robotId, const QString &operatorId, Role role, const QString &leaseId);
    [[nodiscard]] static Result refuse(Refusal refusal, const QString &reason);
    [[nodiscard]] Lease take(const QString &robotId);
    [[nodiscard]] QString describeHolder(const Lease &lease) const;

    const Clock &m_clock;
    Config m_config;
    std::map<QString, Lease> m_byRobot;      // ordered, so leases() and expire() are deterministic
    QHash<QString, QString> m_robotByLease;  // lease id -> robot id
    // Leases found dead and replaced by acquire() before expire() collected them.
    std::vector<Lease> m_endedUncollected;
};

}  // namespace fleetdeck::teleop
