#include "streetgraph.h"

#include "logging.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <queue>
#include <tuple>
#include <utility>

// The basemap resource lives in an OBJECT library that ends up inside a static archive; naming its
// initializer makes the linker keep it.
static void initBasemapResource()
{
    static const bool done = [] {
        Q_INIT_RESOURCE(basemap);
        return true;
    }();
    Q_UNUSED(done);
}

namespace fleetdeck::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kCoordScale = 1e6;  // vertices equal to 1e-6° are one node
// A* heuristic below the true distance even where the local flat projection stretches it.
constexpr double kHeuristicFactor = 0.995;

enum NodeFlag : std::uint8_t {
    kOnFootway = 1,
    kOnCarRoad = 2,
    kCrossingTag = 4,
};

std::optional<Highway> classify(const QString &highway)
{
    static const QHash<QString, Highway> classes = {
        {QStringLiteral("footway"), Highway::Footway},
        {QStringLiteral("path"), Highway::Path},
        {QStringLiteral("pedestrian"), Highway::Pedestrian},
        {QStringLiteral("cycleway"), Highway::Cycleway},
        {QStringLiteral("track"), Highway::Track},
        {QStringLiteral("living_street"), Highway::LivingStreet},
        {QStringLiteral("service"), Highway::Service},
        {QStringLiteral("residential"), Highway::Residential},
        {QStringLiteral("unclassified"), Highway::Unclassified},
        {QStringLiteral("tertiary"), Highway::Tertiary},
        {QStringLiteral("tertiary_link"), Highway::Tertiary},
        {QStringLiteral("secondary"), Highway::Secondary},
        {QStringLiteral("secondary_link"), Highway::Secondary},
        {QStringLiteral("primary"), Highway::Primary},
        {QStringLiteral("primary_link"), Highway::Primary},
    };
    const auto it = classes.constFind(highway);
    if (it == classes.constEnd())
        return std::nullopt;
    return *it;
}

// Roads with enough traffic that a robot has to find a gap; living streets and service roads do not count.
bool isCrossedRoad(Highway h)
{
    return h == Highway::Residential || h == Highway::Unclassified || h == Highway::Tertiary
        || h == Highway::Secondary || h == Highway::Primary;
}

bool robotsMayUse(const QJsonObject &props)
{
    const QString foot = props.value(QStringLiteral("foot")).toString();
    if (foot == QLatin1String("no"))
        return false;
    const QString access = props.value(QStringLiteral("access")).toString();
    const bool footAllowed = foot == QLatin1String("yes") || foot == QLatin1String("designated")
        || foot == QLatin1String("permissive") || foot == QLatin1String("official");
    return footAllowed || (access != QLatin1String("private") && access != QLatin1String("no"));
}

struct RawEdge {
    std::uint32_t a;
    std::uint32_t b;
    Highway highway;
};

struct Builder {
    QHash<quint64, std::uint32_t> idByKey;
    std::vector<std::pair<std::int32_t, std::int32_t>> coords;  // lat, lon in 1e-6°
    std::vector<std::uint8_t> flags;
    std::vector<RawEdge> edges;

    std::optional<std::uint32_t> vertex(const QJsonValue &position)
    {
        const QJsonArray pos = position.toArray();
        if (pos.size() < 2)
            return std::nullopt;
        const double lon = pos.at(0).toDouble(std::nan(""));
        const double lat = pos.at(1).toDouble(std::nan(""));
        if (!geo::isValid({lat, lon}))
            return std::nullopt;
        const auto latE6 = static_cast<std::int32_t>(std::llround(lat * kCoordScale));
        const auto lonE6 = static_cast<std::int32_t>(std::llround(lon * kCoordScale));
        const quint64 key = (static_cast<quint64>(static_cast<std::uint32_t>(latE6)) << 32)
            | static_cast<std::uint32_t>(lonE6);
        const auto it = idByKey.constFind(key);
        if (it != idByKey.constEnd())
            return *it;
        const auto id = static_cast<std::uint32_t>(coords.size());
        idByKey.insert(key, id);
        coords.emplace_back(latE6, lonE6);
        flags.push_back(0);
        return id;
    }

