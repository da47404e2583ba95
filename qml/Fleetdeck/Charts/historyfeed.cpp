#include "historyfeed.h"

#include <algorithm>

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

void HistoryFeed::refresh()
{
    m_points.clear();
    if (m_history && m_quantity >= 0 && m_quantity < RobotHistory::kQuantityCount)
        m_points = m_history->points(static_cast<RobotHistory::Quantity>(m_quantity));
    m_min = m_max = m_latest = 0;
    if (!m_points.isEmpty()) {
        const auto [lowest, highest] = std::minmax_element(m_points.cbegin(), m_points.cend(),
                                                           [](const QPointF &a, const QPointF &b) { return a.y() < b.y(); });
        m_min = lowest->y();
        m_max = highest->y();
        m_latest = m_points.constLast().y();
    }
    Q_EMIT refreshed();
}

}  // namespace fleetdeck
