#pragma once

#include "ringbuffer.h"

#include <QObject>
#include <QPointF>
#include <QPointer>
#include <QTimer>
#include <QVector>

#include <cstdint>
#include <vector>

namespace fleetdeck {

class Clock;
class RobotModel;
class RobotSelection;

// The last few minutes of the selected robot's battery, speed, link RTT and motor temperatures, for
// the detail panel's charts. One fixed-capacity ring buffer of (time, value) per quantity, fed only
// by the selected row's dataChanged, cleared and seeded with the robot's current values when the
// selection moves to another robot. The console keeps no history of unselected robots, so a freshly
// selected robot's charts start at the moment of selection. Times are the injected clock's, when
// the data arrived here.
//
// Views redraw on updated(): at once for a new selection, then at most every kPublishIntervalMs for
// new samples, and every kScrollIntervalMs while a robot is selected, so the time axis keeps moving
// (and a robot that went silent shows a gap) when no data comes.
// Thread: main.
class RobotHistory : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString robotId READ robotId NOTIFY updated)
    // Length of the charted time span; points() covers [updatedAtMs - windowMs, updatedAtMs].
    Q_PROPERTY(int windowMs READ windowMs CONSTANT)
    Q_PROPERTY(double updatedAtMs READ updatedAtMs NOTIFY updated)
    // The span worth charting: back to the oldest sample held, at least kMinSpanMs and at most
    // windowMs, so a newly selected robot's charts fill their width at once, then scroll.
    Q_PROPERTY(double spanMs READ spanMs NOTIFY updated)

public:
    enum class Quantity { Battery, Speed, LinkRtt, MotorLeftTemp, MotorRightTemp };
    Q_ENUM(Quantity)
    static constexpr int kQuantityCount = 5;

    struct Sample {
        std::int64_t timeMs = 0;  // Unix ms, the injected clock
        double value = 0;
    };

    // Five minutes at up to 8 telemetry messages per second; the demo sends 2.
    static constexpr int kDefaultCapacity = 2400;
    static constexpr int kWindowMs = 5 * 60 * 1000;
    static constexpr int kMinSpanMs = 30 * 1000;
    static constexpr int kPublishIntervalMs = 500;
    static constexpr int kScrollIntervalMs = 1000;

    RobotHistory(RobotModel *model, RobotSelection *selection, const Clock *clock,
                 int capacity = kDefaultCapacity, QObject *parent = nullptr);

    [[nodiscard]] QString robotId() const { return m_robotId; }
    [[nodiscard]] int windowMs() const { return kWindowMs; }
    [[nodiscard]] int capacity() const { return static_cast<int>(m_series[0].capacity()); }
    [[nodiscard]] double updatedAtMs() const { return double(m_updatedAtMs); }
    [[nodiscard]] double spanMs() const;

    // Every sample held for `quantity`, oldest first.
    [[nodiscard]] std::vector<Sample> samples(Quantity quantity) const;
    // The samples of the window before updatedAtMs() (and the one just before it, so the line reaches
    // the left edge), as x = minutes relative to updatedAtMs() (≤ 0), y = value.
    [[nodiscard]] QVector<QPointF> points(Quantity quantity) const;

Q_SIGNALS:
    void updated();

private:
    void restart();
    void onDataChanged(int first, int last, const QVector<int> &roles);
    void onModelReset();
    void takeSample();
    void requestPublish();
    void publish();

    QPointer<RobotModel> m_model;
    QPointer<RobotSelection> m_selection;
    const Clock *m_clock;
    QString m_robotId;
    int m_row = -1;
    std::int64_t m_lastSampleTimeMs = -1;  // the robot's own sample time of the newest sample
    std::vector<RingBuffer<Sample>> m_series;  // indexed by Quantity
    std::int64_t m_updatedAtMs = 0;  // the clock at the last updated()
    QTimer m_publishTimer;
    QTimer m_scrollTimer;
};

}  // namespace fleetdeck
