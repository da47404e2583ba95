#include "streetgraph.h"

#include <QElapsedTimer>
#include <QTest>

#include <cmath>
#include <optional>
#include <vector>

using fleetdeck::geo::LatLon;
using fleetdeck::sim::Highway;
using fleetdeck::sim::StreetGraph;

namespace {

QByteArray lineFeature(const char *properties, const char *coordinates)
{
    return QByteArray(R"({"type":"Feature","properties":)") + properties
        + R"(,"geometry":{"type":"LineString","coordinates":)" + coordinates + "}}";
}

QByteArray collection(const QList<QByteArray> &features)
{
    QByteArray json = R"({"type":"FeatureCollection","features":[)";
    for (qsizetype i = 0; i < features.size(); ++i)
        json += (i ? "," : "") + features[i];
    return json + "]}";
}

}  // namespace

class TestStreetGraph : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void shippedGraphHasThousandsOfNodes();
    void shippedGraphIsOneComponent();
    void nearestNodeOfANodeIsThatNode();
    void nearestNodeMatchesLinearScan();
    void routeIsContiguousAndNotShorterThanStraightLine_data();
    void routeIsContiguousAndNotShorterThanStraightLine();
    void pathTreeAgreesWithRoute();
    void malformedInputGivesError_data();
    void malformedInputGivesError();
    void buildsFromHandWrittenGeoJson();
    void footwayMeetingRoadIsCrossing_data();
    void footwayMeetingRoadIsCrossing();
    void keepsLargestComponentOnly();
    void nearestNodeSpeed();

private:
    std::optional<StreetGraph> m_graph;
};

void TestStreetGraph::initTestCase()
{
    QString error;
    m_graph = StreetGraph::loadShipped(&error);
    QVERIFY2(m_graph, qPrintable(error));
    qInfo("shipped graph: %u nodes, %zu edges, %.1f km, %zu crossings", m_graph->nodeCount(),
          m_graph->edgeCount(), m_graph->totalLengthM() / 1000.0, m_graph->crossingCount());
}

void TestStreetGraph::shippedGraphHasThousandsOfNodes()
{
    QVERIFY(m_graph->nodeCount() > 2000);
    QVERIFY(m_graph->edgeCount() >= m_graph->nodeCount() - 1);
    QVERIFY2(m_graph->totalLengthM() > 20'000 && m_graph->totalLengthM() < 500'000,
             qPrintable(QString::number(m_graph->totalLengthM())));
    QVERIFY(m_graph->crossingCount() > 10);
    const StreetGraph::Bounds b = m_graph->bounds();
    // Neubrandenburg's centre.
    QVERIFY(b.southWest.latDeg > 53.5 && b.northEast.latDeg < 53.6);
    QVERIFY(b.southWest.lonDeg > 13.2 && b.northEast.lonDeg < 13.3);
}

void TestStreetGraph::shippedGraphIsOneComponent()
{
    const std::uint32_t n = m_graph->nodeCount();
    std::vector<bool> seen(n, false);
    std::vector<std::uint32_t> stack{0};
    seen[0] = true;
    std::uint32_t reached = 1;
    while (!stack.empty()) {
        const std::uint32_t i = stack.back();
        stack.pop_back();
        for (const StreetGraph::Edge &e : m_graph->neighbours(i)) {
            QVERIFY(e.lengthM > 0);
            if (!seen[e.to]) {
                seen[e.to] = true;
                ++reached;
                stack.push_back(e.to);
            }
        }
    }
    QCOMPARE(reached, n);
}

void TestStreetGraph::nearestNodeOfANodeIsThatNode()
{
    for (std::uint32_t i = 0; i < m_graph->nodeCount(); ++i) {
        if (m_graph->nearestNode(m_graph->node(i)) != i)
            QFAIL(qPrintable(QStringLiteral("node %1").arg(i)));
    }
}