    void addLine(const QJsonArray &positions, Highway highway, bool crossingTag)
    {
        std::vector<std::uint32_t> ids;
        ids.reserve(static_cast<std::size_t>(positions.size()));
        for (const QJsonValue &pos : positions) {
            const std::optional<std::uint32_t> id = vertex(pos);
            if (!id) {
                // A broken vertex splits the line rather than joining its neighbours across it.
                addRun(ids, highway, crossingTag);
                ids.clear();
                continue;
            }
            if (ids.empty() || ids.back() != *id)
                ids.push_back(*id);
        }
        addRun(ids, highway, crossingTag);
    }

    void addRun(const std::vector<std::uint32_t> &ids, Highway highway, bool crossingTag)
    {
        if (ids.size() < 2)
            return;
        const std::uint8_t flag = isFootClass(highway) ? kOnFootway
            : isCrossedRoad(highway)                   ? kOnCarRoad
                                                       : 0;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            flags[ids[i]] |= flag;
            // The road lies between the kerbs, so a crossing way's inner vertices are the crossing;
            // a two-vertex crossing way has only its kerbs to wait at.
            const bool inner = i > 0 && i + 1 < ids.size();
            if (crossingTag && (inner || ids.size() == 2))
                flags[ids[i]] |= kCrossingTag;
            if (i > 0)
                edges.push_back({std::min(ids[i - 1], ids[i]), std::max(ids[i - 1], ids[i]), highway});
        }
    }
};

std::uint32_t findRoot(std::vector<std::uint32_t> &parent, std::uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

}  // namespace

std::optional<StreetGraph> StreetGraph::loadShipped(QString *error)
{
    initBasemapResource();
    QFile file(QStringLiteral(":/basemap/neubrandenburg-centre.geojson"));
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("cannot open the shipped basemap: %1").arg(file.errorString());
        return std::nullopt;
    }
    std::optional<StreetGraph> graph = fromGeoJson(file.readAll(), error);
    if (graph)
        qCDebug(lcSim) << "street graph:" << graph->nodeCount() << "nodes," << graph->edgeCount() << "edges,"
                       << graph->totalLengthM() / 1000.0 << "km," << graph->crossingCount() << "crossings";
    return graph;
}

