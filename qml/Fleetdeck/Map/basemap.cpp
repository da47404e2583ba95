#include "basemap.h"

#include "geo.h"
#include "triangulate.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QStringList>

#include <algorithm>
#include <cmath>
#include <limits>

namespace fleetdeck {
namespace {

using Layer = Basemap::Layer;

constexpr double kCasingM = 1.5;  // extra outline either side of a road, ground metres

struct Style {
    Layer layer = Layer::Green;
    double widthM = 0;  // ground metres; 0 for areas
    bool area = false;
    bool casing = false;
};

struct Shape {
    Style style;
    std::vector<QPointF> points;  // Web Mercator metres, absolute
};

bool oneOf(const QString &value, std::initializer_list<const char *> names)
{
    for (const char *name : names) {
        if (value == QLatin1String(name))
            return true;
    }
    return false;
}

Style line(Layer layer, double widthM, bool casing = false)
{
    return {layer, widthM, false, casing};
}

Style area(Layer layer)
{
    return {layer, 0, true, false};
}

std::optional<Style> highwayStyle(const QString &h, bool polygon)
{
    if (polygon && oneOf(h, {"pedestrian"}))
        return area(Layer::Pedestrian);
    if (oneOf(h, {"primary", "primary_link", "secondary", "secondary_link", "trunk", "trunk_link", "motorway",
                  "motorway_link"}))
        return line(Layer::MajorRoads, 12, true);
    if (oneOf(h, {"tertiary", "tertiary_link"}))
        return line(Layer::TertiaryRoads, 10, true);
    if (oneOf(h, {"residential", "unclassified", "living_street", "road"}))
        return line(Layer::MinorRoads, 8, true);
    if (oneOf(h, {"service"}))
        return line(Layer::ServiceRoads, 5, true);
    if (oneOf(h, {"pedestrian"}))
        return line(Layer::Pedestrian, 6);
    if (oneOf(h, {"footway", "path", "cycleway", "steps", "track", "bridleway", "corridor"}))
        return line(Layer::Paths, 2.5);
    return std::nullopt;  // construction, proposed, rest_area, platform, ...
}

std::optional<Style> classify(const QJsonObject &props, bool polygon)
{
    const QString building = props.value(QLatin1String("building")).toString();
    if (!building.isEmpty() && building != QLatin1String("no"))
        return area(Layer::Buildings);

    const QString highway = props.value(QLatin1String("highway")).toString();
    if (!highway.isEmpty())
        return highwayStyle(highway, polygon);

    const QString railway = props.value(QLatin1String("railway")).toString();
    if (oneOf(railway, {"rail", "light_rail", "tram", "subway", "narrow_gauge", "funicular", "monorail", "preserved"}))
        return line(Layer::Railways, 2);

    const QString waterway = props.value(QLatin1String("waterway")).toString();
    if (oneOf(waterway, {"riverbank", "dock"}))
        return area(Layer::Water);
    if (oneOf(waterway, {"river"}))
        return line(Layer::Waterways, 8);
    if (oneOf(waterway, {"canal"}))
        return line(Layer::Waterways, 6);
    if (oneOf(waterway, {"stream"}))
        return line(Layer::Waterways, 2.5);
    if (oneOf(waterway, {"drain", "ditch"}))
        return line(Layer::Waterways, 1.5);

    const QString natural = props.value(QLatin1String("natural")).toString();
    const QString landuse = props.value(QLatin1String("landuse")).toString();
    const QString leisure = props.value(QLatin1String("leisure")).toString();
    if (natural == QLatin1String("water") || oneOf(landuse, {"reservoir", "basin"})
        || props.contains(QLatin1String("water")))
        return area(Layer::Water);
    if (oneOf(landuse, {"grass", "meadow", "forest", "recreation_ground", "village_green", "cemetery", "allotments",
                        "orchard", "flowerbed"})
        || oneOf(leisure, {"park", "garden", "playground", "pitch", "nature_reserve", "golf_course", "dog_park"})
        || oneOf(natural, {"wood", "scrub", "grassland", "heath", "wetland"}))
        return area(Layer::Green);
    return std::nullopt;
}

// [[lon, lat], ...] to Mercator; false if any position is not a finite pair on the globe.
bool readRing(const QJsonValue &value, std::vector<QPointF> *out)
{
    const QJsonArray positions = value.toArray();
    out->clear();
    out->reserve(static_cast<std::size_t>(positions.size()));
    for (const QJsonValue &position : positions) {
        const QJsonArray pair = position.toArray();
        if (pair.size() < 2)
            return false;
        const geo::LatLon ll{pair.at(1).toDouble(std::numeric_limits<double>::quiet_NaN()),
                             pair.at(0).toDouble(std::numeric_limits<double>::quiet_NaN())};
        if (!geo::isValid(ll))
            return false;
        out->push_back(geo::toMercator(ll));
    }
    return !out->empty();
}

bool isClosed(const std::vector<QPointF> &ring)
{
    return ring.size() >= 4 && ring.front() == ring.back();
}

// Every ring or line of one feature that `style` can draw (outer rings only: holes are not cut).
void collect(const QJsonObject &geometry, const Style &style, std::vector<Shape> *shapes)
{
    const QString type = geometry.value(QLatin1String("type")).toString();
    const QJsonArray coords = geometry.value(QLatin1String("coordinates")).toArray();
    std::vector<QPointF> ring;
    auto add = [&](const QJsonValue &positions, bool closedShape) {
        if (!readRing(positions, &ring))
            return;
        if (style.area && !closedShape && !isClosed(ring))
            return;  // an area clipped open at the data's edge: no outline to fill
        shapes->push_back({style, std::move(ring)});
        ring = {};
    };
    if (type == QLatin1String("Polygon")) {
        if (!coords.isEmpty())
            add(coords.at(0), true);
    } else if (type == QLatin1String("MultiPolygon")) {
        for (const QJsonValue &polygon : coords) {
            const QJsonArray rings = polygon.toArray();
            if (!rings.isEmpty())
                add(rings.at(0), true);
        }
    } else if (type == QLatin1String("LineString")) {
        add(coords, false);
    } else if (type == QLatin1String("MultiLineString")) {
        for (const QJsonValue &part : coords)
            add(part, false);
    }
}

}  // namespace

int Basemap::totalVertexCount() const
{
    int total = 0;
    for (const auto &layer : m_layers)
        total += static_cast<int>(layer.size() / 2);
    return total;
}

QString Basemap::layerName(Layer layer)
{
    static const char *const kNames[kLayerCount] = {"green", "water", "waterways", "buildings", "paths", "pedestrian",
                                                    "roadCasing", "serviceRoads", "minorRoads", "tertiaryRoads",
                                                    "majorRoads", "railways"};
    return QString::fromLatin1(kNames[static_cast<int>(layer)]);
}

std::optional<Basemap> Basemap::loadFile(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("cannot open %1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    return load(file.readAll(), error);
}

std::optional<Basemap> Basemap::load(const QByteArray &geojson, QString *error)
{
    auto fail = [error](const QString &why) -> std::optional<Basemap> {
        if (error)
            *error = why;
        return std::nullopt;
    };

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(geojson, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return fail(QStringLiteral("GeoJSON does not parse at offset %1: %2")
                        .arg(parseError.offset)
                        .arg(parseError.errorString()));
    const QJsonObject root = doc.object();
    if (root.value(QLatin1String("type")).toString() != QLatin1String("FeatureCollection"))
        return fail(QStringLiteral("GeoJSON root is not a FeatureCollection"));

    const QJsonArray features = root.value(QLatin1String("features")).toArray();
    std::vector<Shape> shapes;
    shapes.reserve(static_cast<std::size_t>(features.size()));
    for (const QJsonValue &featureValue : features) {
        const QJsonObject feature = featureValue.toObject();
        const QJsonObject geometry = feature.value(QLatin1String("geometry")).toObject();
        const QString type = geometry.value(QLatin1String("type")).toString();
        const bool polygon = type == QLatin1String("Polygon") || type == QLatin1String("MultiPolygon");
        const std::optional<Style> style = classify(feature.value(QLatin1String("properties")).toObject(), polygon);
        if (style)
            collect(geometry, *style, &shapes);
    }
    if (shapes.empty())
        return fail(QStringLiteral("GeoJSON holds no drawable features"));

    double minX = std::numeric_limits<double>::max();
    double minY = minX;
    double maxX = std::numeric_limits<double>::lowest();
    double maxY = maxX;
    for (const Shape &shape : shapes) {
        for (const QPointF &p : shape.points) {
            minX = std::min(minX, p.x());
            maxX = std::max(maxX, p.x());
            minY = std::min(minY, p.y());
            maxY = std::max(maxY, p.y());
        }
    }

    Basemap map;
    map.m_featureCount = static_cast<int>(shapes.size());
    map.m_origin = QPointF((minX + maxX) / 2, (minY + maxY) / 2);
    map.m_bounds = QRectF(minX - map.m_origin.x(), minY - map.m_origin.y(), maxX - minX, maxY - minY);
    const geo::LatLon sw = geo::fromMercator({minX, minY});
    const geo::LatLon ne = geo::fromMercator({maxX, maxY});
    map.m_geoBounds = {sw.latDeg, sw.lonDeg, ne.latDeg, ne.lonDeg};
    // One scale for the whole city: it varies by 0.1 % per kilometre north-south.
    const double scale = geo::mercatorScale(geo::fromMercator(map.m_origin).latDeg);

    std::vector<QPointF> local;
    for (Shape &shape : shapes) {
        local.clear();
        for (const QPointF &p : shape.points)
            local.push_back(p - map.m_origin);
        auto &out = map.m_layers[static_cast<std::size_t>(shape.style.layer)];
        if (shape.style.area) {
            triangulate::appendPolygon(local, &out);
        } else {
            triangulate::appendPolyline(local, shape.style.widthM / 2 * scale, &out);
            if (shape.style.casing) {
                triangulate::appendPolyline(local, (shape.style.widthM / 2 + kCasingM) * scale,
                                            &map.m_layers[static_cast<std::size_t>(Layer::RoadCasing)]);
            }
        }
    }
    for (auto &layer : map.m_layers)
        layer.shrink_to_fit();
    return map;
}

}  // namespace fleetdeck
