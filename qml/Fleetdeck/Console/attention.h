#pragma once

#include "robotstate.h"

namespace fleetdeck {

// A robot an operator should look at now: faulted or stuck. One definition for the list filter, the
// counts and the N / Shift+N keys, so they always agree.
[[nodiscard]] inline bool needsAttention(const RobotState &robot)
{
    return robot.mode == Mode::Fault || robot.mode == Mode::Stuck;
}

}  // namespace fleetdeck
