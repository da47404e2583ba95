#include "clock.h"
#include "codec.h"
#include "maptypes.h"
#include "mapview.h"
#include "robotlayer.h"
#include "robotmodel.h"

#include <QElapsedTimer>
#include <QGuiApplication>
#include <QWheelEvent>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QQmlExpression>
#include <QQuickItem>
#include <QQuickWindow>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>

using namespace fleetdeck;

namespace {

constexpr qint64 kNowMs = 1'700'000'000'000;

// Robots on a grid over the city centre, 100 to a row.
RobotState robot(int i, int columns = 100)
{
    RobotState r;
    r.robotId = QStringLiteral("nb-%1").arg(i, 5, 10, QLatin1Char('0'));
    r.latDeg = 53.549 + (i / columns) * 0.0002;
    r.lonDeg = 13.245 + (i % columns) * 0.0003;
    r.headingDeg = static_cast<float>((i * 37) % 360);
    r.mode = static_cast<Mode>(1 + i % 10);
    r.freshness = Freshness::Live;
    r.batteryPct = 80;
    return r;
}

fleet::v1::Snapshot snapshotOf(const std::vector<RobotState> &robots)
{
    fleet::v1::Snapshot snapshot;
    snapshot.set_sequence(1);
    snapshot.set_server_time_unix_ms(kNowMs);
    for (std::size_t i = 0; i < robots.size(); ++i)
        codec::writeRobotState(robots[i], static_cast<std::uint32_t>(i), FieldGroup::All, snapshot.add_robots());
    return snapshot;
}

std::vector<RobotState> fleetOf(int count, int columns = 100)
{
    std::vector<RobotState> robots;
    for (int i = 0; i < count; ++i)
        robots.push_back(robot(i, columns));
    return robots;
}

// A window with a MapView and a RobotLayer filling it, built in C++ (no QML needed for the logic).
struct Scene {
    explicit Scene(QSize size = {800, 600})
    {
        window.resize(size);
        map = new MapView(window.contentItem());
        map->setSize(size);
        layer = new RobotLayer(map);
        layer->setSize(size);
        layer->setMap(map);
        layer->setModel(&model);
        window.show();
    }

    // Renders until the layer has built a frame with everything applied so far.
    bool frame()
    {
        QSignalSpy drawn(layer, &RobotLayer::frameDrawn);
        layer->update();
        return drawn.wait(5000);
    }

    void fit(const std::vector<RobotState> &robots, qreal padding)
    {
        double south = 90, north = -90, west = 180, east = -180;
        for (const RobotState &r : robots) {
            south = std::min(south, r.latDeg);
            north = std::max(north, r.latDeg);
            west = std::min(west, r.lonDeg);
            east = std::max(east, r.lonDeg);
        }
        map->fitBounds(south, west, north, east, padding);
    }

    RobotModel model;
    QQuickWindow window;
    MapView *map = nullptr;
    RobotLayer *layer = nullptr;
};

bool near(QPointF a, QPointF b, qreal tolerance = 0.01)
{
    return std::abs(a.x() - b.x()) <= tolerance && std::abs(a.y() - b.y()) <= tolerance;
}

}  // namespace

class TestRobotLayer : public QObject
{
    Q_OBJECT

public Q_SLOTS:
    // What an owner of MapPane does on followCancelled().
    void stopFollowing() { m_pane->setProperty("followSelected", false); }

private Q_SLOTS:
    void initTestCase() { registerMapTypes(); }

    void drawsEveryRobotWherePicked()
    {
        Scene scene;
        std::vector<RobotState> robots = fleetOf(300, 20);
        for (std::size_t i = 0; i < robots.size(); i += 7)
            robots[i].freshness = Freshness::Lost;
        for (std::size_t i = 3; i < robots.size(); i += 5)
            robots[i].freshness = Freshness::Stale;
        scene.model.applySnapshot(snapshotOf(robots), kNowMs);
        scene.fit(robots, 40);
        QVERIFY(scene.frame());

        QCOMPARE(scene.layer->drawnCount(), 300);
        for (int row : {0, 7, 13, 150, 299}) {
            const RobotState &r = robots[static_cast<std::size_t>(row)];
            const QPointF expected = scene.map->mapToItemPoint(r.latDeg, r.lonDeg);
            QVERIFY(near(scene.layer->drawnPosition(row), expected));
            QCOMPARE(scene.layer->rowAt(expected.x() + 2, expected.y() - 1), row);
        }
        QCOMPARE(scene.layer->rowAt(3, 3), -1);
        QCOMPARE(scene.layer->rowAt(-500, 4000), -1);
    }

