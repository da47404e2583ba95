#pragma once

#include "robotstate.h"

#include <QString>

namespace fleetdeck::testing {

// Robot `i` of a made-up fleet, as of its telemetry `sequence`: one per 1e-4° of latitude, moving
// east a little with every sequence, so that each new sequence is a change a delta must carry.
inline RobotState movingRobot(int i, quint64 sequence)
{
    RobotState r;
    r.robotId = QStringLiteral("nb-%1").arg(i, 4, 10, QLatin1Char('0'));
    r.sequence = sequence;
    r.latDeg = 53.55 + i * 1e-4;
    r.lonDeg = 13.26 + double(sequence) * 1e-5;
    r.mode = Mode::Autonomous;
    r.batteryPct = 90;
    r.sampleTimeUnixMs = qint64(sequence);
    return r;
}

}  // namespace fleetdeck::testing
