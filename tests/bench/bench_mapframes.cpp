// Console frame times with a moving fleet (DESIGN.md §8: p95 <= 16 ms with 10k moving robots, software
// rendering under Xvfb). A QQuickView shows MapPane (the shipped city's basemap and the one-item
// RobotLayer) at the whole-city zoom over a RobotModel of N synthetic robots; every 100 ms a fleet.v1
// Delta moves a tenth of them (a 1 Hz fleet seen through a 10 Hz backend tick). Frame intervals come
// from QQuickWindow::frameSwapped after a warm-up. The baseline is the straightforward QML layer: one
// Rectangle delegate per robot, placed by MapView.mapToItemPoint bindings, over the same model.
//
// Each configuration runs in a child process of its own, so the RSS printed is that configuration's
// alone; the parent prints the child's BENCH lines and a summary. Run under a real X server with
// OpenGL (ctest runs it through xvfb-run with Mesa's llvmpipe).
//   bench_mapframes [--seconds S] [--screenshot-dir DIR]

#include "benchsupport.h"
#include "codec.h"
#include "geo.h"
#include "maptypes.h"
#include "mapview.h"
#include "robotlayer.h"
#include "robotmodel.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QGuiApplication>
#include <QImage>
#include <QMap>
#include <QOpenGLContext>
#include <QOpenGLFunctions>
#include <QProcess>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickView>
#include <QTimer>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

using namespace fleetdeck;

namespace {

constexpr int kTickMs = 100;
constexpr int kTicksPerFix = 10;  // each robot moves once a second
constexpr int kWarmUpMs = 1500;
constexpr QSize kWindowSize(1600, 1000);
// A configuration that has not finished in this long is killed and reported as not run.
constexpr int kChildTimeoutMs = 150'000;

const char *const kMapQml = R"(
import QtQuick 2.15
import Fleetdeck.Map 1.0
MapPane {
    focus: true
}
)";

// The baseline: what one would write first in QML. One delegate per robot, positioned by a binding
// on the camera and the robot's coordinates, rotated to its heading and coloured by mode.
const char *const kDelegatesQml = R"(
import QtQuick 2.15
import Fleetdeck.Map 1.0
MapPane {
    id: pane
    property var fleet: null
    readonly property var modeColors: ["#8a8f98", "#c8cdd2", "#3ddc84", "#ffc107", "#4da3ff", "#2bc0b4",
                                       "#00e5ff", "#b388ff", "#ff3b30", "#ff8c1a", "#8a8f98"]
    Item {
        parent: pane.view
        anchors.fill: parent
        Repeater {
            model: pane.fleet
            delegate: Rectangle {
                required property double latitude
                required property double longitude
                required property double headingDeg
                required property int mode
                readonly property point at: pane.view.zoom, pane.view.centerLatitude, pane.view.centerLongitude,
                                            pane.view.mapToItemPoint(latitude, longitude)
                x: at.x - width / 2
                y: at.y - height / 2
                width: 6
                height: 9
                rotation: headingDeg
                color: pane.modeColors[mode]
                border.color: "#05070a"
                border.width: 1
            }
        }
    }
}
)";

[[noreturn]] void die(const QString &why)
{
    std::fprintf(stderr, "bench_mapframes: %s\n", qPrintable(why));
    std::exit(1);
}

// A fleet spread over the city the way real ones are: denser around a few hubs, thinner elsewhere,
// mostly driving, a few in trouble.
class SyntheticFleet
{
public:
    SyntheticFleet(int count, QRectF geoBounds)
        : m_bounds(geoBounds.adjusted(geoBounds.width() * 0.04, geoBounds.height() * 0.04,
                                      -geoBounds.width() * 0.04, -geoBounds.height() * 0.04))
        , m_random(1)
    {
        const QPointF hubs[] = {{0.30, 0.40}, {0.55, 0.55}, {0.70, 0.30}, {0.45, 0.75}, {0.20, 0.70}};
        std::uniform_real_distribution<double> unit(0, 1);
        std::normal_distribution<double> spread(0, 0.08);
        std::discrete_distribution<int> modes({0, 8, 25, 8, 35, 12, 7, 1, 1.5, 1.5, 1});
        std::discrete_distribution<int> freshness({0, 97, 2, 1});
        m_robots.reserve(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) {
            RobotState r = bench::syntheticRobot(i, 0);
            QPointF p(unit(m_random), unit(m_random));
            if (unit(m_random) < 0.45) {
                const QPointF hub = hubs[i % 5];
                p = {hub.x() + spread(m_random), hub.y() + spread(m_random)};
            }
            r.lonDeg = m_bounds.left() + std::clamp(p.x(), 0.0, 1.0) * m_bounds.width();
            r.latDeg = m_bounds.top() + std::clamp(p.y(), 0.0, 1.0) * m_bounds.height();
            r.headingDeg = static_cast<float>(unit(m_random) * 360);
            r.mode = static_cast<Mode>(modes(m_random));
            r.freshness = static_cast<Freshness>(freshness(m_random));
            r.speedMps = (r.mode == Mode::Idle || r.mode == Mode::Charging || r.mode == Mode::Fault
                          || r.mode == Mode::Stuck || r.mode == Mode::Offline)
                ? 0.0f
                : 1.4f;
            m_robots.push_back(r);
        }
    }

