#pragma once

#include "inframodel.h"
#include "qtcompat.h"

#include <QColor>
#include <QPointer>
#include <QQuickItem>

#include <cstdint>

namespace fleetdeck {

// The proxy's latency over time as a heatmap: x = time (startMs..endMs, the charts' shared axis),
// y = latency bucket (the fastest at the bottom, a decade each), colour = share of responses in the
// bucket on a log scale (0.01 % to 100 %); no colour where a bucket had no responses or the point had
// no traffic. One vertex-coloured geometry node under a transform: each model point is one column
// of quads at a fixed slot of a ring sized like the model's, written once when the point arrives;
// time passing only moves the transform. A history (reset) rewrites every column.
// Thread: main (updatePaintNode on the render thread, with the main thread blocked).
class HeatmapItem : public QQuickItem
{
    Q_OBJECT
    Q_PROPERTY(fleetdeck::InfraModel *model READ model WRITE setModel NOTIFY modelChanged)
    Q_PROPERTY(double startMs READ startMs WRITE setStartMs NOTIFY rangeChanged)
    Q_PROPERTY(double endMs READ endMs WRITE setEndMs NOTIFY rangeChanged)
    // Colour ramp for a dark or a light background.
    Q_PROPERTY(bool dark READ dark WRITE setDark NOTIFY darkChanged)
    // Rows drawn: the model's bucket count (bounds + 1), 0 before data.
    Q_PROPERTY(int bucketCount READ bucketCount NOTIFY bucketCountChanged)

public:
    explicit HeatmapItem(QQuickItem *parent = nullptr);

    [[nodiscard]] InfraModel *model() const { return m_model; }
    void setModel(InfraModel *model);
    [[nodiscard]] double startMs() const { return m_startMs; }
    void setStartMs(double ms);
    [[nodiscard]] double endMs() const { return m_endMs; }
    void setEndMs(double ms);
    [[nodiscard]] bool dark() const { return m_dark; }
    void setDark(bool dark);
    [[nodiscard]] int bucketCount() const { return m_bucketCount; }
    // Columns written to the geometry by the last frames: all of them after a history, one per
    // appended point otherwise. For tests; read between frames.
    [[nodiscard]] int columnsWritten() const { return m_columnsWritten; }
    [[nodiscard]] int fullRebuilds() const { return m_fullRebuilds; }

    // The ramp's colour for a share (0..1) on a dark or light background; transparent for 0 or NaN.
    // For the legend (the theme is an argument so that a binding follows it).
    Q_INVOKABLE QColor colorForShare(double share, bool dark) const;

Q_SIGNALS:
    void modelChanged();
    void rangeChanged();
    void darkChanged();
    void bucketCountChanged();

protected:
    QSGNode *updatePaintNode(QSGNode *oldNode, UpdatePaintNodeData *data) override;
    void FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry) override;

private:
    void onPointsChanged(bool reset);

    QPointer<InfraModel> m_model;
    QMetaObject::Connection m_connection;
    double m_startMs = 0;
    double m_endMs = 0;
    bool m_dark = true;
    int m_bucketCount = 0;
    int m_columnsWritten = 0;
    int m_fullRebuilds = 0;
    // What the next frame must write: everything, or the newest m_pendingColumns points.
    bool m_rebuild = true;
    int m_pendingColumns = 0;
    // Next ring slot to write, and the time origin of the geometry's x (seconds after it).
    int m_nextSlot = 0;
    std::int64_t m_originMs = 0;
};

}  // namespace fleetdeck
