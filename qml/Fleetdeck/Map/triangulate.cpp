#include "triangulate.h"

#include <algorithm>
#include <cmath>

namespace fleetdeck::triangulate {
namespace {

double cross(const QPointF &a, const QPointF &b, const QPointF &c)
{
    return (b.x() - a.x()) * (c.y() - a.y()) - (b.y() - a.y()) * (c.x() - a.x());
}

// Inclusive of the edges, so an ear with another vertex on its border (rings touching themselves)
// is rejected; points coinciding with a corner are left to the caller.
bool inTriangle(const QPointF &p, const QPointF &a, const QPointF &b, const QPointF &c)
{
    return cross(a, b, p) >= 0 && cross(b, c, p) >= 0 && cross(c, a, p) >= 0;
}

void pushVertex(const QPointF &p, std::vector<float> *out)
{
    out->push_back(static_cast<float>(p.x()));
    out->push_back(static_cast<float>(p.y()));
}

}  // namespace

double signedArea2(const std::vector<QPointF> &ring)
{
    double sum = 0;
    const std::size_t n = ring.size();
    for (std::size_t i = 0; i < n; ++i) {
        const QPointF &a = ring[i];
        const QPointF &b = ring[(i + 1) % n];
        sum += a.x() * b.y() - b.x() * a.y();
    }
    return sum;
}

int earClip(const std::vector<QPointF> &ring, std::vector<int> *indices)
{
    // Distinct points only: GeoJSON repeats the first point at the end, OSM ways sometimes repeat nodes.
    std::vector<int> idx;
    idx.reserve(ring.size());
    for (int i = 0; i < static_cast<int>(ring.size()); ++i) {
        if (!idx.empty() && ring[static_cast<std::size_t>(idx.back())] == ring[static_cast<std::size_t>(i)])
            continue;
        idx.push_back(i);
    }
    while (idx.size() > 1 && ring[static_cast<std::size_t>(idx.front())] == ring[static_cast<std::size_t>(idx.back())])
        idx.pop_back();
    const int m = static_cast<int>(idx.size());
    if (m < 3)
        return 0;

    double area2 = 0;
    for (int i = 0; i < m; ++i) {
        const QPointF &a = ring[static_cast<std::size_t>(idx[static_cast<std::size_t>(i)])];
        const QPointF &b = ring[static_cast<std::size_t>(idx[static_cast<std::size_t>((i + 1) % m)])];
        area2 += a.x() * b.y() - b.x() * a.y();
    }
    if (area2 == 0)
        return 0;
    if (area2 < 0)
        std::reverse(idx.begin(), idx.end());

    auto pt = [&](int k) -> const QPointF & { return ring[static_cast<std::size_t>(idx[static_cast<std::size_t>(k)])]; };
    std::vector<int> prev(static_cast<std::size_t>(m));
    std::vector<int> next(static_cast<std::size_t>(m));
    for (int i = 0; i < m; ++i) {
        prev[static_cast<std::size_t>(i)] = (i + m - 1) % m;
        next[static_cast<std::size_t>(i)] = (i + 1) % m;
    }
    auto unlink = [&](int k) {
        next[static_cast<std::size_t>(prev[static_cast<std::size_t>(k)])] = next[static_cast<std::size_t>(k)];
        prev[static_cast<std::size_t>(next[static_cast<std::size_t>(k)])] = prev[static_cast<std::size_t>(k)];
    };
    // Tolerance relative to the ring's size, so collinear runs are dropped in metres and in degrees alike.
    const double eps = std::abs(area2) * 1e-12;

    int added = 0;
    auto emit = [&](int a, int b, int c) {
        indices->push_back(idx[static_cast<std::size_t>(a)]);
        indices->push_back(idx[static_cast<std::size_t>(b)]);
        indices->push_back(idx[static_cast<std::size_t>(c)]);
        ++added;
    };

    int remaining = m;
    int cur = 0;
    int stall = 0;
    while (remaining > 3) {
        const int a = prev[static_cast<std::size_t>(cur)];
        const int c = next[static_cast<std::size_t>(cur)];
        const QPointF &pa = pt(a);
        const QPointF &pb = pt(cur);
        const QPointF &pc = pt(c);
        const double turn = cross(pa, pb, pc);
        bool ear = false;
        if (std::abs(turn) <= eps) {
            // Collinear (or a zero-width spike): contributes no area, drop it without a triangle.
            unlink(cur);
            --remaining;
            cur = c;
            stall = 0;
            continue;
        }
        if (turn > 0) {
            ear = true;
            for (int k = next[static_cast<std::size_t>(c)]; k != a; k = next[static_cast<std::size_t>(k)]) {
                const QPointF &p = pt(k);
                if (p == pa || p == pb || p == pc)
                    continue;
                if (inTriangle(p, pa, pb, pc)) {
                    ear = false;
                    break;
                }
            }
        }
        // A full lap without an ear means the ring self-intersects: clip anyway rather than loop forever.
        if (ear || stall > remaining) {
            emit(a, cur, c);
            unlink(cur);
            --remaining;
            cur = c;
            stall = 0;
        } else {
            cur = c;
            ++stall;
        }
    }
    const int a = prev[static_cast<std::size_t>(cur)];
    const int c = next[static_cast<std::size_t>(cur)];
    if (std::abs(cross(pt(a), pt(cur), pt(c))) > eps)
        emit(a, cur, c);
    return added;
}

void appendPolygon(const std::vector<QPointF> &ring, std::vector<float> *out)
{
    thread_local std::vector<int> indices;
    indices.clear();
    earClip(ring, &indices);
    for (int i : indices)
        pushVertex(ring[static_cast<std::size_t>(i)], out);
}

void appendPolyline(const std::vector<QPointF> &line, double halfWidth, std::vector<float> *out)
{
    thread_local std::vector<QPointF> pts;
    pts.clear();
    for (const QPointF &p : line) {
        if (pts.empty() || pts.back() != p)
            pts.push_back(p);
    }
    const std::size_t n = pts.size();
    if (n < 2)
        return;

    QPointF prevNormal;
    for (std::size_t i = 0; i + 1 < n; ++i) {
        QPointF a = pts[i];
        QPointF b = pts[i + 1];
        const QPointF d = b - a;
        const double len = std::hypot(d.x(), d.y());
        const QPointF dir = d / len;
        const QPointF normal(-dir.y() * halfWidth, dir.x() * halfWidth);
        if (i == 0)
            a -= dir * halfWidth;
        if (i + 2 == n)
            b += dir * halfWidth;
        pushVertex(a + normal, out);
        pushVertex(a - normal, out);
        pushVertex(b + normal, out);
        pushVertex(b + normal, out);
        pushVertex(a - normal, out);
        pushVertex(b - normal, out);

        if (i > 0) {
            // Bevel: fill the wedge on the outer side of the bend at pts[i].
            const QPointF &v = pts[i];
            const double turn = prevNormal.x() * normal.y() - prevNormal.y() * normal.x();
            if (turn > 0) {
                pushVertex(v, out);
                pushVertex(v - prevNormal, out);
                pushVertex(v - normal, out);
            } else if (turn < 0) {
                pushVertex(v, out);
                pushVertex(v + normal, out);
                pushVertex(v + prevNormal, out);
            }
        }
        prevNormal = normal;
    }
}

}  // namespace fleetdeck::triangulate
