#include "historyfeed.h"

#include <QtCharts/QXYSeries>

#include <algorithm>

#if QT_VERSION < QT_VERSION_CHECK(6, 0, 0)
// Qt 5 declares Qt Charts in namespace QtCharts; Qt 6 does not.
QT_CHARTS_USE_NAMESPACE
#endif

namespace fleetdeck {

void HistoryFeed::setHistory(RobotHistory *history)
{
    if (history == m_history)
        return;
    disconnect(m_historyConnection);
    m_history = history;
    if (history)
        m_historyConnection = connect(history, &RobotHistory::updated, this, &HistoryFeed::refresh);
    Q_EMIT historyChanged();
    refresh();
}

void HistoryFeed::setQuantity(int quantity)
{
    if (quantity == m_quantity)
        return;
    m_quantity = quantity;
    Q_EMIT quantityChanged();
    refresh();
}

void HistoryFeed::setSeries(QObject *series)
{
    if (series == m_series)
        return;
    m_series = series;
    Q_EMIT seriesChanged();
    refresh();
}

void HistoryFeed::refresh()
{
    QVector<QPointF> points;
    if (m_history && m_quantity >= 0 && m_quantity < RobotHistory::kQuantityCount)
        points = m_history->points(static_cast<RobotHistory::Quantity>(m_quantity));
    m_count = points.size();
    m_min = m_max = m_latest = 0;
    if (!points.isEmpty()) {
        const auto [lowest, highest] = std::minmax_element(points.cbegin(), points.cend(),
                                                           [](const QPointF &a, const QPointF &b) { return a.y() < b.y(); });
        m_min = lowest->y();
        m_max = highest->y();
        m_latest = points.constLast().y();
    }
    if (auto *xy = qobject_cast<QXYSeries *>(m_series.data()))
        xy->replace(points);
    Q_EMIT refreshed();
}

}  // namespace fleetdeck
