#pragma once

#include "gamepadinput.h"

namespace fleetdeck {

// The first connected gamepad as the browser's Gamepad API reports it now (through emscripten's
// html5.h), for GamepadInput. Browsers expose a gamepad only after one of its buttons was pressed
// while the page was in view; until then, and where the API is missing, it reads as disconnected.
// Browser build only. Thread: main (the browser's only one).
[[nodiscard]] GamepadReading readBrowserGamepad();

}  // namespace fleetdeck
