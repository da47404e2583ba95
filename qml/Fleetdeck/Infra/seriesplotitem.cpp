#include "seriesplotitem.h"

#include "inframodel.h"
#include "plotgeometry.h"

#include <algorithm>
#include <cmath>

namespace fleetdeck {

namespace {

constexpr double kGapIntervals = 2.5;   // a longer silence breaks the line

// The smallest of 1, 2, 2.5, 5 × 10^k at or above value.
double niceCeil(double value)
{
    if (!(value > 0))
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (m * magnitude >= value * 0.9999)
            return m * magnitude;
    }
    return 10 * magnitude;
}

}  // namespace

SeriesPlotItem::SeriesPlotItem(QQuickItem *parent) : QQuickItem(parent)
{
    setFlag(ItemHasContents, true);
    setClip(true);
}

void SeriesPlotItem::setModel(InfraModel *model)
{
    if (model == m_model)
        return;
    disconnect(m_connection);
    m_model = model;
    if (model)
        m_connection = connect(model, &InfraModel::pointsChanged, this, [this] { rescale(); });
    Q_EMIT modelChanged();
    rescale();
}

void SeriesPlotItem::setSeries(int series)
{
    if (series == m_series)
        return;
    m_series = series;
    Q_EMIT seriesChanged();
    rescale();
}

void SeriesPlotItem::setStartMs(double ms)
{
    if (ms == m_startMs)
        return;
    m_startMs = ms;
    Q_EMIT rangeChanged();
    rescale();
}

void SeriesPlotItem::setEndMs(double ms)
{
    if (ms == m_endMs)
        return;
    m_endMs = ms;
    Q_EMIT rangeChanged();
    rescale();
}

void SeriesPlotItem::setLineColors(const QVariantList &colors)
{
    m_lineColors = colors;
    Q_EMIT styleChanged();
    update();
}

void SeriesPlotItem::setGridColor(const QColor &color)
{
    if (color == m_gridColor)
        return;
    m_gridColor = color;
    Q_EMIT styleChanged();
    update();
}

void SeriesPlotItem::setWarningColor(const QColor &color)
{
    if (color == m_warningColor)
        return;
    m_warningColor = color;
    Q_EMIT styleChanged();
    update();
}

void SeriesPlotItem::setCriticalColor(const QColor &color)
{
    if (color == m_criticalColor)
        return;
    m_criticalColor = color;
    Q_EMIT styleChanged();
    update();
}

void SeriesPlotItem::setLineWidth(double width)
{
    if (width == m_lineWidth)
        return;
    m_lineWidth = width;
    Q_EMIT styleChanged();
    update();
}

void SeriesPlotItem::setWarningValue(double value)
{
    if (sameFigure(value, m_warning))
        return;
    m_warning = value;
    Q_EMIT thresholdsChanged();
    rescale();
}

void SeriesPlotItem::setCriticalValue(double value)
{
    if (sameFigure(value, m_critical))
        return;
    m_critical = value;
    Q_EMIT thresholdsChanged();
    rescale();
}

void SeriesPlotItem::setMinimumMax(double value)
{
    if (value == m_minimumMax)
        return;
    m_minimumMax = value;
    Q_EMIT thresholdsChanged();
    rescale();
}

QColor SeriesPlotItem::lineColor(int line) const
{
    if (m_lineColors.isEmpty())
        return QColor(0x4d, 0xa3, 0xff);
    return m_lineColors.at(line % int(m_lineColors.size())).value<QColor>();
}

