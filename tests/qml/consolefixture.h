#pragma once

#include "clock.h"
#include "consoletypes.h"
#include "fleetsummary.h"
#include "robotfiltermodel.h"
#include "robotmodel.h"
#include "robotselection.h"

#include <QObject>
#include <QVariantList>
#include <QVariantMap>

#include <vector>

namespace fleetdeck {

// What the console's QML tests work with: a real RobotModel fed fleet.v1 snapshots and deltas (the
// same frames the backend sends), the console's view models over it, and a clock the tests move.
// Robots are described by maps keyed by the model's role names ({robotId: "nb-0001", mode: Fleet.Fault,
// batteryPct: 12, faults: [{code: 1, detail: "left"}], ...}).
// Thread: main.
class ConsoleFixture : public QObject
{
    Q_OBJECT
    Q_PROPERTY(fleetdeck::RobotModel *robots READ robots CONSTANT)
    Q_PROPERTY(fleetdeck::RobotFilterModel *fleetList READ fleetList CONSTANT)
    Q_PROPERTY(fleetdeck::RobotSelection *selection READ selection CONSTANT)
    Q_PROPERTY(fleetdeck::FleetSummary *summary READ summary CONSTANT)
    Q_PROPERTY(fleetdeck::ConsoleStyle *style READ style CONSTANT)
    // The injected clock, Unix ms; the model's server time follows it exactly.
    Q_PROPERTY(double nowMs READ nowMs NOTIFY nowMsChanged)

public:
    explicit ConsoleFixture(QObject *parent = nullptr);

    [[nodiscard]] RobotModel *robots() { return &m_robots; }
    [[nodiscard]] RobotFilterModel *fleetList() { return &m_fleetList; }
    [[nodiscard]] RobotSelection *selection() { return &m_selection; }
    [[nodiscard]] FleetSummary *summary() { return &m_summary; }
    [[nodiscard]] ConsoleStyle *style() { return &m_style; }
    [[nodiscard]] double nowMs() const { return double(m_clock.nowUnixMs()); }

    // A snapshot of these robots, in this order (slot == index). Clears the selection and every
    // filter, so each test starts from the same place.
    Q_INVOKABLE void load(const QVariantList &robots);
    // One delta changing the given fields of one robot. Unless it marks the robot stale or lost (the
    // backend noticing silence), it is a new telemetry message: the robot is live, its sample time now.
    // False, with a warning, for an unknown robot or field.
    Q_INVOKABLE bool update(const QString &robotId, const QVariantMap &changes);
    Q_INVOKABLE void advance(int ms);

Q_SIGNALS:
    void nowMsChanged();

private:
    ManualClock m_clock;
    RobotModel m_robots;
    RobotFilterModel m_fleetList{&m_robots};
    RobotSelection m_selection{&m_robots};
    FleetSummary m_summary{&m_robots};
    ConsoleStyle m_style;
    quint64 m_sequence = 0;
};

}  // namespace fleetdeck
