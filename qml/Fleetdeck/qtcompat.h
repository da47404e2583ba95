#pragma once

// Every Qt 5.15 / Qt 6 difference of the console's C++ lives here, so that the same sources build the
// desktop console (Qt 6.4) and the browser console (Qt 5.15 for WebAssembly, DESIGN.md §10).

#include <QtGlobal>

// QQuickItem::geometryChanged (Qt 5) was renamed geometryChange (Qt 6); declare overrides as
//   void FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry) override;
#if QT_VERSION >= QT_VERSION_CHECK(6, 0, 0)
#define FLEETDECK_GEOMETRY_CHANGE geometryChange
#else
#define FLEETDECK_GEOMETRY_CHANGE geometryChanged
#endif
