#include "heatmapitem.h"

#include "inframodel.h"

#include <QSGGeometryNode>
#include <QSGTransformNode>
#include <QSGVertexColorMaterial>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace fleetdeck {

namespace {

constexpr int kVerticesPerCell = 6;   // two triangles, not indexed (WebGL 1 has 16-bit indices only)
constexpr int kColumnStride = InfraModel::kMaxBuckets * kVerticesPerCell;
// A column spans back to the previous point, unless that is further than this many intervals: a gap.
constexpr double kGapIntervals = 2.5;

// Sequential ramps, low to high: on dark, from a dim blue to yellow (viridis); on light, from a pale
// to a deep blue. Neither uses the amber and red that mean "threshold crossed".
constexpr QRgb kDarkRamp[] = {0xff26325c, 0xff2c5f8a, 0xff21918c, 0xff5ec962, 0xfffde725};
constexpr QRgb kLightRamp[] = {0xffdbe8f5, 0xff9ecae1, 0xff4292c6, 0xff08519c, 0xff08306b};

QColor rampColor(double share, bool dark)
{
    if (!(share > 0))
        return QColor(Qt::transparent);
    // Log scale: 0.01 % and below at the low end, 100 % at the top.
    const double t = std::clamp((std::log10(share) + 4.0) / 4.0, 0.0, 1.0);
    const QRgb *ramp = dark ? kDarkRamp : kLightRamp;
    constexpr int kStops = 5;
    const double pos = t * (kStops - 1);
    const int i = std::min(int(pos), kStops - 2);
    const double f = pos - i;
    const auto mix = [f](int a, int b) { return int(std::lround(a + (b - a) * f)); };
    return QColor(mix(qRed(ramp[i]), qRed(ramp[i + 1])), mix(qGreen(ramp[i]), qGreen(ramp[i + 1])),
                  mix(qBlue(ramp[i]), qBlue(ramp[i + 1])));
}

}  // namespace

HeatmapItem::HeatmapItem(QQuickItem *parent) : QQuickItem(parent)
{
    setFlag(ItemHasContents, true);
    // Columns older than the window stay in the geometry until their slot is reused.
    setClip(true);
}

void HeatmapItem::setModel(InfraModel *model)
{
    if (model == m_model)
        return;
    disconnect(m_connection);
    m_model = model;
    if (model)
        m_connection = connect(model, &InfraModel::pointsChanged, this, &HeatmapItem::onPointsChanged);
    Q_EMIT modelChanged();
    onPointsChanged(true);
}

void HeatmapItem::setStartMs(double ms)
{
    if (ms == m_startMs)
        return;
    m_startMs = ms;
    Q_EMIT rangeChanged();
    update();
}

void HeatmapItem::setEndMs(double ms)
{
    if (ms == m_endMs)
        return;
    m_endMs = ms;
    Q_EMIT rangeChanged();
    update();
}

void HeatmapItem::setDark(bool dark)
{
    if (dark == m_dark)
        return;
    m_dark = dark;
    m_rebuild = true;
    Q_EMIT darkChanged();
    update();
}

QColor HeatmapItem::colorForShare(double share, bool dark) const
{
    return rampColor(share, dark);
}

void HeatmapItem::onPointsChanged(bool reset)
{
    const int buckets = m_model && !m_model->samples().empty() ? m_model->samples().back().bucketCount : 0;
    if (buckets != m_bucketCount) {
        m_bucketCount = buckets;
        reset = true;
        Q_EMIT bucketCountChanged();
    }
    if (reset) {
        m_rebuild = true;
        m_pendingColumns = 0;
    } else {
        ++m_pendingColumns;
    }
    update();
}

void HeatmapItem::FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry)
{
    QQuickItem::FLEETDECK_GEOMETRY_CHANGE(newGeometry, oldGeometry);
    if (newGeometry.size() != oldGeometry.size())
        update();   // only the transform changes
}

