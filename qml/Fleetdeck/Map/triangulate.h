#pragma once

#include <QPointF>

#include <vector>

// Turns basemap shapes into triangle lists (two floats per vertex, three vertices per triangle), the
// only primitive both Qt 5's GL renderer and Qt 6's RHI draw from built-in materials.
namespace fleetdeck::triangulate {

// Ear clipping of one simple ring (no holes), either winding, closing point optional. Appends
// 3 * (n - 2) indices into `ring` for n distinct points; a self-intersecting ring still yields
// triangles (the ring is never dropped) but they may overlap. Returns the number of triangles added.
int earClip(const std::vector<QPointF> &ring, std::vector<int> *indices);

// Fills a ring: ear clipping, appending the triangles' vertices (as floats) to `out`.
void appendPolygon(const std::vector<QPointF> &ring, std::vector<float> *out);

// Strokes a polyline `halfWidth` either side: a quad per segment, a bevel triangle at each bend and
// square caps (ends extended by halfWidth) so separately mapped ways meet without gaps.
void appendPolyline(const std::vector<QPointF> &line, double halfWidth, std::vector<float> *out);

// Twice the signed area (positive when counter-clockwise with y pointing up).
[[nodiscard]] double signedArea2(const std::vector<QPointF> &ring);

}  // namespace fleetdeck::triangulate
