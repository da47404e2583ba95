#include "robothistory.h"

#include "clock.h"
#include "robotmodel.h"
#include "robotselection.h"

#include <algorithm>

namespace fleetdeck {

namespace {

// A change of any charted value is worth a sample even if the robot's sample time did not move.
bool touchesChartedRoles(const QVector<int> &roles)
{
    if (roles.isEmpty())  // "anything may have changed"
        return true;
    for (int role : roles) {
        switch (role) {
        case RobotModel::BatteryRole:
        case RobotModel::SpeedRole:
        case RobotModel::LinkRttRole:
        case RobotModel::MotorLeftTempRole:
        case RobotModel::MotorRightTempRole:
            return true;
        default:
            break;
        }
    }
    return false;
}

double valueOf(const RobotState &robot, RobotHistory::Quantity quantity)
{
    switch (quantity) {
    case RobotHistory::Quantity::Battery: return double(robot.batteryPct);
    case RobotHistory::Quantity::Speed: return double(robot.speedMps);
    case RobotHistory::Quantity::LinkRtt: return double(robot.linkRttMs);
    case RobotHistory::Quantity::MotorLeftTemp: return double(robot.motorLeftTempC);
    case RobotHistory::Quantity::MotorRightTemp: return double(robot.motorRightTempC);
    }
    return 0;
}

}  // namespace

RobotHistory::RobotHistory(RobotModel *model, RobotSelection *selection, const Clock *clock, int capacity,
                           QObject *parent)
    : QObject(parent),
      m_model(model),
      m_selection(selection),
      m_clock(clock),
      m_series(kQuantityCount, RingBuffer<Sample>(static_cast<std::size_t>(std::max(1, capacity))))
{
    m_publishTimer.setSingleShot(true);
    connect(&m_publishTimer, &QTimer::timeout, this, &RobotHistory::publish);
    m_scrollTimer.setInterval(kScrollIntervalMs);
    connect(&m_scrollTimer, &QTimer::timeout, this, &RobotHistory::requestPublish);

    connect(selection, &RobotSelection::robotIdChanged, this, &RobotHistory::restart);
    connect(model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &first, const QModelIndex &last, const QVector<int> &roles) {
                onDataChanged(first.row(), last.row(), roles);
            });
    connect(model, &QAbstractItemModel::modelReset, this, &RobotHistory::onModelReset);
    connect(model, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_row < 0 && !m_robotId.isEmpty())
            onModelReset();
    });
    restart();
}

std::vector<RobotHistory::Sample> RobotHistory::samples(Quantity quantity) const
{
    const auto &series = m_series[static_cast<std::size_t>(quantity)];
    std::vector<Sample> out;
    out.reserve(series.size());
    for (std::size_t i = 0; i < series.size(); ++i)
        out.push_back(series[i]);
    return out;
}

double RobotHistory::spanMs() const
{
    const auto &series = m_series[0];
    const std::int64_t held = series.empty() ? 0 : m_updatedAtMs - series[0].timeMs;
    return double(std::clamp<std::int64_t>(held, kMinSpanMs, kWindowMs));
}

QVector<QPointF> RobotHistory::points(Quantity quantity) const
{
    const auto &series = m_series[static_cast<std::size_t>(quantity)];
    const std::int64_t windowStart = m_updatedAtMs - kWindowMs;
    std::size_t first = 0;
    while (first + 1 < series.size() && series[first + 1].timeMs <= windowStart)
        ++first;
    QVector<QPointF> points;
    points.reserve(static_cast<int>(series.size() - first));
    for (std::size_t i = first; i < series.size(); ++i) {
        const Sample &s = series[i];
        // Arrived after the last update: shown with the next one, so the axis and the points agree.
        if (s.timeMs > m_updatedAtMs)
            break;
        points.append(QPointF(double(s.timeMs - m_updatedAtMs) / 60'000.0, s.value));
    }
    return points;
}

void RobotHistory::restart()
{
    m_robotId = m_selection ? m_selection->robotId() : QString();
    m_row = m_robotId.isEmpty() ? -1 : m_model->rowOf(m_robotId);
    for (auto &series : m_series)
        series.clear();
    m_lastSampleTimeMs = -1;
    // Only live values are known to hold now; a stale robot's charts start with its next telemetry.
    if (m_row >= 0 && m_model->robotAt(m_row).freshness == Freshness::Live)
        takeSample();
    if (m_robotId.isEmpty())
        m_scrollTimer.stop();
    else
        m_scrollTimer.start();
    publish();
}

void RobotHistory::onDataChanged(int first, int last, const QVector<int> &roles)
{
    if (m_row < first || m_row > last)
        return;
    // A new telemetry message moves the sample time; a freshness change alone (live to stale) does
    // not, and must not extend the lines as if the old values had been measured again.
    if (m_model->robotAt(m_row).sampleTimeUnixMs == m_lastSampleTimeMs && !touchesChartedRoles(roles))
        return;
    takeSample();
    requestPublish();
}

void RobotHistory::onModelReset()
{
    m_row = m_robotId.isEmpty() ? -1 : m_model->rowOf(m_robotId);
    if (m_row >= 0 && m_model->robotAt(m_row).sampleTimeUnixMs != m_lastSampleTimeMs) {
        takeSample();
        requestPublish();
    }
}

void RobotHistory::takeSample()
{
    const RobotState &robot = m_model->robotAt(m_row);
    const std::int64_t now = m_clock->nowUnixMs();
    for (int q = 0; q < kQuantityCount; ++q)
        m_series[static_cast<std::size_t>(q)].push({now, valueOf(robot, static_cast<Quantity>(q))});
    m_lastSampleTimeMs = robot.sampleTimeUnixMs;
}

void RobotHistory::requestPublish()
{
    const std::int64_t sinceLast = m_clock->nowUnixMs() - m_updatedAtMs;
    if (sinceLast >= kPublishIntervalMs || sinceLast < 0)
        publish();
    else if (!m_publishTimer.isActive())
        m_publishTimer.start(static_cast<int>(kPublishIntervalMs - sinceLast));
}

void RobotHistory::publish()
{
    m_publishTimer.stop();
    m_updatedAtMs = m_clock->nowUnixMs();
    Q_EMIT updated();
}

}  // namespace fleetdeck
