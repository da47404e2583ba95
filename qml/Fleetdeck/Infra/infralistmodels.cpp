#include "infralistmodels.h"

#include <QVariantList>

namespace fleetdeck {

namespace {

// Role `role` differs between a and b (figures compared with NaN == NaN).
template <typename T>
void note(QVector<int> *roles, int role, const T &a, const T &b)
{
    if (!(a == b))
        roles->append(role);
}

void noteFigure(QVector<int> *roles, int role, double a, double b)
{
    if (!sameFigure(a, b))
        roles->append(role);
}

QVariant figure(double value)
{
    return QVariant(value);   // NaN stays NaN: QML tests it with isNaN()
}

}  // namespace

int levelOf(double value, double warning, double critical)
{
    if (std::isnan(value) || (warning <= 0 && critical <= 0))
        return 0;
    if (critical > 0 && value >= critical)
        return 3;
    if (warning > 0 && value >= warning)
        return 2;
    return 1;
}

// ---- members ----

double InfraMemberModel::Row::connectionsUsed() const
{
    const double total = double(connectionsCurrent) + double(connectionsAvailable);
    return total > 0 ? double(connectionsCurrent) / total : NAN;
}

QVector<int> InfraMemberModel::Row::diff(const Row &next) const
{
    QVector<int> roles;
    note(&roles, NameRole, name, next.name);
    note(&roles, StateRole, state, next.state);
    note(&roles, UpRole, up, next.up);
    noteFigure(&roles, ReplicationLagRole, replicationLagS, next.replicationLagS);
    noteFigure(&roles, ConnectionsCurrentRole, connectionsCurrent, next.connectionsCurrent);
    noteFigure(&roles, ConnectionsAvailableRole, connectionsAvailable, next.connectionsAvailable);
    noteFigure(&roles, ConnectionsUsedRole, connectionsUsed(), next.connectionsUsed());
    noteFigure(&roles, PingP50Role, pingP50Ms, next.pingP50Ms);
    noteFigure(&roles, PingP99Role, pingP99Ms, next.pingP99Ms);
    noteFigure(&roles, ReadP99Role, readP99Ms, next.readP99Ms);
    noteFigure(&roles, WriteP99Role, writeP99Ms, next.writeP99Ms);
    noteFigure(&roles, ProbeFailuresRole, probeFailuresPerS, next.probeFailuresPerS);
    noteFigure(&roles, OpLatencyReadRole, opLatencyReadMs, next.opLatencyReadMs);
    noteFigure(&roles, OpLatencyWriteRole, opLatencyWriteMs, next.opLatencyWriteMs);
    note(&roles, LevelRole, level, next.level);
    note(&roles, LagLevelRole, lagLevel, next.lagLevel);
    note(&roles, LatencyLevelRole, latencyLevel, next.latencyLevel);
    note(&roles, ConnectionsLevelRole, connectionsLevel, next.connectionsLevel);
    note(&roles, ReasonRole, reason, next.reason);
    note(&roles, SeriesRole, series, next.series);
    return roles;
}

QVariant InfraMemberModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case NameRole: return r.name;
    case StateRole: return r.state;
    case UpRole: return r.up;
    case ReplicationLagRole: return figure(r.replicationLagS);
    case ConnectionsCurrentRole: return figure(r.connectionsCurrent);
    case ConnectionsAvailableRole: return figure(r.connectionsAvailable);
    case ConnectionsUsedRole: return figure(r.connectionsUsed());
    case PingP50Role: return figure(r.pingP50Ms);
    case PingP99Role: return figure(r.pingP99Ms);
    case ReadP99Role: return figure(r.readP99Ms);
    case WriteP99Role: return figure(r.writeP99Ms);
    case ProbeFailuresRole: return figure(r.probeFailuresPerS);
    case OpLatencyReadRole: return figure(r.opLatencyReadMs);
    case OpLatencyWriteRole: return figure(r.opLatencyWriteMs);
    case LevelRole: return r.level;
    case LagLevelRole: return r.lagLevel;
    case LatencyLevelRole: return r.latencyLevel;
    case ConnectionsLevelRole: return r.connectionsLevel;
    case ReasonRole: return r.reason;
    case SeriesRole: return r.series;
    default: return {};
    }
}

QHash<int, QByteArray> InfraMemberModel::roleNames() const
{
    return {{NameRole, "name"},
            {StateRole, "memberState"},
            {UpRole, "up"},
            {ReplicationLagRole, "replicationLagS"},
            {ConnectionsCurrentRole, "connectionsCurrent"},
            {ConnectionsAvailableRole, "connectionsAvailable"},
            {ConnectionsUsedRole, "connectionsUsed"},
            {PingP50Role, "pingP50Ms"},
            {PingP99Role, "pingP99Ms"},
            {ReadP99Role, "readP99Ms"},
            {WriteP99Role, "writeP99Ms"},
            {ProbeFailuresRole, "probeFailuresPerS"},
            {OpLatencyReadRole, "opLatencyReadMs"},
            {OpLatencyWriteRole, "opLatencyWriteMs"},
            {LevelRole, "level"},
            {LagLevelRole, "lagLevel"},
            {LatencyLevelRole, "latencyLevel"},
            {ConnectionsLevelRole, "connectionsLevel"},
            {ReasonRole, "reason"},
            {SeriesRole, "series"}};
}

void InfraMemberModel::setRows(std::vector<Row> next)
{
    std::stable_sort(next.begin(), next.end(), [](const Row &a, const Row &b) {
        return a.level != b.level ? a.level > b.level : a.name < b.name;
    });
    sync(m_rows, next);
}

