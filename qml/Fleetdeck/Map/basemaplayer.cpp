#include "basemaplayer.h"

#include <QElapsedTimer>
#include "logging.h"
#include <QSGFlatColorMaterial>
#include <QSGGeometryNode>
#include <QSGOpacityNode>
#include <QSGTransformNode>

#include <array>
#include <cstring>

namespace fleetdeck {
namespace {

using Layer = Basemap::Layer;

struct Palette {
    QColor background;
    std::array<QColor, Basemap::kLayerCount> layers;
};

// Dark: near-black land, buildings a step lighter, streets lighter by importance, paths barely
// there, so coloured robots carry the picture. Light: close to the OpenStreetMap standard style.
const Palette &palette(const QString &theme)
{
    static const Palette kDark{QColor(0x10, 0x14, 0x18),
                               {QColor(0x15, 0x24, 0x1c), QColor(0x14, 0x28, 0x3a), QColor(0x14, 0x28, 0x3a),
                                QColor(0x25, 0x2b, 0x33), QColor(0x29, 0x2f, 0x37), QColor(0x26, 0x2c, 0x35),
                                QColor(0x0a, 0x0d, 0x10), QColor(0x31, 0x38, 0x41), QColor(0x38, 0x40, 0x4a),
                                QColor(0x44, 0x4d, 0x59), QColor(0x55, 0x5f, 0x6c), QColor(0x4a, 0x4a, 0x56)}};
    static const Palette kLight{QColor(0xf2, 0xef, 0xe9),
                                {QColor(0xcd, 0xeb, 0xb0), QColor(0xaa, 0xd3, 0xdf), QColor(0xaa, 0xd3, 0xdf),
                                 QColor(0xd9, 0xd0, 0xc9), QColor(0xec, 0xa8, 0x9c), QColor(0xdd, 0xdd, 0xe8),
                                 QColor(0xb5, 0xac, 0xa3), QColor(0xff, 0xff, 0xff), QColor(0xff, 0xff, 0xff),
                                 QColor(0xff, 0xff, 0xff), QColor(0xfc, 0xd6, 0xa4), QColor(0x8c, 0x8c, 0x8c)}};
    return theme == QLatin1String("light") ? kLight : kDark;
}

class LayerNode : public QSGGeometryNode
{
public:
    LayerNode(Layer layer, const std::vector<float> &xy)
        : m_layer(layer)
        , m_geometry(QSGGeometry::defaultAttributes_Point2D(), static_cast<int>(xy.size() / 2))
    {
        m_geometry.setDrawingMode(QSGGeometry::DrawTriangles);
        m_geometry.setVertexDataPattern(QSGGeometry::StaticPattern);
        std::memcpy(m_geometry.vertexData(), xy.data(), xy.size() * sizeof(float));
        setGeometry(&m_geometry);
        setMaterial(&m_material);
    }

