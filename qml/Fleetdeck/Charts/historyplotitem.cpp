#include "historyplotitem.h"

#include "plotgeometry.h"

#include <cmath>

namespace fleetdeck {

HistoryPlotItem::HistoryPlotItem(QQuickItem *parent) : QQuickItem(parent)
{
    setFlag(ItemHasContents, true);
    setClip(true);
}

void HistoryPlotItem::watch(QPointer<HistoryFeed> *slot, QMetaObject::Connection *connection, HistoryFeed *feed)
{
    if (feed == *slot)
        return;
    disconnect(*connection);
    *slot = feed;
    if (feed)
        *connection = connect(feed, &HistoryFeed::refreshed, this, &QQuickItem::update);
    Q_EMIT feedsChanged();
    update();
}

void HistoryPlotItem::setFeed(HistoryFeed *feed) { watch(&m_feed, &m_feedConnection, feed); }
void HistoryPlotItem::setSecondFeed(HistoryFeed *feed) { watch(&m_secondFeed, &m_secondFeedConnection, feed); }

void HistoryPlotItem::setRange(double *member, double value)
{
    if (value == *member || (std::isnan(value) && std::isnan(*member)))
        return;
    *member = value;
    Q_EMIT rangeChanged();
    update();
}

void HistoryPlotItem::setXMin(double value) { setRange(&m_xMin, value); }
void HistoryPlotItem::setXMax(double value) { setRange(&m_xMax, value); }
void HistoryPlotItem::setYMin(double value) { setRange(&m_yMin, value); }
void HistoryPlotItem::setYMax(double value) { setRange(&m_yMax, value); }

void HistoryPlotItem::setStyle(QColor *member, const QColor &color)
{
    if (color == *member)
        return;
    *member = color;
    Q_EMIT styleChanged();
    update();
}

void HistoryPlotItem::setColor(const QColor &color) { setStyle(&m_color, color); }
void HistoryPlotItem::setSecondColor(const QColor &color) { setStyle(&m_secondColor, color); }
void HistoryPlotItem::setGridColor(const QColor &color) { setStyle(&m_gridColor, color); }
void HistoryPlotItem::setPlotColor(const QColor &color) { setStyle(&m_plotColor, color); }

void HistoryPlotItem::setXTickCount(int count)
{
    if (count == m_xTickCount)
        return;
    m_xTickCount = count;
    Q_EMIT styleChanged();
    update();
}

void HistoryPlotItem::setYTickCount(int count)
{
    if (count == m_yTickCount)
        return;
    m_yTickCount = count;
    Q_EMIT styleChanged();
    update();
}

void HistoryPlotItem::setLineWidth(double width)
{
    if (width == m_lineWidth)
        return;
    m_lineWidth = width;
    Q_EMIT styleChanged();
    update();
}

QPointF HistoryPlotItem::toItem(QPointF point) const
{
    // The outermost grid lines sit on the item's last pixel, inside it.
    const double w = width() - 1, h = height() - 1;
    const double xSpan = m_xMax - m_xMin, ySpan = m_yMax - m_yMin;
    return {xSpan > 0 ? (point.x() - m_xMin) / xSpan * w : 0, ySpan > 0 ? h - (point.y() - m_yMin) / ySpan * h : h};
}

void HistoryPlotItem::FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry)
{
    QQuickItem::FLEETDECK_GEOMETRY_CHANGE(newGeometry, oldGeometry);
    if (newGeometry.size() != oldGeometry.size())
        update();
}

QSGNode *HistoryPlotItem::updatePaintNode(QSGNode *oldNode, UpdatePaintNodeData *)
{
    const double w = width(), h = height();
    PlotGeometry plot;
    if (m_plotColor.alpha() > 0)
        plot.rect(QRectF(0, 0, w, h), m_plotColor);
    if (m_xTickCount >= 2) {
        for (int i = 0; i < m_xTickCount; ++i)
            plot.rect(QRectF(std::round(double(i) / (m_xTickCount - 1) * (w - 1)), 0, 1, h), m_gridColor);
    }
    if (m_yTickCount >= 2) {
        for (int i = 0; i < m_yTickCount; ++i)
            plot.rect(QRectF(0, std::round(double(i) / (m_yTickCount - 1) * (h - 1)), w, 1), m_gridColor);
    }
    const auto draw = [&](const HistoryFeed *feed, const QColor &color) {
        if (!feed || feed->count() == 0)
            return;
        QVector<QPointF> line;
        line.reserve(feed->count());
        for (const QPointF &p : feed->points())
            line.append(toItem(p));
        plot.polyline(line, m_lineWidth, color);
    };
    draw(m_feed, m_color);
    draw(m_secondFeed, m_secondColor);
    return plot.updateNode(oldNode);
}

}  // namespace fleetdeck
