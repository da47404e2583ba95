#pragma once

#include "infralistmodels.h"
#include "ringbuffer.h"

#include <QObject>
#include <QStringList>
#include <QTimer>
#include <QVariantList>
#include <QVariantMap>

#include <array>
#include <cstdint>
#include <limits>

namespace fleet::v1 {
class InfraPoint;
class InfraUpdate;
class ServerMessage;
}  // namespace fleet::v1

namespace fleetdeck {

class Clock;

// What the fleet depends on (database, proxy, Kafka) beside the fleet's own figures, as the backend
// reduces them (InfraUpdate, DESIGN.md §6): the newest point as list models for the tiles, overall
// levels, the backend's thresholds, the age of the data, and a fixed-capacity ring of past points for
// the charts, all on one time axis.
//
// Feed it with handle() (FleetClient::setInfraHandler). An update with history=true replaces the
// ring (after every connect); others append. The list models change in place: rows move when their
// level changes, and dataChanged names only the rows and roles that changed.
// Thread: main.
class InfraModel : public QObject
{
    Q_OBJECT
    Q_PROPERTY(fleetdeck::InfraMemberModel *members READ members CONSTANT)
    Q_PROPERTY(fleetdeck::InfraProxyModel *proxyGroups READ proxyGroups CONSTANT)
    Q_PROPERTY(fleetdeck::InfraPartitionModel *partitions READ partitions CONSTANT)
    Q_PROPERTY(fleetdeck::InfraSourceModel *sources READ sources CONSTANT)

    // Level values (InfraModel::Level). overallLevel is the worst of the three; Unknown before any data.
    Q_PROPERTY(int dbLevel READ dbLevel NOTIFY levelsChanged)
    Q_PROPERTY(int proxyLevel READ proxyLevel NOTIFY levelsChanged)
    Q_PROPERTY(int kafkaLevel READ kafkaLevel NOTIFY levelsChanged)
    Q_PROPERTY(int overallLevel READ overallLevel NOTIFY levelsChanged)
    // The single worst thing, in words ("db-2:27017: replication lag 12.4 s ≥ 10 s"); "" when all is well.
    Q_PROPERTY(QString headline READ headline NOTIFY levelsChanged)
    // Why a section may be blank or wrong: its metrics sources that do not answer, with their errors.
    Q_PROPERTY(QString dbSourceProblem READ dbSourceProblem NOTIFY sourcesChanged)
    Q_PROPERTY(QString proxySourceProblem READ proxySourceProblem NOTIFY sourcesChanged)
    Q_PROPERTY(QString kafkaSourceProblem READ kafkaSourceProblem NOTIFY sourcesChanged)
    Q_PROPERTY(int sourcesUp READ sourcesUp NOTIFY sourcesChanged)
    Q_PROPERTY(int sourceCount READ sourceCount NOTIFY sourcesChanged)

    // Thresholds as the backend sent them (keys as in InfraThresholds, camelCase); {} until sent.
    Q_PROPERTY(QVariantMap thresholds READ thresholds NOTIFY thresholdsChanged)
    Q_PROPERTY(bool hasThresholds READ hasThresholds NOTIFY thresholdsChanged)

    // Newest point: fleet figures and proxy totals.
    Q_PROPERTY(bool hasData READ hasData NOTIFY pointsChanged)
    Q_PROPERTY(int pointCount READ pointCount NOTIFY pointsChanged)
    Q_PROPERTY(int capacity READ capacity CONSTANT)
    Q_PROPERTY(double latestTimeMs READ latestTimeMs NOTIFY pointsChanged)
    Q_PROPERTY(QVariantMap fleet READ fleet NOTIFY pointsChanged)
    Q_PROPERTY(double proxyOpsPerS READ proxyOpsPerS NOTIFY pointsChanged)
    Q_PROPERTY(double proxyErrorsPerS READ proxyErrorsPerS NOTIFY pointsChanged)
    Q_PROPERTY(double kafkaLagTotal READ kafkaLagTotal NOTIFY pointsChanged)
    // Upper bounds (s) of the proxy's latency buckets, and a label per bucket (one more than bounds).
    Q_PROPERTY(QVariantList bucketBounds READ bucketBounds NOTIFY bucketBoundsChanged)
    Q_PROPERTY(QStringList bucketLabels READ bucketLabels NOTIFY bucketBoundsChanged)
    // Replica-set members in the order of their chart series (index = series, stable for a session).
    Q_PROPERTY(QStringList memberSeriesNames READ memberSeriesNames NOTIFY memberSeriesNamesChanged)

