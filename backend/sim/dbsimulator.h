#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace fleetdeck::sim {

class FleetSimulator;

// The load the fleet puts on its database at one moment.
struct DbActivity {
    double robotsOnline = 0;
    double robotsMoving = 0;
    double deliveriesPerSecond = 0;
    double telemetryPerSecond = 0;  // telemetry messages the fleet publishes (and telemetry-writer stores)
    double teleopSessions = 0;
};

// Reads DbActivity off a FleetSimulator: counts modes and speeds, and smooths the sparse delivery
// completions into a rate. Thread: the owner's (the fleet's).
class FleetActivitySampler
{
public:
    [[nodiscard]] DbActivity sample(const FleetSimulator &fleet, std::int64_t nowMs);

private:
    std::int64_t m_lastMs = -1;
    std::uint64_t m_lastDeliveries = 0;
    double m_deliveriesPerSecond = 0;
};

// Something going wrong in the database tier between startMs and startMs + durationMs.
struct DbIncident {
    enum class Kind {
        StandbyBackupSlowdown,        // member: its latency climbs through a backup window, its lag grows
        ErrorBurst,                   // app + collection: server responses with ok: 0
        ReplicationLagGrowth,         // member: a secondary falls behind
        PrimaryConnectionsSaturated,  // connections.current climbs towards the limit
    };

    Kind kind = Kind::StandbyBackupSlowdown;
    std::int64_t startMs = 0;
    std::int64_t durationMs = 0;
    QString member;  // "mongo-2" (or "mongo-2:27017")
    QString app;
    QString collection;

    [[nodiscard]] std::int64_t endMs() const { return startMs + durationMs; }
    [[nodiscard]] bool activeAt(std::int64_t ms) const { return ms >= startMs && ms < endMs(); }

    [[nodiscard]] static DbIncident standbyBackupSlowdown(const QString &member, std::int64_t startMs,
                                                          std::int64_t durationMs);
    [[nodiscard]] static DbIncident errorBurst(const QString &app, const QString &collection, std::int64_t startMs,
                                               std::int64_t durationMs);
    [[nodiscard]] static DbIncident replicationLagGrowth(const QString &member, std::int64_t startMs,
                                                         std::int64_t durationMs);
    [[nodiscard]] static DbIncident primaryConnectionsSaturated(std::int64_t startMs, std::int64_t durationMs);
};

// Parses "KIND:START_S:DURATION_S[:TARGET]" with START_S counted from originMs. Kinds: standby-backup
// (TARGET a member, default the standby), error-burst (TARGET app/collection, required), replication-lag
// (TARGET a member, default the standby), connections-saturated (no TARGET).
[[nodiscard]] std::optional<DbIncident> parseDbIncident(const QString &spec, std::int64_t originMs,
                                                        QString *error);

// One HTTP GET path and how to answer it; `body` gets the request's Host header ("" if none).
struct DbMetricsRoute {
    QByteArray path;
    QByteArray contentType;
    std::function<QByteArray(const QByteArray &host)> body;
};

struct DbSimulatorConfig {
    std::uint64_t seed = 1;
};

// The database tier of the fleet as its monitoring sees it: replica set rs0 (mongo-0 primary, mongo-1 and
// mongo-2 secondaries, mongo-2 the backup standby), one mongoproxy sidecar endpoint per app (fleet-api,
// telemetry-writer, dispatcher) and a black-box prober. advance() turns fleet activity into operations
// with believable latencies, sizes and errors and accumulates them; render() writes each endpoint's
// Prometheus text on request, in the formats of mpihlak/mongoproxy and percona/mongodb_exporter.
// Deterministic: the same seed and the same calls give the same text. Thread: the owner's.
class DbSimulator
{
public:
    using Activity = DbActivity;
    using Config = DbSimulatorConfig;

    explicit DbSimulator(Config config = {});
    ~DbSimulator();
    DbSimulator(const DbSimulator &) = delete;
    DbSimulator &operator=(const DbSimulator &) = delete;

    // Moves to nowMs under `activity` (held since the previous call). The first call only sets the clock;
    // a longer gap than kMaxAdvanceMs is simulated as that much.
    void advance(std::int64_t nowMs, const Activity &activity);
    static constexpr std::int64_t kMaxAdvanceMs = 5000;

    [[nodiscard]] bool addIncident(const DbIncident &incident, QString *error);
    [[nodiscard]] const std::vector<DbIncident> &incidents() const;

    // "mongoproxy/fleet-api", …, "mongodb/mongo-0", …, "prober".
    [[nodiscard]] QStringList endpoints() const;
    [[nodiscard]] std::optional<QByteArray> render(const QString &endpoint) const;
    [[nodiscard]] std::vector<std::pair<QString, QByteArray>> expositions() const;

    // Prometheus file_sd JSON: every endpoint at hostPort, with __metrics_path__, job and instance labels.
    [[nodiscard]] QByteArray targetsJson(const QByteArray &hostPort) const;
    // /<endpoint>/metrics for every endpoint, and /targets. The routes refer to this simulator.
    [[nodiscard]] std::vector<DbMetricsRoute> httpRoutes(const QByteArray &fallbackHost) const;

    [[nodiscard]] static QStringList apps();
    [[nodiscard]] static QStringList members();   // short names, primary first
    [[nodiscard]] static QString standbyMember();  // the secondary that takes the backups

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace fleetdeck::sim