    void lostRobotsStayOnTheMap()
    {
        Scene scene;
        std::vector<RobotState> robots = fleetOf(50);
        for (RobotState &r : robots)
            r.freshness = Freshness::Lost;
        scene.model.applySnapshot(snapshotOf(robots), kNowMs);
        scene.fit(robots, 40);
        QVERIFY(scene.frame());
        QCOMPARE(scene.layer->drawnCount(), 50);
        const QPointF p = scene.map->mapToItemPoint(robots[20].latDeg, robots[20].lonDeg);
        QCOMPARE(scene.layer->rowAt(p.x(), p.y()), 20);
    }

    void deltasMoveAndAddRobots()
    {
        Scene scene;
        scene.layer->setAnimationMs(0);
        std::vector<RobotState> robots = fleetOf(40);
        scene.model.applySnapshot(snapshotOf(robots), kNowMs);
        scene.fit(robots, 60);
        QVERIFY(scene.frame());
        QSignalSpy countChanged(scene.layer, &RobotLayer::drawnCountChanged);

        fleet::v1::Delta delta;
        delta.set_sequence(2);
        delta.set_server_time_unix_ms(kNowMs + 1000);
        RobotState moved = robots[3];
        moved.latDeg += 0.0001;
        codec::writeRobotState(moved, 3, FieldGroup::Position, delta.add_robots());
        RobotState added = robot(40);
        codec::writeRobotState(added, 40, FieldGroup::All, delta.add_robots());
        QVERIFY(scene.model.applyDelta(delta, kNowMs + 1000));
        QVERIFY(scene.frame());

        QCOMPARE(scene.layer->drawnCount(), 41);
        QCOMPARE(countChanged.count(), 1);
        QVERIFY(near(scene.layer->drawnPosition(3), scene.map->mapToItemPoint(moved.latDeg, moved.lonDeg)));
        QVERIFY(near(scene.layer->drawnPosition(40), scene.map->mapToItemPoint(added.latDeg, added.lonDeg)));
    }

    // A new fix glides from the drawn position over the time the previous fix took (at most
    // animationMs), and arrives; frames stop once it has.
    void glideArrives()
    {
        ManualClock clock;
        Scene scene;
        scene.layer->setClock(&clock);
        scene.layer->setAnimationMs(500);
        std::vector<RobotState> robots = fleetOf(10);
        scene.model.applySnapshot(snapshotOf(robots), kNowMs);
        scene.fit(robots, 60);
        QVERIFY(scene.frame());

        clock.advance(400);
        fleet::v1::Delta delta;
        delta.set_sequence(2);
        RobotState moved = robots[5];
        moved.lonDeg += 0.0002;
        moved.headingDeg = robots[5].headingDeg + 90;
        codec::writeRobotState(moved, 5, FieldGroup::Position, delta.add_robots());
        const QPointF before = scene.layer->drawnPosition(5);
        const QPointF target = scene.map->mapToItemPoint(moved.latDeg, moved.lonDeg);
        QVERIFY(scene.model.applyDelta(delta, kNowMs + 400));
        QVERIFY(scene.frame());
        QVERIFY(near(scene.layer->drawnPosition(5), before));

        clock.advance(200);  // half of the 400 ms glide
        QVERIFY(scene.frame());
        QVERIFY(near(scene.layer->drawnPosition(5), (before + target) / 2));
        QCOMPARE(scene.layer->rowAt((before.x() + target.x()) / 2, (before.y() + target.y()) / 2), 5);

        clock.advance(200);
        QVERIFY(scene.frame());
        QVERIFY(near(scene.layer->drawnPosition(5), target));
        // Arrived: no frame is asked for until something changes.
        QSignalSpy frames(scene.layer, &RobotLayer::frameDrawn);
        QVERIFY(!frames.wait(100));
    }