    // The charts' shared time axis (backend Unix ms): [windowStartMs, windowEndMs].
    Q_PROPERTY(double windowStartMs READ windowStartMs NOTIFY pointsChanged)
    Q_PROPERTY(double windowEndMs READ windowEndMs NOTIFY pointsChanged)

    // How old the newest update is, by this console's clock (when it arrived); updated every second.
    Q_PROPERTY(double ageMs READ ageMs NOTIFY ageChanged)
    Q_PROPERTY(int intervalMs READ intervalMs NOTIFY pointsChanged)
    // No update for three intervals (at least 15 s): what is shown is old.
    Q_PROPERTY(bool stale READ stale NOTIFY ageChanged)

public:
    enum Level { Unknown = 0, Ok = 1, Warning = 2, Critical = 3 };
    Q_ENUM(Level)

    // One chartable quantity. Member quantities have one line per memberSeriesNames entry.
    enum Series {
        MemberProbeP99,
        MemberReplicationLag,
        ProxyOps,
        ProxyErrors,
        KafkaLagTotal,
        FleetFaulted,
        FleetStale,
        FleetLost,
        TeleopRttP99,
    };
    Q_ENUM(Series)

    static constexpr int kMaxMembers = 8;   // members beyond this are listed but not charted
    static constexpr int kMaxBuckets = 10;
    static constexpr int kDefaultCapacity = 1024;  // 30 min at one point per 2 s, with room
    static constexpr std::int64_t kWindowMs = 30 * 60 * 1000;
    static constexpr std::int64_t kMinWindowMs = 5 * 60 * 1000;

    // One past point, fixed size so the ring never allocates. NaN where the point has no value.
    struct Sample {
        std::int64_t timeMs = 0;
        float proxyOps = std::numeric_limits<float>::quiet_NaN();
        float proxyErrors = std::numeric_limits<float>::quiet_NaN();
        float kafkaLag = std::numeric_limits<float>::quiet_NaN();
        float faulted = std::numeric_limits<float>::quiet_NaN();
        float stale = std::numeric_limits<float>::quiet_NaN();
        float lost = std::numeric_limits<float>::quiet_NaN();
        float teleopRtt = std::numeric_limits<float>::quiet_NaN();
        std::array<float, kMaxMembers> probeP99{};
        std::array<float, kMaxMembers> replicationLag{};
        // Share of all proxy responses per latency bucket (weighted by ops); bucketCount used.
        std::array<float, kMaxBuckets> buckets{};
        int bucketCount = 0;
    };

    explicit InfraModel(const Clock *clock, int capacity = kDefaultCapacity, QObject *parent = nullptr);

    // The FleetClient infra handler; ignores messages that are not InfraUpdate.
    void handle(const fleet::v1::ServerMessage &message);
    void apply(const fleet::v1::InfraUpdate &update);
    // Forget everything (e.g. another backend).
    Q_INVOKABLE void clear();

    [[nodiscard]] InfraMemberModel *members() { return &m_members; }
    [[nodiscard]] InfraProxyModel *proxyGroups() { return &m_proxy; }
    [[nodiscard]] InfraPartitionModel *partitions() { return &m_partitions; }
    [[nodiscard]] InfraSourceModel *sources() { return &m_sources; }

    [[nodiscard]] int dbLevel() const { return m_dbLevel; }
    [[nodiscard]] int proxyLevel() const { return m_proxyLevel; }
    [[nodiscard]] int kafkaLevel() const { return m_kafkaLevel; }
    [[nodiscard]] int overallLevel() const;
    [[nodiscard]] QString headline() const { return m_headline; }
    [[nodiscard]] QString dbSourceProblem() const { return m_sourceProblems[0]; }
    [[nodiscard]] QString proxySourceProblem() const { return m_sourceProblems[1]; }
    [[nodiscard]] QString kafkaSourceProblem() const { return m_sourceProblems[2]; }
    [[nodiscard]] int sourcesUp() const { return m_sourcesUp; }
    [[nodiscard]] int sourceCount() const { return m_sources.rowCount(); }