// ---- proxy groups ----

QVector<int> InfraProxyModel::Row::diff(const Row &next) const
{
    QVector<int> roles;
    note(&roles, AppRole, app, next.app);
    note(&roles, CollectionRole, collection, next.collection);
    noteFigure(&roles, OpsRole, opsPerS, next.opsPerS);
    noteFigure(&roles, ErrorsRole, errorsPerS, next.errorsPerS);
    noteFigure(&roles, ErrorRateRole, errorRate(), next.errorRate());
    note(&roles, BucketSharesRole, bucketShares, next.bucketShares);
    noteFigure(&roles, Over10msRole, over10ms, next.over10ms);
    noteFigure(&roles, Over100msRole, over100ms, next.over100ms);
    noteFigure(&roles, Over1sRole, over1s, next.over1s);
    note(&roles, LevelRole, level, next.level);
    note(&roles, ErrorLevelRole, errorLevel, next.errorLevel);
    note(&roles, SlowLevelRole, slowLevel, next.slowLevel);
    note(&roles, ReasonRole, reason, next.reason);
    return roles;
}

QVariant InfraProxyModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole: return QString(r.app + QLatin1Char('/') + r.collection);
    case AppRole: return r.app;
    case CollectionRole: return r.collection;
    case OpsRole: return figure(r.opsPerS);
    case ErrorsRole: return figure(r.errorsPerS);
    case ErrorRateRole: return figure(r.errorRate());
    case BucketSharesRole: {
        QVariantList shares;
        shares.reserve(int(r.bucketShares.size()));
        for (const float s : r.bucketShares)
            shares.append(double(s));
        return shares;
    }
    case Over10msRole: return figure(r.over10ms);
    case Over100msRole: return figure(r.over100ms);
    case Over1sRole: return figure(r.over1s);
    case LevelRole: return r.level;
    case ErrorLevelRole: return r.errorLevel;
    case SlowLevelRole: return r.slowLevel;
    case ReasonRole: return r.reason;
    default: return {};
    }
}

QHash<int, QByteArray> InfraProxyModel::roleNames() const
{
    return {{AppRole, "app"},
            {CollectionRole, "collection"},
            {OpsRole, "opsPerS"},
            {ErrorsRole, "errorsPerS"},
            {ErrorRateRole, "errorRate"},
            {BucketSharesRole, "bucketShares"},
            {Over10msRole, "over10ms"},
            {Over100msRole, "over100ms"},
            {Over1sRole, "over1s"},
            {LevelRole, "level"},
            {ErrorLevelRole, "errorLevel"},
            {SlowLevelRole, "slowLevel"},
            {ReasonRole, "reason"}};
}

void InfraProxyModel::setRows(std::vector<Row> next)
{
    std::stable_sort(next.begin(), next.end(), [](const Row &a, const Row &b) {
        if (a.level != b.level)
            return a.level > b.level;
        return a.app != b.app ? a.app < b.app : a.collection < b.collection;
    });
    sync(m_rows, next);
}

// ---- Kafka partitions ----

QVector<int> InfraPartitionModel::Row::diff(const Row &next) const
{
    QVector<int> roles;
    note(&roles, TopicRole, topic, next.topic);
    note(&roles, PartitionRole, partition, next.partition);
    noteFigure(&roles, LagRole, lag, next.lag);
    note(&roles, LevelRole, level, next.level);
    return roles;
}

QVariant InfraPartitionModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole: return r.key();
    case TopicRole: return r.topic;
    case PartitionRole: return r.partition;
    case LagRole: return r.lag;
    case LevelRole: return r.level;
    default: return {};
    }
}

QHash<int, QByteArray> InfraPartitionModel::roleNames() const
{
    return {{TopicRole, "topic"}, {PartitionRole, "partition"}, {LagRole, "lag"}, {LevelRole, "level"}};
}

void InfraPartitionModel::setRows(std::vector<Row> next)
{
    std::stable_sort(next.begin(), next.end(), [](const Row &a, const Row &b) {
        if (a.level != b.level)
            return a.level > b.level;
        return a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition;
    });
    sync(m_rows, next);
}

// ---- metrics sources ----

QVector<int> InfraSourceModel::Row::diff(const Row &next) const
{
    QVector<int> roles;
    note(&roles, NameRole, name, next.name);
    note(&roles, UpRole, up, next.up);
    note(&roles, ErrorRole, error, next.error);
    noteFigure(&roles, LastSuccessRole, lastSuccessMs, next.lastSuccessMs);
    note(&roles, SectionRole, section, next.section);
    return roles;
}

QVariant InfraSourceModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case NameRole: return r.name;
    case UpRole: return r.up;
    case ErrorRole: return r.error;
    case LastSuccessRole: return r.lastSuccessMs;
    case SectionRole: return r.section;
    default: return {};
    }
}

QHash<int, QByteArray> InfraSourceModel::roleNames() const
{
    return {{NameRole, "name"}, {UpRole, "up"}, {ErrorRole, "error"}, {LastSuccessRole, "lastSuccessMs"},
            {SectionRole, "section"}};
}

void InfraSourceModel::setRows(std::vector<Row> next)
{
    std::stable_sort(next.begin(), next.end(), [](const Row &a, const Row &b) {
        return a.up != b.up ? !a.up : a.name < b.name;
    });
    sync(m_rows, next);
}

}  // namespace fleetdeck
