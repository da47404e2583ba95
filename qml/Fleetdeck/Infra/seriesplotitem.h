#pragma once

#include "inframodel.h"
#include "qtcompat.h"

#include <QColor>
#include <QPointer>
#include <QQuickItem>
#include <QVariantList>

namespace fleetdeck {

// One quantity of an InfraModel over the charts' shared time axis (startMs..endMs), as lines in one
// vertex-coloured geometry node: one line per member for member quantities, else one. A line breaks
// where points are missing (a gap longer than a few intervals, or NaN), and a lone point is a dot.
// The y axis runs from 0 to yMax, a round number above the data (and above the warning threshold once
// the data come near it); thresholds within the axis are drawn as amber and red rules.
// A light alternative to Qt Charts that needs no Qt Widgets (DESIGN.md §10).
// Thread: main (updatePaintNode on the render thread, with the main thread blocked).
class SeriesPlotItem : public QQuickItem
{
    Q_OBJECT
    Q_PROPERTY(fleetdeck::InfraModel *model READ model WRITE setModel NOTIFY modelChanged)
    Q_PROPERTY(int series READ series WRITE setSeries NOTIFY seriesChanged)   // InfraModel::Series
    Q_PROPERTY(double startMs READ startMs WRITE setStartMs NOTIFY rangeChanged)
    Q_PROPERTY(double endMs READ endMs WRITE setEndMs NOTIFY rangeChanged)
    // Colour of line i; lines beyond the list reuse it from the start.
    Q_PROPERTY(QVariantList lineColors READ lineColors WRITE setLineColors NOTIFY styleChanged)
    Q_PROPERTY(QColor gridColor READ gridColor WRITE setGridColor NOTIFY styleChanged)
    Q_PROPERTY(QColor warningColor READ warningColor WRITE setWarningColor NOTIFY styleChanged)
    Q_PROPERTY(QColor criticalColor READ criticalColor WRITE setCriticalColor NOTIFY styleChanged)
    Q_PROPERTY(double lineWidth READ lineWidth WRITE setLineWidth NOTIFY styleChanged)
    // Thresholds in the series' unit; NaN or ≤ 0 for none.
    Q_PROPERTY(double warningValue READ warningValue WRITE setWarningValue NOTIFY thresholdsChanged)
    Q_PROPERTY(double criticalValue READ criticalValue WRITE setCriticalValue NOTIFY thresholdsChanged)
    // The axis never spans less than this (so a quiet line near 0 does not look like noise).
    Q_PROPERTY(double minimumMax READ minimumMax WRITE setMinimumMax NOTIFY thresholdsChanged)
    Q_PROPERTY(double yMax READ yMax NOTIFY scaleChanged)
    Q_PROPERTY(bool hasData READ hasData NOTIFY scaleChanged)
    // The newest value of line 0 (NaN when none); for a caption.
    Q_PROPERTY(double latestValue READ latestValue NOTIFY scaleChanged)

public:
    explicit SeriesPlotItem(QQuickItem *parent = nullptr);

    [[nodiscard]] InfraModel *model() const { return m_model; }
    void setModel(InfraModel *model);
    [[nodiscard]] int series() const { return m_series; }
    void setSeries(int series);
    [[nodiscard]] double startMs() const { return m_startMs; }
    void setStartMs(double ms);
    [[nodiscard]] double endMs() const { return m_endMs; }
    void setEndMs(double ms);
    [[nodiscard]] QVariantList lineColors() const { return m_lineColors; }
    void setLineColors(const QVariantList &colors);
    [[nodiscard]] QColor gridColor() const { return m_gridColor; }
    void setGridColor(const QColor &color);
    [[nodiscard]] QColor warningColor() const { return m_warningColor; }
    void setWarningColor(const QColor &color);
    [[nodiscard]] QColor criticalColor() const { return m_criticalColor; }
    void setCriticalColor(const QColor &color);
    [[nodiscard]] double lineWidth() const { return m_lineWidth; }
    void setLineWidth(double width);
    [[nodiscard]] double warningValue() const { return m_warning; }
    void setWarningValue(double value);
    [[nodiscard]] double criticalValue() const { return m_critical; }
    void setCriticalValue(double value);
    [[nodiscard]] double minimumMax() const { return m_minimumMax; }
    void setMinimumMax(double value);
    [[nodiscard]] double yMax() const { return m_yMax; }
    [[nodiscard]] bool hasData() const { return m_hasData; }
    [[nodiscard]] double latestValue() const { return m_latest; }

Q_SIGNALS:
    void modelChanged();
    void seriesChanged();
    void rangeChanged();
    void styleChanged();
    void thresholdsChanged();
    void scaleChanged();

protected:
    QSGNode *updatePaintNode(QSGNode *oldNode, UpdatePaintNodeData *data) override;
    void FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry) override;

private:
    void rescale();
    [[nodiscard]] QColor lineColor(int line) const;

    QPointer<InfraModel> m_model;
    QMetaObject::Connection m_connection;
    int m_series = 0;
    double m_startMs = 0;
    double m_endMs = 0;
    QVariantList m_lineColors;
    QColor m_gridColor = QColor(0x30, 0x36, 0x40);
    QColor m_warningColor = QColor(0xff, 0xc1, 0x07);
    QColor m_criticalColor = QColor(0xff, 0x3b, 0x30);
    double m_lineWidth = 1.5;
    double m_warning = 0;
    double m_critical = 0;
    double m_minimumMax = 1;
    double m_yMax = 1;
    bool m_hasData = false;
    double m_latest = 0;
};

}  // namespace fleetdeck
