#pragma once

#include <QAbstractListModel>
#include <QVector>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace fleetdeck {

// The backend's thresholds (InfraThresholds); valid once the first update of a session brought them.
struct InfraThresholdValues {
    bool valid = false;
    double replicationLagWarningS = 0;
    double replicationLagCriticalS = 0;
    double latencyP99WarningMs = 0;
    double latencyP99CriticalMs = 0;
    double connectionsUsedWarning = 0;   // share of current + available
    double connectionsUsedCritical = 0;
    double proxyErrorRateWarning = 0;    // errors / ops
    double proxyErrorRateCritical = 0;
    double proxyShareOver100msWarning = 0;
    double proxyShareOver100msCritical = 0;
    double kafkaLagWarning = 0;
    double kafkaLagCritical = 0;
};

// Level of `value` against a (warning, critical) pair: Unknown (0) for NaN or unset thresholds,
// else Ok (1), Warning (2), Critical (3).
[[nodiscard]] int levelOf(double value, double warning, double critical);

// Equal, with NaN equal to NaN: a figure that stays unknown has not changed.
[[nodiscard]] inline bool sameFigure(double a, double b)
{
    return a == b || (std::isnan(a) && std::isnan(b));
}

// Rows of the infrastructure tiles. sync() turns the current rows into the next ones in place:
// rows that left are removed, new ones inserted, rows whose position moved (their level changed)
// moved, and dataChanged emitted once per run of adjacent changed rows with the roles that changed.
// Never a reset. Thread: main.
class InfraListModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    using QAbstractListModel::QAbstractListModel;
    [[nodiscard]] virtual int count() const = 0;
    [[nodiscard]] int rowCount(const QModelIndex &parent = QModelIndex()) const override
    {
        return parent.isValid() ? 0 : count();
    }

Q_SIGNALS:
    void countChanged();

protected:
    // Row: QString key() const; QVector<int> diff(const Row &next) const (the roles that differ).
    // `next` is in display order, keys unique.
    template <typename Row>
    void sync(std::vector<Row> &rows, const std::vector<Row> &next);
};

template <typename Row>
void InfraListModel::sync(std::vector<Row> &rows, const std::vector<Row> &next)
{
    const std::size_t oldCount = rows.size();
    for (int i = static_cast<int>(rows.size()) - 1; i >= 0; --i) {
        const QString key = rows[std::size_t(i)].key();
        if (std::none_of(next.cbegin(), next.cend(), [&key](const Row &r) { return r.key() == key; })) {
            beginRemoveRows(QModelIndex(), i, i);
            rows.erase(rows.begin() + i);
            endRemoveRows();
        }
    }
    std::vector<QVector<int>> changed(next.size());
    for (std::size_t i = 0; i < next.size(); ++i) {
        const QString key = next[i].key();
        const auto found = std::find_if(rows.begin() + std::ptrdiff_t(i), rows.end(),
                                        [&key](const Row &r) { return r.key() == key; });
        const int row = int(i);
        if (found == rows.end()) {
            beginInsertRows(QModelIndex(), row, row);
            rows.insert(rows.begin() + std::ptrdiff_t(i), next[i]);
            endInsertRows();
            continue;
        }
        const int from = int(found - rows.begin());
        if (from != row) {
            beginMoveRows(QModelIndex(), from, from, QModelIndex(), row);
            Row moved = std::move(*found);
            rows.erase(found);
            rows.insert(rows.begin() + std::ptrdiff_t(i), std::move(moved));
            endMoveRows();
        }
        changed[i] = rows[i].diff(next[i]);
        if (!changed[i].isEmpty())
            rows[i] = next[i];
    }
    for (std::size_t first = 0; first < changed.size();) {
        if (changed[first].isEmpty()) {
            ++first;
            continue;
        }
        std::size_t last = first;
        QVector<int> roles = changed[first];
        while (last + 1 < changed.size() && !changed[last + 1].isEmpty()) {
            ++last;
            roles += changed[last];
        }
        std::sort(roles.begin(), roles.end());
        roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
        Q_EMIT dataChanged(index(int(first)), index(int(last)), roles);
        first = last + 1;
    }
    if (rows.size() != oldCount)
        Q_EMIT countChanged();
}

