#pragma once

namespace fleetdeck {

// Registers MapView, BasemapLayer, TileLayer and RobotLayer as QML types of "Fleetdeck.Map" 1.0 (the
// module whose qmldir, in map.qrc, adds MapPane). Call once before loading QML.
void registerMapTypes();

}  // namespace fleetdeck
