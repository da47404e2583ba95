#pragma once

#include "historyfeed.h"
#include "qtcompat.h"

#include <QColor>
#include <QPointer>
#include <QQuickItem>

namespace fleetdeck {

// The plot of a HistoryChart drawn with the scene graph (PlotGeometry), where Qt Charts is not built
// (the browser, DESIGN.md §10): the plot area, the grid a Qt Charts ValueAxis pair draws (xTickCount
// and yTickCount lines, the ends included) and one or two HistoryFeeds' lines, x in minutes (xMin..xMax),
// y from yMin to yMax, values outside clipped. Redraws on each feed's refresh. Axis labels are QML's.
// Thread: main (updatePaintNode on the render thread, with the main thread blocked).
class HistoryPlotItem : public QQuickItem
{
    Q_OBJECT
    Q_PROPERTY(fleetdeck::HistoryFeed *feed READ feed WRITE setFeed NOTIFY feedsChanged)
    Q_PROPERTY(fleetdeck::HistoryFeed *secondFeed READ secondFeed WRITE setSecondFeed NOTIFY feedsChanged)
    Q_PROPERTY(double xMin READ xMin WRITE setXMin NOTIFY rangeChanged)
    Q_PROPERTY(double xMax READ xMax WRITE setXMax NOTIFY rangeChanged)
    Q_PROPERTY(double yMin READ yMin WRITE setYMin NOTIFY rangeChanged)
    Q_PROPERTY(double yMax READ yMax WRITE setYMax NOTIFY rangeChanged)
    Q_PROPERTY(int xTickCount READ xTickCount WRITE setXTickCount NOTIFY styleChanged)
    Q_PROPERTY(int yTickCount READ yTickCount WRITE setYTickCount NOTIFY styleChanged)
    Q_PROPERTY(QColor color READ color WRITE setColor NOTIFY styleChanged)
    Q_PROPERTY(QColor secondColor READ secondColor WRITE setSecondColor NOTIFY styleChanged)
    Q_PROPERTY(QColor gridColor READ gridColor WRITE setGridColor NOTIFY styleChanged)
    Q_PROPERTY(QColor plotColor READ plotColor WRITE setPlotColor NOTIFY styleChanged)
    Q_PROPERTY(double lineWidth READ lineWidth WRITE setLineWidth NOTIFY styleChanged)

public:
    explicit HistoryPlotItem(QQuickItem *parent = nullptr);

    [[nodiscard]] HistoryFeed *feed() const { return m_feed; }
    void setFeed(HistoryFeed *feed);
    [[nodiscard]] HistoryFeed *secondFeed() const { return m_secondFeed; }
    void setSecondFeed(HistoryFeed *feed);
    [[nodiscard]] double xMin() const { return m_xMin; }
    void setXMin(double value);
    [[nodiscard]] double xMax() const { return m_xMax; }
    void setXMax(double value);
    [[nodiscard]] double yMin() const { return m_yMin; }
    void setYMin(double value);
    [[nodiscard]] double yMax() const { return m_yMax; }
    void setYMax(double value);
    [[nodiscard]] int xTickCount() const { return m_xTickCount; }
    void setXTickCount(int count);
    [[nodiscard]] int yTickCount() const { return m_yTickCount; }
    void setYTickCount(int count);
    [[nodiscard]] QColor color() const { return m_color; }
    void setColor(const QColor &color);
    [[nodiscard]] QColor secondColor() const { return m_secondColor; }
    void setSecondColor(const QColor &color);
    [[nodiscard]] QColor gridColor() const { return m_gridColor; }
    void setGridColor(const QColor &color);
    [[nodiscard]] QColor plotColor() const { return m_plotColor; }
    void setPlotColor(const QColor &color);
    [[nodiscard]] double lineWidth() const { return m_lineWidth; }
    void setLineWidth(double width);

    // Where a point (minutes, value) lands in the item; what updatePaintNode() draws through.
    [[nodiscard]] QPointF toItem(QPointF point) const;

Q_SIGNALS:
    void feedsChanged();
    void rangeChanged();
    void styleChanged();

protected:
    QSGNode *updatePaintNode(QSGNode *oldNode, UpdatePaintNodeData *data) override;
    void FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry) override;

private:
    void watch(QPointer<HistoryFeed> *slot, QMetaObject::Connection *connection, HistoryFeed *feed);
    void setStyle(QColor *member, const QColor &color);
    void setRange(double *member, double value);

    QPointer<HistoryFeed> m_feed;
    QPointer<HistoryFeed> m_secondFeed;
    QMetaObject::Connection m_feedConnection;
    QMetaObject::Connection m_secondFeedConnection;
    double m_xMin = -1;
    double m_xMax = 0;
    double m_yMin = 0;
    double m_yMax = 1;
    int m_xTickCount = 6;
    int m_yTickCount = 3;
    QColor m_color = QColor(0x4d, 0xa3, 0xff);
    QColor m_secondColor = QColor(0xff, 0x9f, 0x0a);
    QColor m_gridColor = QColor(0x30, 0x36, 0x40);
    QColor m_plotColor = Qt::transparent;
    double m_lineWidth = 1.5;
};

}  // namespace fleetdeck
