#include "browsergamepad.h"

#include <emscripten/html5.h>

#include <cstring>

namespace fleetdeck {

GamepadReading readBrowserGamepad()
{
    GamepadReading reading;
    if (emscripten_sample_gamepad_data() != EMSCRIPTEN_RESULT_SUCCESS)
        return reading;
    const int count = emscripten_get_num_gamepads();
    for (int i = 0; i < count; ++i) {
        EmscriptenGamepadEvent pad;
        if (emscripten_get_gamepad_status(i, &pad) != EMSCRIPTEN_RESULT_SUCCESS || !pad.connected)
            continue;
        // Only pads the browser maps to the standard layout: elsewhere axis 2 may be a trigger resting
        // at -1 (a hard turn whenever driving) and button 1 anything but the e-stop.
        if (std::strcmp(pad.mapping, "standard") != 0)
            continue;
        reading.connected = true;
        reading.id = QString::fromUtf8(pad.id);
        reading.leftX = pad.numAxes > 0 ? pad.axis[0] : 0;
        reading.leftY = pad.numAxes > 1 ? pad.axis[1] : 0;
        reading.rightX = pad.numAxes > 2 ? pad.axis[2] : 0;
        reading.engageButton = pad.numButtons > 0 && pad.digitalButton[0];
        reading.stopButton = pad.numButtons > 1 && pad.digitalButton[1];
        break;
    }
    return reading;
}

}  // namespace fleetdeck