    [[nodiscard]] fleet::v1::Snapshot snapshot(qint64 nowMs) const
    {
        fleet::v1::Snapshot snapshot;
        snapshot.set_sequence(++m_sequence);
        snapshot.set_server_time_unix_ms(nowMs);
        for (std::size_t i = 0; i < m_robots.size(); ++i)
            codec::writeRobotState(m_robots[i], static_cast<std::uint32_t>(i), FieldGroup::All, snapshot.add_robots());
        return snapshot;
    }

    // Moves every kTicksPerFix-th robot one second along its heading, turning a little, bouncing off
    // the city's edge; the delta carries their Position group, as the backend's would.
    [[nodiscard]] fleet::v1::Delta tick(qint64 nowMs)
    {
        fleet::v1::Delta delta;
        delta.set_sequence(++m_sequence);
        delta.set_server_time_unix_ms(nowMs);
        std::normal_distribution<float> turn(0, 12);
        const int phase = static_cast<int>(m_tick++ % kTicksPerFix);
        for (std::size_t i = static_cast<std::size_t>(phase); i < m_robots.size(); i += kTicksPerFix) {
            RobotState &r = m_robots[i];
            r.headingDeg = std::fmod(r.headingDeg + turn(m_random) + 360.0f, 360.0f);
            // Still robots report too: their heading jitters, their position stays.
            const double metres = r.speedMps * kTickMs * kTicksPerFix / 1000.0;
            const geo::LatLon next = geo::offset({r.latDeg, r.lonDeg}, r.headingDeg, metres);
            if (m_bounds.contains(next.lonDeg, next.latDeg)) {
                r.latDeg = next.latDeg;
                r.lonDeg = next.lonDeg;
            } else {
                r.headingDeg = std::fmod(r.headingDeg + 180.0f, 360.0f);
            }
            codec::writeRobotState(r, static_cast<std::uint32_t>(i), FieldGroup::Position, delta.add_robots());
        }
        return delta;
    }

private:
    QRectF m_bounds;  // x = west, y = south, in degrees
    std::mt19937 m_random;
    std::vector<RobotState> m_robots;
    mutable quint64 m_sequence = 0;
    quint64 m_tick = 0;
};

// Timestamps of frameSwapped, which the threaded render loop emits on its render thread.
class FrameClock
{
public:
    void record()
    {
        const auto now = std::chrono::steady_clock::now();
        const std::lock_guard<std::mutex> lock(m_mutex);
        if (m_recording)
            m_swaps.push_back(now);
    }
    void start()
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_swaps.assign(1, std::chrono::steady_clock::now());
        m_swaps.reserve(4096);
        m_recording = true;
    }
    // Milliseconds between consecutive swaps since start(), counting start() and stop() as swaps, so
    // a window that stalls for the whole run still reports the stall. Sets `frames` to the swaps seen.
    [[nodiscard]] std::vector<double> stop(int *frames)
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_recording = false;
        *frames = static_cast<int>(m_swaps.size()) - 1;
        m_swaps.push_back(std::chrono::steady_clock::now());
        std::vector<double> intervals;
        for (std::size_t k = 1; k < m_swaps.size(); ++k)
            intervals.push_back(std::chrono::duration<double, std::milli>(m_swaps[k] - m_swaps[k - 1]).count());
        return intervals;
    }