std::optional<StreetGraph> StreetGraph::fromGeoJson(const QByteArray &json, QString *error)
{
    const auto fail = [error](const QString &reason) -> std::optional<StreetGraph> {
        if (error)
            *error = reason;
        return std::nullopt;
    };

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return fail(QStringLiteral("GeoJSON does not parse at offset %1: %2")
                        .arg(parseError.offset)
                        .arg(parseError.errorString()));
    if (!doc.isObject())
        return fail(QStringLiteral("GeoJSON is not an object"));
    const QJsonValue featuresValue = doc.object().value(QStringLiteral("features"));
    if (!featuresValue.isArray())
        return fail(QStringLiteral("GeoJSON has no \"features\" array"));

    Builder builder;
    const QJsonArray features = featuresValue.toArray();
    for (const QJsonValue &featureValue : features) {
        const QJsonObject feature = featureValue.toObject();
        const QJsonObject props = feature.value(QStringLiteral("properties")).toObject();
        const std::optional<Highway> highway = classify(props.value(QStringLiteral("highway")).toString());
        if (!highway || !robotsMayUse(props))
            continue;
        const bool crossingTag = props.value(QStringLiteral("footway")).toString() == QLatin1String("crossing");
        const QJsonObject geometry = feature.value(QStringLiteral("geometry")).toObject();
        const QString type = geometry.value(QStringLiteral("type")).toString();
        const QJsonArray coordinates = geometry.value(QStringLiteral("coordinates")).toArray();
        if (type == QLatin1String("LineString")) {
            builder.addLine(coordinates, *highway, crossingTag);
        } else if (type == QLatin1String("MultiLineString")) {
            for (const QJsonValue &line : coordinates)
                builder.addLine(line.toArray(), *highway, crossingTag);
        } else if (isFootClass(*highway) || *highway == Highway::LivingStreet) {
            // The outline of a pedestrian area is walkable; its inner rings are obstacles' outlines.
            if (type == QLatin1String("Polygon")) {
                builder.addLine(coordinates.at(0).toArray(), *highway, crossingTag);
            } else if (type == QLatin1String("MultiPolygon")) {
                for (const QJsonValue &polygon : coordinates)
                    builder.addLine(polygon.toArray().at(0).toArray(), *highway, crossingTag);
            }
        }
    }
    if (builder.edges.empty())
        return fail(QStringLiteral("GeoJSON has no walkable ways"));

    // Where two ways share a segment, keep one edge, the most foot-like class (lowest enum value).
    std::vector<RawEdge> &raw = builder.edges;
    std::sort(raw.begin(), raw.end(), [](const RawEdge &l, const RawEdge &r) {
        return std::tie(l.a, l.b, l.highway) < std::tie(r.a, r.b, r.highway);
    });
    raw.erase(std::unique(raw.begin(), raw.end(),
                          [](const RawEdge &l, const RawEdge &r) { return l.a == r.a && l.b == r.b; }),
              raw.end());

    const auto rawNodeCount = static_cast<std::uint32_t>(builder.coords.size());
    std::vector<std::uint32_t> parent(rawNodeCount);
    std::iota(parent.begin(), parent.end(), 0U);
    for (const RawEdge &e : raw) {
        const std::uint32_t ra = findRoot(parent, e.a);
        const std::uint32_t rb = findRoot(parent, e.b);
        if (ra != rb)
            parent[std::max(ra, rb)] = std::min(ra, rb);
    }
    std::vector<std::uint32_t> componentSize(rawNodeCount, 0);
    for (std::uint32_t i = 0; i < rawNodeCount; ++i)
        ++componentSize[findRoot(parent, i)];
    const auto largest = static_cast<std::uint32_t>(
        std::max_element(componentSize.begin(), componentSize.end()) - componentSize.begin());

    StreetGraph graph;
    std::vector<std::uint32_t> newId(rawNodeCount, kNoNode);
    for (std::uint32_t i = 0; i < rawNodeCount; ++i) {
        if (findRoot(parent, i) != largest)
            continue;
        newId[i] = static_cast<std::uint32_t>(graph.m_nodes.size());
        const auto [latE6, lonE6] = builder.coords[i];
        graph.m_nodes.push_back({latE6 / kCoordScale, lonE6 / kCoordScale});
        const std::uint8_t f = builder.flags[i];
        graph.m_crossing.push_back(((f & kOnFootway) && (f & kOnCarRoad)) || (f & kCrossingTag) ? 1 : 0);
    }

    const std::uint32_t n = graph.nodeCount();
    std::vector<std::uint32_t> degree(n + 1, 0);
    for (const RawEdge &e : raw) {
        if (newId[e.a] == kNoNode)
            continue;
        ++degree[newId[e.a]];
        ++degree[newId[e.b]];
    }
    graph.m_edgeStart.assign(n + 1, 0);
    for (std::uint32_t i = 0; i < n; ++i)
        graph.m_edgeStart[i + 1] = graph.m_edgeStart[i] + degree[i];
    graph.m_edges.resize(graph.m_edgeStart[n]);
    graph.m_edgeFrom.resize(graph.m_edgeStart[n]);
    std::vector<std::uint32_t> fill(graph.m_edgeStart.begin(), graph.m_edgeStart.end() - 1);
    for (const RawEdge &e : raw) {
        const std::uint32_t a = newId[e.a];
        if (a == kNoNode)
            continue;
        const std::uint32_t b = newId[e.b];
        const double length = geo::distanceM(graph.m_nodes[a], graph.m_nodes[b]);
        graph.m_totalLengthM += length;
        graph.m_edgeFrom[fill[a]] = a;
        graph.m_edges[fill[a]++] = {b, length, e.highway};
        graph.m_edgeFrom[fill[b]] = b;
        graph.m_edges[fill[b]++] = {a, length, e.highway};
    }

    graph.buildIndex();
    return graph;
}

