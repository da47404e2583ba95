// The NOC wall over time: fleetdeckd --demo with 2,000 robots and the real `fleetdeck --wall` (1080p,
// under Xvfb with Mesa's software OpenGL) run side by side for BENCH_SOAK_S seconds (default 180; any
// length: a day is BENCH_SOAK_S=86400). The console prints its own memory and frame costs every
// 10 s (--stats-interval-s); the backend's memory is read from /proc. Printed: each figure at the
// start (after a warm-up) next to its value at the end, and the least-squares trend per hour —
// the target is no growth trend.

#include "benchsupport.h"
#include "daemonprocess.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTimer>

#include <cstdio>
#include <vector>

namespace {

using fleetdeck::bench::Sample;
using fleetdeck::bench::slopePerHour;
using fleetdeck::bench::thirdMean;

using fleetdeck::testing::residentKiB;

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int soakS = qEnvironmentVariableIsSet("BENCH_SOAK_S") ? qEnvironmentVariableIntValue("BENCH_SOAK_S") : 180;
    const int robots = qEnvironmentVariableIsSet("BENCH_SOAK_ROBOTS") ? qEnvironmentVariableIntValue("BENCH_SOAK_ROBOTS") : 2000;
    constexpr int kIntervalS = 10;
    constexpr double kWarmUpS = 30;   // the first snapshot, the basemap and the caches settle

    QProcess backend;
    backend.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    backend.start(QStringLiteral(FLEETDECKD_BINARY), {QStringLiteral("--demo"), QStringLiteral("--robots"), QString::number(robots),
                                                     QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--exit-on-stdin-eof")});
    if (!backend.waitForStarted(10'000))
        qFatal("fleetdeckd did not start");
    QString url;
    while (url.isEmpty() && backend.waitForReadyRead(60'000)) {
        while (backend.canReadLine()) {
            const QString line = QString::fromUtf8(backend.readLine()).trimmed();
            if (line.startsWith(QLatin1String("LISTENING ")))
                url = line.mid(10);
        }
    }
    if (url.isEmpty())
        qFatal("fleetdeckd did not say where it listens");

    QProcess wall;
    // BENCH_WALL_ANIMATION_MS=500 runs the wall with gliding robots, the console's default, to compare.
    if (qEnvironmentVariableIsSet("BENCH_WALL_ANIMATION_MS")) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("FLEETDECK_WALL_ANIMATION_MS"), qEnvironmentVariable("BENCH_WALL_ANIMATION_MS"));
        wall.setProcessEnvironment(env);
    }
    wall.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    wall.start(QStringLiteral(FLEETDECK_BINARY), {QStringLiteral("--wall"), QStringLiteral("--size"), QStringLiteral("1920x1080"),
                                                 QStringLiteral("--backend"), url, QStringLiteral("--stats-interval-s"),
                                                 QString::number(kIntervalS)});
    if (!wall.waitForStarted(10'000))
        qFatal("fleetdeck --wall did not start");

    std::vector<Sample> wallRss, frameP95, frames, backendRss, wallCpu;
    const QRegularExpression stats(QStringLiteral("^STATS t_s=([0-9.]+) rss_kib=([0-9.]+) frames=([0-9]+) frame_p50_ms=[0-9.]+ frame_p95_ms=([0-9.]+) frame_max_ms=[0-9.]+ cpu_pct=([0-9.]+)"));
    QObject::connect(&wall, &QProcess::readyReadStandardOutput, &app, [&] {
        while (wall.canReadLine()) {
            const QRegularExpressionMatch m = stats.match(QString::fromUtf8(wall.readLine()).trimmed());
            if (!m.hasMatch())
                continue;
            const double t = m.captured(1).toDouble();
            std::printf("  t=%5.0f s  wall rss %.1f MiB  %s frames  p95 %s ms  cpu %s %%  backend rss %.1f MiB\n", t,
                        m.captured(2).toDouble() / 1024, qPrintable(m.captured(3)), qPrintable(m.captured(4)),
                        qPrintable(m.captured(5)), residentKiB(backend.processId()) / 1024);
            std::fflush(stdout);
            if (t < kWarmUpS)
                continue;
            wallRss.push_back({t, m.captured(2).toDouble() / 1024});
            frames.push_back({t, m.captured(3).toDouble() / kIntervalS});
            wallCpu.push_back({t, m.captured(5).toDouble()});
            if (m.captured(3).toInt() > 0)
                frameP95.push_back({t, m.captured(4).toDouble()});
            backendRss.push_back({t, residentKiB(backend.processId()) / 1024});
        }
    });
    QTimer::singleShot(soakS * 1000, &app, &QCoreApplication::quit);
    QObject::connect(&wall, &QProcess::finished, &app, [] {
        std::fprintf(stderr, "bench_wallsoak: the wall exited early\n");
        QCoreApplication::exit(1);
    });
    const int code = QCoreApplication::exec();
    QObject::disconnect(&wall, nullptr, &app, nullptr);
    wall.terminate();
    wall.waitForFinished(10'000);
    backend.closeWriteChannel();
    backend.waitForFinished(10'000);
    if (code != 0 || wallRss.size() < 3) {
        std::fprintf(stderr, "bench_wallsoak: too few samples (%zu); run longer than %d s\n", wallRss.size(), int(kWarmUpS) + 3 * kIntervalS);
        return 1;
    }

    using fleetdeck::bench::print;
    print("wall_soak_seconds", soakS, "s");
    print("wall_rss_start", thirdMean(wallRss, false), "MiB");
    print("wall_rss_end", thirdMean(wallRss, true), "MiB");
    print("wall_rss_trend", slopePerHour(wallRss), "MiB/h");
    print("wall_frame_p95_start", thirdMean(frameP95, false), "ms");
    print("wall_frame_p95_end", thirdMean(frameP95, true), "ms");
    print("wall_frame_p95_trend", slopePerHour(frameP95), "ms/h");
    print("wall_frames_per_s", thirdMean(frames, true), "frames/s");
    print("wall_cpu_start", thirdMean(wallCpu, false), "%core");
    print("wall_cpu_end", thirdMean(wallCpu, true), "%core");
    print("backend_rss_start", thirdMean(backendRss, false), "MiB");
    print("backend_rss_end", thirdMean(backendRss, true), "MiB");
    print("backend_rss_trend", slopePerHour(backendRss), "MiB/h");
    return 0;
}