private:
    std::mutex m_mutex;
    bool m_recording = false;
    std::vector<std::chrono::steady_clock::time_point> m_swaps;
};

// Runs the event loop for `ms` without spinning (the machine has two cores to share with Xvfb).
void waitMs(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

// One configuration, in this process: `kind` is "map", "map_unclustered" or "delegates".
int runConfiguration(const QString &kind, int count, int seconds, const QString &screenshotDir)
{
    registerMapTypes();
    const QByteArray prefix = kind.toUtf8();
    const QByteArray suffix = "_robots" + QByteArray::number(count);

    QQuickView view;
    view.resize(kWindowSize);
    view.engine()->addImportPath(QStringLiteral("qrc:/qt/qml"));
    QQmlComponent component(view.engine());
    const bool delegates = kind == QLatin1String("delegates");
    component.setData(delegates ? kDelegatesQml : kMapQml, QUrl(QStringLiteral("qrc:/bench/MapFrames.qml")));
    if (!component.isReady())
        die(component.errorString());
    std::unique_ptr<QObject> root(component.create());
    auto *pane = qobject_cast<QQuickItem *>(root.get());
    if (!pane)
        die(component.errorString());
    pane->setParentItem(view.contentItem());
    pane->setSize(kWindowSize);
    auto *map = pane->property("view").value<MapView *>();
    auto *layer = pane->property("robots").value<RobotLayer *>();
    QObject *basemap = pane->property("basemap").value<QObject *>();
    if (!map || !layer || !basemap || !basemap->property("ready").toBool())
        die(QStringLiteral("MapPane without a view, robot layer or basemap"));
    if (kind == QLatin1String("map_unclustered"))
        layer->setClusterZoom(0);

    FrameClock frames;
    QObject::connect(&view, &QQuickWindow::frameSwapped, &view, [&frames] { frames.record(); }, Qt::DirectConnection);
    // Render continuously, as a map does while robots glide: intervals then measure what a frame
    // costs, not how often something changed (the delegate baseline has nothing that animates).
    QObject::connect(&view, &QQuickWindow::frameSwapped, &view, &QQuickWindow::update, Qt::QueuedConnection);
    QObject::connect(
        &view, &QQuickWindow::sceneGraphInitialized, &view,
        [] {
            if (QOpenGLContext *gl = QOpenGLContext::currentContext()) {
                const auto *renderer = reinterpret_cast<const char *>(gl->functions()->glGetString(GL_RENDERER));
                std::printf("renderer: OpenGL, %s\n", renderer ? renderer : "?");
                std::fflush(stdout);
            }
        },
        Qt::DirectConnection);

    view.show();
    if (!basemap->property("ready").toBool())
        die(QStringLiteral("basemap not loaded"));
    waitMs(300);  // first frames, view fitted to the city

    const QRectF bounds = basemap->property("geoBounds").toRectF();
    SyntheticFleet fleet(count, bounds);
    RobotModel model;
    QElapsedTimer setup;
    setup.start();
    model.applySnapshot(fleet.snapshot(QDateTime::currentMSecsSinceEpoch()), QDateTime::currentMSecsSinceEpoch());
    pane->setProperty(delegates ? "fleet" : "model", QVariant::fromValue(&model));
    const double setupMs = double(setup.nsecsElapsed()) / 1e6;

    std::vector<double> tickMs;
    std::vector<double> buildMs;
    bool measuring = false;
    QObject::connect(layer, &RobotLayer::frameDrawn, layer, [&] {
        if (measuring && layer->model())
            buildMs.push_back(double(layer->lastBuildMicroseconds()) / 1000.0);
    });
    QTimer ticker;
    ticker.setInterval(kTickMs);
    ticker.setTimerType(Qt::PreciseTimer);
    QObject::connect(&ticker, &QTimer::timeout, &model, [&] {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const fleet::v1::Delta delta = fleet.tick(now);
        QElapsedTimer timer;
        timer.start();
        if (!model.applyDelta(delta, now))
            die(QStringLiteral("delta refused"));
        if (measuring)
            tickMs.push_back(double(timer.nsecsElapsed()) / 1e6);
    });
    ticker.start();
    waitMs(kWarmUpMs);

    measuring = true;
    frames.start();
    const double cpuStart = bench::cpuSeconds();
    QElapsedTimer wall;
    wall.start();
    waitMs(seconds * 1000);
    const double wallSeconds = double(wall.nsecsElapsed()) / 1e9;
    const double cpuUsed = bench::cpuSeconds() - cpuStart;
    int frameCount = 0;
    const std::vector<double> intervals = frames.stop(&frameCount);
    measuring = false;
    ticker.stop();

    if (!screenshotDir.isEmpty()) {
        const QString file = QDir(screenshotDir).filePath(QStringLiteral("%1-%2.png").arg(kind).arg(count));
        if (!view.grabWindow().save(file))
            std::fprintf(stderr, "bench_mapframes: could not write %s\n", qPrintable(file));
    }

    const auto name = [&](const char *what) -> QByteArray { return prefix + '_' + what + suffix; };
    bench::print(name("frame_p50"), bench::percentile(intervals, 50), "ms");
    bench::print(name("frame_p95"), bench::percentile(intervals, 95), "ms");
    bench::print(name("frame_max"), bench::percentile(intervals, 100), "ms");
    bench::print(name("fps"), double(frameCount) / wallSeconds, "Hz");
    bench::print(name("tick_p95"), bench::percentile(tickMs, 95), "ms");
    if (!delegates) {
        bench::print(name("build_p50"), bench::percentile(buildMs, 50), "ms");
        bench::print(name("build_p95"), bench::percentile(buildMs, 95), "ms");
    }
    bench::print(name("setup"), setupMs, "ms");
    bench::print(name("cpu"), 100.0 * cpuUsed / wallSeconds, "%");
    // Less sensitive than intervals to other processes taking the cores (Xvfb's share not included).
    bench::print(name("cpu_per_frame"), 1000.0 * cpuUsed / std::max(1, frameCount), "ms");
    bench::print(name("rss"), bench::rssKiB() / 1024.0, "MiB");
    std::printf("%s %d robots: %d frames in %.1f s at zoom %.2f, %d robots drawn, %d discs\n", prefix.constData(),
                count, frameCount, wallSeconds, map->zoom(), delegates ? count : layer->drawnCount(),
                layer->clusterCount());
    std::fflush(stdout);

    pane->setProperty(delegates ? "fleet" : "model", QVariant::fromValue<QObject *>(nullptr));
    return 0;
}

struct Configuration {
    QString kind;
    int count;
};

// Runs one configuration in a child process, echoing its output; its BENCH figures by name, or empty
// if it did not finish.
QMap<QString, double> runChild(const Configuration &config, const QStringList &passThrough)
{
    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QCoreApplication::applicationFilePath(),
                QStringList{QStringLiteral("--run"), config.kind, QString::number(config.count)} + passThrough);
    QMap<QString, double> figures;
    QElapsedTimer timer;
    timer.start();
    QByteArray pending;
    const auto consume = [&] {
        pending += child.readAllStandardOutput();
        int newline;
        while ((newline = pending.indexOf('\n')) >= 0) {
            const QByteArray line = pending.left(newline);
            pending.remove(0, newline + 1);
            std::printf("%s\n", line.constData());
            std::fflush(stdout);
            const QList<QByteArray> parts = line.split(' ');
            if (parts.size() == 4 && parts[0] == "BENCH")
                figures.insert(QString::fromUtf8(parts[1]), parts[2].toDouble());
        }
    };
    while (!child.waitForFinished(200)) {
        consume();
        if (child.state() == QProcess::NotRunning)
            break;
        if (timer.elapsed() > kChildTimeoutMs) {
            child.kill();
            child.waitForFinished(5000);
            std::printf("%s %d robots: not finished in %d s, stopped\n", qPrintable(config.kind), config.count,
                        kChildTimeoutMs / 1000);
            return {};
        }
    }
    consume();
    if (child.exitStatus() != QProcess::NormalExit || child.exitCode() != 0) {
        std::printf("%s %d robots: failed (exit code %d)\n", qPrintable(config.kind), config.count, child.exitCode());
        return {};
    }
    return figures;
}

