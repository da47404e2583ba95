#pragma once

#include <QSortFilterProxyModel>

namespace fleetdeck {

class RobotModel;

// The fleet list's view of the robot model: search by id or task, filter by mode, attention (fault,
// stuck), low battery or stale data; sorted by robot id. Filtering re-runs only for changed rows
// (dynamicSortFilter) and only on the roles that decide it.
// Thread: main.
class RobotFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_PROPERTY(QString searchText READ searchText WRITE setSearchText NOTIFY filterChanged)
    Q_PROPERTY(int modeFilter READ modeFilter WRITE setModeFilter NOTIFY filterChanged)  // -1: any
    Q_PROPERTY(bool attentionOnly READ attentionOnly WRITE setAttentionOnly NOTIFY filterChanged)
    Q_PROPERTY(bool staleOnly READ staleOnly WRITE setStaleOnly NOTIFY filterChanged)
    Q_PROPERTY(double batteryBelow READ batteryBelow WRITE setBatteryBelow NOTIFY filterChanged)  // 101: any
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(SortKey sortKey READ sortKey WRITE setSortKey NOTIFY sortKeyChanged)

public:
    // Only slow-changing fields: a list that reorders under the operator's cursor ten times a
    // second is unusable.
    enum class SortKey {
        RobotId,
        Attention,   // fault and stuck first, then stale and lost, then by id
        Battery,     // emptiest first
        Freshness,   // lost, then stale, then live
    };
    Q_ENUM(SortKey)

    explicit RobotFilterModel(RobotModel *source, QObject *parent = nullptr);

    [[nodiscard]] QString searchText() const { return m_searchText; }
    void setSearchText(const QString &text);
    [[nodiscard]] int modeFilter() const { return m_modeFilter; }
    void setModeFilter(int mode);
    [[nodiscard]] bool attentionOnly() const { return m_attentionOnly; }
    void setAttentionOnly(bool on);
    [[nodiscard]] bool staleOnly() const { return m_staleOnly; }
    void setStaleOnly(bool on);
    [[nodiscard]] double batteryBelow() const { return m_batteryBelow; }
    void setBatteryBelow(double pct);
    [[nodiscard]] int count() const { return rowCount(); }
    [[nodiscard]] SortKey sortKey() const { return m_sortKey; }
    void setSortKey(SortKey key);

    // Source row of a list row, and back, for syncing the list's selection with the map's.
    Q_INVOKABLE int sourceRow(int proxyRow) const;
    Q_INVOKABLE int proxyRow(int sourceRow) const;

Q_SIGNALS:
    void filterChanged();
    void countChanged();
    void sortKeyChanged();

protected:
    [[nodiscard]] bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    [[nodiscard]] bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    void refilter();

    RobotModel *m_robots;
    QString m_searchText;
    int m_modeFilter = -1;
    bool m_attentionOnly = false;
    bool m_staleOnly = false;
    double m_batteryBelow = 101;
    SortKey m_sortKey = SortKey::RobotId;
};

}  // namespace fleetdeck