void TestStreetGraph::nearestNodeMatchesLinearScan()
{
    const StreetGraph::Bounds b = m_graph->bounds();
    // Points on a lattice reaching 30 % beyond the map on every side.
    for (int row = 0; row <= 20; ++row) {
        for (int col = 0; col <= 20; ++col) {
            const double fy = -0.3 + 1.6 * row / 20.0;
            const double fx = -0.3 + 1.6 * col / 20.0;
            const LatLon p{b.southWest.latDeg + fy * (b.northEast.latDeg - b.southWest.latDeg),
                           b.southWest.lonDeg + fx * (b.northEast.lonDeg - b.southWest.lonDeg)};
            double best = std::numeric_limits<double>::infinity();
            for (std::uint32_t i = 0; i < m_graph->nodeCount(); ++i)
                best = std::min(best, fleetdeck::geo::distanceM(p, m_graph->node(i)));
            const double found = fleetdeck::geo::distanceM(p, m_graph->node(m_graph->nearestNode(p)));
            // The index measures on a flat projection, so ties may break differently by millimetres.
            QVERIFY2(found <= best * 1.001 + 0.01, qPrintable(QStringLiteral("%1 vs %2").arg(found).arg(best)));
        }
    }
    QCOMPARE(m_graph->nearestNode({std::nan(""), 13.26}), 0U);
}

void TestStreetGraph::routeIsContiguousAndNotShorterThanStraightLine_data()
{
    QTest::addColumn<double>("fromX");
    QTest::addColumn<double>("fromY");
    QTest::addColumn<double>("toX");
    QTest::addColumn<double>("toY");
    QTest::newRow("west to east") << 0.05 << 0.5 << 0.95 << 0.5;
    QTest::newRow("south to north") << 0.5 << 0.05 << 0.5 << 0.95;
    QTest::newRow("corner to corner") << 0.1 << 0.1 << 0.9 << 0.9;
    QTest::newRow("neighbourhood") << 0.5 << 0.5 << 0.52 << 0.51;
    QTest::newRow("same place") << 0.4 << 0.6 << 0.4 << 0.6;
}

void TestStreetGraph::routeIsContiguousAndNotShorterThanStraightLine()
{
    QFETCH(double, fromX);
    QFETCH(double, fromY);
    QFETCH(double, toX);
    QFETCH(double, toY);
    const StreetGraph::Bounds b = m_graph->bounds();
    const auto at = [&b](double fx, double fy) {
        return LatLon{b.southWest.latDeg + fy * (b.northEast.latDeg - b.southWest.latDeg),
                      b.southWest.lonDeg + fx * (b.northEast.lonDeg - b.southWest.lonDeg)};
    };
    const std::uint32_t from = m_graph->nearestNode(at(fromX, fromY));
    const std::uint32_t to = m_graph->nearestNode(at(toX, toY));
    const std::vector<std::uint32_t> route = m_graph->route(from, to);
    QVERIFY(!route.empty());
    QCOMPARE(route.front(), from);
    QCOMPARE(route.back(), to);
    for (std::size_t i = 1; i < route.size(); ++i)
        QVERIFY(m_graph->edgeLengthM(route[i - 1], route[i]).has_value());
    const double length = m_graph->routeLengthM(route);
    const double straight = fleetdeck::geo::distanceM(m_graph->node(from), m_graph->node(to));
    QVERIFY(std::isfinite(length));
    QVERIFY(length >= straight - 1e-6);
    // Streets wind, but not absurdly.
    QVERIFY(length <= straight * 3 + 200);
}

void TestStreetGraph::pathTreeAgreesWithRoute()
{
    const std::uint32_t root = m_graph->nearestNode(m_graph->node(m_graph->nodeCount() / 2));
    const StreetGraph::PathTree tree = m_graph->pathTree(root);
    for (std::uint32_t i = 0; i < m_graph->nodeCount(); i += 997) {
        const double viaRoute = m_graph->routeLengthM(m_graph->route(i, root));
        QVERIFY2(std::abs(viaRoute - tree.distanceM[i]) < 1e-6,
                 qPrintable(QStringLiteral("%1: A* %2, Dijkstra %3").arg(i).arg(viaRoute).arg(tree.distanceM[i])));
    }
}

