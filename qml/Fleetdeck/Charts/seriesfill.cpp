#include "seriesfill.h"

#include <QtCharts/QXYSeries>

#if QT_VERSION < QT_VERSION_CHECK(6, 0, 0)
// Qt 5 declares Qt Charts in namespace QtCharts; Qt 6 does not.
QT_CHARTS_USE_NAMESPACE
#endif

namespace fleetdeck {

void SeriesFill::setFeed(HistoryFeed *feed)
{
    if (feed == m_feed)
        return;
    disconnect(m_feedConnection);
    m_feed = feed;
    if (feed)
        m_feedConnection = connect(feed, &HistoryFeed::refreshed, this, &SeriesFill::fill);
    Q_EMIT feedChanged();
    fill();
}

void SeriesFill::setSeries(QObject *series)
{
    if (series == m_series)
        return;
    m_series = series;
    Q_EMIT seriesChanged();
    fill();
}

void SeriesFill::fill()
{
    if (auto *xy = qobject_cast<QXYSeries *>(m_series.data()))
        xy->replace(m_feed ? m_feed->points() : QVector<QPointF>());
}

}  // namespace fleetdeck
