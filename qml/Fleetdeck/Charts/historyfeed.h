#pragma once

#include "robothistory.h"

#include <QObject>
#include <QPointer>

namespace fleetdeck {

// Shows one quantity of a RobotHistory in one Qt Charts series: on every RobotHistory::updated() (a
// few times a second at most) it hands the series all its points in one replace(), never point by
// point, and reports the range of what it shows so the chart can scale its axis.
// Thread: main.
class HistoryFeed : public QObject
{
    Q_OBJECT
    Q_PROPERTY(fleetdeck::RobotHistory *history READ history WRITE setHistory NOTIFY historyChanged)
    Q_PROPERTY(int quantity READ quantity WRITE setQuantity NOTIFY quantityChanged)  // RobotHistory::Quantity
    // The LineSeries (any XYSeries) to fill. A QObject so that this header needs no Qt Charts.
    Q_PROPERTY(QObject *series READ series WRITE setSeries NOTIFY seriesChanged)
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
    [[nodiscard]] QObject *series() const { return m_series; }
    void setSeries(QObject *series);

    [[nodiscard]] int count() const { return m_count; }
    [[nodiscard]] double minValue() const { return m_min; }
    [[nodiscard]] double maxValue() const { return m_max; }
    [[nodiscard]] double latestValue() const { return m_latest; }

Q_SIGNALS:
    void historyChanged();
    void quantityChanged();
    void seriesChanged();
    void refreshed();

private:
    void refresh();

    QPointer<RobotHistory> m_history;
    QMetaObject::Connection m_historyConnection;
    int m_quantity = 0;
    QPointer<QObject> m_series;
    int m_count = 0;
    double m_min = 0;
    double m_max = 0;
    double m_latest = 0;
};

}  // namespace fleetdeck
