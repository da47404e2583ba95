#pragma once

#include "qtcompat.h"

#include <QPointF>
#include <QQuickItem>

#include <optional>

namespace fleetdeck {

// A latitude/longitude pair for QML (`c.latitude`, `c.longitude`).
struct GeoCoordinate {
    Q_GADGET
    Q_PROPERTY(double latitude MEMBER latitude)
    Q_PROPERTY(double longitude MEMBER longitude)
public:
    double latitude = 0;
    double longitude = 0;
};

// The camera of the map: a centre, a slippy-map zoom level and the item's size, and the Web Mercator
// arithmetic between coordinates and item pixels (logical pixels; device pixel ratio is the
// renderer's business). Draws nothing itself: layers are its children, fill it, and redraw on
// viewChanged. Input is handled in QML, which calls panBy/zoomAround.
// Thread: main.
class MapView : public QQuickItem
{
    Q_OBJECT
    Q_PROPERTY(double centerLatitude READ centerLatitude WRITE setCenterLatitude NOTIFY viewChanged)
    Q_PROPERTY(double centerLongitude READ centerLongitude WRITE setCenterLongitude NOTIFY viewChanged)
    Q_PROPERTY(double zoom READ zoom WRITE setZoom NOTIFY viewChanged)
    Q_PROPERTY(double minZoom READ minZoom WRITE setMinZoom NOTIFY zoomRangeChanged)
    Q_PROPERTY(double maxZoom READ maxZoom WRITE setMaxZoom NOTIFY zoomRangeChanged)
    // Ground metres per item pixel at the centre's latitude.
    Q_PROPERTY(double metresPerPixel READ metresPerPixel NOTIFY viewChanged)

public:
    // Web Mercator metres per pixel at zoom 0 with 256-pixel tiles (2 pi R / 256).
    static constexpr double kMercatorPerPixelZoom0 = 156543.03392804097;

    explicit MapView(QQuickItem *parent = nullptr);

    [[nodiscard]] double centerLatitude() const;
    [[nodiscard]] double centerLongitude() const;
    [[nodiscard]] double zoom() const { return m_zoom; }
    [[nodiscard]] double minZoom() const { return m_minZoom; }
    [[nodiscard]] double maxZoom() const { return m_maxZoom; }
    [[nodiscard]] double metresPerPixel() const;
    void setCenterLatitude(double latDeg);
    void setCenterLongitude(double lonDeg);
    void setZoom(double zoom);
    void setMinZoom(double zoom);
    void setMaxZoom(double zoom);

    // For layers: the camera in Web Mercator metres, without trigonometry per point.
    [[nodiscard]] QPointF centerMercator() const { return m_center; }
    [[nodiscard]] double mercatorPerPixel() const { return m_mercatorPerPixel; }
    void setCenterMercator(QPointF mercator);
    [[nodiscard]] QPointF mercatorToItem(QPointF mercator) const;
    [[nodiscard]] QPointF itemToMercator(QPointF itemPoint) const;

    // Moves the content by (dx, dy) pixels, as a drag does.
    Q_INVOKABLE void panBy(qreal dxPx, qreal dyPx);
    // Changes zoom by `zoomDelta` levels keeping the coordinate under (xPx, yPx) where it is.
    Q_INVOKABLE void zoomAround(qreal xPx, qreal yPx, double zoomDelta);
    // Shows the box whole with `paddingPx` to spare on each side, as far as maxZoom allows. Before the
    // item has a size, the fit is made when it gets one.
    Q_INVOKABLE void fitBounds(double south, double west, double north, double east, qreal paddingPx = 0);
    // Centre and zoom in one step (one viewChanged).
    Q_INVOKABLE void setView(double latDeg, double lonDeg, double zoom);
    Q_INVOKABLE QPointF mapToItemPoint(double latDeg, double lonDeg) const;
    Q_INVOKABLE fleetdeck::GeoCoordinate itemPointToCoordinate(qreal xPx, qreal yPx) const;

Q_SIGNALS:
    void viewChanged();
    void zoomRangeChanged();

protected:
    void FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry) override;

private:
    struct PendingFit {
        double south, west, north, east;
        qreal padding;
    };

    [[nodiscard]] double clampZoom(double zoom) const;
    void applyZoom(double zoom);
    void applyFit(const PendingFit &fit);

    QPointF m_center;  // Web Mercator metres
    double m_zoom = 15;
    double m_minZoom = 10;
    double m_maxZoom = 20;
    double m_mercatorPerPixel = kMercatorPerPixelZoom0 / 32768.0;
    std::optional<PendingFit> m_pendingFit;
};

}  // namespace fleetdeck

Q_DECLARE_METATYPE(fleetdeck::GeoCoordinate)