    void modelGoingAwayClearsTheMap()
    {
        Scene scene;
        auto other = std::make_unique<RobotModel>();
        const std::vector<RobotState> robots = fleetOf(30);
        other->applySnapshot(snapshotOf(robots), kNowMs);
        scene.layer->setModel(other.get());
        scene.fit(robots, 40);
        QVERIFY(scene.frame());
        QCOMPARE(scene.layer->drawnCount(), 30);
        QSignalSpy modelChanged(scene.layer, &RobotLayer::modelChanged);
        other.reset();
        QCOMPARE(modelChanged.count(), 1);
        QVERIFY(!scene.layer->model());
        QVERIFY(scene.frame());
        QCOMPARE(scene.layer->drawnCount(), 0);
        QCOMPARE(scene.layer->rowAt(400, 300), -1);
    }

    void pipsWhenZoomedOutAndCulling()
    {
        Scene scene;
        std::vector<RobotState> robots = fleetOf(500);
        scene.model.applySnapshot(snapshotOf(robots), kNowMs);
        scene.fit(robots, 20);
        QVERIFY(scene.map->zoom() < scene.layer->detailZoom());
        QVERIFY(scene.frame());
        QCOMPARE(scene.layer->drawnCount(), 500);

        const QPointF p = scene.map->mapToItemPoint(robots[0].latDeg, robots[0].lonDeg);
        scene.map->zoomAround(p.x(), p.y(), 7);
        QVERIFY(scene.frame());
        QVERIFY(scene.layer->drawnCount() > 0);
        QVERIFY(scene.layer->drawnCount() < 500);
        QCOMPARE(scene.layer->rowAt(p.x(), p.y()), 0);
    }

    void selectionAndFollow()
    {
        Scene scene;
        scene.layer->setAnimationMs(0);
        std::vector<RobotState> robots = fleetOf(20);
        scene.model.applySnapshot(snapshotOf(robots), kNowMs);
        scene.map->setView(robots[0].latDeg, robots[0].lonDeg, 18);
        scene.layer->setSelectedRow(7);
        scene.layer->setFollowSelected(true);
        QVERIFY(std::abs(scene.map->centerLatitude() - robots[7].latDeg) < 1e-9);
        // More fixes than the trail holds: the ring buffer wraps, the map keeps following.
        RobotState moving = robots[7];
        for (int k = 0; k < RobotLayer::kTrailCapacity + 30; ++k) {
            fleet::v1::Delta delta;
            delta.set_sequence(static_cast<quint64>(2 + k));
            moving.latDeg += 0.00001;
            codec::writeRobotState(moving, 7, FieldGroup::Position, delta.add_robots());
            QVERIFY(scene.model.applyDelta(delta, kNowMs + k));
        }
        QVERIFY(scene.frame());
        QVERIFY(scene.frame());
        QVERIFY(std::abs(scene.map->centerLatitude() - moving.latDeg) < 1e-9);
        QCOMPARE(scene.layer->rowAt(400, 300), 7);
    }

