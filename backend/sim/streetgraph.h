#pragma once

#include "geo.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace fleetdeck::sim {

// OSM highway classes the robots may use, from the most to the least foot-like; `_link` roads fold
// into their parent class.
enum class Highway : std::uint8_t {
    Footway,
    Path,
    Pedestrian,
    Cycleway,
    Track,
    LivingStreet,
    Service,
    Residential,
    Unclassified,
    Tertiary,
    Secondary,
    Primary,
};

// Ways only people use; the rest carry cars too and the robots use their sidewalks.
[[nodiscard]] constexpr bool isFootClass(Highway h)
{
    return h == Highway::Footway || h == Highway::Path || h == Highway::Pedestrian || h == Highway::Cycleway
        || h == Highway::Track;
}

// The walkable street network of a city, read from GeoJSON: every way vertex is a node (vertices equal
// to 1e-6° are one node), consecutive vertices are joined by an undirected edge. Only the largest
// connected component is kept, so every node can reach every other. Immutable once built, so any
// number of threads may read it.
class StreetGraph
{
public:
    struct Edge {
        std::uint32_t to = 0;
        double lengthM = 0;
        Highway highway = Highway::Footway;
    };

    // The edges leaving one node.
    class EdgeRange
    {
    public:
        EdgeRange(const Edge *first, const Edge *last) : m_first(first), m_last(last) {}
        [[nodiscard]] const Edge *begin() const { return m_first; }
        [[nodiscard]] const Edge *end() const { return m_last; }
        [[nodiscard]] std::size_t size() const { return static_cast<std::size_t>(m_last - m_first); }

    private:
        const Edge *m_first;
        const Edge *m_last;
    };

    struct Bounds {
        geo::LatLon southWest;
        geo::LatLon northEast;
    };

    // Shortest paths from every node to one root (Dijkstra over metres).
    struct PathTree {
        std::uint32_t root = 0;
        std::vector<double> distanceM;            // to the root
        std::vector<std::uint32_t> towardRoot;    // next node on the way to the root; root for itself
    };

    static constexpr std::uint32_t kNoNode = std::numeric_limits<std::uint32_t>::max();

    // An RFC 7946 FeatureCollection. Fails, with a reason in `error`, on malformed JSON or when no
    // usable way is found.
    [[nodiscard]] static std::optional<StreetGraph> fromGeoJson(const QByteArray &json, QString *error);
    // The city compiled into the binary (":/basemap/neubrandenburg-centre.geojson").
    [[nodiscard]] static std::optional<StreetGraph> loadShipped(QString *error);

    [[nodiscard]] std::uint32_t nodeCount() const { return static_cast<std::uint32_t>(m_nodes.size()); }
    [[nodiscard]] std::size_t edgeCount() const { return m_edges.size() / 2; }
    [[nodiscard]] geo::LatLon node(std::uint32_t index) const { return m_nodes[index]; }
    [[nodiscard]] EdgeRange neighbours(std::uint32_t index) const;
    // The edge from `from` to `to`, or null when they are not neighbours.
    [[nodiscard]] const Edge *edge(std::uint32_t from, std::uint32_t to) const;
    [[nodiscard]] std::optional<double> edgeLengthM(std::uint32_t from, std::uint32_t to) const;
    // A footway meets a car road here, or the node belongs to a way tagged footway=crossing.
    [[nodiscard]] bool isCrossing(std::uint32_t index) const { return m_crossing[index] != 0; }
    [[nodiscard]] std::size_t crossingCount() const;

    [[nodiscard]] double totalLengthM() const { return m_totalLengthM; }
    [[nodiscard]] Bounds bounds() const { return m_bounds; }

    // The closest node, through a bucket grid. Points outside the map get the closest node on its edge.
    [[nodiscard]] std::uint32_t nearestNode(geo::LatLon p) const;
    // Distance from `p` to the closest edge, or infinity when none lies within `searchRadiusM`.
    [[nodiscard]] double distanceToEdgesM(geo::LatLon p, double searchRadiusM = 50) const;

    // Nodes from `from` to `to`, both included (A* over metres); empty for out-of-range nodes.
    [[nodiscard]] std::vector<std::uint32_t> route(std::uint32_t from, std::uint32_t to) const;
    // Sum of edge lengths along `nodes`; infinity when two consecutive nodes are not neighbours.
    [[nodiscard]] double routeLengthM(const std::vector<std::uint32_t> &nodes) const;
    [[nodiscard]] PathTree pathTree(std::uint32_t root) const;

private:
    StreetGraph() = default;

    struct LocalPoint {
        double x = 0;
        double y = 0;
    };

    [[nodiscard]] LocalPoint toLocal(geo::LatLon p) const;
    [[nodiscard]] int cellX(double x) const;
    [[nodiscard]] int cellY(double y) const;
    void buildIndex();

    std::vector<geo::LatLon> m_nodes;
    std::vector<LocalPoint> m_local;         // metres east/north of the south-west corner
    std::vector<std::uint32_t> m_edgeStart;  // CSR: edges of node i are m_edges[m_edgeStart[i] .. [i+1])
    std::vector<Edge> m_edges;               // each undirected edge twice
    std::vector<std::uint8_t> m_crossing;
    double m_totalLengthM = 0;
    Bounds m_bounds;

    double m_metresPerDegLat = 0;
    double m_metresPerDegLon = 0;
    double m_cellM = 50;
    int m_cellsX = 1;
    int m_cellsY = 1;
    std::vector<std::uint32_t> m_cellNodeStart;  // CSR over cells
    std::vector<std::uint32_t> m_cellNodes;
    std::vector<std::uint32_t> m_cellEdgeStart;  // edges whose bounding box touches the cell
    std::vector<std::uint32_t> m_cellEdges;      // as index into m_edges (the from < to copy)
    std::vector<std::uint32_t> m_edgeFrom;       // source node of each m_edges entry
};

}  // namespace fleetdeck::sim
