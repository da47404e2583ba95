// HistoryPlotItem, the browser's history chart plot (the desktop draws the same with Qt Charts), fed
// by a real RobotHistory through HistoryFeed: the geometry it hands the scene graph, and, where the
// scene graph has a GPU API to draw it with (xvfb-run with QT_QPA_PLATFORM=xcb; the offscreen
// platform's software renderer draws no custom geometry), the pixels of a real window. Colours are
// chosen apart so that each vertex and pixel says what was drawn there.

#include "charttypes.h"
#include "historyfeed.h"
#include "historyfleet.h"
#include "historyplotitem.h"

#include <QQmlComponent>
#include <QQmlEngine>
#include <QQuickView>
#include <QSGGeometryNode>
#include <QSGRendererInterface>
#include <QTest>

#include <algorithm>
#include <memory>
#include <vector>

using namespace fleetdeck;
using Quantity = RobotHistory::Quantity;

namespace {

const QColor kBackground(0, 0, 0);
const QColor kFirst(255, 0, 0);
const QColor kSecond(0, 0, 255);
const QColor kGrid(0, 255, 0);

const QByteArray kScene = R"(
import QtQuick 2.15
import Fleetdeck.Charts.Types 1.0
Rectangle {
    width: 201; height: 101
    color: "#000000"
    HistoryPlotItem {
        objectName: "plot"
        anchors.fill: parent
        xMin: -1; xMax: 0
        yMin: 0; yMax: 100
        xTickCount: 0; yTickCount: 0
        color: "#ff0000"; secondColor: "#0000ff"; gridColor: "#00ff00"
        lineWidth: 3
    }
}
)";

// A plot in a window, fed by two quantities of a fleet's history.
struct Scene {
    Scene()
    {
        feed.setQuantity(int(Quantity::Battery));
        feed.setHistory(fleet.history.get());
        secondFeed.setQuantity(int(Quantity::LinkRtt));
        secondFeed.setHistory(fleet.history.get());
        QQmlComponent component(view.engine());
        component.setData(kScene, QUrl(QStringLiteral("qrc:/tst_historyplot/Scene.qml")));
        root.reset(qobject_cast<QQuickItem *>(component.create()));
        if (!root) {
            qWarning() << component.errorString();
            return;
        }
        plot = root->findChild<HistoryPlotItem *>(QStringLiteral("plot"));
        root->setParentItem(view.contentItem());
        view.resize(201, 101);
        view.show();
    }

    QImage frame() { return view.grabWindow(); }

    Fleet fleet;
    HistoryFeed feed;
    HistoryFeed secondFeed;
    QQuickView view;
    std::unique_ptr<QQuickItem> root;
    HistoryPlotItem *plot = nullptr;
};

using Vertex = QSGGeometry::ColoredPoint2D;

// The item's scene-graph geometry, as updatePaintNode() makes it (no window needed).
class PlotUnderTest : public HistoryPlotItem
{
public:
    PlotUnderTest()
    {
        setSize(QSizeF(201, 101));
        setXMin(-1);
        setXMax(0);
        setYMin(0);
        setYMax(100);
        setXTickCount(0);
        setYTickCount(0);
        setColor(kFirst);
        setSecondColor(kSecond);
        setGridColor(kGrid);
        setLineWidth(3);
    }

    [[nodiscard]] std::vector<Vertex> vertices(const QColor &color)
    {
        const std::unique_ptr<QSGNode> node(updatePaintNode(nullptr, nullptr));
        const QSGGeometry *geometry = static_cast<QSGGeometryNode *>(node.get())->geometry();
        const Vertex *v = geometry->vertexDataAsColoredPoint2D();
        std::vector<Vertex> out;
        for (int i = 0; i < geometry->vertexCount(); ++i) {
            if (v[i].r == color.red() && v[i].g == color.green() && v[i].b == color.blue() && v[i].a == color.alpha())
                out.push_back(v[i]);
        }
        return out;
    }
};

// The vertex furthest right: where the line meets "now".
Vertex rightmost(const std::vector<Vertex> &vertices)
{
    return *std::max_element(vertices.cbegin(), vertices.cend(), [](const Vertex &a, const Vertex &b) { return a.x < b.x; });
}

// The pixels of `image` in column x that have `color`.
int countInColumn(const QImage &image, int x, const QColor &color)
{
    int n = 0;
    for (int y = 0; y < image.height(); ++y)
        n += image.pixelColor(x, y) == color ? 1 : 0;
    return n;
}


}  // namespace

