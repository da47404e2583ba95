#pragma once

#include "fleetstore.h"

#include "fleet/v1/console.pb.h"

#include <QHash>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace fleetdeck::alerts {

// Thresholds and hold times of every rule. Each condition has a firing threshold and a lower
// clearing one, and must hold for a while before it fires or clears: alerts that flap teach
// operators to ignore them.
struct Rules {
    std::int64_t robotForMs = 5'000;          // robot conditions must hold this long to fire
    std::int64_t infraForMs = 10'000;         // infrastructure conditions likewise
    std::int64_t clearForMs = 15'000;         // and must be gone this long to resolve
    std::int64_t stuckAfterMs = 60'000;       // working but no progress for this long
    double stuckProgressM = 3.0;              // less movement than this is no progress
    double batteryLowPct = 15;                // fires below; clears above batteryClearPct
    double batteryClearPct = 20;
    double linkRttHighMs = 400;
    double linkRttClearMs = 250;
    int areaStaleMinRobots = 5;               // this many stale or lost robots in one area: one area alert
    double areaCellDeg = 0.005;               // about 550 m north–south
    double dbLatencyMs = 250;                 // worst probe p99 of a member
    double dbLatencyClearMs = 150;
    double replicationLagS = 30;
    double replicationLagClearS = 10;
    double proxyErrorRatio = 0.05;            // errors / ops of one app on one collection
    double proxyErrorClearRatio = 0.02;
    double proxyMinOpsPerS = 1;               // below this a ratio says little
    double connectionsUsed = 0.9;             // share of a member's connection limit in use
    double connectionsUsedClear = 0.8;
    std::int64_t outageGraceMs = 15'000;      // after Kafka is back, before silence counts again
    std::int64_t kafkaLag = 100'000;
    std::int64_t kafkaLagClear = 10'000;
    std::int64_t keepResolvedMs = 15 * 60'000;
    std::size_t maxAlerts = 5000;             // a city-wide outage must not take the backend's memory
};

// The backend's alerts: evaluates every rule over the fleet and the latest infrastructure point,
// and keeps each alert's lifecycle (firing → acknowledged → resolved, then dropped after a while).
// Thread: the owner's.
class AlertEngine
{
public:
    struct Changes {
        std::vector<fleet::v1::Alert> changed;  // new, acknowledged, resolved, escalated
        std::vector<std::uint64_t> removed;     // resolved long enough ago to be dropped
        [[nodiscard]] bool empty() const { return changed.empty() && removed.empty(); }
    };

    explicit AlertEngine(Rules rules = {});

    // Whether the backend reaches its Kafka brokers (the reader's view); unreachable long enough is
    // the telemetry_outage alert. Robots then go stale everywhere: that is one outage, not a
    // thousand robot alerts, so robot_stale and area_stale are held back while it lasts.
    void setKafkaReachable(bool reachable) { m_kafkaReachable = reachable; }
    [[nodiscard]] bool kafkaReachable() const { return m_kafkaReachable; }

    // One evaluation at `nowMs`. `infra` may be null (no infrastructure figures yet).
    [[nodiscard]] Changes evaluate(std::int64_t nowMs, const FleetStore &store, const fleet::v1::InfraPoint *infra);
    // Someone is on it. nullopt with a reason for an unknown or resolved alert.
    [[nodiscard]] std::optional<fleet::v1::Alert> acknowledge(std::uint64_t id, const QString &who, std::int64_t nowMs,
                                                              QString *reason);

    // Every alert held, most severe first, then newest.
    [[nodiscard]] std::vector<fleet::v1::Alert> alerts() const;
    [[nodiscard]] const fleet::v1::Alert *find(std::uint64_t id) const;
    [[nodiscard]] const Rules &rules() const { return m_rules; }

    // Plain words on where to start, per rule.
    [[nodiscard]] static QString whatToCheck(const QString &rule);
    // Every rule the engine evaluates, sorted.
    [[nodiscard]] static QStringList ruleNames();

private:
    // What one rule says about one subject in this evaluation.
    struct Reading {
        QString rule;
        QString subject;
        bool firing = false;   // over the firing threshold
        bool clear = true;     // under the clearing threshold (between the two: neither)
        fleet::v1::Severity severity = fleet::v1::SEVERITY_WARNING;
        QString title;
        QString detail;
        QString robotId;
        QString infraTile;
        double latitudeDeg = 0;
        double longitudeDeg = 0;
        std::int64_t forMs = 0;
    };
    struct Tracker {
        std::int64_t pendingSinceMs = -1;  // firing since, while no alert is active
        std::int64_t clearSinceMs = -1;    // clear since, while an alert is active
        std::uint64_t activeId = 0;
    };
    struct Progress {
        double latDeg = 0;
        double lonDeg = 0;
        std::int64_t sinceMs = -1;
    };

    void readRobots(std::int64_t nowMs, const FleetStore &store, std::vector<Reading> *out);
    void readInfra(const fleet::v1::InfraPoint &infra, std::vector<Reading> *out) const;
    void apply(std::int64_t nowMs, std::vector<Reading> &readings, Changes *changes);
    void expire(std::int64_t nowMs, Changes *changes);

    Rules m_rules;
    std::uint64_t m_nextId = 1;
    std::map<std::uint64_t, fleet::v1::Alert> m_alerts;
    QHash<QString, Tracker> m_trackers;   // rule + subject; only while pending or active
    std::vector<Progress> m_progress;     // per store slot
    bool m_kafkaReachable = true;
    std::int64_t m_kafkaBackSinceMs = -1;  // when Kafka became reachable again, for the grace
};

}  // namespace fleetdeck::alerts
