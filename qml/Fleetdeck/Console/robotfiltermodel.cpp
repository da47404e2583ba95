#include "robotfiltermodel.h"

#include "attention.h"
#include "robotmodel.h"

namespace fleetdeck {

RobotFilterModel::RobotFilterModel(RobotModel *source, QObject *parent)
    : QSortFilterProxyModel(parent), m_robots(source)
{
    setSourceModel(source);
    // Re-filter and re-sort a changed row only when a role that decides them changed.
    setFilterRole(RobotModel::StatusRole);
    setSortRole(RobotModel::RobotIdRole);
    setDynamicSortFilter(true);
    sort(0);
    for (const auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(this, signal, this, &RobotFilterModel::countChanged);
    connect(this, &QAbstractItemModel::modelReset, this, &RobotFilterModel::countChanged);
    connect(this, &QAbstractItemModel::layoutChanged, this, &RobotFilterModel::countChanged);
}

void RobotFilterModel::refilter()
{
    invalidateFilter();
    Q_EMIT filterChanged();
    Q_EMIT countChanged();
}

void RobotFilterModel::setSearchText(const QString &text)
{
    if (text == m_searchText)
        return;
    m_searchText = text;
    refilter();
}

void RobotFilterModel::setModeFilter(int mode)
{
    if (mode == m_modeFilter)
        return;
    m_modeFilter = mode;
    refilter();
}

void RobotFilterModel::setAttentionOnly(bool on)
{
    if (on == m_attentionOnly)
        return;
    m_attentionOnly = on;
    refilter();
}

void RobotFilterModel::setStaleOnly(bool on)
{
    if (on == m_staleOnly)
        return;
    m_staleOnly = on;
    refilter();
}

void RobotFilterModel::setBatteryBelow(double pct)
{
    if (qFuzzyCompare(pct, m_batteryBelow))
        return;
    m_batteryBelow = pct;
    refilter();
}

bool RobotFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &) const
{
    const RobotState &robot = m_robots->robotAt(sourceRow);
    if (m_modeFilter >= 0 && int(robot.mode) != m_modeFilter)
        return false;
    if (m_attentionOnly && !needsAttention(robot))
        return false;
    if (m_staleOnly && robot.freshness != Freshness::Stale && robot.freshness != Freshness::Lost)
        return false;
    if (robot.batteryPct >= m_batteryBelow)
        return false;
    if (!m_searchText.isEmpty() && !robot.robotId.contains(m_searchText, Qt::CaseInsensitive)
        && !robot.taskId.contains(m_searchText, Qt::CaseInsensitive))
        return false;
    return true;
}

void RobotFilterModel::setSortKey(SortKey key)
{
    if (key == m_sortKey)
        return;
    m_sortKey = key;
    // Re-sort a changed row only when a role the order depends on changed.
    setSortRole(key == SortKey::RobotId ? int(RobotModel::RobotIdRole) : int(RobotModel::StatusRole));
    invalidate();
    Q_EMIT sortKeyChanged();
}

bool RobotFilterModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const RobotState &a = m_robots->robotAt(left.row());
    const RobotState &b = m_robots->robotAt(right.row());
    const auto attentionRank = [](const RobotState &r) {
        if (needsAttention(r))
            return 0;
        return r.freshness == Freshness::Live ? 2 : 1;
    };
    switch (m_sortKey) {
    case SortKey::RobotId:
        break;
    case SortKey::Attention:
        if (attentionRank(a) != attentionRank(b))
            return attentionRank(a) < attentionRank(b);
        break;
    case SortKey::Battery:
        if (qRound(a.batteryPct) != qRound(b.batteryPct))
            return qRound(a.batteryPct) < qRound(b.batteryPct);
        break;
    case SortKey::Freshness:
        if (a.freshness != b.freshness)
            return int(a.freshness) > int(b.freshness);
        break;
    }
    return a.robotId < b.robotId;
}

int RobotFilterModel::sourceRow(int proxyRow) const
{
    return mapToSource(index(proxyRow, 0)).row();
}

int RobotFilterModel::proxyRow(int sourceRow) const
{
    if (sourceRow < 0 || sourceRow >= m_robots->rowCount())
        return -1;
    return mapFromSource(m_robots->index(sourceRow)).row();
}

}  // namespace fleetdeck