// One replica-set member per row, worst level first, then by name. Thread: main.
class InfraMemberModel : public InfraListModel
{
    Q_OBJECT

public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        StateRole,             // PRIMARY, SECONDARY, … or ""
        UpRole,
        ReplicationLagRole,    // s, NaN when unknown (always on a primary)
        ConnectionsCurrentRole,
        ConnectionsAvailableRole,
        ConnectionsUsedRole,   // share of current + available, NaN when unknown
        PingP50Role,           // ms
        PingP99Role,
        ReadP99Role,
        WriteP99Role,
        ProbeFailuresRole,     // per s
        OpLatencyReadRole,     // ms, server-side mean
        OpLatencyWriteRole,
        LevelRole,             // the backend's verdict (InfraModel::Level)
        LagLevelRole,          // each figure against the thresholds, so a tile marks the one that is off
        LatencyLevelRole,
        ConnectionsLevelRole,
        ReasonRole,            // why the level is not OK, in words; "" when OK
        SeriesRole,            // index of this member's chart lines (InfraModel::memberSeriesNames), or -1
    };
    Q_ENUM(Role)

    struct Row {
        QString name;
        QString state;
        bool up = false;
        float replicationLagS = NAN;
        float connectionsCurrent = NAN;
        float connectionsAvailable = NAN;
        float pingP50Ms = NAN;
        float pingP99Ms = NAN;
        float readP99Ms = NAN;
        float writeP99Ms = NAN;
        float probeFailuresPerS = NAN;
        float opLatencyReadMs = NAN;
        float opLatencyWriteMs = NAN;
        int level = 0;
        int lagLevel = 0;
        int latencyLevel = 0;
        int connectionsLevel = 0;
        QString reason;
        int series = -1;

        [[nodiscard]] QString key() const { return name; }
        [[nodiscard]] double connectionsUsed() const;
        [[nodiscard]] QVector<int> diff(const Row &next) const;
    };

    using InfraListModel::InfraListModel;
    [[nodiscard]] int count() const override { return int(m_rows.size()); }
    [[nodiscard]] QVariant data(const QModelIndex &index, int role) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;
    [[nodiscard]] const std::vector<Row> &rows() const { return m_rows; }
    void setRows(std::vector<Row> next);

private:
    std::vector<Row> m_rows;
};

// Proxy traffic of one app on one collection per row, worst level first, then by app and collection.
// Thread: main.
class InfraProxyModel : public InfraListModel
{
    Q_OBJECT

public:
    enum Role {
        AppRole = Qt::UserRole + 1,
        CollectionRole,
        OpsRole,               // per s
        ErrorsRole,            // per s
        ErrorRateRole,         // errors / ops, 0 without ops
        BucketSharesRole,      // list of shares, one per bucket (InfraModel::bucketLabels)
        Over10msRole,          // shares of responses slower than 10 ms, 100 ms, 1 s
        Over100msRole,
        Over1sRole,
        LevelRole,
        ErrorLevelRole,
        SlowLevelRole,         // share over 100 ms against its thresholds
        ReasonRole,
    };
    Q_ENUM(Role)

    struct Row {
        QString app;
        QString collection;
        float opsPerS = 0;
        float errorsPerS = 0;
        std::vector<float> bucketShares;
        float over10ms = 0;
        float over100ms = 0;
        float over1s = 0;
        int level = 0;
        int errorLevel = 0;
        int slowLevel = 0;
        QString reason;

        [[nodiscard]] QString key() const { return app + QLatin1Char('\x1f') + collection; }
        [[nodiscard]] double errorRate() const { return opsPerS > 0 ? double(errorsPerS) / double(opsPerS) : 0.0; }
        [[nodiscard]] QVector<int> diff(const Row &next) const;
    };

    using InfraListModel::InfraListModel;
    [[nodiscard]] int count() const override { return int(m_rows.size()); }
    [[nodiscard]] QVariant data(const QModelIndex &index, int role) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;
    [[nodiscard]] const std::vector<Row> &rows() const { return m_rows; }
    void setRows(std::vector<Row> next);

private:
    std::vector<Row> m_rows;
};

// Kafka consumer lag per partition, worst level first, then by topic and partition. Thread: main.
class InfraPartitionModel : public InfraListModel
{
    Q_OBJECT

public:
    enum Role { TopicRole = Qt::UserRole + 1, PartitionRole, LagRole, LevelRole };
    Q_ENUM(Role)

    struct Row {
        QString topic;
        int partition = 0;
        double lag = 0;
        int level = 0;

        [[nodiscard]] QString key() const { return topic + QLatin1Char('/') + QString::number(partition); }
        [[nodiscard]] QVector<int> diff(const Row &next) const;
    };

    using InfraListModel::InfraListModel;
    [[nodiscard]] int count() const override { return int(m_rows.size()); }
    [[nodiscard]] QVariant data(const QModelIndex &index, int role) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;
    [[nodiscard]] const std::vector<Row> &rows() const { return m_rows; }
    void setRows(std::vector<Row> next);

private:
    std::vector<Row> m_rows;
};

// The metrics sources and whether they answer; those that do not first. Thread: main.
class InfraSourceModel : public InfraListModel
{
    Q_OBJECT

public:
    enum Role { NameRole = Qt::UserRole + 1, UpRole, ErrorRole, LastSuccessRole, SectionRole };
    Q_ENUM(Role)

    struct Row {
        QString name;
        bool up = false;
        QString error;
        double lastSuccessMs = 0;   // Unix ms, backend clock; 0 never
        QString section;            // "db", "proxy", "kafka" or "" (guessed from the name)

        [[nodiscard]] QString key() const { return name; }
        [[nodiscard]] QVector<int> diff(const Row &next) const;
    };

    using InfraListModel::InfraListModel;
    [[nodiscard]] int count() const override { return int(m_rows.size()); }
    [[nodiscard]] QVariant data(const QModelIndex &index, int role) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;
    [[nodiscard]] const std::vector<Row> &rows() const { return m_rows; }
    void setRows(std::vector<Row> next);

private:
    std::vector<Row> m_rows;
};

}  // namespace fleetdeck
