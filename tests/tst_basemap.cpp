#include "basemap.h"
#include "geo.h"
#include "mapview.h"
#include "triangulate.h"

#include <QElapsedTimer>
#include <QTest>

#include <cmath>

using namespace fleetdeck;

namespace {

using Ring = std::vector<QPointF>;

double trianglesArea(const Ring &ring, const std::vector<int> &indices)
{
    double sum = 0;
    for (std::size_t i = 0; i + 2 < indices.size(); i += 3) {
        const QPointF &a = ring[static_cast<std::size_t>(indices[i])];
        const QPointF &b = ring[static_cast<std::size_t>(indices[i + 1])];
        const QPointF &c = ring[static_cast<std::size_t>(indices[i + 2])];
        sum += std::abs((b.x() - a.x()) * (c.y() - a.y()) - (b.y() - a.y()) * (c.x() - a.x())) / 2;
    }
    return sum;
}

QByteArray featureCollection(const QByteArray &features)
{
    return QByteArrayLiteral("{\"type\":\"FeatureCollection\",\"features\":[") + features + QByteArrayLiteral("]}");
}

}  // namespace

Q_DECLARE_METATYPE(Ring)

class TestBasemap : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void shippedFileLoads()
    {
        QElapsedTimer timer;
        timer.start();
        QString error;
        const std::optional<Basemap> map = Basemap::loadFile(QStringLiteral(":/basemap/neubrandenburg-centre.geojson"), &error);
        const qint64 ms = timer.elapsed();
        QVERIFY2(map, qPrintable(error));
        qInfo("basemap load (parse + triangulate): %lld ms, %d shapes, %d vertices", static_cast<long long>(ms),
              map->featureCount(), map->totalVertexCount());

        // Widest stroke: a 12 m road plus casing, at a square cap's corner, in Mercator metres.
        const double scale = geo::mercatorScale(geo::fromMercator(map->origin()).latDeg);
        const double margin = (12.0 / 2 + 1.5) * std::sqrt(2.0) * scale + 0.01;
        const QRectF allowed = map->bounds().adjusted(-margin, -margin, margin, margin);
        for (int i = 0; i < Basemap::kLayerCount; ++i) {
            const auto layer = static_cast<Basemap::Layer>(i);
            const std::vector<float> &xy = map->vertices(layer);
            qInfo("  %-14s %7d vertices", qPrintable(Basemap::layerName(layer)), map->vertexCount(layer));
            // The shipped city has no tertiary roads; every other layer has something.
            if (layer != Basemap::Layer::TertiaryRoads)
                QVERIFY2(!xy.empty(), qPrintable(Basemap::layerName(layer)));
            QCOMPARE(xy.size() % 6, 0u);  // whole triangles of (x, y)
            for (std::size_t k = 0; k < xy.size(); k += 2) {
                const float x = xy[k];
                const float y = xy[k + 1];
                if (!std::isfinite(x) || !std::isfinite(y) || !allowed.contains(QPointF(x, y)))
                    QFAIL(qPrintable(QStringLiteral("%1 vertex %2 at (%3, %4) outside %5 m of the data")
                                         .arg(Basemap::layerName(layer))
                                         .arg(k / 2)
                                         .arg(double(x))
                                         .arg(double(y))
                                         .arg(margin)));
            }
        }

        const Basemap::GeoBounds b = map->geoBounds();
        QVERIFY(b.south > 53.54 && b.north < 53.571 && b.west > 13.239 && b.east < 13.286);
        QVERIFY(b.south < b.north && b.west < b.east);
        // The origin is the middle of the data, so local coordinates stay small.
        QVERIFY(std::abs(map->bounds().center().x()) < 1e-6);
        QVERIFY(std::abs(map->bounds().center().y()) < 1e-6);
    }

    void earClipKeepsArea_data()
    {
        QTest::addColumn<Ring>("ring");
        QTest::addColumn<double>("area");
        QTest::newRow("triangle") << Ring{{0, 0}, {4, 0}, {0, 3}} << 6.0;
        QTest::newRow("L shape") << Ring{{0, 0}, {4, 0}, {4, 1}, {1, 1}, {1, 3}, {0, 3}} << 6.0;
        QTest::newRow("U shape clockwise")
            << Ring{{0, 0}, {0, 3}, {1, 3}, {1, 1}, {2, 1}, {2, 3}, {3, 3}, {3, 0}} << 7.0;
        QTest::newRow("comb") << Ring{{0, 0}, {5, 0}, {5, 4}, {4, 4}, {4, 1}, {3, 1}, {3, 4}, {2, 4},
                                      {2, 1}, {1, 1}, {1, 4}, {0, 4}}
                              << 14.0;
        QTest::newRow("star") << [] {
            Ring star;
            for (int k = 0; k < 10; ++k) {
                const double a = k * 3.14159265358979323846 / 5;
                const double r = k % 2 ? 1.0 : 2.5;
                star.emplace_back(r * std::sin(a), r * std::cos(a));
            }
            return star;
        }() << 0.0;
        QTest::newRow("closed, collinear, repeated")
            << Ring{{0, 0}, {2, 0}, {2, 0}, {4, 0}, {4, 2}, {2, 2}, {2, 4}, {0, 4}, {0, 0}} << 12.0;
        QTest::newRow("degenerate") << Ring{{0, 0}, {1, 1}, {2, 2}} << 0.0;
    }

    void earClipKeepsArea()
    {
        QFETCH(Ring, ring);
        QFETCH(double, area);
        if (area == 0.0)
            area = std::abs(triangulate::signedArea2(ring)) / 2;  // rows whose area is easier computed
        std::vector<int> indices;
        triangulate::earClip(ring, &indices);
        QCOMPARE(indices.size() % 3, 0u);
        QVERIFY2(std::abs(trianglesArea(ring, indices) - area) < 1e-9 * std::max(1.0, area),
                 qPrintable(QStringLiteral("area %1, expected %2").arg(trianglesArea(ring, indices)).arg(area)));
    }

    void polylineCoversItsLength()
    {
        // A straight 10 m line 2 m wide with square caps: 12 m x 2 m, as two triangles.
        std::vector<float> out;
        triangulate::appendPolyline({{0, 0}, {5, 0}, {10, 0}}, 1.0, &out);
        QCOMPARE(out.size() % 6, 0u);
        double area = 0;
        for (std::size_t i = 0; i < out.size(); i += 6) {
            area += std::abs((out[i + 2] - out[i]) * (out[i + 5] - out[i + 1])
                             - (out[i + 3] - out[i + 1]) * (out[i + 4] - out[i]))
                / 2;
        }
        QCOMPARE(area, 24.0);
    }

    void malformedInputFails_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("truncated") << QByteArrayLiteral("{\"type\":\"FeatureCollection\",\"features\":[{");
        QTest::newRow("not json") << QByteArrayLiteral("<osm/>");
        QTest::newRow("array root") << QByteArrayLiteral("[1, 2]");
        QTest::newRow("single feature") << QByteArrayLiteral("{\"type\":\"Feature\"}");
        QTest::newRow("no features") << featureCollection({});
        QTest::newRow("bad coordinates")
            << featureCollection(QByteArrayLiteral(
                   "{\"type\":\"Feature\",\"properties\":{\"building\":\"yes\"},"
                   "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[\"a\",1],[2],null,[400,95]]]}},"
                   "{\"type\":\"Feature\",\"properties\":{\"highway\":\"footway\"},"
                   "\"geometry\":{\"type\":\"LineString\",\"coordinates\":7}},"
                   "{\"type\":\"Feature\",\"properties\":null,\"geometry\":null}, 42"));
    }

    void malformedInputFails()
    {
        QFETCH(QByteArray, json);
        QString error;
        QVERIFY(!Basemap::load(json, &error));
        QVERIFY(!error.isEmpty());
    }

    void smallCollectionLoads()
    {
        QString error;
        const auto map = Basemap::load(
            featureCollection(QByteArrayLiteral(
                "{\"type\":\"Feature\",\"properties\":{\"building\":\"yes\"},\"geometry\":{\"type\":\"Polygon\","
                "\"coordinates\":[[[13.26,53.55],[13.261,53.55],[13.261,53.551],[13.26,53.551],[13.26,53.55]]]}},"
                "{\"type\":\"Feature\",\"properties\":{\"highway\":\"residential\"},\"geometry\":{\"type\":"
                "\"LineString\",\"coordinates\":[[13.259,53.5495],[13.262,53.5495]]}}")),
            &error);
        QVERIFY2(map, qPrintable(error));
        QCOMPARE(map->vertexCount(Basemap::Layer::Buildings), 6);
        QCOMPARE(map->vertexCount(Basemap::Layer::MinorRoads), 6);
        QCOMPARE(map->vertexCount(Basemap::Layer::RoadCasing), 6);
        QCOMPARE(map->vertexCount(Basemap::Layer::Water), 0);
    }

    void mapViewRoundTrips()
    {
        MapView view;
        view.setSize(QSizeF(800, 600));
        view.setView(53.5575, 13.2625, 16.3);
        for (const QPointF p : {QPointF(0, 0), QPointF(400, 300), QPointF(799, 1), QPointF(123.25, 587.5)}) {
            const GeoCoordinate c = view.itemPointToCoordinate(p.x(), p.y());
            const QPointF back = view.mapToItemPoint(c.latitude, c.longitude);
            QVERIFY2(std::abs(back.x() - p.x()) < 1e-6 && std::abs(back.y() - p.y()) < 1e-6,
                     qPrintable(QStringLiteral("(%1, %2) came back as (%3, %4)").arg(p.x()).arg(p.y()).arg(back.x()).arg(back.y())));
        }
        // North is up, east is right.
        const QPointF centre = view.mapToItemPoint(53.5575, 13.2625);
        QVERIFY(std::abs(centre.x() - 400) < 1e-6 && std::abs(centre.y() - 300) < 1e-6);
        QVERIFY(view.mapToItemPoint(53.56, 13.2625).y() < 300);
        QVERIFY(view.mapToItemPoint(53.5575, 13.27).x() > 400);
    }

    void zoomAroundKeepsCursorPoint()
    {
        MapView view;
        view.setSize(QSizeF(800, 600));
        view.setView(53.5575, 13.2625, 15);
        const QPointF cursor(640, 120);
        const GeoCoordinate before = view.itemPointToCoordinate(cursor.x(), cursor.y());
        view.zoomAround(cursor.x(), cursor.y(), 1.7);
        QCOMPARE(view.zoom(), 16.7);
        const QPointF after = view.mapToItemPoint(before.latitude, before.longitude);
        QVERIFY(std::abs(after.x() - cursor.x()) < 1e-6);
        QVERIFY(std::abs(after.y() - cursor.y()) < 1e-6);

        // Clamped at maxZoom, and the point still stays.
        view.zoomAround(cursor.x(), cursor.y(), 10);
        QCOMPARE(view.zoom(), view.maxZoom());
        const QPointF clamped = view.mapToItemPoint(before.latitude, before.longitude);
        QVERIFY(std::abs(clamped.x() - cursor.x()) < 1e-6 && std::abs(clamped.y() - cursor.y()) < 1e-6);
    }

    void metresPerPixelHalvesPerLevel()
    {
        MapView view;
        view.setSize(QSizeF(800, 600));
        view.setView(53.5575, 13.2625, 14);
        const double at14 = view.metresPerPixel();
        QVERIFY(std::abs(at14 - 156543.03392 * std::cos(53.5575 * 3.14159265358979323846 / 180) / 16384) < 1e-6);
        for (int z = 15; z <= 20; ++z) {
            const double before = view.metresPerPixel();
            view.setZoom(z);
            QVERIFY(std::abs(view.metresPerPixel() - before / 2) < 1e-12);
        }
    }

    void panAndFit()
    {
        MapView view;
        view.setSize(QSizeF(800, 600));
        view.setView(53.5575, 13.2625, 17);
        const GeoCoordinate under = view.itemPointToCoordinate(100, 100);
        view.panBy(30, -20);
        const QPointF moved = view.mapToItemPoint(under.latitude, under.longitude);
        QVERIFY(std::abs(moved.x() - 130) < 1e-6 && std::abs(moved.y() - 80) < 1e-6);

        view.fitBounds(53.545, 13.240, 53.570, 13.285, 10);
        for (const QPointF corner : {view.mapToItemPoint(53.545, 13.240), view.mapToItemPoint(53.570, 13.285)}) {
            QVERIFY(corner.x() >= 10 - 1e-6 && corner.x() <= 790 + 1e-6);
            QVERIFY(corner.y() >= 10 - 1e-6 && corner.y() <= 590 + 1e-6);
        }
        // Fits before the item has a size are applied when it gets one.
        MapView later;
        later.fitBounds(53.545, 13.240, 53.570, 13.285);
        later.setSize(QSizeF(400, 400));
        QVERIFY(std::abs(later.centerLatitude() - 53.5575) < 0.001);
        QVERIFY(std::abs(later.centerLongitude() - 13.2625) < 0.001);
    }
};

QTEST_MAIN(TestBasemap)
#include "tst_basemap.moc"