QSGNode *HeatmapItem::updatePaintNode(QSGNode *oldNode, UpdatePaintNodeData *)
{
    auto *root = static_cast<QSGTransformNode *>(oldNode);
    QSGGeometryNode *node = nullptr;
    if (!root) {
        root = new QSGTransformNode;
        node = new QSGGeometryNode;
        auto *geometry = new QSGGeometry(QSGGeometry::defaultAttributes_ColoredPoint2D(), 0);
        geometry->setDrawingMode(QSGGeometry::DrawTriangles);
        geometry->setVertexDataPattern(QSGGeometry::DynamicPattern);
        node->setGeometry(geometry);
        node->setMaterial(new QSGVertexColorMaterial);
        node->setFlags(QSGNode::OwnsGeometry | QSGNode::OwnsMaterial | QSGNode::OwnedByParent);
        root->appendChildNode(node);
        m_rebuild = true;
    } else {
        node = static_cast<QSGGeometryNode *>(root->firstChild());
    }
    QSGGeometry *geometry = node->geometry();

    const bool hasData = m_model && !m_model->samples().empty() && m_bucketCount > 0;
    if (!hasData) {
        if (geometry->vertexCount() != 0) {
            geometry->allocate(0);
            node->markDirty(QSGNode::DirtyGeometry);
        }
        m_rebuild = true;
        return root;
    }

    const RingBuffer<InfraModel::Sample> &samples = m_model->samples();
    const int capacity = m_model->capacity();
    const int count = int(samples.size());
    const double intervalMs = m_model->intervalMs() > 0 ? m_model->intervalMs() : 5000;

    const auto writeColumn = [&](int k, int slot) {
        const InfraModel::Sample &s = samples[std::size_t(k)];
        const double x1 = double(s.timeMs - m_originMs) / 1000.0;
        double x0 = x1 - intervalMs / 1000.0;
        if (k > 0) {
            const std::int64_t prev = samples[std::size_t(k - 1)].timeMs;
            if (double(s.timeMs - prev) <= kGapIntervals * intervalMs)
                x0 = double(prev - m_originMs) / 1000.0;
        }
        auto *v = geometry->vertexDataAsColoredPoint2D() + std::ptrdiff_t(slot) * kColumnStride;
        for (int b = 0; b < InfraModel::kMaxBuckets; ++b, v += kVerticesPerCell) {
            const double share = b < s.bucketCount ? double(s.buckets[std::size_t(b)]) : 0.0;
            if (!(share > 0)) {
                std::memset(static_cast<void *>(v), 0, sizeof(*v) * kVerticesPerCell);
                continue;
            }
            const QColor c = rampColor(share, m_dark);   // opaque: premultiplied is the same
            const auto r = uchar(c.red()), g = uchar(c.green()), bl = uchar(c.blue());
            const auto fx0 = float(x0), fx1 = float(x1), y0 = float(b), y1 = float(b + 1);
            v[0].set(fx0, y0, r, g, bl, 255);
            v[1].set(fx1, y0, r, g, bl, 255);
            v[2].set(fx1, y1, r, g, bl, 255);
            v[3].set(fx0, y0, r, g, bl, 255);
            v[4].set(fx1, y1, r, g, bl, 255);
            v[5].set(fx0, y1, r, g, bl, 255);
        }
    };

    if (m_rebuild || geometry->vertexCount() != capacity * kColumnStride) {
        const bool wasEmpty = geometry->vertexCount() == 0;
        geometry->allocate(capacity * kColumnStride);
        std::memset(geometry->vertexData(), 0, std::size_t(geometry->vertexCount()) * std::size_t(geometry->sizeOfVertex()));
        m_originMs = samples[0].timeMs;
        for (int k = 0; k < count; ++k)
            writeColumn(k, k);
        m_nextSlot = count % capacity;
        m_columnsWritten = count;
        ++m_fullRebuilds;
        m_rebuild = false;
        m_pendingColumns = 0;
        // The batch renderer rebuilds batches on a material change, not a geometry one (see robotlayer.cpp).
        node->markDirty(wasEmpty ? QSGNode::DirtyGeometry | QSGNode::DirtyMaterial : QSGNode::DirtyState(QSGNode::DirtyGeometry));
    } else if (m_pendingColumns > 0) {
        const int pending = std::min(m_pendingColumns, count);
        for (int k = count - pending; k < count; ++k) {
            writeColumn(k, m_nextSlot);
            m_nextSlot = (m_nextSlot + 1) % capacity;
        }
        m_columnsWritten += pending;
        m_pendingColumns = 0;
        node->markDirty(QSGNode::DirtyGeometry);
    }

    // Seconds after the origin and bucket rows, to item pixels.
    const double spanS = std::max(1.0, (m_endMs - m_startMs) / 1000.0);
    const double sx = width() / spanS;
    const double sy = -height() / m_bucketCount;
    QMatrix4x4 matrix;
    matrix.translate(float(-(m_startMs - double(m_originMs)) / 1000.0 * sx), float(height()));
    matrix.scale(float(sx), float(sy));
    if (root->matrix() != matrix)
        root->setMatrix(matrix);
    return root;
}

}  // namespace fleetdeck