QString figure(const QMap<QString, double> &all, const QString &name)
{
    return all.contains(name) ? QString::number(all.value(name), 'f', 1) : QStringLiteral("-");
}

}  // namespace

int main(int argc, char *argv[])
{
    int seconds = 5;
    QString screenshotDir;
    QString runKind;
    int runCount = 0;
    QStringList passThrough;
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--seconds" && i + 1 < argc) {
            seconds = std::max(1, QByteArray(argv[++i]).toInt());
            passThrough << QStringLiteral("--seconds") << QString::number(seconds);
        } else if (arg == "--screenshot-dir" && i + 1 < argc) {
            screenshotDir = QString::fromLocal8Bit(argv[++i]);
            passThrough << QStringLiteral("--screenshot-dir") << screenshotDir;
        } else if (arg == "--run" && i + 2 < argc) {
            runKind = QString::fromLatin1(argv[++i]);
            runCount = QByteArray(argv[++i]).toInt();
        } else {
            die(QStringLiteral("unknown argument %1").arg(QString::fromLocal8Bit(argv[i])));
        }
    }

    if (!runKind.isEmpty()) {
        QGuiApplication app(argc, argv);
        return runConfiguration(runKind, runCount, seconds, screenshotDir);
    }

    QCoreApplication app(argc, argv);
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        die(QStringLiteral("needs a display with OpenGL; ctest runs it under xvfb-run"));
    std::printf("map frame times, %dx%d window, whole-city zoom, %d s per configuration after %d ms warm-up; "
                "a tenth of the fleet moves every %d ms\n",
                kWindowSize.width(), kWindowSize.height(), seconds, kWarmUpMs, kTickMs);
    std::fflush(stdout);

    QMap<QString, double> all;
    int finished = 0;
    const auto run = [&](const Configuration &config) {
        const QMap<QString, double> figures = runChild(config, passThrough);
        for (auto it = figures.cbegin(); it != figures.cend(); ++it)
            all.insert(it.key(), it.value());
        finished += figures.isEmpty() ? 0 : 1;
        return figures;
    };
    for (int count : {1'000, 10'000, 20'000})
        run({QStringLiteral("map"), count});
    for (int count : {10'000, 20'000})
        run({QStringLiteral("map_unclustered"), count});
    run({QStringLiteral("delegates"), 1'000});
    const QMap<QString, double> delegates10k = run({QStringLiteral("delegates"), 10'000});
    // Twice the delegates take more than twice as long to create; skip what cannot finish in time.
    const double setup10k = delegates10k.value(QStringLiteral("delegates_setup_robots10000"), -1);
    if (setup10k >= 0 && setup10k * 2.5 + (seconds * 1000 + kWarmUpMs) * 2 < kChildTimeoutMs)
        run({QStringLiteral("delegates"), 20'000});
    else
        std::printf("delegates 20000 robots: skipped (10000 took %.0f ms to create)\n", setup10k);

    std::printf("summary: frame p95 ms, one-item layer 1k/10k/20k = %s/%s/%s (unclustered 10k/20k = %s/%s), "
                "QML delegates 1k/10k/20k = %s/%s/%s; layer build p50 ms 10k/20k = %s/%s (unclustered %s/%s); "
                "RSS MiB 10k layer/delegates = %s/%s; target p95 <= 16 ms at 10k\n",
                qPrintable(figure(all, QStringLiteral("map_frame_p95_robots1000"))),
                qPrintable(figure(all, QStringLiteral("map_frame_p95_robots10000"))),
                qPrintable(figure(all, QStringLiteral("map_frame_p95_robots20000"))),
                qPrintable(figure(all, QStringLiteral("map_unclustered_frame_p95_robots10000"))),
                qPrintable(figure(all, QStringLiteral("map_unclustered_frame_p95_robots20000"))),
                qPrintable(figure(all, QStringLiteral("delegates_frame_p95_robots1000"))),
                qPrintable(figure(all, QStringLiteral("delegates_frame_p95_robots10000"))),
                qPrintable(figure(all, QStringLiteral("delegates_frame_p95_robots20000"))),
                qPrintable(figure(all, QStringLiteral("map_build_p50_robots10000"))),
                qPrintable(figure(all, QStringLiteral("map_build_p50_robots20000"))),
                qPrintable(figure(all, QStringLiteral("map_unclustered_build_p50_robots10000"))),
                qPrintable(figure(all, QStringLiteral("map_unclustered_build_p50_robots20000"))),
                qPrintable(figure(all, QStringLiteral("map_rss_robots10000"))),
                qPrintable(figure(all, QStringLiteral("delegates_rss_robots10000"))));
    std::fflush(stdout);
    return finished > 0 ? 0 : 1;
}