void TestStreetGraph::malformedInputGivesError_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("truncated") << QByteArray(R"({"type":"FeatureCollection","features":[{"type":)");
    QTest::newRow("array") << QByteArray("[1,2,3]");
    QTest::newRow("no features") << QByteArray(R"({"type":"FeatureCollection"})");
    QTest::newRow("features not an array") << QByteArray(R"({"features":{}})");
    QTest::newRow("no highways") << collection({lineFeature(R"({"building":"yes"})", "[[13.1,53.1],[13.2,53.2]]")});
    QTest::newRow("only steps") << collection({lineFeature(R"({"highway":"steps"})", "[[13.1,53.1],[13.2,53.2]]")});
    QTest::newRow("garbage coordinates")
        << collection({lineFeature(R"({"highway":"footway"})", R"([["a",1],[null],[1e999,2],[13.1,95]])")});
    QTest::newRow("single point") << collection({lineFeature(R"({"highway":"footway"})", "[[13.1,53.1]]")});
    QTest::newRow("null geometry")
        << QByteArray(R"({"features":[{"type":"Feature","properties":{"highway":"path"},"geometry":null}]})");
}

void TestStreetGraph::malformedInputGivesError()
{
    QFETCH(QByteArray, json);
    QString error;
    const std::optional<StreetGraph> graph = StreetGraph::fromGeoJson(json, &error);
    QVERIFY(!graph);
    QVERIFY(!error.isEmpty());
    QVERIFY(!StreetGraph::fromGeoJson(json, nullptr));
}

void TestStreetGraph::buildsFromHandWrittenGeoJson()
{
    // An L of footway; the second way starts at a vertex equal to the first's end to 1e-7°.
    const QByteArray json = collection({
        lineFeature(R"({"highway":"footway"})", "[[13.0,53.0],[13.001,53.0],[13.002,53.0]]"),
        lineFeature(R"({"highway":"path"})", "[[13.0020000004,53.0000000003],[13.002,53.001]]"),
        lineFeature(R"({"highway":"steps"})", "[[13.002,53.001],[13.003,53.001]]"),
        lineFeature(R"({"highway":"footway","foot":"no"})", "[[13.0,53.0],[13.0,53.001]]"),
    });
    QString error;
    const std::optional<StreetGraph> graph = StreetGraph::fromGeoJson(json, &error);
    QVERIFY2(graph, qPrintable(error));
    QCOMPARE(graph->nodeCount(), 4U);
    QCOMPARE(graph->edgeCount(), std::size_t{3});
    const double expected = fleetdeck::geo::distanceM({53.0, 13.0}, {53.0, 13.002})
        + fleetdeck::geo::distanceM({53.0, 13.002}, {53.001, 13.002});
    QVERIFY(std::abs(graph->totalLengthM() - expected) < 0.01);
    const std::vector<std::uint32_t> route = graph->route(graph->nearestNode({53.0, 13.0}),
                                                          graph->nearestNode({53.001, 13.002}));
    QCOMPARE(route.size(), std::size_t{4});
    QVERIFY(std::abs(graph->routeLengthM(route) - expected) < 0.01);
    QCOMPARE(graph->crossingCount(), std::size_t{0});
    QVERIFY(graph->distanceToEdgesM({53.0, 13.0015}) < 0.01);
    QVERIFY(graph->distanceToEdgesM({53.0005, 13.0005}, 100) > 40);
    QVERIFY(std::isinf(graph->distanceToEdgesM({53.0005, 13.0005}, 10)));
    QVERIFY(std::isinf(graph->distanceToEdgesM({10, 10})));
    QVERIFY(graph->route(0, 99).empty());
    QVERIFY(graph->neighbours(99).size() == 0);
}