void SeriesPlotItem::rescale()
{
    double highest = 0;
    bool any = false;
    double latest = NAN;
    if (m_model && !m_model->samples().empty()) {
        const auto &samples = m_model->samples();
        const auto series = static_cast<InfraModel::Series>(m_series);
        const int lines = m_model->lineCount(series);
        for (std::size_t k = 0; k < samples.size(); ++k) {
            if (double(samples[k].timeMs) < m_startMs)
                continue;
            for (int line = 0; line < lines; ++line) {
                const float v = InfraModel::value(samples[k], series, line);
                if (std::isnan(v))
                    continue;
                any = true;
                highest = std::max(highest, double(v));
            }
        }
        latest = double(InfraModel::value(samples.back(), series, 0));
    }
    double top = std::max(highest * 1.1, m_minimumMax);
    const bool warn = m_warning > 0 && !std::isnan(m_warning);
    const bool crit = m_critical > 0 && !std::isnan(m_critical);
    // Thresholds come into view as the data approach them: the amber rule first, the red one once
    // the data are past amber.
    if (warn && highest >= 0.6 * m_warning)
        top = std::max(top, m_warning * 1.15);
    if (crit && (highest >= 0.6 * m_critical || (warn && highest >= m_warning)))
        top = std::max(top, m_critical * 1.1);
    top = niceCeil(top);
    const bool changed = top != m_yMax || any != m_hasData || !sameFigure(latest, m_latest);
    m_yMax = top;
    m_hasData = any;
    m_latest = latest;
    if (changed)
        Q_EMIT scaleChanged();
    update();
}

void SeriesPlotItem::FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry)
{
    QQuickItem::FLEETDECK_GEOMETRY_CHANGE(newGeometry, oldGeometry);
    if (newGeometry.size() != oldGeometry.size())
        update();
}

QSGNode *SeriesPlotItem::updatePaintNode(QSGNode *oldNode, UpdatePaintNodeData *)
{
    const double w = width(), h = height();
    const double span = std::max(1.0, m_endMs - m_startMs);
    const auto toX = [&](double t) { return (t - m_startMs) / span * w; };
    const auto toY = [&](double v) { return h - 1 - v / m_yMax * (h - 2); };

    PlotGeometry plot;
    for (const double f : {0.0, 0.5, 1.0})
        plot.rect(QRectF(0, std::round(toY(f * m_yMax)) - (f == 1.0 ? 0 : 1), w, 1), m_gridColor);
    if (m_endMs > m_startMs) {
        const double step = InfraModel::tickStep(span);
        for (double t = std::ceil(m_startMs / step) * step; t <= m_endMs; t += step)
            plot.rect(QRectF(std::round(toX(t)), 0, 1, h), m_gridColor);
    }
    if (m_warning > 0 && m_warning <= m_yMax)
        plot.rect(QRectF(0, toY(m_warning) - 0.75, w, 1.5), m_warningColor, 0.8);
    if (m_critical > 0 && m_critical <= m_yMax)
        plot.rect(QRectF(0, toY(m_critical) - 0.75, w, 1.5), m_criticalColor, 0.8);

    if (m_model && !m_model->samples().empty() && m_endMs > m_startMs) {
        const auto &samples = m_model->samples();
        const auto series = static_cast<InfraModel::Series>(m_series);
        const double gapMs = kGapIntervals * (m_model->intervalMs() > 0 ? m_model->intervalMs() : 5000);
        for (int line = 0; line < m_model->lineCount(series); ++line) {
            const QColor color = lineColor(line);
            for (std::size_t k = 0; k < samples.size(); ++k) {
                const double t = double(samples[k].timeMs);
                const float v = InfraModel::value(samples[k], series, line);
                if (std::isnan(v) || t < m_startMs - gapMs)
                    continue;
                const QPointF p(toX(t), toY(std::min(double(v), m_yMax)));
                const bool joinsNext = k + 1 < samples.size() && double(samples[k + 1].timeMs) - t <= gapMs
                    && !std::isnan(InfraModel::value(samples[k + 1], series, line));
                const bool joinsPrevious = k > 0 && t - double(samples[k - 1].timeMs) <= gapMs
                    && !std::isnan(InfraModel::value(samples[k - 1], series, line));
                if (joinsNext) {
                    const auto &next = samples[k + 1];
                    const QPointF q(toX(double(next.timeMs)),
                                    toY(std::min(double(InfraModel::value(next, series, line)), m_yMax)));
                    plot.segment(p, q, m_lineWidth, color);
                } else if (!joinsPrevious) {
                    plot.dot(p, m_lineWidth + 1, color);
                }
            }
        }
    }
    return plot.updateNode(oldNode);
}

}  // namespace fleetdeck
