#include "plotgeometry.h"

#include <QSGGeometryNode>
#include <QSGVertexColorMaterial>

#include <algorithm>
#include <cmath>

namespace fleetdeck {

void PlotGeometry::quad(QPointF a, QPointF b, QPointF c, QPointF d, const QColor &color, double alpha)
{
    // The vertex-colour material expects premultiplied colours.
    const double k = color.alphaF() * alpha;
    const auto r = uchar(std::lround(color.red() * k)), g = uchar(std::lround(color.green() * k)),
               bl = uchar(std::lround(color.blue() * k)), al = uchar(std::lround(255 * k));
    QSGGeometry::ColoredPoint2D v[6];
    v[0].set(float(a.x()), float(a.y()), r, g, bl, al);
    v[1].set(float(b.x()), float(b.y()), r, g, bl, al);
    v[2].set(float(c.x()), float(c.y()), r, g, bl, al);
    v[3] = v[0];
    v[4] = v[2];
    v[5].set(float(d.x()), float(d.y()), r, g, bl, al);
    m_vertices.insert(m_vertices.end(), v, v + 6);
}

void PlotGeometry::rect(const QRectF &r, const QColor &color, double alpha)
{
    quad(r.topLeft(), r.topRight(), r.bottomRight(), r.bottomLeft(), color, alpha);
}

void PlotGeometry::segment(QPointF from, QPointF to, double width, const QColor &color)
{
    const double dx = to.x() - from.x(), dy = to.y() - from.y();
    const double length = std::hypot(dx, dy);
    if (length <= 0)
        return;
    const QPointF n(-dy / length * width / 2, dx / length * width / 2);
    quad(from + n, to + n, to - n, from - n, color, 1.0);
}

void PlotGeometry::dot(QPointF at, double radius, const QColor &color)
{
    rect(QRectF(at.x() - radius, at.y() - radius, 2 * radius, 2 * radius), color);
}

void PlotGeometry::polyline(const QVector<QPointF> &points, double width, const QColor &color)
{
    if (points.size() == 1)
        dot(points.constFirst(), width + 1, color);
    for (int i = 1; i < points.size(); ++i)
        segment(points[i - 1], points[i], width, color);
}

QSGNode *PlotGeometry::updateNode(QSGNode *oldNode) const
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
    QSGGeometry *geometry = node->geometry();
    const bool wasEmpty = geometry->vertexCount() == 0;
    geometry->allocate(int(m_vertices.size()));
    if (!m_vertices.empty())
        std::copy(m_vertices.cbegin(), m_vertices.cend(), geometry->vertexDataAsColoredPoint2D());
    node->markDirty(wasEmpty && !m_vertices.empty() ? QSGNode::DirtyGeometry | QSGNode::DirtyMaterial
                                                    : QSGNode::DirtyState(QSGNode::DirtyGeometry));
    return node;
}

}  // namespace fleetdeck