    [[nodiscard]] QVariantMap thresholds() const { return m_thresholdMap; }
    [[nodiscard]] bool hasThresholds() const { return m_thresholds.valid; }
    [[nodiscard]] const InfraThresholdValues &thresholdValues() const { return m_thresholds; }

    [[nodiscard]] bool hasData() const { return !m_samples.empty(); }
    [[nodiscard]] int pointCount() const { return static_cast<int>(m_samples.size()); }
    [[nodiscard]] int capacity() const { return static_cast<int>(m_samples.capacity()); }
    [[nodiscard]] const RingBuffer<Sample> &samples() const { return m_samples; }
    [[nodiscard]] double latestTimeMs() const { return m_samples.empty() ? 0.0 : double(m_samples.back().timeMs); }
    [[nodiscard]] QVariantMap fleet() const { return m_fleet; }
    [[nodiscard]] double proxyOpsPerS() const { return m_proxyOps; }
    [[nodiscard]] double proxyErrorsPerS() const { return m_proxyErrors; }
    [[nodiscard]] double kafkaLagTotal() const { return m_kafkaLagTotal; }
    [[nodiscard]] QVariantList bucketBounds() const;
    [[nodiscard]] QStringList bucketLabels() const;
    [[nodiscard]] const std::vector<double> &bucketBoundsS() const { return m_bucketBounds; }
    [[nodiscard]] QStringList memberSeriesNames() const { return m_memberNames; }

    [[nodiscard]] double windowStartMs() const;
    [[nodiscard]] double windowEndMs() const { return latestTimeMs(); }

    [[nodiscard]] double ageMs() const;
    [[nodiscard]] int intervalMs() const { return m_intervalMs; }
    [[nodiscard]] bool stale() const;

    // Spacing of the time axis' ticks (and the charts' vertical rules) for a span: 1, 2, 5 or 10 min.
    Q_INVOKABLE double tickStepMs(double spanMs) const { return tickStep(spanMs); }
    [[nodiscard]] static double tickStep(double spanMs);

    // Lines of a quantity: 1, or one per member series.
    [[nodiscard]] int lineCount(Series series) const;
    // Value of line `line` of `series` in `sample`; NaN when absent.
    [[nodiscard]] static float value(const Sample &sample, Series series, int line);

Q_SIGNALS:
    // reset: the ring was replaced (history) or cleared; otherwise one point was appended.
    void pointsChanged(bool reset);
    void levelsChanged();
    void sourcesChanged();
    void thresholdsChanged();
    void bucketBoundsChanged();
    void memberSeriesNamesChanged();
    void ageChanged();

private:
    void appendPoint(const fleet::v1::InfraPoint &point);
    void applyLatest(const fleet::v1::InfraPoint &point);
    void updateHeadline();
    [[nodiscard]] int memberSeries(const QString &name);

    const Clock *m_clock;
    InfraMemberModel m_members;
    InfraProxyModel m_proxy;
    InfraPartitionModel m_partitions;
    InfraSourceModel m_sources;
    RingBuffer<Sample> m_samples;
    InfraThresholdValues m_thresholds;
    QVariantMap m_thresholdMap;
    QVariantMap m_fleet;
    QStringList m_memberNames;
    std::vector<double> m_bucketBounds;
    QString m_headline;
    std::array<QString, 3> m_sourceProblems;
    int m_sourcesUp = 0;
    int m_dbLevel = Unknown;
    int m_proxyLevel = Unknown;
    int m_kafkaLevel = Unknown;
    double m_proxyOps = 0;
    double m_proxyErrors = 0;
    double m_kafkaLagTotal = 0;
    bool m_kafkaUnreachable = false;
    int m_intervalMs = 0;
    std::int64_t m_receivedAtMs = 0;
    QTimer m_ageTimer;
};

}  // namespace fleetdeck
