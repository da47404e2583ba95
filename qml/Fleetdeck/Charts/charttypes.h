#pragma once

namespace fleetdeck {

// Registers the chart module's C++ types with QML (import Fleetdeck.Charts.Types 1.0): HistoryFeed
// and HistoryPlotItem everywhere, SeriesFill where Qt Charts is built (the desktop; its console must then
// be a QApplication, as Qt Charts draws with Graphics View).
void registerChartTypes();

}  // namespace fleetdeck
