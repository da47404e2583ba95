#pragma once

#include <QPointF>

// Geodesy shared by the map (Web Mercator) and the simulator (distances and headings on streets).
namespace fleetdeck::geo {

inline constexpr double kEarthRadiusM = 6378137.0;  // WGS84 semi-major axis, as Web Mercator uses
inline constexpr double kMaxMercatorLatDeg = 85.05112878;

struct LatLon {
    double latDeg = 0;
    double lonDeg = 0;
};

// EPSG:3857 metres; y grows northwards.
[[nodiscard]] QPointF toMercator(LatLon p);
[[nodiscard]] LatLon fromMercator(QPointF m);

// Scale factor of Web Mercator at a latitude: mercator metres per ground metre.
[[nodiscard]] double mercatorScale(double latDeg);

[[nodiscard]] double distanceM(LatLon a, LatLon b);
// Initial bearing from a to b, degrees clockwise from north in [0, 360).
[[nodiscard]] double bearingDeg(LatLon a, LatLon b);
// The point `distanceM` ground metres from `from` along `bearingDeg` (flat-earth, fine below a few km).
[[nodiscard]] LatLon offset(LatLon from, double bearingDeg, double distanceM);

[[nodiscard]] bool isValid(LatLon p);

}  // namespace fleetdeck::geo