class TestHistoryPlot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { registerChartTypes(); }

    void mapsMinutesAndValuesIntoTheItem()
    {
        Scene scene;
        QVERIFY(scene.plot);
        QCOMPARE(scene.plot->toItem(QPointF(0, 100)), QPointF(200, 0));
        QCOMPARE(scene.plot->toItem(QPointF(-1, 0)), QPointF(0, 100));
        QCOMPARE(scene.plot->toItem(QPointF(-0.5, 50)), QPointF(100, 50));
    }

    // Nothing selected: no line. A selected robot's battery at 80 % is a line at the height of 80 on a
    // 0..100 axis, reaching "now" at the right edge; when it drops to 20 the line's end follows.
    void lineFollowsTheHistory()
    {
        Fleet fleet;
        HistoryFeed feed;
        feed.setQuantity(int(Quantity::Battery));
        feed.setHistory(fleet.history.get());
        PlotUnderTest plot;
        plot.setFeed(&feed);
        QVERIFY(plot.vertices(kFirst).empty());

        fleet.selection.setRobotId(QStringLiteral("nb-0001"));
        for (int i = 0; i < 4; ++i) {
            fleet.clock.advance(5'000);
            QVERIFY(fleet.report(1));
        }
        auto line = plot.vertices(kFirst);
        QCOMPARE(int(line.size()), 6 * (feed.count() - 1));  // a quad per segment
        const double y80 = plot.toItem(QPointF(0, 80)).y();
        for (const Vertex &v : line)
            QVERIFY2(std::abs(v.y - y80) <= 1.5, qPrintable(QStringLiteral("vertex at y %1, the line is at %2").arg(v.y).arg(y80)));
        QCOMPARE(rightmost(line).x, 200.0f);

        fleet.clock.advance(5'000);
        fleet.states[1].batteryPct = 20;
        QVERIFY(fleet.report(1));
        line = plot.vertices(kFirst);
        QVERIFY(std::abs(rightmost(line).y - plot.toItem(QPointF(0, 20)).y()) <= 1.5);
    }

    // A second quantity in the second colour, on the same axes.
    void secondLineHasItsOwnColour()
    {
        Fleet fleet;
        HistoryFeed battery, rtt;
        battery.setQuantity(int(Quantity::Battery));
        battery.setHistory(fleet.history.get());
        rtt.setQuantity(int(Quantity::LinkRtt));
        rtt.setHistory(fleet.history.get());
        PlotUnderTest plot;
        plot.setFeed(&battery);
        plot.setSecondFeed(&rtt);
        fleet.selection.setRobotId(QStringLiteral("nb-0002"));
        fleet.clock.advance(5'000);
        QVERIFY(fleet.report(2, FieldGroup::Battery | FieldGroup::Link | FieldGroup::Freshness));

        const auto second = plot.vertices(kSecond);
        QVERIFY(!second.empty());
        QVERIFY(std::abs(rightmost(second).y - plot.toItem(QPointF(0, 60)).y()) <= 1.5);  // RTT 60 ms
        QVERIFY(std::abs(rightmost(plot.vertices(kFirst)).y - plot.toItem(QPointF(0, 80)).y()) <= 1.5);
        plot.setSecondFeed(nullptr);
        QVERIFY(plot.vertices(kSecond).empty());
    }

    // The grid: each axis's tick lines, ends included, as Qt Charts' ValueAxis tickCount draws them.
    void gridHasTheTickLines()
    {
        PlotUnderTest plot;
        plot.setXTickCount(6);
        plot.setYTickCount(3);
        const auto grid = plot.vertices(kGrid);
        QCOMPARE(int(grid.size()), 6 * (6 + 3));
        std::vector<float> xs;
        for (const Vertex &v : grid) {
            if (v.y == 0 && std::find(xs.cbegin(), xs.cend(), v.x) == xs.cend())
                xs.push_back(v.x);
        }
        std::sort(xs.begin(), xs.end());
        // Each vertical line is a pixel wide from its x; the first horizontal one starts at 0 too.
        QCOMPARE(xs, (std::vector<float>{0, 1, 40, 41, 80, 81, 120, 121, 160, 161, 200, 201}));
    }

    // In a real window, where the scene graph draws custom geometry: the line and the grid on screen.
    void drawnInAWindow()
    {
        Scene scene;
        QVERIFY(scene.plot);
        QVERIFY(QTest::qWaitForWindowExposed(&scene.view));
        if (scene.view.rendererInterface()->graphicsApi() == QSGRendererInterface::Software)
            QSKIP("the software scene graph draws no custom geometry: run under xvfb-run with QT_QPA_PLATFORM=xcb");
        scene.plot->setFeed(&scene.feed);
        scene.plot->setXTickCount(6);
        scene.plot->setYTickCount(3);
        scene.fleet.selection.setRobotId(QStringLiteral("nb-0001"));
        for (int i = 0; i < 4; ++i) {
            scene.fleet.clock.advance(5'000);
            QVERIFY(scene.fleet.report(1));
        }
        const QImage image = scene.frame();
        QCOMPARE(image.pixelColor(190, int(scene.plot->toItem(QPointF(0, 80)).y())), kFirst);
        QCOMPARE(image.pixelColor(190, int(scene.plot->toItem(QPointF(0, 20)).y())), kBackground);
        QVERIFY(countInColumn(image, 190, kFirst) <= 4);  // a line, not a fill
        for (const int x : {0, 40, 80, 120, 160, 200})
            QVERIFY(countInColumn(image, x, kGrid) >= image.height() - 4);  // crossed by the line only
    }
};

QTEST_MAIN(TestHistoryPlot)
#include "tst_historyplot.moc"