    [[nodiscard]] Layer layer() const { return m_layer; }
    void setColor(const QColor &color)
    {
        if (m_material.color() == color)
            return;
        m_material.setColor(color);
        markDirty(QSGNode::DirtyMaterial);
    }

private:
    Layer m_layer;
    QSGGeometry m_geometry;
    QSGFlatColorMaterial m_material;
};

// Layers too thin to see when zoomed out are left out there: a software rasterizer pays for every
// triangle, visible or not (paths and casings are 45 % of the shipped city's vertices).
double minZoom(Layer layer)
{
    switch (layer) {
    case Layer::Paths:
    case Layer::RoadCasing: return 15;
    default: return 0;
    }
}

class RootNode : public QSGTransformNode
{
public:
    std::vector<LayerNode *> layers;
    std::vector<std::pair<QSGOpacityNode *, double>> gates;  // hides its layer below the zoom
};

}  // namespace

BasemapLayer::BasemapLayer(QQuickItem *parent)
    : MapLayer(parent)
{
    setFlag(ItemHasContents, true);
    setClip(true);
}

BasemapLayer::~BasemapLayer() = default;

void BasemapLayer::setTheme(const QString &theme)
{
    if (m_theme == theme)
        return;
    m_theme = theme;
    m_colorsDirty = true;
    update();
    Q_EMIT themeChanged();
}

void BasemapLayer::setSource(const QUrl &source)
{
    if (m_source == source)
        return;
    m_source = source;
    if (isComponentComplete())
        load();
    Q_EMIT sourceChanged();
}

QColor BasemapLayer::backgroundColor() const
{
    return backgroundColor(m_theme);
}

QColor BasemapLayer::backgroundColor(const QString &theme)
{
    return palette(theme).background;
}

QColor BasemapLayer::layerColor(const QString &theme, Basemap::Layer layer)
{
    return palette(theme).layers[static_cast<std::size_t>(layer)];
}

QRectF BasemapLayer::geoBounds() const
{
    if (!m_basemap)
        return {};
    const Basemap::GeoBounds b = m_basemap->geoBounds();
    return {b.west, b.south, b.east - b.west, b.north - b.south};
}

void BasemapLayer::componentComplete()
{
    MapLayer::componentComplete();
    load();
}

void BasemapLayer::load()
{
    m_basemap.reset();
    m_error.clear();
    m_geometryDirty = true;
    if (!m_source.isEmpty()) {
        QString path;
        if (m_source.scheme() == QLatin1String("qrc"))
            path = QLatin1Char(':') + m_source.path();
        else if (m_source.isLocalFile())
            path = m_source.toLocalFile();
        if (path.isEmpty()) {
            m_error = QStringLiteral("unsupported basemap source %1").arg(m_source.toString());
        } else {
            QElapsedTimer timer;
            timer.start();
            std::optional<Basemap> loaded = Basemap::loadFile(path, &m_error);
            if (loaded) {
                m_basemap = std::make_unique<const Basemap>(std::move(*loaded));
                qCInfo(lcMap, "basemap %s: %d features, %d vertices in %lld ms", qPrintable(path),
                       m_basemap->featureCount(), m_basemap->totalVertexCount(),
                       static_cast<long long>(timer.elapsed()));
            }
        }
        if (!m_error.isEmpty())
            qCWarning(lcMap, "basemap not loaded: %s", qPrintable(m_error));
    }
    onViewChanged();
    Q_EMIT statusChanged();
}

void BasemapLayer::onViewChanged()
{
    if (map() && m_basemap) {
        // Local metres -> this item's pixels: scale, flip y (north up), translate.
        const double s = 1.0 / map()->mercatorPerPixel();
        const QPointF origin = mapFromItem(map(), map()->mercatorToItem(m_basemap->origin()));
        m_zoom = map()->zoom();
        m_transform = QMatrix4x4(static_cast<float>(s), 0, 0, static_cast<float>(origin.x()),  //
                                 0, static_cast<float>(-s), 0, static_cast<float>(origin.y()),  //
                                 0, 0, 1, 0,                                                    //
                                 0, 0, 0, 1);
    }
    update();
}

void BasemapLayer::FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry)
{
    QQuickItem::FLEETDECK_GEOMETRY_CHANGE(newGeometry, oldGeometry);
    if (newGeometry.topLeft() != oldGeometry.topLeft())
        onViewChanged();
}

QSGNode *BasemapLayer::updatePaintNode(QSGNode *oldNode, UpdatePaintNodeData *)
{
    auto *root = static_cast<RootNode *>(oldNode);
    if (!m_basemap || !map()) {
        delete root;
        return nullptr;
    }
    if (root && m_geometryDirty) {
        delete root;
        root = nullptr;
    }
    if (!root) {
        root = new RootNode;
        for (int i = 0; i < Basemap::kLayerCount; ++i) {
            const auto layer = static_cast<Layer>(i);
            if (m_basemap->vertexCount(layer) == 0)
                continue;
            auto *node = new LayerNode(layer, m_basemap->vertices(layer));
            node->setFlag(QSGNode::OwnedByParent, true);
            root->layers.push_back(node);
            if (minZoom(layer) > 0) {
                auto *gate = new QSGOpacityNode;
                gate->setFlag(QSGNode::OwnedByParent, true);
                gate->appendChildNode(node);
                root->appendChildNode(gate);
                root->gates.emplace_back(gate, minZoom(layer));
            } else {
                root->appendChildNode(node);
            }
        }
        m_geometryDirty = false;
        m_colorsDirty = true;
    }
    if (m_colorsDirty) {
        const Palette &colors = palette(m_theme);
        for (LayerNode *node : root->layers)
            node->setColor(colors.layers[static_cast<std::size_t>(node->layer())]);
        m_colorsDirty = false;
    }
    for (auto &[gate, zoom] : root->gates) {
        const qreal opacity = m_zoom >= zoom ? 1.0 : 0.0;
        if (gate->opacity() != opacity)
            gate->setOpacity(opacity);
    }
    root->setMatrix(m_transform);
    return root;
}

}  // namespace fleetdeck