    void mapPaneFromQml()
    {
        RobotModel model;
        const std::vector<RobotState> robots = fleetOf(200);
        model.applySnapshot(snapshotOf(robots), kNowMs);

        QQuickWindow window;
        window.resize(800, 600);
        QQmlEngine engine;
        engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
        QQmlComponent component(&engine);
        component.setData(QByteArrayLiteral("import QtQuick 2.15\n"
                                            "import Fleetdeck.Map 1.0\n"
                                            "MapPane { width: 800; height: 600; focus: true; theme: \"light\" }\n"),
                          QUrl(QStringLiteral("qrc:/test/Pane.qml")));
        // Needs fleetdeck_map_qml (MapPane.qml and qmldir) and fleetdeck_basemap_data linked in.
        QVERIFY2(component.isReady(), qPrintable(component.errorString()));
        std::unique_ptr<QObject> object(component.createWithInitialProperties({{QStringLiteral("model"), QVariant::fromValue(&model)}}));
        QVERIFY2(object, qPrintable(component.errorString()));
        auto *pane = qobject_cast<QQuickItem *>(object.get());
        pane->setParentItem(window.contentItem());
        window.show();
        pane->forceActiveFocus();

        QVERIFY(pane->property("basemap").value<QObject *>()->property("ready").toBool());
        QTRY_COMPARE(pane->property("robotsDrawn").toInt(), 200);
        auto *map = pane->property("view").value<MapView *>();
        auto *layer = pane->property("robots").value<RobotLayer *>();
        QVERIFY(map && layer);
        // The initial view shows the whole basemap.
        QVERIFY(map->zoom() > 12 && map->zoom() < 16);

        // QML reads the coordinate gadget.
        QQmlExpression expression(engine.rootContext(), pane,
                                  QStringLiteral("view.itemPointToCoordinate(100, 200).latitude"));
        QCOMPARE(expression.evaluate().toDouble(), map->itemPointToCoordinate(100, 200).latitude);

        // Tap on a robot selects it, tap on nothing reports -1.
        QSignalSpy selected(pane, SIGNAL(robotSelected(int)));
        map->setView(robots[42].latDeg, robots[42].lonDeg, 18);
        QVERIFY(QSignalSpy(layer, &RobotLayer::frameDrawn).wait(5000));
        QTest::mouseClick(&window, Qt::LeftButton, {}, QPoint(400, 300));
        QTRY_COMPARE(selected.count(), 1);
        QCOMPARE(selected.at(0).at(0).toInt(), 42);

        // Keys zoom and pan.
        const double zoom = map->zoom();
        QTest::keyClick(&window, Qt::Key_Minus);
        QCOMPARE(map->zoom(), zoom - 1);
        const double lon = map->centerLongitude();
        QTest::keyClick(&window, Qt::Key_Right);
        QVERIFY(map->centerLongitude() > lon);

        // A wheel notch up is half a level in, around the pointer.
        const double zoomBeforeWheel = map->zoom();
        const GeoCoordinate underPointer = map->itemPointToCoordinate(200, 150);
        QWheelEvent wheel(QPointF(200, 150), QPointF(window.mapToGlobal(QPoint(200, 150))), QPoint(), QPoint(0, 120),
                          Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
        QGuiApplication::sendEvent(&window, &wheel);
        QCOMPARE(map->zoom(), zoomBeforeWheel + 0.5);
        QVERIFY(near(map->mapToItemPoint(underPointer.latitude, underPointer.longitude), QPointF(200, 150), 0.5));

        // Following centres the selected robot; a drag asks the owner to stop following.
        pane->setProperty("selectedRow", 42);
        pane->setProperty("followSelected", true);
        QVERIFY(std::abs(map->centerLatitude() - robots[42].latDeg) < 1e-9);
        QVERIFY(std::abs(map->centerLongitude() - robots[42].lonDeg) < 1e-9);
        QSignalSpy cancelled(pane, SIGNAL(followCancelled()));
        connect(pane, SIGNAL(followCancelled()), this, SLOT(stopFollowing()));
        m_pane = pane;

        // A drag moves the map with the pointer.
        const GeoCoordinate grabbed = map->itemPointToCoordinate(300, 300);
        QTest::mousePress(&window, Qt::LeftButton, {}, QPoint(300, 300));
        for (int k = 1; k <= 10; ++k)
            QTest::mouseMove(&window, QPoint(300 + 10 * k, 300 + 5 * k));
        QTest::mouseRelease(&window, Qt::LeftButton, {}, QPoint(400, 350));
        const QPointF dropped = map->mapToItemPoint(grabbed.latitude, grabbed.longitude);
        QVERIFY2(near(dropped, QPointF(400, 350), 1.0),
                 qPrintable(QStringLiteral("grabbed point is at (%1, %2)").arg(dropped.x()).arg(dropped.y())));
        QCOMPARE(cancelled.count(), 1);
        QVERIFY(!pane->property("followSelected").toBool());
    }

    // Zoomed out, crowded places become discs of their count; a faulted robot and the selected one
    // stay on their own, pickable; the grid moves with the map, so a pan moves discs, not robots.
    void crowdsAggregateIntoDiscs()
    {
        Scene scene;
        scene.layer->setAnimationMs(0);
        std::vector<RobotState> robots = fleetOf(900, 30);
        for (RobotState &r : robots)
            r.mode = Mode::Delivering;
        robots[100].mode = Mode::Fault;
        scene.model.applySnapshot(snapshotOf(robots), kNowMs);
        scene.layer->setSelectedRow(200);
        scene.map->setView(robots[465].latDeg, robots[465].lonDeg, 14);
        QVERIFY(scene.frame());

        QCOMPARE(scene.layer->drawnCount(), 900);
        QVERIFY2(scene.layer->clusterCount() > 0 && scene.layer->clusterCount() < 30,
                 qPrintable(QString::number(scene.layer->clusterCount())));
        for (int row : {100, 200}) {
            const RobotState &r = robots[static_cast<std::size_t>(row)];
            const QPointF at = scene.map->mapToItemPoint(r.latDeg, r.lonDeg);
            QVERIFY(near(scene.layer->drawnPosition(row), at));
            QCOMPARE(scene.layer->rowAt(at.x(), at.y()), row);
        }
        // A robot inside a disc is drawn at the disc's centre and is not picked on its own.
        const QPointF disc = scene.layer->drawnPosition(465);
        QVERIFY(scene.layer->clusterSizeAt(disc.x(), disc.y()) > RobotLayer::kClusterMinimum);
        QCOMPARE(scene.layer->clusterSizeAt(3, 3), 0);

        scene.map->panBy(7, 3);
        QVERIFY(scene.frame());
        QVERIFY(near(scene.layer->drawnPosition(465), disc + QPointF(7, 3)));

        // Close up, every robot is itself again; and aggregation can be turned off.
        const QPointF p = scene.map->mapToItemPoint(robots[465].latDeg, robots[465].lonDeg);
        scene.map->zoomAround(p.x(), p.y(), 18 - scene.map->zoom());
        QVERIFY(scene.frame());
        QCOMPARE(scene.layer->clusterCount(), 0);
        QCOMPARE(scene.layer->rowAt(p.x(), p.y()), 465);
        scene.map->zoomAround(p.x(), p.y(), -4);
        QVERIFY(scene.frame());
        QVERIFY(scene.layer->clusterCount() > 0);
        scene.layer->setClusterZoom(0);
        QVERIFY(scene.frame());
        QCOMPARE(scene.layer->clusterCount(), 0);
        QCOMPARE(scene.layer->drawnCount(), 900);
    }

    // When a crowd is mostly faulted, its faulted robots get a disc of their own rather than hundreds
    // of overlapping markers.
    void manyFaultsAggregateToo()
    {
        Scene scene;
        std::vector<RobotState> robots = fleetOf(400, 20);
        for (RobotState &r : robots)
            r.mode = Mode::Fault;
        scene.model.applySnapshot(snapshotOf(robots), kNowMs);
        scene.map->setView(robots[210].latDeg, robots[210].lonDeg, 14);
        QVERIFY(scene.frame());
        QVERIFY(scene.layer->clusterCount() > 0);
        const QPointF disc = scene.layer->drawnPosition(210);
        QVERIFY(scene.layer->clusterSizeAt(disc.x(), disc.y()) > RobotLayer::kWarningClusterMinimum);
    }

    // In MapPane, a tap on a disc zooms in two levels around it and selects nothing.
    void tapOnDiscZoomsIn()
    {
        RobotModel model;
        std::vector<RobotState> robots = fleetOf(400, 20);
        for (RobotState &r : robots)
            r.mode = Mode::Delivering;
        model.applySnapshot(snapshotOf(robots), kNowMs);
        QQuickWindow window;
        window.resize(800, 600);
        QQmlEngine engine;
        engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
        QQmlComponent component(&engine);
        component.setData(QByteArrayLiteral("import QtQuick 2.15\nimport Fleetdeck.Map 1.0\n"
                                            "MapPane { width: 800; height: 600 }\n"),
                          QUrl(QStringLiteral("qrc:/test/Pane.qml")));
        std::unique_ptr<QObject> object(
            component.createWithInitialProperties({{QStringLiteral("model"), QVariant::fromValue(&model)}}));
        QVERIFY2(object, qPrintable(component.errorString()));
        auto *pane = qobject_cast<QQuickItem *>(object.get());
        pane->setParentItem(window.contentItem());
        window.show();
        auto *map = pane->property("view").value<MapView *>();
        auto *layer = pane->property("robots").value<RobotLayer *>();
        map->setView(robots[210].latDeg, robots[210].lonDeg, 14);
        QVERIFY(QSignalSpy(layer, &RobotLayer::frameDrawn).wait(5000));
        const QPointF disc = layer->drawnPosition(210);
        QVERIFY(layer->clusterSizeAt(disc.x(), disc.y()) > 0);
        QSignalSpy selected(pane, SIGNAL(robotSelected(int)));
        QTest::mouseClick(&window, Qt::LeftButton, {}, disc.toPoint());
        QTRY_COMPARE(map->zoom(), 16.0);
        QCOMPARE(selected.count(), 0);
    }

    void rebuildCost_data()
    {
        QTest::addColumn<int>("count");
        QTest::addColumn<bool>("arrows");
        QTest::newRow("10k arrows") << 10'000 << true;
        QTest::newRow("10k pips") << 10'000 << false;
        QTest::newRow("20k arrows") << 20'000 << true;
        QTest::newRow("20k pips") << 20'000 << false;
    }

    // A benchmark: prints figures, passes on any time.
    void rebuildCost()
    {
        QFETCH(int, count);
        QFETCH(bool, arrows);
        Scene scene(QSize(1600, 1000));
        scene.layer->setDetailZoom(arrows ? 0 : 100);
        const std::vector<RobotState> robots = fleetOf(count, 150);
        scene.model.applySnapshot(snapshotOf(robots), kNowMs);
        scene.fit(robots, 0);
        QVERIFY(scene.frame());

        std::vector<qint64> builds;
        for (int k = 0; k < 30; ++k) {
            scene.map->panBy(k % 2 ? 1 : -1, 0);
            QVERIFY(scene.frame());
            builds.push_back(scene.layer->lastBuildMicroseconds());
        }
        std::sort(builds.begin(), builds.end());

        // Every robot moves: the model's delta plus the layer's per-row update.
        fleet::v1::Delta delta;
        delta.set_sequence(2);
        for (int i = 0; i < count; ++i) {
            RobotState r = robots[static_cast<std::size_t>(i)];
            r.latDeg += 0.00001;
            codec::writeRobotState(r, static_cast<std::uint32_t>(i), FieldGroup::Position, delta.add_robots());
        }
        // The same delta on a model no layer listens to: the difference is the layer's share.
        RobotModel bare;
        bare.applySnapshot(snapshotOf(robots), kNowMs);
        QElapsedTimer timer;
        timer.start();
        QVERIFY(bare.applyDelta(delta, kNowMs + 1000));
        const qint64 bareUs = timer.nsecsElapsed() / 1000;
        timer.restart();
        QVERIFY(scene.model.applyDelta(delta, kNowMs + 1000));
        const qint64 applyUs = timer.nsecsElapsed() / 1000;
        QVERIFY(scene.frame());
        const qint64 glideBuildUs = scene.layer->lastBuildMicroseconds();

        qInfo("robot layer, %d robots as %s: %d drawn; geometry rebuild median %lld us, max %lld us, "
              "while all glide %lld us; delta moving all: model %lld us, layer %lld us",
              count, arrows ? "arrows" : "pips", scene.layer->drawnCount(),
              static_cast<long long>(builds[builds.size() / 2]), static_cast<long long>(builds.back()),
              static_cast<long long>(glideBuildUs), static_cast<long long>(bareUs),
              static_cast<long long>(applyUs - bareUs));
    }

private:
    QObject *m_pane = nullptr;
};

QTEST_MAIN(TestRobotLayer)
#include "tst_robotlayer.moc"
