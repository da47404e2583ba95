#pragma once

#include <QByteArray>
#include <QPointF>
#include <QRectF>
#include <QString>

#include <array>
#include <optional>
#include <vector>

namespace fleetdeck {

// The shipped city as triangle lists, parsed once from GeoJSON. Coordinates are Web Mercator metres
// minus origin() ("local metres"): a few kilometres either way, so floats keep centimetres. Note that
// local metres are Mercator metres: ground distances are multiplied by geo::mercatorScale(lat) (about
// 1.7 in northern Germany), which the stroke widths below already include.
// A plain value: QtCore/QtGui only, no scene graph, so it can be loaded and tested without a window.
class Basemap
{
public:
    // Draw order, bottom first.
    enum class Layer : int {
        Green,        // landuse/leisure/natural greens
        Water,        // water areas
        Waterways,    // rivers, canals, streams as lines
        Buildings,
        Paths,        // footway, path, cycleway, steps, track: 2.5 m
        Pedestrian,   // pedestrian streets (6 m) and squares
        RoadCasing,   // an outline under every road, 1.5 m wider on each side
        ServiceRoads, // 5 m
        MinorRoads,   // residential, unclassified, living_street: 8 m
        TertiaryRoads,// 10 m
        MajorRoads,   // primary, secondary, trunk and their links: 12 m
        Railways,     // 2 m
    };
    static constexpr int kLayerCount = static_cast<int>(Layer::Railways) + 1;

    struct GeoBounds {
        double south = 0;
        double west = 0;
        double north = 0;
        double east = 0;
    };

    // Nullopt with a reason in `error` for bytes that are not a GeoJSON FeatureCollection or hold
    // nothing drawable. Features of unknown kinds or with broken coordinates are skipped.
    [[nodiscard]] static std::optional<Basemap> load(const QByteArray &geojson, QString *error);
    // `path` as QFile takes it, so ":/basemap/..." reads a Qt resource.
    [[nodiscard]] static std::optional<Basemap> loadFile(const QString &path, QString *error);

    // x, y pairs in local metres; every three vertices are one triangle (QSGGeometry::DrawTriangles).
    [[nodiscard]] const std::vector<float> &vertices(Layer layer) const
    {
        return m_layers[static_cast<std::size_t>(layer)];
    }
    [[nodiscard]] int vertexCount(Layer layer) const { return static_cast<int>(vertices(layer).size() / 2); }
    [[nodiscard]] int totalVertexCount() const;
    [[nodiscard]] static QString layerName(Layer layer);

    // Web Mercator metres of local (0, 0): the centre of the data's bounding box.
    [[nodiscard]] QPointF origin() const { return m_origin; }
    // Bounding box of the data's coordinates in local metres, y growing northwards (so top() is the
    // southern edge). Stroked streets reach up to half their width (times sqrt 2 at caps) beyond it.
    [[nodiscard]] QRectF bounds() const { return m_bounds; }
    [[nodiscard]] GeoBounds geoBounds() const { return m_geoBounds; }
    [[nodiscard]] int featureCount() const { return m_featureCount; }

private:
    std::array<std::vector<float>, kLayerCount> m_layers;
    QPointF m_origin;
    QRectF m_bounds;
    GeoBounds m_geoBounds;
    int m_featureCount = 0;
};

}  // namespace fleetdeck
