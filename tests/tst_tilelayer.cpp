// TileLayer against a real HTTP server on 127.0.0.1 serving generated PNG tiles: tile numbering, URL
// templates, which tiles are fetched and drawn, the User-Agent sent, the memory and disk caches, a
// missing tile, and MapPane's tile properties and attribution.

#include "maptypes.h"
#include "mapview.h"
#include "tilelayer.h"

#include <QBuffer>
#include <QImage>
#include <QPointer>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <utility>

using namespace fleetdeck;

namespace {

// A minimal HTTP/1.1 tile server: GET /{z}/{x}/{y}.png answers a 256 px PNG of one colour per tile
// (fresh for an hour), or 404 for the paths in `missing`; answers for the zoom levels in `held` wait
// for release(). One request per connection.
class TileServer : public QObject
{
public:
    TileServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { serve(socket); });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    [[nodiscard]] quint16 port() const { return m_server.serverPort(); }
    [[nodiscard]] QString urlTemplate() const
    {
        return QStringLiteral("http://127.0.0.1:%1/{z}/{x}/{y}.png").arg(m_server.serverPort());
    }

    static QColor colorOf(int z, int x, int y)
    {
        return QColor((x * 53) & 0xff, (y * 97) & 0xff, 100 + z);
    }

    void release()
    {
        held.clear();
        for (const auto &[socket, response] : std::as_const(m_held)) {
            if (socket) {
                socket->write(response);
                socket->disconnectFromHost();
            }
        }
        m_held.clear();
    }

    QSet<QByteArray> missing;
    QSet<int> held;
    QList<QByteArray> paths;       // every request, in order
    QList<QByteArray> userAgents;  // of each request

private:
    void serve(QTcpSocket *socket)
    {
        QByteArray &pending = m_pending[socket];
        pending += socket->readAll();
        const int end = pending.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QList<QByteArray> lines = pending.left(end).split('\n');
        m_pending.remove(socket);
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        const QByteArray path = requestLine.value(1);
        QByteArray userAgent;
        for (const QByteArray &line : lines) {
            if (line.toLower().startsWith("user-agent:"))
                userAgent = line.mid(11).trimmed();
        }
        paths << path;
        userAgents << userAgent;

        static const QRegularExpression tilePath(QStringLiteral("^/(\\d+)/(\\d+)/(\\d+)\\.png$"));
        const QRegularExpressionMatch match = tilePath.match(QString::fromLatin1(path));
        QByteArray response;
        if (requestLine.value(0) != "GET" || !match.hasMatch() || missing.contains(path)) {
            response = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        } else {
            QImage tile(256, 256, QImage::Format_RGB32);
            tile.fill(colorOf(match.captured(1).toInt(), match.captured(2).toInt(), match.captured(3).toInt()));
            QByteArray png;
            QBuffer buffer(&png);
            buffer.open(QIODevice::WriteOnly);
            tile.save(&buffer, "PNG");
            response = "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nCache-Control: max-age=3600\r\n"
                       "Connection: close\r\nContent-Length: "
                + QByteArray::number(png.size()) + "\r\n\r\n" + png;
        }
        if (match.hasMatch() && held.contains(match.captured(1).toInt())) {
            m_held.append({socket, response});
            return;
        }
        socket->write(response);
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_pending;
    QList<QPair<QPointer<QTcpSocket>, QByteArray>> m_held;
};

// A window with a MapView and a TileLayer filling it, on the centre of Neubrandenburg at zoom 15,
// where a tile is drawn 256 px wide.
struct Scene {
    Scene(const QString &urlTemplate, const QString &cacheDirectory, QSize size = {640, 480})
    {
        window.resize(size);
        map = new MapView(window.contentItem());
        map->setSize(size);
        layer = new TileLayer(map);
        layer->setSize(size);
        layer->setMap(map);
        layer->setCacheDirectory(cacheDirectory);
        layer->setUserAgent(QStringLiteral("fleetdeck-tests/1.0 (+http://127.0.0.1/; tst_tilelayer)"));
        layer->setUrlTemplate(urlTemplate);
        map->setView(53.5575, 13.2610, 15);
        window.show();
    }

    // Renders a frame: the layer's placement and requests run just before one.
    bool frame()
    {
        QSignalSpy swapped(&window, &QQuickWindow::frameSwapped);
        window.update();
        return swapped.wait(5000);
    }

