#include "framestats.h"

#include <QFile>
#include <QQuickWindow>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace fleetdeck {
namespace {

double residentKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toDouble();
    }
    return -1;
}

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    const auto rank = values.begin() + std::ptrdiff_t(double(values.size() - 1) * p);
    std::nth_element(values.begin(), rank, values.end());
    return *rank;
}

}  // namespace

FrameStats::FrameStats(QQuickWindow *window, int intervalS, QObject *parent) : QObject(parent)
{
    m_clock.start();
    // Both on the render thread (or the main thread with the basic loop): only the duration crosses.
    connect(window, &QQuickWindow::beforeSynchronizing, this, [this] { m_frameStartNs = m_clock.nsecsElapsed(); },
            Qt::DirectConnection);
    connect(window, &QQuickWindow::frameSwapped, this, [this] {
        if (m_frameStartNs < 0)
            return;
        const double ms = double(m_clock.nsecsElapsed() - m_frameStartNs) / 1e6;
        m_frameStartNs = -1;
        QMetaObject::invokeMethod(this, [this, ms] { m_frameMs.push_back(ms); }, Qt::QueuedConnection);
    }, Qt::DirectConnection);
    connect(&m_timer, &QTimer::timeout, this, &FrameStats::report);
    m_timer.start(intervalS * 1000);
}

void FrameStats::report()
{
    // Process CPU time (every thread: the render thread and Mesa's llvmpipe workers too).
    const double cpuS = double(std::clock()) / CLOCKS_PER_SEC;
    const double wallS = double(m_clock.elapsed()) / 1000.0;
    const double cpuPct = wallS > m_lastWallS ? (cpuS - m_lastCpuS) / (wallS - m_lastWallS) * 100.0 : 0;
    m_lastCpuS = cpuS;
    m_lastWallS = wallS;
    const double maxMs = m_frameMs.empty() ? 0 : *std::max_element(m_frameMs.cbegin(), m_frameMs.cend());
    std::printf("STATS t_s=%.1f rss_kib=%.0f frames=%zu frame_p50_ms=%.2f frame_p95_ms=%.2f frame_max_ms=%.2f cpu_pct=%.1f\n",
                wallS, residentKiB(), m_frameMs.size(), percentile(m_frameMs, 0.5), percentile(m_frameMs, 0.95), maxMs, cpuPct);
    std::fflush(stdout);
    m_frameMs.clear();
}

}  // namespace fleetdeck
