#pragma once

#include "maplayer.h"

#include "clock.h"
#include "mapview.h"
#include "robotmodel.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QQuickItem>

#include <array>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace fleetdeck {

class ClusterAtlas;

// Every robot of a RobotModel in one scene-graph item: one vertex-coloured triangle list for all
// markers (heading arrows over a dark outline; single-triangle pips below `detailZoom`), plus a ring
// and a trail for the selected robot. Model signals update a per-row cache (Mercator position,
// heading, mode, freshness) for the changed rows only; the geometry, in item pixels, is rebuilt at
// most once per frame, after a model or view change or while positions glide to their latest fix.
// Robots outside the item are culled; lost robots stay on the map, greyed. No per-robot QObject or
// QVariant: rows are read with RobotModel::robotAt().
// Below `clusterZoom`, crowded places aggregate in the same pass: a grid fixed to the map (so panning
// does not reshuffle it) counts the robots of each cell, and a cell holding more than a few draws one
// disc at their centroid instead, sized by and labelled with the count, coloured by the most common
// mode. Faulted and stuck robots stay individual above the discs (unless a cell has many of them, which
// then get a disc of their own), as does the selected robot: what an operator acts on is never hidden
// inside an aggregate. Discs and figures are textured quads from a ClusterAtlas, in a node of their own.
// A tap on a disc is the owner's to handle (MapPane zooms in): see clusterSizeAt().
// Thread: main (updatePaintNode on the render thread, with the main thread blocked).
class RobotLayer : public MapLayer
{
    Q_OBJECT
    Q_PROPERTY(fleetdeck::RobotModel *model READ model WRITE setModel NOTIFY modelChanged)
    Q_PROPERTY(int selectedRow READ selectedRow WRITE setSelectedRow NOTIFY selectedRowChanged)
    // "dark" (default) or "light": outline and greyed colours.
    Q_PROPERTY(QString theme READ theme WRITE setTheme NOTIFY themeChanged)
    // Length of a heading arrow, pixels.
    Q_PROPERTY(qreal markerSize READ markerSize WRITE setMarkerSize NOTIFY markerSizeChanged)
    // Below this map zoom, a robot is one small triangle pointing its way instead of an outlined arrow
    // (3 vertices instead of 12), so thousands stay legible and cheap to rasterize.
    Q_PROPERTY(double detailZoom READ detailZoom WRITE setDetailZoom NOTIFY detailZoomChanged)
    // Longest glide from the drawn position to a new fix, ms; 0 jumps.
    Q_PROPERTY(int animationMs READ animationMs WRITE setAnimationMs NOTIFY animationMsChanged)
    // Keeps the map centred on the selected robot's drawn (gliding) position.
    Q_PROPERTY(bool followSelected READ followSelected WRITE setFollowSelected NOTIFY followSelectedChanged)
    // Below this map zoom, crowded cells aggregate into discs (see above); 0 never aggregates.
    Q_PROPERTY(double clusterZoom READ clusterZoom WRITE setClusterZoom NOTIFY clusterZoomChanged)
    // Robots in the last geometry built: those inside the item with a valid position, drawn on their
    // own or inside a disc.
    Q_PROPERTY(int drawnCount READ drawnCount NOTIFY drawnCountChanged)
    // Discs in the last geometry built.
    Q_PROPERTY(int clusterCount READ clusterCount NOTIFY clusterCountChanged)

public:
    static constexpr int kTrailCapacity = 120;
    static constexpr qreal kPickRadiusPx = 12;
    // Side of an aggregation cell in pixels at a half zoom level; up to sqrt(2) times that in between.
    static constexpr qreal kClusterCellPx = 48;
    // A cell aggregates its robots when it holds more than this many of them...
    static constexpr int kClusterMinimum = 4;
    // ...and its faulted or stuck robots when it holds more than this many of those.
    static constexpr int kWarningClusterMinimum = 8;

    explicit RobotLayer(QQuickItem *parent = nullptr);
    ~RobotLayer() override;

    [[nodiscard]] RobotModel *model() const { return m_model; }
    void setModel(RobotModel *model);
    [[nodiscard]] int selectedRow() const { return m_selectedRow; }
    void setSelectedRow(int row);
    [[nodiscard]] QString theme() const { return m_theme; }
    void setTheme(const QString &theme);
    [[nodiscard]] qreal markerSize() const { return m_markerSize; }
    void setMarkerSize(qreal size);
    [[nodiscard]] double detailZoom() const { return m_detailZoom; }
    void setDetailZoom(double zoom);
    [[nodiscard]] int animationMs() const { return m_animationMs; }
    void setAnimationMs(int ms);
    [[nodiscard]] bool followSelected() const { return m_followSelected; }
    void setFollowSelected(bool follow);
    [[nodiscard]] double clusterZoom() const { return m_clusterZoom; }
    void setClusterZoom(double zoom);
    [[nodiscard]] int drawnCount() const { return m_drawnCount; }
    [[nodiscard]] int clusterCount() const { return m_clusterCount; }

