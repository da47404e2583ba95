#pragma once

#include <QColor>
#include <QPointF>
#include <QRectF>
#include <QSGGeometry>
#include <QVector>

#include <vector>

class QSGNode;

namespace fleetdeck {

// What the console's own scene-graph plots are made of (the infrastructure page's SeriesPlotItem,
// the robot detail's HistoryPlotItem): rules, line segments and dots as vertex-coloured triangles in
// item coordinates, handed to one QSGGeometryNode with the built-in vertex-colour material, which
// Qt 5 and Qt 6 share (no custom shaders, DESIGN.md §10). Build one per updatePaintNode().
class PlotGeometry
{
public:
    // Grid lines, threshold rules, the plot's background.
    void rect(const QRectF &r, const QColor &color, double alpha = 1.0);
    // A straight line `width` pixels wide, as a quad along it.
    void segment(QPointF from, QPointF to, double width, const QColor &color);
    // A square dot: a sample with no neighbour to join.
    void dot(QPointF at, double radius, const QColor &color);
    // Joins `points` in order; a single point is a dot.
    void polyline(const QVector<QPointF> &points, double width, const QColor &color);

    [[nodiscard]] int vertexCount() const { return int(m_vertices.size()); }
    // Puts the vertices into `oldNode` (updatePaintNode's, or null for a new node) and returns it.
    [[nodiscard]] QSGNode *updateNode(QSGNode *oldNode) const;

private:
    void quad(QPointF a, QPointF b, QPointF c, QPointF d, const QColor &color, double alpha);

    std::vector<QSGGeometry::ColoredPoint2D> m_vertices;
};

}  // namespace fleetdeck