    // The tiles the view shows, by the slippy-map numbering of its corners.
    [[nodiscard]] QSet<QByteArray> expectedPaths() const
    {
        const int z = 15;
        const GeoCoordinate nw = map->itemPointToCoordinate(0, 0);
        const GeoCoordinate se = map->itemPointToCoordinate(map->width(), map->height());
        const QPoint first = TileLayer::tileAt(nw.latitude, nw.longitude, z);
        const QPoint last = TileLayer::tileAt(se.latitude, se.longitude, z);
        QSet<QByteArray> paths;
        for (int y = first.y(); y <= last.y(); ++y) {
            for (int x = first.x(); x <= last.x(); ++x)
                paths.insert(QStringLiteral("/%1/%2/%3.png").arg(z).arg(x).arg(y).toLatin1());
        }
        return paths;
    }

    // The colour drawn at an item point, and the colour of the tile there.
    [[nodiscard]] QColor drawnAt(const QImage &frame, QPointF p) const
    {
        return frame.pixelColor(p.toPoint());
    }
    [[nodiscard]] QColor tileColorAt(QPointF p) const
    {
        const GeoCoordinate c = map->itemPointToCoordinate(p.x(), p.y());
        const QPoint tile = TileLayer::tileAt(c.latitude, c.longitude, 15);
        return TileServer::colorOf(15, tile.x(), tile.y());
    }

    QQuickWindow window;
    MapView *map = nullptr;
    TileLayer *layer = nullptr;
};

bool sameColor(const QColor &a, const QColor &b)
{
    return std::abs(a.red() - b.red()) <= 2 && std::abs(a.green() - b.green()) <= 2
        && std::abs(a.blue() - b.blue()) <= 2;
}

}  // namespace