    // The robot drawn nearest to (x, y) in item pixels within the pick radius (the marker size if
    // larger), or -1. Answers from the last frame's positions through a coarse screen grid.
    // Robots inside a disc are not picked: see clusterSizeAt().
    Q_INVOKABLE int rowAt(qreal x, qreal y) const;
    // How many robots the disc under (x, y) stands for, or 0 where there is none.
    Q_INVOKABLE int clusterSizeAt(qreal x, qreal y) const;
    // Where `row` was drawn in the last frame, in item pixels (the centre of its disc if it was
    // aggregated); (-1, -1) if it was not drawn.
    Q_INVOKABLE QPointF drawnPosition(int row) const;
    // Time for the glides; by default a monotonic timer of the layer's own. Tests pass a ManualClock.
    // Set it before the model, and keep it alive as long as the layer.
    void setClock(const Clock *clock) { m_injectedClock = clock; }
    // How long the last geometry build took, microseconds (for benchmarks and a frame overlay).
    [[nodiscard]] qint64 lastBuildMicroseconds() const { return m_lastBuildUs; }

Q_SIGNALS:
    void modelChanged();
    void selectedRowChanged();
    void themeChanged();
    void markerSizeChanged();
    void detailZoomChanged();
    void clusterZoomChanged();
    void animationMsChanged();
    void followSelectedChanged();
    void drawnCountChanged();
    void clusterCountChanged();
    // After each frame this layer built, on the main thread.
    void frameDrawn();
    // Emitted by MapPane's TapHandler with rowAt() of the tap (-1 for empty map).
    void robotClicked(int row);

protected:
    void updatePolish() override;
    QSGNode *updatePaintNode(QSGNode *oldNode, UpdatePaintNodeData *data) override;
    void FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry) override;

private:
    // Per model row; the glide runs from `from` (where it was drawn) to `to` (the latest fix).
    struct Robot {
        QPointF from;  // Web Mercator metres
        QPointF to;
        float toHeading = 0;  // degrees clockwise from north
        // Heading as a unit vector (sin, cos): gliding interpolates these, so no trigonometry runs
        // per robot per frame.
        float fromSin = 0;
        float fromCos = 1;
        float toSin = 0;
        float toCos = 1;
        float durationMs = 0;
        qint64 startMs = 0;
        qint64 lastFixMs = -1;
        Mode mode = Mode::Unspecified;
        Freshness freshness = Freshness::Unspecified;
        bool positioned = false;
    };
    // One robot as placed in the last frame.
    struct Drawn {
        float x;
        float y;
        float sinHeading;
        float cosHeading;
        int row;
    };
    // One disc of aggregated robots as drawn in the last frame.
    struct Cluster {
        float x = 0;
        float y = 0;
        float radius = 0;  // ring included
        int count = 0;
        int kind = 0;  // ClusterAtlas disc
        int radiusIndex = 0;
    };
    struct ViewParams {
        QPointF center;
        double perPixel = 1;
        QPointF origin;  // item pixel of `center`
        double zoom = 0;
        bool valid = false;
    };

    void onViewChanged() override;
    void resetFromModel();
    void onRowsInserted(const QModelIndex &parent, int first, int last);
    void onDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight, const QVector<int> &roles);
    void updateRow(int row, qint64 nowMs, bool snap);
    void pushTrail(QPointF mercator);
    void afterFrame();
    [[nodiscard]] qint64 currentMs() const;
    [[nodiscard]] QPointF glidePosition(const Robot &robot, qint64 nowMs) const;
    // (sin, cos) of the drawn heading.
    [[nodiscard]] static std::pair<float, float> glideHeading(const Robot &robot, qint64 nowMs);
    [[nodiscard]] static bool isGliding(const Robot &robot, qint64 nowMs);
    [[nodiscard]] QPointF toItem(QPointF mercator) const;
    // Moves the robots of crowded cells from m_drawn into m_clusters.
    void aggregate();
    void buildGrid();

    QPointer<RobotModel> m_model;
    std::vector<QMetaObject::Connection> m_modelConnections;
    int m_selectedRow = -1;
    QString m_theme = QStringLiteral("dark");
    qreal m_markerSize = 12;
    double m_detailZoom = 16;
    double m_clusterZoom = 16;
    int m_animationMs = 500;
    bool m_followSelected = false;
    int m_drawnCount = 0;
    int m_clusterCount = 0;

    QElapsedTimer m_clock;
    const Clock *m_injectedClock = nullptr;
    std::vector<Robot> m_robots;
    // Made on the main thread (updatePolish), read by updatePaintNode.
    std::unique_ptr<const ClusterAtlas> m_atlas;
    int m_atlasGeneration = 0;
    std::array<bool, kModeCount * 3> m_darkInk{};  // per atlas disc kind: dark figures on it
    qint64 m_animatingUntilMs = 0;
    ViewParams m_view;

    std::array<QPointF, kTrailCapacity> m_trail{};
    int m_trailStart = 0;
    int m_trailSize = 0;

    // Written by updatePaintNode (main thread blocked), read by rowAt() and afterFrame().
    std::vector<Drawn> m_drawn;          // robots drawn on their own
    std::vector<Cluster> m_clusters;
    std::vector<int> m_drawnIndexOfRow;  // index into m_drawn; -2 - index into m_clusters; -1 not drawn
    std::vector<int> m_cellStart;        // grid over the item, CSR layout into m_cellItems
    std::vector<int> m_cellItems;        // indices into m_drawn
    int m_gridColumns = 0;
    int m_gridRows = 0;
    int m_syncedDrawnCount = 0;
    int m_syncedClusterCount = 0;
    qint64 m_lastBuildUs = 0;
};

}  // namespace fleetdeck