void TestStreetGraph::footwayMeetingRoadIsCrossing_data()
{
    QTest::addColumn<QByteArray>("road");
    QTest::addColumn<QByteArray>("footway");
    QTest::addColumn<bool>("crossing");
    QTest::newRow("footway meets residential") << QByteArray(R"({"highway":"residential"})")
                                               << QByteArray(R"({"highway":"footway"})") << true;
    QTest::newRow("path meets primary_link") << QByteArray(R"({"highway":"primary_link"})")
                                             << QByteArray(R"({"highway":"path"})") << true;
    QTest::newRow("footway meets living street") << QByteArray(R"({"highway":"living_street"})")
                                                 << QByteArray(R"({"highway":"footway"})") << false;
    QTest::newRow("footway meets service") << QByteArray(R"({"highway":"service"})")
                                           << QByteArray(R"({"highway":"footway"})") << false;
    QTest::newRow("footway meets footway") << QByteArray(R"({"highway":"footway"})")
                                           << QByteArray(R"({"highway":"footway"})") << false;
    QTest::newRow("tagged crossing over service") << QByteArray(R"({"highway":"service"})")
                                                  << QByteArray(R"({"highway":"footway","footway":"crossing"})")
                                                  << true;
}

void TestStreetGraph::footwayMeetingRoadIsCrossing()
{
    QFETCH(QByteArray, road);
    QFETCH(QByteArray, footway);
    QFETCH(bool, crossing);
    // A road running east and a footway running north across it, sharing the middle vertex.
    const QByteArray json = collection({
        lineFeature(road.constData(), "[[13.0,53.0],[13.001,53.0],[13.002,53.0]]"),
        lineFeature(footway.constData(), "[[13.001,52.999],[13.001,53.0],[13.001,53.001]]"),
    });
    QString error;
    const std::optional<StreetGraph> graph = StreetGraph::fromGeoJson(json, &error);
    QVERIFY2(graph, qPrintable(error));
    QCOMPARE(graph->nodeCount(), 5U);
    QCOMPARE(graph->isCrossing(graph->nearestNode({53.0, 13.001})), crossing);
    QVERIFY(!graph->isCrossing(graph->nearestNode({53.0, 13.0})));
    QVERIFY(!graph->isCrossing(graph->nearestNode({52.999, 13.001})));
}

void TestStreetGraph::keepsLargestComponentOnly()
{
    const QByteArray json = collection({
        lineFeature(R"({"highway":"footway"})", "[[13.0,53.0],[13.001,53.0],[13.002,53.0]]"),
        lineFeature(R"({"highway":"footway"})", "[[13.1,53.1],[13.101,53.1]]"),
    });
    const std::optional<StreetGraph> graph = StreetGraph::fromGeoJson(json, nullptr);
    QVERIFY(graph);
    QCOMPARE(graph->nodeCount(), 3U);
    QVERIFY(graph->bounds().northEast.latDeg < 53.05);
}

void TestStreetGraph::nearestNodeSpeed()
{
    const StreetGraph::Bounds b = m_graph->bounds();
    constexpr int kLookups = 20'000;
    std::uint64_t checksum = 0;
    QElapsedTimer timer;
    timer.start();
    for (int k = 0; k < kLookups; ++k) {
        const double fy = (k % 137) / 137.0;
        const double fx = (k % 149) / 149.0;
        checksum += m_graph->nearestNode({b.southWest.latDeg + fy * (b.northEast.latDeg - b.southWest.latDeg),
                                          b.southWest.lonDeg + fx * (b.northEast.lonDeg - b.southWest.lonDeg)});
    }
    qInfo("nearestNode: %d lookups in %lld ms (checksum %llu)", kLookups,
          static_cast<long long>(timer.elapsed()), static_cast<unsigned long long>(checksum));
}

QTEST_GUILESS_MAIN(TestStreetGraph)
#include "tst_streetgraph.moc"
