#include "geo.h"

#include <algorithm>
#include <cmath>

namespace fleetdeck::geo {
namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;
constexpr double kRadToDeg = 180.0 / kPi;
}  // namespace

QPointF toMercator(LatLon p)
{
    const double lat = std::clamp(p.latDeg, -kMaxMercatorLatDeg, kMaxMercatorLatDeg) * kDegToRad;
    return {kEarthRadiusM * p.lonDeg * kDegToRad,
            kEarthRadiusM * std::log(std::tan(kPi / 4.0 + lat / 2.0))};
}

LatLon fromMercator(QPointF m)
{
    return {(2.0 * std::atan(std::exp(m.y() / kEarthRadiusM)) - kPi / 2.0) * kRadToDeg,
            m.x() / kEarthRadiusM * kRadToDeg};
}

double mercatorScale(double latDeg)
{
    return 1.0 / std::cos(latDeg * kDegToRad);
}

double distanceM(LatLon a, LatLon b)
{
    const double dLat = (b.latDeg - a.latDeg) * kDegToRad;
    const double dLon = (b.lonDeg - a.lonDeg) * kDegToRad;
    const double h = std::sin(dLat / 2) * std::sin(dLat / 2)
        + std::cos(a.latDeg * kDegToRad) * std::cos(b.latDeg * kDegToRad) * std::sin(dLon / 2)
            * std::sin(dLon / 2);
    return 2.0 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(h)));
}

double bearingDeg(LatLon a, LatLon b)
{
    const double lat1 = a.latDeg * kDegToRad;
    const double lat2 = b.latDeg * kDegToRad;
    const double dLon = (b.lonDeg - a.lonDeg) * kDegToRad;
    const double y = std::sin(dLon) * std::cos(lat2);
    const double x = std::cos(lat1) * std::sin(lat2) - std::sin(lat1) * std::cos(lat2) * std::cos(dLon);
    const double deg = std::atan2(y, x) * kRadToDeg;
    return deg < 0 ? deg + 360.0 : deg;
}

LatLon offset(LatLon from, double bearing, double distance)
{
    const double b = bearing * kDegToRad;
    const double dLat = distance * std::cos(b) / kEarthRadiusM;
    const double dLon = distance * std::sin(b) / (kEarthRadiusM * std::cos(from.latDeg * kDegToRad));
    return {from.latDeg + dLat * kRadToDeg, from.lonDeg + dLon * kRadToDeg};
}

bool isValid(LatLon p)
{
    return std::isfinite(p.latDeg) && std::isfinite(p.lonDeg) && p.latDeg >= -90 && p.latDeg <= 90
        && p.lonDeg >= -180 && p.lonDeg <= 180;
}

}  // namespace fleetdeck::geo