void StreetGraph::buildIndex()
{
    geo::LatLon sw{90, 180};
    geo::LatLon ne{-90, -180};
    for (const geo::LatLon &p : m_nodes) {
        sw = {std::min(sw.latDeg, p.latDeg), std::min(sw.lonDeg, p.lonDeg)};
        ne = {std::max(ne.latDeg, p.latDeg), std::max(ne.lonDeg, p.lonDeg)};
    }
    m_bounds = {sw, ne};
    m_metresPerDegLat = geo::kEarthRadiusM * kPi / 180.0;
    m_metresPerDegLon = m_metresPerDegLat * std::cos((sw.latDeg + ne.latDeg) / 2.0 * kPi / 180.0);

    m_local.resize(m_nodes.size());
    for (std::size_t i = 0; i < m_nodes.size(); ++i)
        m_local[i] = toLocal(m_nodes[i]);
    const LocalPoint extent = toLocal(ne);
    m_cellsX = static_cast<int>(extent.x / m_cellM) + 1;
    m_cellsY = static_cast<int>(extent.y / m_cellM) + 1;
    const auto cellCount = static_cast<std::size_t>(m_cellsX) * static_cast<std::size_t>(m_cellsY);

    // Counting sort of nodes into cells.
    std::vector<std::uint32_t> cellOf(m_nodes.size());
    m_cellNodeStart.assign(cellCount + 1, 0);
    for (std::size_t i = 0; i < m_nodes.size(); ++i) {
        cellOf[i] = static_cast<std::uint32_t>(cellY(m_local[i].y) * m_cellsX + cellX(m_local[i].x));
        ++m_cellNodeStart[cellOf[i] + 1];
    }
    std::partial_sum(m_cellNodeStart.begin(), m_cellNodeStart.end(), m_cellNodeStart.begin());
    m_cellNodes.resize(m_nodes.size());
    std::vector<std::uint32_t> fill(m_cellNodeStart.begin(), m_cellNodeStart.end() - 1);
    for (std::size_t i = 0; i < m_nodes.size(); ++i)
        m_cellNodes[fill[cellOf[i]]++] = static_cast<std::uint32_t>(i);

    // Each undirected edge once, in every cell its bounding box touches.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> cellEdge;
    for (std::size_t e = 0; e < m_edges.size(); ++e) {
        const std::uint32_t from = m_edgeFrom[e];
        const std::uint32_t to = m_edges[e].to;
        if (from > to)
            continue;
        const LocalPoint a = m_local[from];
        const LocalPoint b = m_local[to];
        for (int cy = cellY(std::min(a.y, b.y)); cy <= cellY(std::max(a.y, b.y)); ++cy) {
            for (int cx = cellX(std::min(a.x, b.x)); cx <= cellX(std::max(a.x, b.x)); ++cx)
                cellEdge.emplace_back(static_cast<std::uint32_t>(cy * m_cellsX + cx), static_cast<std::uint32_t>(e));
        }
    }
    std::sort(cellEdge.begin(), cellEdge.end());
    m_cellEdgeStart.assign(cellCount + 1, 0);
    m_cellEdges.resize(cellEdge.size());
    for (std::size_t i = 0; i < cellEdge.size(); ++i) {
        ++m_cellEdgeStart[cellEdge[i].first + 1];
        m_cellEdges[i] = cellEdge[i].second;
    }
    std::partial_sum(m_cellEdgeStart.begin(), m_cellEdgeStart.end(), m_cellEdgeStart.begin());
}

