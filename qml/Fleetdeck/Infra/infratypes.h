#pragma once

namespace fleetdeck {

// Registers the infrastructure view's C++ types with QML (import Fleetdeck.Infra.Types 1.0): the
// model (created by the application) with its list models, and the heatmap and plot items.
void registerInfraTypes();

}  // namespace fleetdeck
