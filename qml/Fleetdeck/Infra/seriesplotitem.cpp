#include "seriesplotitem.h"

#include "inframodel.h"

#include <QSGGeometryNode>
#include <QSGVertexColorMaterial>

#include <algorithm>
#include <cmath>
#include <vector>

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

using Vertex = QSGGeometry::ColoredPoint2D;

struct Rgba {
    uchar r, g, b, a;
};

Rgba premultiplied(const QColor &c, double alpha = 1.0)
{
    const double a = c.alphaF() * alpha;
    return {uchar(std::lround(c.red() * a)), uchar(std::lround(c.green() * a)), uchar(std::lround(c.blue() * a)),
            uchar(std::lround(255 * a))};
}

void quad(std::vector<Vertex> *out, QPointF a, QPointF b, QPointF c, QPointF d, Rgba k)
{
    Vertex v[6];
    v[0].set(float(a.x()), float(a.y()), k.r, k.g, k.b, k.a);
    v[1].set(float(b.x()), float(b.y()), k.r, k.g, k.b, k.a);
    v[2].set(float(c.x()), float(c.y()), k.r, k.g, k.b, k.a);
    v[3] = v[0];
    v[4] = v[2];
    v[5].set(float(d.x()), float(d.y()), k.r, k.g, k.b, k.a);
    out->insert(out->end(), v, v + 6);
}

// A segment of the given width, as a quad along it.
void segment(std::vector<Vertex> *out, QPointF p0, QPointF p1, double width, Rgba k)
{
    const double dx = p1.x() - p0.x(), dy = p1.y() - p0.y();
    const double length = std::hypot(dx, dy);
    if (length <= 0)
        return;
    const QPointF n(-dy / length * width / 2, dx / length * width / 2);
    quad(out, p0 + n, p1 + n, p1 - n, p0 - n, k);
}

void rect(std::vector<Vertex> *out, const QRectF &r, Rgba k)
{
    quad(out, r.topLeft(), r.topRight(), r.bottomRight(), r.bottomLeft(), k);
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
    auto *node = static_cast<QSGGeometryNode *>(oldNode);
    if (!node) {
        node = new QSGGeometryNode;
        auto *geometry = new QSGGeometry(QSGGeometry::defaultAttributes_ColoredPoint2D(), 0);
        geometry->setDrawingMode(QSGGeometry::DrawTriangles);
        geometry->setVertexDataPattern(QSGGeometry::StreamPattern);
        node->setGeometry(geometry);
        node->setMaterial(new QSGVertexColorMaterial);
        node->setFlags(QSGNode::OwnsGeometry | QSGNode::OwnsMaterial);
    }
    const double w = width(), h = height();
    const double span = std::max(1.0, m_endMs - m_startMs);
    const auto toX = [&](double t) { return (t - m_startMs) / span * w; };
    const auto toY = [&](double v) { return h - 1 - v / m_yMax * (h - 2); };

    std::vector<Vertex> vertices;
    const Rgba grid = premultiplied(m_gridColor);
    for (const double f : {0.0, 0.5, 1.0})
        rect(&vertices, QRectF(0, std::round(toY(f * m_yMax)) - (f == 1.0 ? 0 : 1), w, 1), grid);
    if (m_endMs > m_startMs) {
        const double step = InfraModel::tickStep(span);
        for (double t = std::ceil(m_startMs / step) * step; t <= m_endMs; t += step)
            rect(&vertices, QRectF(std::round(toX(t)), 0, 1, h), grid);
    }
    if (m_warning > 0 && m_warning <= m_yMax)
        rect(&vertices, QRectF(0, toY(m_warning) - 0.75, w, 1.5), premultiplied(m_warningColor, 0.8));
    if (m_critical > 0 && m_critical <= m_yMax)
        rect(&vertices, QRectF(0, toY(m_critical) - 0.75, w, 1.5), premultiplied(m_criticalColor, 0.8));

    if (m_model && !m_model->samples().empty() && m_endMs > m_startMs) {
        const auto &samples = m_model->samples();
        const auto series = static_cast<InfraModel::Series>(m_series);
        const double gapMs = kGapIntervals * (m_model->intervalMs() > 0 ? m_model->intervalMs() : 5000);
        for (int line = 0; line < m_model->lineCount(series); ++line) {
            const Rgba color = premultiplied(lineColor(line));
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
                    segment(&vertices, p, q, m_lineWidth, color);
                } else if (!joinsPrevious) {
                    const double r = m_lineWidth + 1;
                    rect(&vertices, QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r), color);
                }
            }
        }
    }

    QSGGeometry *geometry = node->geometry();
    const bool wasEmpty = geometry->vertexCount() == 0;
    geometry->allocate(int(vertices.size()));
    if (!vertices.empty())
        std::copy(vertices.cbegin(), vertices.cend(), geometry->vertexDataAsColoredPoint2D());
    node->markDirty(wasEmpty && !vertices.empty() ? QSGNode::DirtyGeometry | QSGNode::DirtyMaterial
                                                  : QSGNode::DirtyState(QSGNode::DirtyGeometry));
    return node;
}

}  // namespace fleetdeck
