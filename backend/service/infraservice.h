#pragma once

#include "clock.h"
#include "metricssource.h"

#include "fleet/v1/console.pb.h"

#include <QObject>
#include <QTimer>

#include <deque>
#include <functional>
#include <memory>

namespace fleetdeck {

class FleetServer;

// What the fleet depends on, next to the fleet (DESIGN.md §6): every interval it asks its metrics
// source (own scrapes, or a Prometheus server) the standard queries, adds the backend's own figures
// (Kafka lag per partition, ingest rate, fleet KPIs, teleop round trip), judges each tile against the
// thresholds and sends consoles one small InfraPoint, encoded once. A console that joins gets the
// recent history first, thinned to at most kMaxHistoryPoints.
// Thread: main.
class InfraService : public QObject
{
    Q_OBJECT

public:
    struct Thresholds {
        double replicationLagWarningS = 10;
        double replicationLagCriticalS = 60;
        double latencyP99WarningMs = 50;
        double latencyP99CriticalMs = 250;
        double connectionsUsedWarning = 0.7;
        double connectionsUsedCritical = 0.9;
        double proxyErrorRateWarning = 0.01;
        double proxyErrorRateCritical = 0.05;
        double proxyShareOver100msWarning = 0.02;
        double proxyShareOver100msCritical = 0.10;
        qint64 kafkaLagWarning = 10'000;
        qint64 kafkaLagCritical = 100'000;
    };
    struct Settings {
        int intervalMs = 2000;
        int historyMinutes = 30;
        int windowMs = 30'000;   // for the backend's own figures (teleop round trip)
        Thresholds thresholds;
    };
    // The backend's own figures, read at each interval.
    struct OwnFigures {
        std::function<std::vector<fleet::v1::PartitionLag>()> kafkaLag;
        std::function<quint64()> telemetryMessages;   // a counter: messages read so far
        std::function<double(std::int64_t windowMs)> teleopRoundTripP99Ms;
        std::function<bool()> kafkaReachable;         // unreachable brokers make the Kafka tile red
    };

    static constexpr int kMaxHistoryPoints = 360;

    // `source` may be null: the database and proxy tiles then say there is no source configured.
    InfraService(Settings settings, std::unique_ptr<metrics::MetricsSource> source, OwnFigures own,
                 FleetServer *server, const Clock *clock, QObject *parent = nullptr);
    ~InfraService() override;

    void start();
    // One interval: reads everything, appends a point, sends it. Public so tests drive time by hand.
    void collect();

    // The queries every source answers; metric names as mongoproxy, mongodb_exporter and the prober
    // expose them (DESIGN.md §6).
    [[nodiscard]] static std::vector<metrics::Query> standardQueries();
    // The pure part of collect(): query answers to members, proxy groups and levels.
    static void fillFromMetrics(const metrics::QueryResults &results, const Thresholds &thresholds,
                                fleet::v1::InfraPoint *point);
    [[nodiscard]] static fleet::v1::InfraThresholds toMessage(const Thresholds &thresholds);

    [[nodiscard]] const std::deque<fleet::v1::InfraPoint> &history() const { return m_history; }
    // The encoded InfraUpdate a joining console gets: thresholds and the thinned history. Encoded
    // once per point, however many consoles join.
    [[nodiscard]] QByteArray historyForNewConsole();
    [[nodiscard]] const metrics::MetricsSource *source() const { return m_source.get(); }

Q_SIGNALS:
    void collected(const fleet::v1::InfraPoint &point);

private:
    void fillFleet(fleet::v1::InfraPoint *point);

    Settings m_settings;
    std::unique_ptr<metrics::MetricsSource> m_source;
    OwnFigures m_own;
    FleetServer *m_server;
    const Clock *m_clock;
    QTimer m_timer;
    std::deque<fleet::v1::InfraPoint> m_history;
    QByteArray m_encodedHistory;  // valid until the next point
    quint64 m_lastTelemetryMessages = 0;
    std::int64_t m_lastCollectMs = 0;
};

}  // namespace fleetdeck
