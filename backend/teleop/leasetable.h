#pragma once

#include "leasemanager.h"

#include <QByteArray>
#include <QHash>
#include <QSet>
#include <QString>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

// The lease table every backend replica shares: it is rebuilt from the lease log (the Kafka topic
// fleet.leases, keyed by robot id, so one robot's records are totally ordered), and every replica
// applies the same records in the same order with the same rules, so they all reach the same verdict
// on every claim without talking to each other. Time in these rules is the records' own (the time a
// record was made and the expiry it carries), never the reading replica's clock. Pure logic.
namespace fleetdeck::teleop {

// One record of the lease log. Every kind names its robot (the partition key) and lease.
struct LeaseRecord {
    enum class Kind : std::uint8_t { Claim, Renew, Release };
    Kind kind = Kind::Claim;
    QString robotId;
    QString leaseId;
    QString replicaId;  // the replica that produced the record
    // Claim and Renew: who holds the lease through which replica. A Renew carries them too, so that
    // a replica that starts reading after the Claim (older than its start point) still learns of it.
    QString holderReplicaId;
    QString operatorId;
    Role role = Role::Operator;
    bool takeover = false;   // Claim: an admin taking the robot from another holder
    QString reason;          // Claim: why taken over; Release: why the lease ended
    std::int64_t atUnixMs = 0;       // when the record was made, by its producer's clock
    std::int64_t startedUnixMs = 0;  // Claim and Renew
    std::int64_t expiresUnixMs = 0;  // Claim and Renew: live while a record's time is below this

    [[nodiscard]] QByteArray encode() const;  // compact JSON, readable with any Kafka tool
    [[nodiscard]] static std::optional<LeaseRecord> decode(const QByteArray &payload);
};

// A lease as the log has it.
struct SharedLease {
    QString leaseId;
    QString robotId;
    QString operatorId;
    QString replicaId;  // the replica whose console holds it
    Role role = Role::Operator;
    std::int64_t startedUnixMs = 0;
    std::int64_t expiresUnixMs = 0;
};

// Thread: main (or whichever single thread applies the log).
class LeaseTable
{
public:
    // What applying one record did.
    struct Outcome {
        bool changed = false;  // who holds what changed (a lease began or ended)
        // Claim: whether it won. When it lost, `holder` is the live lease that beat it.
        bool claimWon = false;
        std::optional<SharedLease> holder;
        QString refusal;  // when a claim lost: why, for the operator who made it
        // A lease this record ended: taken over, released, or found expired by a later claim.
        std::optional<SharedLease> ended;
        QString endedWhy;
        bool endedByTakeover = false;
    };

    Outcome apply(const LeaseRecord &record);

    // What a claim made now would meet, judged by `nowUnixMs` instead of a record's time: lets a
    // replica refuse at once what the log would refuse anyway. The log still decides.
    [[nodiscard]] LeaseManager::Refusal precheck(const QString &robotId, const QString &operatorId, Role role,
                                                 bool takeover, const QString &reason, std::int64_t nowUnixMs,
                                                 QString *why) const;

    // Leases live at `nowUnixMs`, by robot id.
    [[nodiscard]] std::vector<SharedLease> leases(std::int64_t nowUnixMs) const;
    [[nodiscard]] std::optional<SharedLease> find(const QString &leaseId) const;
    [[nodiscard]] std::optional<SharedLease> leaseFor(const QString &robotId) const;
    // Leases of other replicas than `replicaId` that expired more than `graceMs` before now: their
    // holder stopped renewing (or vanished), and someone must end them and stop the robot.
    [[nodiscard]] std::vector<SharedLease> abandoned(const QString &replicaId, std::int64_t nowUnixMs,
                                                     std::int64_t graceMs) const;

    [[nodiscard]] static QString describeHolder(const SharedLease &lease);

private:
    // The lease a Claim (or a Renew of a lease older than this replica's reading) describes becomes
    // the robot's.
    void hold(const LeaseRecord &record);
    SharedLease take(const QString &robotId);
    void rememberEnded(const QString &leaseId);

    std::map<QString, SharedLease> m_byRobot;  // ordered, so leases() is deterministic
    QHash<QString, QString> m_robotByLease;
    // Leases that ended, so that a holder's renewal still in flight cannot bring one back.
    QSet<QString> m_ended;
    std::deque<QString> m_endedOrder;
};

}  // namespace fleetdeck::teleop