class TestTileLayer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { registerMapTypes(); }

    void tileAt_data()
    {
        QTest::addColumn<double>("lat");
        QTest::addColumn<double>("lon");
        QTest::addColumn<int>("z");
        QTest::addColumn<QPoint>("tile");
        // Expected values from the slippy-map formula (OpenStreetMap wiki), computed independently.
        QTest::newRow("world") << 0.0 << 0.0 << 0 << QPoint(0, 0);
        QTest::newRow("just south-east of null island") << -0.0001 << 0.0001 << 1 << QPoint(1, 1);
        QTest::newRow("just north-west of null island") << 0.0001 << -0.0001 << 1 << QPoint(0, 0);
        QTest::newRow("Neubrandenburg market z15") << 53.5575 << 13.2610 << 15 << QPoint(17591, 10589);
        QTest::newRow("Neubrandenburg market z18") << 53.5575 << 13.2610 << 18 << QPoint(140728, 84714);
        QTest::newRow("Brandenburg Gate z17") << 52.5163 << 13.3777 << 17 << QPoint(70406, 42987);
        QTest::newRow("Sydney z12") << -33.8568 << 151.2153 << 12 << QPoint(3768, 2457);
        QTest::newRow("south-west corner z3") << -85.0511 << -179.9999 << 3 << QPoint(0, 7);
        QTest::newRow("beyond Mercator's north, clamped") << 89.0 << 10.0 << 2 << QPoint(2, 0);
    }

    void tileAt()
    {
        QFETCH(double, lat);
        QFETCH(double, lon);
        QFETCH(int, z);
        QFETCH(QPoint, tile);
        QCOMPARE(TileLayer::tileAt(lat, lon, z), tile);
    }

    void tileUrl_data()
    {
        QTest::addColumn<QString>("urlTemplate");
        QTest::addColumn<QString>("url");
        QTest::newRow("xyz") << QStringLiteral("https://tiles.example.org/{z}/{x}/{y}.png")
                             << QStringLiteral("https://tiles.example.org/15/17591/10589.png");
        QTest::newRow("subdomain, query") << QStringLiteral("https://{s}.tiles.example.org/v1/{z}/{x}/{y}@2x.png?key=K")
                                          << QStringLiteral("https://b.tiles.example.org/v1/15/17591/10589@2x.png?key=K");
        QTest::newRow("local directory") << QStringLiteral("file:///srv/tiles/{z}/{x}/{y}.png")
                                         << QStringLiteral("file:///srv/tiles/15/17591/10589.png");
    }

    void tileUrl()
    {
        QFETCH(QString, urlTemplate);
        QFETCH(QString, url);
        QCOMPARE(TileLayer::tileUrl(urlTemplate, 15, 17591, 10589), QUrl(url));
    }

    void tileZoom()
    {
        QCOMPARE(TileLayer::tileZoomFor(14.49, 0, 19), 14);
        QCOMPARE(TileLayer::tileZoomFor(14.5, 0, 19), 15);
        QCOMPARE(TileLayer::tileZoomFor(20, 0, 19), 19);
        QCOMPARE(TileLayer::tileZoomFor(2, 5, 19), 5);
    }

    void defaultUserAgentNamesTheApplication()
    {
        const QString agent = TileLayer::defaultUserAgent();
        QVERIFY2(agent.startsWith(QStringLiteral("fleetdeck/%1 (").arg(QStringLiteral(FLEETDECK_VERSION))),
                 qPrintable(agent));
        QVERIFY2(agent.endsWith(QStringLiteral("operations console)")), qPrintable(agent));
        TileLayer layer;
        QCOMPARE(layer.userAgent(), agent);
    }

    void fetchesWhatIsInViewOnceAndDrawsIt()
    {
        TileServer server;
        QVERIFY(server.listen());
        QTemporaryDir cache;
        Scene scene(server.urlTemplate(), cache.path());
        QTRY_VERIFY_WITH_TIMEOUT(scene.layer->isCovered(), 10000);

        const QSet<QByteArray> expected = scene.expectedPaths();
        QCOMPARE(scene.layer->visibleTileCount(), expected.size());
        QCOMPARE(scene.layer->loadedTileCount(), expected.size());
        QCOMPARE(server.paths.size(), expected.size());
        QCOMPARE(QSet<QByteArray>(server.paths.cbegin(), server.paths.cend()), expected);
        QCOMPARE(scene.layer->requestCount(), expected.size());
        QCOMPARE(scene.layer->failedCount(), 0);
        for (const QByteArray &agent : std::as_const(server.userAgents))
            QCOMPARE(QString::fromLatin1(agent), scene.layer->userAgent());

        // Each tile's image where that tile is, a few pixels in from the corners too.
        const QImage frame = scene.window.grabWindow();
        for (QPointF p : {QPointF(320, 240), QPointF(3, 3), QPointF(636, 476), QPointF(100, 400)})
            QVERIFY2(sameColor(scene.drawnAt(frame, p), scene.tileColorAt(p)),
                     qPrintable(QStringLiteral("at %1,%2").arg(p.x()).arg(p.y())));

        // Away and back: only the new tiles are fetched, the first ones are still in memory.
        scene.map->panBy(-640, 0);
        QVERIFY(scene.frame());
        QTRY_VERIFY_WITH_TIMEOUT(scene.layer->isCovered(), 10000);
        const int afterPan = server.paths.size();
        QVERIFY(afterPan > expected.size());
        scene.map->panBy(640, 0);
        QVERIFY(scene.frame());
        QVERIFY(scene.layer->isCovered());
        QCOMPARE(server.paths.size(), afterPan);
        QCOMPARE(QSet<QByteArray>(server.paths.cbegin(), server.paths.cend()).size(), server.paths.size());
    }

    // Zoomed in one level, the tiles still loading are drawn from their parents, magnified.
    void parentsStandInWhileTilesLoad()
    {
        TileServer server;
        QVERIFY(server.listen());
        QTemporaryDir cache;
        Scene scene(server.urlTemplate(), cache.path());
        QTRY_VERIFY_WITH_TIMEOUT(scene.layer->isCovered(), 10000);
        const QPointF probe(200, 150);
        const GeoCoordinate there = scene.map->itemPointToCoordinate(probe.x(), probe.y());

        server.held.insert(16);
        scene.map->zoomAround(probe.x(), probe.y(), 1);
        QVERIFY(scene.frame());
        QTRY_VERIFY_WITH_TIMEOUT(server.paths.last().startsWith("/16/"), 10000);
        QVERIFY(scene.frame());
        QCOMPARE(scene.layer->loadedTileCount(), 0);
        QVERIFY(!scene.layer->isCovered());
        const QPoint parent = TileLayer::tileAt(there.latitude, there.longitude, 15);
        QVERIFY(sameColor(scene.drawnAt(scene.window.grabWindow(), probe),
                          TileServer::colorOf(15, parent.x(), parent.y())));

        server.release();
        QTRY_VERIFY_WITH_TIMEOUT(scene.layer->isCovered(), 10000);
        const QPoint own = TileLayer::tileAt(there.latitude, there.longitude, 16);
        QVERIFY(sameColor(scene.drawnAt(scene.window.grabWindow(), probe), TileServer::colorOf(16, own.x(), own.y())));
    }

    void diskCacheAnswersTheNextStart()
    {
        TileServer server;
        QVERIFY(server.listen());
        QTemporaryDir cache;
        {
            Scene first(server.urlTemplate(), cache.path());
            QTRY_VERIFY_WITH_TIMEOUT(first.layer->isCovered(), 10000);
        }
        const int fetched = server.paths.size();
        QVERIFY(fetched > 0);

        Scene second(server.urlTemplate(), cache.path());
        QTRY_VERIFY_WITH_TIMEOUT(second.layer->isCovered(), 10000);
        QCOMPARE(second.layer->requestCount(), fetched);
        QCOMPARE(server.paths.size(), fetched);
    }

    void missingTileLeavesOnlyItsHole()
    {
        TileServer server;
        QVERIFY(server.listen());
        QTemporaryDir cache;
        // The tile at the centre of the view.
        const QPoint centre = TileLayer::tileAt(53.5575, 13.2610, 15);
        const QByteArray missingPath = QStringLiteral("/15/%1/%2.png").arg(centre.x()).arg(centre.y()).toLatin1();
        server.missing.insert(missingPath);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^tile .*/15/%1/%2\\.png: .*Not Found")
                                                                  .arg(centre.x())
                                                                  .arg(centre.y())));
        Scene scene(server.urlTemplate(), cache.path());
        const int visible = scene.expectedPaths().size();
        QTRY_COMPARE_WITH_TIMEOUT(scene.layer->loadedTileCount(), visible - 1, 10000);
        QTRY_COMPARE(scene.layer->failedCount(), 1);
        QVERIFY(!scene.layer->isCovered());

        const QImage frame = scene.window.grabWindow();
        QVERIFY(!sameColor(scene.drawnAt(frame, QPointF(320, 240)), scene.tileColorAt(QPointF(320, 240))));
        QVERIFY(sameColor(scene.drawnAt(frame, QPointF(3, 3)), scene.tileColorAt(QPointF(3, 3))));

        // A 404 is not asked again when the view moves (the pan may bring other tiles in).
        scene.map->panBy(-20, -20);
        QVERIFY(scene.frame());
        QTRY_VERIFY_WITH_TIMEOUT(scene.layer->loadedTileCount() == scene.layer->visibleTileCount() - 1
                                     && server.paths.size() == scene.layer->requestCount(),
                                 10000);
        QCOMPARE(server.paths.count(missingPath), 1);
        QCOMPARE(scene.layer->failedCount(), 1);
    }

    void mapPaneShowsTilesAndTheirAttribution()
    {
        TileServer server;
        QVERIFY(server.listen());
        QTemporaryDir cache;
        QQuickWindow window;
        window.resize(640, 480);
        QQmlEngine engine;
        engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
        QQmlComponent component(&engine);
        component.setData(QByteArrayLiteral("import QtQuick 2.15\n"
                                            "import Fleetdeck.Map 1.0\n"
                                            "MapPane { width: 640; height: 480 }\n"),
                          QUrl(QStringLiteral("qrc:/test/Pane.qml")));
        QVERIFY2(component.isReady(), qPrintable(component.errorString()));
        std::unique_ptr<QObject> object(component.create());
        QVERIFY2(object, qPrintable(component.errorString()));
        auto *pane = qobject_cast<QQuickItem *>(object.get());
        auto *tiles = pane->property("tiles").value<TileLayer *>();
        QObject *basemap = pane->property("basemap").value<QObject *>();
        QVERIFY(tiles && basemap);
        auto *attribution = pane->findChild<QQuickItem *>(QStringLiteral("attribution"));
        QVERIFY(attribution);

        // Offline by default: nothing fetched, the OpenStreetMap credit for the vector basemap.
        QVERIFY(!tiles->isVisible());
        QCOMPARE(attribution->property("text").toString(), QStringLiteral("\u00a9 OpenStreetMap contributors"));

        tiles->setCacheDirectory(cache.path());
        pane->setProperty("tileUrlTemplate", server.urlTemplate());
        pane->setProperty("tileAttribution", QStringLiteral("Tiles \u00a9 Example"));
        pane->setParentItem(window.contentItem());
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(tiles->isCovered(), 10000);
        // Under a full cover of tiles the vector basemap is not drawn.
        QVERIFY(!basemap->property("visible").toBool());
        QCOMPARE(attribution->property("text").toString(),
                 QStringLiteral("Tiles \u00a9 Example | \u00a9 OpenStreetMap contributors"));
        QVERIFY(attribution->isVisible());
        QVERIFY(attribution->width() > 0);

        // Without an attribution of its own, the tile server's host is named.
        pane->setProperty("tileAttribution", QString());
        QCOMPARE(attribution->property("text").toString(),
                 QStringLiteral("Tiles: 127.0.0.1:%1 | \u00a9 OpenStreetMap contributors").arg(server.port()));
    }
};

QTEST_MAIN(TestTileLayer)
#include "tst_tilelayer.moc"