StreetGraph::LocalPoint StreetGraph::toLocal(geo::LatLon p) const
{
    return {(p.lonDeg - m_bounds.southWest.lonDeg) * m_metresPerDegLon,
            (p.latDeg - m_bounds.southWest.latDeg) * m_metresPerDegLat};
}

int StreetGraph::cellX(double x) const
{
    if (!(x > 0))  // also NaN
        return 0;
    return static_cast<int>(std::min(x / m_cellM, static_cast<double>(m_cellsX - 1)));
}

int StreetGraph::cellY(double y) const
{
    if (!(y > 0))
        return 0;
    return static_cast<int>(std::min(y / m_cellM, static_cast<double>(m_cellsY - 1)));
}

StreetGraph::EdgeRange StreetGraph::neighbours(std::uint32_t index) const
{
    if (index >= nodeCount())
        return {nullptr, nullptr};
    const Edge *base = m_edges.data();
    return {base + m_edgeStart[index], base + m_edgeStart[index + 1]};
}

const StreetGraph::Edge *StreetGraph::edge(std::uint32_t from, std::uint32_t to) const
{
    for (const Edge &e : neighbours(from)) {
        if (e.to == to)
            return &e;
    }
    return nullptr;
}

std::optional<double> StreetGraph::edgeLengthM(std::uint32_t from, std::uint32_t to) const
{
    if (const Edge *e = edge(from, to))
        return e->lengthM;
    return std::nullopt;
}

std::size_t StreetGraph::crossingCount() const
{
    return static_cast<std::size_t>(std::count(m_crossing.begin(), m_crossing.end(), std::uint8_t{1}));
}

std::uint32_t StreetGraph::nearestNode(geo::LatLon p) const
{
    if (m_nodes.empty())
        return kNoNode;
    if (!geo::isValid(p))
        return 0;
    const LocalPoint q = toLocal(p);
    const int cx = cellX(q.x);
    const int cy = cellY(q.y);
    std::uint32_t best = kNoNode;
    double bestSq = std::numeric_limits<double>::infinity();
    const int maxRing = std::max(m_cellsX, m_cellsY);
    for (int ring = 0; ring <= maxRing; ++ring) {
        for (int y = cy - ring; y <= cy + ring; ++y) {
            if (y < 0 || y >= m_cellsY)
                continue;
            const bool edgeRow = y == cy - ring || y == cy + ring;
            const int step = edgeRow ? 1 : 2 * ring;
            for (int x = cx - ring; x <= cx + ring; x += std::max(step, 1)) {
                if (x < 0 || x >= m_cellsX)
                    continue;
                const auto cell = static_cast<std::size_t>(y * m_cellsX + x);
                for (std::uint32_t k = m_cellNodeStart[cell]; k < m_cellNodeStart[cell + 1]; ++k) {
                    const std::uint32_t i = m_cellNodes[k];
                    const double dx = m_local[i].x - q.x;
                    const double dy = m_local[i].y - q.y;
                    const double d = dx * dx + dy * dy;
                    if (d < bestSq || (d == bestSq && i < best)) {
                        bestSq = d;
                        best = i;
                    }
                }
            }
        }
        // Cells beyond this ring lie at least ring * cell away, even for points off the grid.
        const double reach = ring * m_cellM;
        if (best != kNoNode && bestSq <= reach * reach)
            break;
    }
    return best;
}

