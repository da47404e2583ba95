#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <vector>

class QQuickWindow;

namespace fleetdeck {

// The console's own health, for a wall that runs for weeks and for the soak benchmark: every
// interval one line on standard output,
//   STATS t_s=… rss_kib=… frames=… frame_p50_ms=… frame_p95_ms=… frame_max_ms=… cpu_pct=…
// where a frame's cost is from the scene graph's synchronisation to the swap (what a busy
// render thread would delay), not the time between frames (the wall draws only when data changes).
// Thread: main (the render-thread signals are timed with a thread-safe clock and queued).
class FrameStats : public QObject
{
    Q_OBJECT

public:
    FrameStats(QQuickWindow *window, int intervalS, QObject *parent = nullptr);

private:
    void report();

    QElapsedTimer m_clock;
    QTimer m_timer;
    std::vector<double> m_frameMs;  // this interval's
    qint64 m_frameStartNs = -1;     // render thread only
    double m_lastCpuS = 0;
    double m_lastWallS = 0;
};

}  // namespace fleetdeck
