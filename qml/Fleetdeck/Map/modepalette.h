#pragma once

#include "robotstate.h"

#include <QColor>

namespace fleetdeck {

// The colour of each robot mode, shared by the map's robot layer, the fleet list and the detail view.
// Chosen to stay apart for the common forms of colour blindness where it matters most: fault (red)
// and stuck (orange) differ in lightness too, and the map adds shape cues for both.
[[nodiscard]] inline QColor modePaletteColor(Mode mode)
{
    switch (mode) {
    case Mode::Autonomous: return QColor(0x3d, 0xdc, 0x84);
    case Mode::Delivering: return QColor(0x4d, 0xa3, 0xff);
    case Mode::Returning: return QColor(0x2b, 0xc0, 0xb4);
    case Mode::WaitingToCross: return QColor(0xff, 0xc1, 0x07);
    case Mode::Idle: return QColor(0xc8, 0xcd, 0xd2);
    case Mode::Charging: return QColor(0x00, 0xe5, 0xff);
    case Mode::Teleop: return QColor(0xb3, 0x88, 0xff);
    case Mode::Fault: return QColor(0xff, 0x3b, 0x30);
    case Mode::Stuck: return QColor(0xff, 0x8c, 0x1a);
    case Mode::Offline:
    case Mode::Unspecified: break;
    }
    return QColor(0x8a, 0x8f, 0x98);
}

}  // namespace fleetdeck