double StreetGraph::distanceToEdgesM(geo::LatLon p, double searchRadiusM) const
{
    constexpr double kNone = std::numeric_limits<double>::infinity();
    if (!geo::isValid(p) || !(searchRadiusM >= 0) || m_nodes.empty())
        return kNone;
    const LocalPoint q = toLocal(p);
    const double r = std::min(searchRadiusM, 5000.0);
    if (q.x + r < 0 || q.y + r < 0 || q.x - r > m_cellsX * m_cellM || q.y - r > m_cellsY * m_cellM)
        return kNone;
    double best = kNone;
    for (int y = cellY(q.y - r); y <= cellY(q.y + r); ++y) {
        for (int x = cellX(q.x - r); x <= cellX(q.x + r); ++x) {
            const auto cell = static_cast<std::size_t>(y * m_cellsX + x);
            for (std::uint32_t k = m_cellEdgeStart[cell]; k < m_cellEdgeStart[cell + 1]; ++k) {
                const std::uint32_t e = m_cellEdges[k];
                const LocalPoint a = m_local[m_edgeFrom[e]];
                const LocalPoint b = m_local[m_edges[e].to];
                const double vx = b.x - a.x;
                const double vy = b.y - a.y;
                const double len2 = vx * vx + vy * vy;
                double t = len2 > 0 ? ((q.x - a.x) * vx + (q.y - a.y) * vy) / len2 : 0;
                t = std::clamp(t, 0.0, 1.0);
                best = std::min(best, std::hypot(a.x + t * vx - q.x, a.y + t * vy - q.y));
            }
        }
    }
    return best <= r ? best : kNone;
}

std::vector<std::uint32_t> StreetGraph::route(std::uint32_t from, std::uint32_t to) const
{
    const std::uint32_t n = nodeCount();
    if (from >= n || to >= n)
        return {};
    if (from == to)
        return {from};

    const LocalPoint goal = m_local[to];
    const auto heuristic = [&](std::uint32_t i) {
        return kHeuristicFactor * std::hypot(m_local[i].x - goal.x, m_local[i].y - goal.y);
    };
    std::vector<double> g(n, std::numeric_limits<double>::infinity());
    std::vector<std::uint32_t> cameFrom(n, kNoNode);
    using Entry = std::pair<double, std::uint32_t>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> open;
    g[from] = 0;
    open.emplace(heuristic(from), from);
    while (!open.empty()) {
        const auto [f, current] = open.top();
        open.pop();
        if (current == to)
            break;
        if (f > g[current] + heuristic(current) + 1e-9)
            continue;  // a stale queue entry
        for (const Edge &e : neighbours(current)) {
            const double candidate = g[current] + e.lengthM;
            if (candidate < g[e.to]) {
                g[e.to] = candidate;
                cameFrom[e.to] = current;
                open.emplace(candidate + heuristic(e.to), e.to);
            }
        }
    }
    if (cameFrom[to] == kNoNode)
        return {};
    std::vector<std::uint32_t> path;
    for (std::uint32_t i = to; i != from; i = cameFrom[i])
        path.push_back(i);
    path.push_back(from);
    std::reverse(path.begin(), path.end());
    return path;
}

double StreetGraph::routeLengthM(const std::vector<std::uint32_t> &nodes) const
{
    double total = 0;
    for (std::size_t i = 1; i < nodes.size(); ++i) {
        const std::optional<double> length = edgeLengthM(nodes[i - 1], nodes[i]);
        if (!length)
            return std::numeric_limits<double>::infinity();
        total += *length;
    }
    return total;
}

StreetGraph::PathTree StreetGraph::pathTree(std::uint32_t root) const
{
    const std::uint32_t n = nodeCount();
    PathTree tree;
    tree.root = root;
    tree.distanceM.assign(n, std::numeric_limits<double>::infinity());
    tree.towardRoot.assign(n, kNoNode);
    if (root >= n)
        return tree;
    using Entry = std::pair<double, std::uint32_t>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> open;
    tree.distanceM[root] = 0;
    tree.towardRoot[root] = root;
    open.emplace(0.0, root);
    while (!open.empty()) {
        const auto [d, current] = open.top();
        open.pop();
        if (d > tree.distanceM[current])
            continue;
        for (const Edge &e : neighbours(current)) {
            const double candidate = d + e.lengthM;
            if (candidate < tree.distanceM[e.to]) {
                tree.distanceM[e.to] = candidate;
                tree.towardRoot[e.to] = current;
                open.emplace(candidate, e.to);
            }
        }
    }
    return tree;
}

}  // namespace fleetdeck::sim
