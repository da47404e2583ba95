#include "mapview.h"

#include "geo.h"

#include <algorithm>
#include <cmath>

namespace fleetdeck {
namespace {
// The Mercator plane's half width; y is clamped to it too (latitude +-85.05 degrees).
constexpr double kMercatorLimit = geo::kEarthRadiusM * 3.14159265358979323846;
}  // namespace

MapView::MapView(QQuickItem *parent)
    : QQuickItem(parent)
{
    setClip(true);
}

double MapView::centerLatitude() const
{
    return geo::fromMercator(m_center).latDeg;
}

double MapView::centerLongitude() const
{
    return geo::fromMercator(m_center).lonDeg;
}

double MapView::metresPerPixel() const
{
    return m_mercatorPerPixel / geo::mercatorScale(centerLatitude());
}

void MapView::setCenterLatitude(double latDeg)
{
    if (!std::isfinite(latDeg))
        return;
    setCenterMercator(geo::toMercator({latDeg, centerLongitude()}));
}

void MapView::setCenterLongitude(double lonDeg)
{
    if (!std::isfinite(lonDeg))
        return;
    setCenterMercator(geo::toMercator({centerLatitude(), lonDeg}));
}

void MapView::setCenterMercator(QPointF mercator)
{
    if (!std::isfinite(mercator.x()) || !std::isfinite(mercator.y()))
        return;
    mercator.setX(std::clamp(mercator.x(), -kMercatorLimit, kMercatorLimit));
    mercator.setY(std::clamp(mercator.y(), -kMercatorLimit, kMercatorLimit));
    if (mercator == m_center)
        return;
    m_center = mercator;
    Q_EMIT viewChanged();
}

double MapView::clampZoom(double zoom) const
{
    return std::clamp(zoom, m_minZoom, std::max(m_minZoom, m_maxZoom));
}

void MapView::applyZoom(double zoom)
{
    m_zoom = zoom;
    m_mercatorPerPixel = kMercatorPerPixelZoom0 / std::exp2(zoom);
}

void MapView::setZoom(double zoom)
{
    if (!std::isfinite(zoom))
        return;
    zoom = clampZoom(zoom);
    if (zoom == m_zoom)
        return;
    applyZoom(zoom);
    Q_EMIT viewChanged();
}

void MapView::setMinZoom(double zoom)
{
    if (!std::isfinite(zoom) || zoom == m_minZoom)
        return;
    m_minZoom = zoom;
    Q_EMIT zoomRangeChanged();
    setZoom(m_zoom);
}

void MapView::setMaxZoom(double zoom)
{
    if (!std::isfinite(zoom) || zoom == m_maxZoom)
        return;
    m_maxZoom = zoom;
    Q_EMIT zoomRangeChanged();
    setZoom(m_zoom);
}

QPointF MapView::mercatorToItem(QPointF mercator) const
{
    return {(mercator.x() - m_center.x()) / m_mercatorPerPixel + width() / 2,
            (m_center.y() - mercator.y()) / m_mercatorPerPixel + height() / 2};
}

QPointF MapView::itemToMercator(QPointF itemPoint) const
{
    return {m_center.x() + (itemPoint.x() - width() / 2) * m_mercatorPerPixel,
            m_center.y() - (itemPoint.y() - height() / 2) * m_mercatorPerPixel};
}

void MapView::panBy(qreal dxPx, qreal dyPx)
{
    setCenterMercator({m_center.x() - dxPx * m_mercatorPerPixel, m_center.y() + dyPx * m_mercatorPerPixel});
}

void MapView::zoomAround(qreal xPx, qreal yPx, double zoomDelta)
{
    const double zoom = clampZoom(m_zoom + zoomDelta);
    if (!std::isfinite(zoom) || zoom == m_zoom)
        return;
    const QPointF anchor = itemToMercator({xPx, yPx});
    applyZoom(zoom);
    // Put the anchor back under the cursor; setCenterMercator emits viewChanged (once).
    const QPointF center(anchor.x() - (xPx - width() / 2) * m_mercatorPerPixel,
                         anchor.y() + (yPx - height() / 2) * m_mercatorPerPixel);
    if (center == m_center)
        Q_EMIT viewChanged();
    else
        setCenterMercator(center);
}

void MapView::fitBounds(double south, double west, double north, double east, qreal paddingPx)
{
    const PendingFit fit{south, west, north, east, paddingPx};
    if (width() <= 2 * paddingPx || height() <= 2 * paddingPx) {
        m_pendingFit = fit;
        return;
    }
    m_pendingFit.reset();
    applyFit(fit);
}

void MapView::applyFit(const PendingFit &fit)
{
    const QPointF sw = geo::toMercator({fit.south, fit.west});
    const QPointF ne = geo::toMercator({fit.north, fit.east});
    const double spanX = std::abs(ne.x() - sw.x());
    const double spanY = std::abs(ne.y() - sw.y());
    const double perPixel = std::max(spanX / (width() - 2 * fit.padding), spanY / (height() - 2 * fit.padding));
    const double zoom = perPixel > 0 ? clampZoom(std::log2(kMercatorPerPixelZoom0 / perPixel)) : m_maxZoom;
    applyZoom(zoom);
    const QPointF center((sw.x() + ne.x()) / 2, (sw.y() + ne.y()) / 2);
    if (center == m_center)
        Q_EMIT viewChanged();
    else
        setCenterMercator(center);
}

void MapView::setView(double latDeg, double lonDeg, double zoom)
{
    if (std::isfinite(zoom))
        applyZoom(clampZoom(zoom));
    const QPointF center = geo::toMercator({latDeg, lonDeg});
    if (center == m_center || !std::isfinite(center.x()) || !std::isfinite(center.y()))
        Q_EMIT viewChanged();
    else
        setCenterMercator(center);
}

QPointF MapView::mapToItemPoint(double latDeg, double lonDeg) const
{
    return mercatorToItem(geo::toMercator({latDeg, lonDeg}));
}

GeoCoordinate MapView::itemPointToCoordinate(qreal xPx, qreal yPx) const
{
    const geo::LatLon ll = geo::fromMercator(itemToMercator({xPx, yPx}));
    return {ll.latDeg, ll.lonDeg};
}

void MapView::FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry)
{
    QQuickItem::FLEETDECK_GEOMETRY_CHANGE(newGeometry, oldGeometry);
    if (newGeometry.size() == oldGeometry.size())
        return;
    if (m_pendingFit && width() > 2 * m_pendingFit->padding && height() > 2 * m_pendingFit->padding) {
        const PendingFit fit = *m_pendingFit;
        m_pendingFit.reset();
        applyFit(fit);
        return;
    }
    Q_EMIT viewChanged();
}

}  // namespace fleetdeck
