#pragma once

namespace fleetdeck {

// Registers the chart module's C++ types with QML (import Fleetdeck.Charts.Types 1.0). Qt Charts
// draws with Graphics View: the application must be a QApplication, not a QGuiApplication.
void registerChartTypes();

}  // namespace fleetdeck
