#pragma once

#include "robothistory.h"

#include <QObject>
#include <QPointF>
#include <QPointer>
#include <QVector>

namespace fleetdeck {

// One quantity of a RobotHistory, as a chart shows it: on every RobotHistory::updated() (a few times a
// second at most) it takes the history's points once and reports their range, so the chart can scale
// its axis. Whatever draws them (a Qt Charts series through SeriesFill on the desktop, HistoryPlotItem
// in the browser) reads points() then.
// Thread: main.
class HistoryFeed : public QObject
{
    Q_OBJECT
    Q_PROPERTY(fleetdeck::RobotHistory *history READ history WRITE setHistory NOTIFY historyChanged)
    Q_PROPERTY(int quantity READ quantity WRITE setQuantity NOTIFY quantityChanged)  // RobotHistory::Quantity, or -1
    Q_PROPERTY(int count READ count NOTIFY refreshed)
    // Of the points shown; 0 when there are none (check count).
    Q_PROPERTY(double minValue READ minValue NOTIFY refreshed)
    Q_PROPERTY(double maxValue READ maxValue NOTIFY refreshed)
    Q_PROPERTY(double latestValue READ latestValue NOTIFY refreshed)

public:
    using QObject::QObject;

    [[nodiscard]] RobotHistory *history() const { return m_history; }
    void setHistory(RobotHistory *history);
    [[nodiscard]] int quantity() const { return m_quantity; }
    void setQuantity(int quantity);

    // x = minutes before the history's last update (≤ 0), y = value; see RobotHistory::points().
    [[nodiscard]] const QVector<QPointF> &points() const { return m_points; }
    [[nodiscard]] int count() const { return int(m_points.size()); }
    [[nodiscard]] double minValue() const { return m_min; }
    [[nodiscard]] double maxValue() const { return m_max; }
    [[nodiscard]] double latestValue() const { return m_latest; }

Q_SIGNALS:
    void historyChanged();
    void quantityChanged();
    void refreshed();

private:
    void refresh();

    QPointer<RobotHistory> m_history;
    QMetaObject::Connection m_historyConnection;
    int m_quantity = 0;
    QVector<QPointF> m_points;
    double m_min = 0;
    double m_max = 0;
    double m_latest = 0;
};

}  // namespace fleetdeck
