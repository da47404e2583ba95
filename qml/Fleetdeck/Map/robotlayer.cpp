#include "robotlayer.h"

#include "basemaplayer.h"
#include "clusteratlas.h"
#include "geo.h"
#include "modepalette.h"

#include <QQuickWindow>
#include <QSGGeometryNode>
#include <QSGTexture>
#include <QSGTextureMaterial>
#include <QSGVertexColorMaterial>

#include <algorithm>
#include <cmath>
#include <tuple>

namespace fleetdeck {
namespace {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;
constexpr qreal kGridCellPx = 32;
constexpr int kRingSegments = 32;

// Premultiplied, as QSGVertexColorMaterial expects.
struct Rgba {
    uchar r = 0, g = 0, b = 0, a = 0;
};

Rgba premultiplied(const QColor &c, qreal alpha = 1.0)
{
    const qreal a = c.alphaF() * alpha;
    return {static_cast<uchar>(qRound(c.red() * a)), static_cast<uchar>(qRound(c.green() * a)),
            static_cast<uchar>(qRound(c.blue() * a)), static_cast<uchar>(qRound(255 * a))};
}

bool isLightTheme(const QString &theme)
{
    return theme == QLatin1String("light");
}

QColor withAlpha(QColor c, qreal alpha)
{
    c.setAlphaF(alpha);
    return c;
}

// Fill colour by mode and freshness: stale robots lose most of their hue, lost ones turn grey and
// translucent but stay on the map.
QColor fillColor(Mode mode, Freshness freshness, bool light)
{
    const QColor base = modePaletteColor(mode);
    switch (freshness) {
    case Freshness::Stale: {
        const int grey = qGray(base.rgb());
        const auto mix = [grey](int c) { return (c * 35 + grey * 65) / 100; };
        return withAlpha(QColor(mix(base.red()), mix(base.green()), mix(base.blue())), 0.9);
    }
    case Freshness::Lost:
        return light ? withAlpha(QColor(0x4b, 0x50, 0x58), 0.6) : withAlpha(QColor(0x5b, 0x62, 0x6c), 0.7);
    case Freshness::Live:
    case Freshness::Unspecified: break;
    }
    return base;
}

QColor outlineColor(Freshness freshness, bool light)
{
    const QColor c = light ? QColor(0x1c, 0x21, 0x28) : QColor(0x05, 0x07, 0x0a);
    return withAlpha(c, freshness == Freshness::Lost ? 0.5 : 0.9);
}

bool hasWarningMark(Mode mode)
{
    return mode == Mode::Fault || mode == Mode::Stuck;
}

// Heading arrow, as (right, forward) in marker lengths around the robot's position: tip, right
// barb, notch, left barb. Two triangles: (0, 1, 2) and (0, 2, 3).
constexpr float kArrow[4][2] = {{0.0f, 0.55f}, {0.40f, -0.45f}, {0.0f, -0.20f}, {-0.40f, -0.45f}};

// Zoomed out, a robot is one small triangle pointing its way: software rasterizers (llvmpipe) pay
// per triangle, and 20,000 of these still cost less than the basemap.
constexpr float kPip[3][2] = {{0.0f, 0.6f}, {0.42f, -0.45f}, {-0.42f, -0.45f}};

// A faulted or stuck robot that still reports: what an operator has to act on.
bool needsAttention(Mode mode, Freshness freshness)
{
    return hasWarningMark(mode) && freshness != Freshness::Lost;
}

// Per-cluster tallies: members by mode, then by freshness.
constexpr int kTallyWidth = kModeCount + 4;

// The atlas has a disc per mode and freshness (live, stale, lost): kind = mode * 3 + that.
constexpr int kFreshnessKinds = 3;

int discKind(int mode, Freshness freshness)
{
    const int f = freshness == Freshness::Stale ? 1 : freshness == Freshness::Lost ? 2 : 0;
    return mode * kFreshnessKinds + f;
}

// Disc radius by member count: grows with the logarithm, so tens and thousands both fit a cell.
float discRadius(int count, qreal cellPx)
{
    const double r = 7.0 + 3.0 * std::log2(static_cast<double>(count) / (RobotLayer::kClusterMinimum + 1));
    return static_cast<float>(std::clamp(r, 7.0, cellPx / 2 - ClusterAtlas::kRingPx));
}

// Vertices of one robot's marker: arrow (two triangles) over its outline, plus a mark for faults;
// zoomed out one triangle, over an outline for faults.
int verticesFor(bool detailed, bool warning)
{
    if (detailed)
        return warning ? 18 : 12;
    return warning ? 6 : 3;
}

// Non-indexed triangles: as compact as 32-bit indexed ones for shapes this small, and free of index
// widths: WebGL 1 has 16-bit indices only, and Qt 6.4.2's RHI renderer drew this node's 32-bit
// indices wrongly (as if 16-bit) when we tried.
QSGGeometryNode *makeColoredNode()
{
    auto *node = new QSGGeometryNode;
    auto *geometry = new QSGGeometry(QSGGeometry::defaultAttributes_ColoredPoint2D(), 0);
    geometry->setDrawingMode(QSGGeometry::DrawTriangles);
    geometry->setVertexDataPattern(QSGGeometry::StreamPattern);
    node->setGeometry(geometry);
    node->setMaterial(new QSGVertexColorMaterial);
    node->setFlags(QSGNode::OwnsGeometry | QSGNode::OwnsMaterial | QSGNode::OwnedByParent);
    return node;
}

// Sizes a node's geometry for this frame and marks it dirty. Qt's batch renderer leaves a node out of
// its batches while it has no vertices and rebuilds them on a material or structural change, not on a
// geometry one: a node that fills up later (the first robots arriving after the first frames, a
// selection ring) would never be drawn in a scene where nothing else changes. DirtyMaterial on that
// transition asks for the rebuild.
void allocateVertices(QSGGeometryNode *node, int vertexCount)
{
    const bool wasEmpty = node->geometry()->vertexCount() == 0;
    node->geometry()->allocate(vertexCount);
    node->markDirty(wasEmpty && vertexCount > 0 ? QSGNode::DirtyGeometry | QSGNode::DirtyMaterial
                                                : QSGNode::DirtyState(QSGNode::DirtyGeometry));
}

// Textured quads from the cluster atlas, whose texture it makes (on the render thread) and owns.
class SpriteNode : public QSGGeometryNode
{
public:
    SpriteNode()
        : m_geometry(QSGGeometry::defaultAttributes_TexturedPoint2D(), 0)
    {
        m_geometry.setDrawingMode(QSGGeometry::DrawTriangles);
        m_geometry.setVertexDataPattern(QSGGeometry::StreamPattern);
        setGeometry(&m_geometry);
        // Quads are placed on whole pixels at the atlas's scale.
        m_material.setFiltering(QSGTexture::Nearest);
        setMaterial(&m_material);
        setFlag(QSGNode::OwnedByParent, true);
    }
    ~SpriteNode() override { delete m_texture; }

    void setAtlas(const ClusterAtlas &atlas, int generation, QQuickWindow *window)
    {
        if (generation == m_generation)
            return;
        delete m_texture;
        m_texture = window->createTextureFromImage(atlas.image());
        m_material.setTexture(m_texture);
        m_atlasSize = atlas.image().size();
        m_generation = generation;
        markDirty(QSGNode::DirtyMaterial);
    }

    // `quads` textured quads, written with quad().
    void start(int quads)
    {
        allocateVertices(this, 6 * quads);
        m_next = m_geometry.vertexDataAsTexturedPoint2D();
    }
    void quad(float x, float y, const QRect &source)
    {
        const float x1 = x + static_cast<float>(source.width());
        const float y1 = y + static_cast<float>(source.height());
        const float u0 = static_cast<float>(source.left()) / static_cast<float>(m_atlasSize.width());
        const float v0 = static_cast<float>(source.top()) / static_cast<float>(m_atlasSize.height());
        const float u1 = static_cast<float>(source.left() + source.width()) / static_cast<float>(m_atlasSize.width());
        const float v1 = static_cast<float>(source.top() + source.height()) / static_cast<float>(m_atlasSize.height());
        (m_next++)->set(x, y, u0, v0);
        (m_next++)->set(x1, y, u1, v0);
        (m_next++)->set(x1, y1, u1, v1);
        (m_next++)->set(x, y, u0, v0);
        (m_next++)->set(x1, y1, u1, v1);
        (m_next++)->set(x, y1, u0, v1);
    }

private:
    QSGGeometry m_geometry;
    QSGTextureMaterial m_material;
    QSGTexture *m_texture = nullptr;
    QSize m_atlasSize;
    int m_generation = -1;
    QSGGeometry::TexturedPoint2D *m_next = nullptr;
};

struct Corner {
    float x;
    float y;
    Rgba c;
};

// Appends triangles to a ColoredPoint2D geometry allocated to the exact vertex count.
class Writer
{
public:
    explicit Writer(QSGGeometry *geometry)
        : m_next(geometry->vertexDataAsColoredPoint2D())
    {
    }

    void triangle(const Corner &a, const Corner &b, const Corner &c)
    {
        vertex(a);
        vertex(b);
        vertex(c);
    }
    // Corners in order around the quad.
    void quad(const Corner &a, const Corner &b, const Corner &c, const Corner &d)
    {
        triangle(a, b, c);
        triangle(a, c, d);
    }
    void square(float cx, float cy, float half, Rgba c)
    {
        quad({cx - half, cy - half, c}, {cx + half, cy - half, c}, {cx + half, cy + half, c}, {cx - half, cy + half, c});
    }

private:
    void vertex(const Corner &p)
    {
        m_next->set(p.x, p.y, p.c.r, p.c.g, p.c.b, p.c.a);
        ++m_next;
    }

    QSGGeometry::ColoredPoint2D *m_next;
};

}  // namespace

RobotLayer::RobotLayer(QQuickItem *parent)
    : MapLayer(parent)
{
    setFlag(ItemHasContents, true);
    setClip(true);
    m_clock.start();
    polish();  // the cluster atlas
}

RobotLayer::~RobotLayer() = default;

void RobotLayer::setModel(RobotModel *model)
{
    if (m_model == model)
        return;
    for (const auto &connection : m_modelConnections)
        disconnect(connection);
    m_modelConnections.clear();
    m_model = model;
    if (m_model) {
        m_modelConnections = {
            connect(m_model, &QAbstractItemModel::modelReset, this, &RobotLayer::resetFromModel),
            connect(m_model, &QAbstractItemModel::layoutChanged, this, &RobotLayer::resetFromModel),
            connect(m_model, &QAbstractItemModel::rowsRemoved, this, &RobotLayer::resetFromModel),
            connect(m_model, &QAbstractItemModel::rowsMoved, this, &RobotLayer::resetFromModel),
            connect(m_model, &QAbstractItemModel::rowsInserted, this, &RobotLayer::onRowsInserted),
            connect(m_model, &QAbstractItemModel::dataChanged, this, &RobotLayer::onDataChanged),
            // The QPointer is already null here, so setModel(nullptr) would see no change.
            connect(m_model, &QObject::destroyed, this,
                    [this] {
                        m_modelConnections.clear();
                        resetFromModel();
                        Q_EMIT modelChanged();
                    }),
        };
    }
    resetFromModel();
    Q_EMIT modelChanged();
}

void RobotLayer::setSelectedRow(int row)
{
    if (row < 0)
        row = -1;
    if (m_selectedRow == row)
        return;
    m_selectedRow = row;
    m_trailStart = 0;
    m_trailSize = 0;
    if (row >= 0 && row < static_cast<int>(m_robots.size()) && m_robots[static_cast<std::size_t>(row)].positioned)
        pushTrail(m_robots[static_cast<std::size_t>(row)].to);
    update();
    Q_EMIT selectedRowChanged();
}

void RobotLayer::setTheme(const QString &theme)
{
    if (m_theme == theme)
        return;
    m_theme = theme;
    m_atlas.reset();
    polish();
    update();
    Q_EMIT themeChanged();
}

void RobotLayer::setMarkerSize(qreal size)
{
    if (!(size > 0) || qFuzzyCompare(m_markerSize, size))
        return;
    m_markerSize = size;
    update();
    Q_EMIT markerSizeChanged();
}

void RobotLayer::setDetailZoom(double zoom)
{
    if (m_detailZoom == zoom)
        return;
    m_detailZoom = zoom;
    update();
    Q_EMIT detailZoomChanged();
}

void RobotLayer::setClusterZoom(double zoom)
{
    if (m_clusterZoom == zoom || !std::isfinite(zoom))
        return;
    m_clusterZoom = zoom;
    update();
    Q_EMIT clusterZoomChanged();
}

void RobotLayer::setAnimationMs(int ms)
{
    ms = std::max(0, ms);
    if (m_animationMs == ms)
        return;
    m_animationMs = ms;
    Q_EMIT animationMsChanged();
}

void RobotLayer::setFollowSelected(bool follow)
{
    if (m_followSelected == follow)
        return;
    m_followSelected = follow;
    if (follow && map() && m_selectedRow >= 0 && m_selectedRow < static_cast<int>(m_robots.size())) {
        const Robot &robot = m_robots[static_cast<std::size_t>(m_selectedRow)];
        if (robot.positioned)
            map()->setCenterMercator(glidePosition(robot, currentMs()));
    }
    Q_EMIT followSelectedChanged();
}

qint64 RobotLayer::currentMs() const
{
    return m_injectedClock ? m_injectedClock->nowUnixMs() : m_clock.elapsed();
}

void RobotLayer::FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry)
{
    QQuickItem::FLEETDECK_GEOMETRY_CHANGE(newGeometry, oldGeometry);
    onViewChanged();
}

void RobotLayer::onViewChanged()
{
    if (map()) {
        m_view.center = map()->centerMercator();
        m_view.perPixel = map()->mercatorPerPixel();
        m_view.origin = mapFromItem(map(), QPointF(map()->width() / 2, map()->height() / 2));
        m_view.zoom = map()->zoom();
        m_view.valid = true;
    } else {
        m_view.valid = false;
    }
    update();
}

QPointF RobotLayer::toItem(QPointF mercator) const
{
    return {(mercator.x() - m_view.center.x()) / m_view.perPixel + m_view.origin.x(),
            (m_view.center.y() - mercator.y()) / m_view.perPixel + m_view.origin.y()};
}

void RobotLayer::resetFromModel()
{
    const int count = m_model ? m_model->count() : 0;
    m_robots.assign(static_cast<std::size_t>(count), Robot{});
    const qint64 now = currentMs();
    for (int row = 0; row < count; ++row)
        updateRow(row, now, true);
    m_trailStart = 0;
    m_trailSize = 0;
    if (m_selectedRow >= 0 && m_selectedRow < count && m_robots[static_cast<std::size_t>(m_selectedRow)].positioned)
        pushTrail(m_robots[static_cast<std::size_t>(m_selectedRow)].to);
    update();
}

void RobotLayer::onRowsInserted(const QModelIndex &parent, int first, int last)
{
    if (parent.isValid() || !m_model)
        return;
    m_robots.insert(m_robots.begin() + first, static_cast<std::size_t>(last - first + 1), Robot{});
    const qint64 now = currentMs();
    for (int row = first; row <= last; ++row)
        updateRow(row, now, true);
    update();
}

void RobotLayer::onDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight, const QVector<int> &roles)
{
    if (!m_model || !topLeft.isValid() || !bottomRight.isValid())
        return;
    if (!roles.isEmpty()) {
        const bool drawn = std::any_of(roles.cbegin(), roles.cend(), [](int role) {
            return role == RobotModel::LatitudeRole || role == RobotModel::LongitudeRole
                || role == RobotModel::HeadingRole || role == RobotModel::ModeRole
                || role == RobotModel::FreshnessRole;
        });
        if (!drawn)
            return;  // battery, health, link: nothing on the map changes
    }
    const int last = std::min(bottomRight.row(), static_cast<int>(m_robots.size()) - 1);
    const qint64 now = currentMs();
    for (int row = topLeft.row(); row <= last; ++row)
        updateRow(row, now, false);
    update();
}

void RobotLayer::updateRow(int row, qint64 nowMs, bool snap)
{
    const RobotState &state = m_model->robotAt(row);
    Robot &robot = m_robots[static_cast<std::size_t>(row)];
    robot.mode = state.mode;
    robot.freshness = state.freshness;
    // (0, 0) is what a robot that never reported a position holds, not a place robots deliver to.
    if (!geo::isValid({state.latDeg, state.lonDeg}) || (state.latDeg == 0 && state.lonDeg == 0)) {
        robot.positioned = false;
        return;
    }
    const QPointF fix = geo::toMercator({state.latDeg, state.lonDeg});
    const float heading = std::isfinite(state.headingDeg) ? state.headingDeg : 0.0f;
    const bool moved = !robot.positioned || fix != robot.to;
    const bool headingChanged = !robot.positioned || heading != robot.toHeading;
    if (!snap && !moved && !headingChanged)
        return;
    const bool glide = !snap && robot.positioned && m_animationMs > 0;
    if (glide) {
        // Glide from where it is drawn now, over the time the previous fix took to arrive.
        robot.from = glidePosition(robot, nowMs);
        std::tie(robot.fromSin, robot.fromCos) = glideHeading(robot, nowMs);
        robot.durationMs = static_cast<float>(std::min<qint64>(m_animationMs, nowMs - robot.lastFixMs));
        robot.startMs = nowMs;
        m_animatingUntilMs = std::max(m_animatingUntilMs, nowMs + static_cast<qint64>(robot.durationMs));
    } else {
        robot.from = fix;
        robot.durationMs = 0;
    }
    robot.to = fix;
    if (headingChanged) {
        robot.toHeading = heading;
        robot.toSin = std::sin(heading * static_cast<float>(kDegToRad));
        robot.toCos = std::cos(heading * static_cast<float>(kDegToRad));
    }
    if (!glide) {
        robot.fromSin = robot.toSin;
        robot.fromCos = robot.toCos;
    }
    robot.lastFixMs = nowMs;
    robot.positioned = true;
    if (row == m_selectedRow && moved)
        pushTrail(fix);
}

void RobotLayer::pushTrail(QPointF mercator)
{
    if (m_trailSize < kTrailCapacity) {
        m_trail[static_cast<std::size_t>((m_trailStart + m_trailSize) % kTrailCapacity)] = mercator;
        ++m_trailSize;
    } else {
        m_trail[static_cast<std::size_t>(m_trailStart)] = mercator;
        m_trailStart = (m_trailStart + 1) % kTrailCapacity;
    }
}

bool RobotLayer::isGliding(const Robot &robot, qint64 nowMs)
{
    return robot.durationMs > 0 && nowMs < robot.startMs + static_cast<qint64>(robot.durationMs);
}

QPointF RobotLayer::glidePosition(const Robot &robot, qint64 nowMs) const
{
    if (!isGliding(robot, nowMs))
        return robot.to;
    const double t = static_cast<double>(nowMs - robot.startMs) / robot.durationMs;
    return robot.from + (robot.to - robot.from) * t;
}

std::pair<float, float> RobotLayer::glideHeading(const Robot &robot, qint64 nowMs)
{
    if (!isGliding(robot, nowMs))
        return {robot.toSin, robot.toCos};
    // Between unit vectors, renormalised: turns the short way round without trigonometry.
    const float t = static_cast<float>(nowMs - robot.startMs) / robot.durationMs;
    const float s = robot.fromSin + (robot.toSin - robot.fromSin) * t;
    const float c = robot.fromCos + (robot.toCos - robot.fromCos) * t;
    const float length = std::sqrt(s * s + c * c);
    if (length < 1e-3f)
        return {robot.toSin, robot.toCos};  // a U-turn's midpoint
    return {s / length, c / length};
}

void RobotLayer::updatePolish()
{
    if (m_atlas)
        return;
    // Painted here, on the main thread, because it renders text.
    const bool light = isLightTheme(m_theme);
    const QColor ground = BasemapLayer::backgroundColor(m_theme);
    std::vector<QColor> fills(static_cast<std::size_t>(kModeCount * kFreshnessKinds));
    for (int m = 0; m < kModeCount; ++m) {
        for (Freshness f : {Freshness::Live, Freshness::Stale, Freshness::Lost}) {
            const QColor fill = fillColor(static_cast<Mode>(m), f, light);
            const auto kind = static_cast<std::size_t>(discKind(m, f));
            fills[kind] = fill;
            // Dark figures on light discs, light ones on dark: as the disc looks over the land.
            const qreal a = fill.alphaF();
            const qreal grey = a * qGray(fill.rgb()) + (1 - a) * qGray(ground.rgb());
            m_darkInk[kind] = grey > 120;
        }
    }
    m_atlas = std::make_unique<const ClusterAtlas>(fills, outlineColor(Freshness::Live, light), QColor(0x05, 0x07, 0x0a),
                                                   QColor(0xf5, 0xf8, 0xfc));
    ++m_atlasGeneration;
    update();
}

QSGNode *RobotLayer::updatePaintNode(QSGNode *oldNode, UpdatePaintNodeData *)
{
    QElapsedTimer timer;
    timer.start();

    QSGNode *root = oldNode;
    if (!root) {
        root = new QSGNode;
        root->appendChildNode(makeColoredNode());  // trail
        root->appendChildNode(new SpriteNode);     // discs and their counts
        root->appendChildNode(makeColoredNode());  // markers
        root->appendChildNode(makeColoredNode());  // selection ring
    }
    auto *trailNode = static_cast<QSGGeometryNode *>(root->childAtIndex(0));
    auto *discNode = static_cast<SpriteNode *>(root->childAtIndex(1));
    auto *markerNode = static_cast<QSGGeometryNode *>(root->childAtIndex(2));
    auto *ringNode = static_cast<QSGGeometryNode *>(root->childAtIndex(3));

    const qint64 now = currentMs();
    const bool light = isLightTheme(m_theme);
    const bool detailed = m_view.zoom >= m_detailZoom;
    const int rowCount = static_cast<int>(m_robots.size());

    // Place every robot in item pixels: lost and stale first so live robots are drawn over them.
    m_drawn.clear();
    m_drawn.reserve(static_cast<std::size_t>(rowCount));
    m_drawnIndexOfRow.assign(static_cast<std::size_t>(rowCount), -1);
    if (m_view.valid) {
        const qreal margin = m_markerSize;
        const QRectF visible = QRectF(0, 0, width(), height()).adjusted(-margin, -margin, margin, margin);
        for (int pass = 0; pass < 2; ++pass) {
            for (int row = 0; row < rowCount; ++row) {
                const Robot &robot = m_robots[static_cast<std::size_t>(row)];
                const bool faded = robot.freshness == Freshness::Stale || robot.freshness == Freshness::Lost;
                if (!robot.positioned || faded != (pass == 0))
                    continue;
                const bool gliding = isGliding(robot, now);
                const QPointF p = toItem(gliding ? glidePosition(robot, now) : robot.to);
                if (!visible.contains(p))
                    continue;
                const auto [sinHeading, cosHeading] = gliding ? glideHeading(robot, now)
                                                              : std::pair<float, float>{robot.toSin, robot.toCos};
                m_drawnIndexOfRow[static_cast<std::size_t>(row)] = static_cast<int>(m_drawn.size());
                m_drawn.push_back({static_cast<float>(p.x()), static_cast<float>(p.y()), sinHeading, cosHeading, row});
            }
        }
    }

    const int placedCount = static_cast<int>(m_drawn.size());
    m_clusters.clear();
    if (m_view.valid && m_view.zoom < m_clusterZoom && m_atlas)
        aggregate();

    // Discs, then all their counts over them, from the atlas: two triangles each.
    if (m_atlas) {
        discNode->setAtlas(*m_atlas, m_atlasGeneration, window());
        std::array<int, 6> glyphs{};
        int quads = static_cast<int>(m_clusters.size());
        for (const Cluster &cluster : m_clusters)
            quads += ClusterAtlas::glyphsOf(cluster.count, &glyphs);
        discNode->start(quads);
        for (const Cluster &cluster : m_clusters) {
            const QRect disc = m_atlas->disc(cluster.kind, cluster.radiusIndex);
            discNode->quad(std::round(cluster.x) - static_cast<float>(disc.width() / 2),
                           std::round(cluster.y) - static_cast<float>(disc.height() / 2), disc);
        }
        for (const Cluster &cluster : m_clusters) {
            const int n = ClusterAtlas::glyphsOf(cluster.count, &glyphs);
            const bool dark = m_darkInk[static_cast<std::size_t>(cluster.kind)];
            int width = 0;
            for (int k = 0; k < n; ++k)
                width += m_atlas->glyph(glyphs[static_cast<std::size_t>(k)], dark).width();
            float x = std::round(cluster.x - static_cast<float>(width) / 2);
            const float y = std::round(cluster.y - static_cast<float>(m_atlas->lineHeight()) / 2);
            for (int k = 0; k < n; ++k) {
                const QRect glyph = m_atlas->glyph(glyphs[static_cast<std::size_t>(k)], dark);
                discNode->quad(x, y, glyph);
                x += static_cast<float>(glyph.width());
            }
        }
    }

    // Markers: one geometry, sized exactly, filled in one sweep.
    std::array<std::array<Rgba, 4>, kModeCount> fills;
    for (int m = 0; m < kModeCount; ++m) {
        for (int f = 0; f < 4; ++f)
            fills[static_cast<std::size_t>(m)][static_cast<std::size_t>(f)] =
                premultiplied(fillColor(static_cast<Mode>(m), static_cast<Freshness>(f), light));
    }
    auto fillOf = [&fills](const Robot &robot) {
        const auto m = std::min<std::size_t>(static_cast<std::size_t>(robot.mode), kModeCount - 1);
        const auto f = std::min<std::size_t>(static_cast<std::size_t>(robot.freshness), 3);
        return fills[m][f];
    };
    int vertexCount = 0;
    for (const Drawn &dr : m_drawn)
        vertexCount += verticesFor(detailed, hasWarningMark(m_robots[static_cast<std::size_t>(dr.row)].mode));
    allocateVertices(markerNode, vertexCount);
    QSGGeometry *markers = markerNode->geometry();
    {
        Writer w(markers);
        const float size = static_cast<float>(m_markerSize);
        const float pipSize = std::max(5.0f, size * 0.55f);
        const Rgba outlineLive = premultiplied(outlineColor(Freshness::Live, light));
        const Rgba outlineLost = premultiplied(outlineColor(Freshness::Lost, light));
        for (const Drawn &dr : m_drawn) {
            const Robot &robot = m_robots[static_cast<std::size_t>(dr.row)];
            const Rgba fill = fillOf(robot);
            const Rgba outline = robot.freshness == Freshness::Lost ? outlineLost : outlineLive;
            const bool warning = hasWarningMark(robot.mode);
            // Forward (fx, fy) and right (-fy, fx) in item pixels: y points down, heading is
            // clockwise from north.
            const float fx = dr.sinHeading;
            const float fy = -dr.cosHeading;
            auto at = [&](float right, float forward, Rgba c) {
                return Corner{dr.x - fy * right + fx * forward, dr.y + fx * right + fy * forward, c};
            };
            if (!detailed) {
                auto pip = [&](float s, Rgba c) {
                    w.triangle(at(kPip[0][0] * s, kPip[0][1] * s, c), at(kPip[1][0] * s, kPip[1][1] * s, c),
                               at(kPip[2][0] * s, kPip[2][1] * s, c));
                };
                if (warning)
                    pip(pipSize * 1.3f + 3.0f, outline);
                pip(warning ? pipSize * 1.3f : pipSize, fill);
                continue;
            }
            const float scale = warning ? size * 1.25f : size;
            auto arrow = [&](float s, Rgba c) {
                const Corner tip = at(kArrow[0][0] * s, kArrow[0][1] * s, c);
                const Corner notch = at(kArrow[2][0] * s, kArrow[2][1] * s, c);
                w.triangle(tip, at(kArrow[1][0] * s, kArrow[1][1] * s, c), notch);
                w.triangle(tip, notch, at(kArrow[3][0] * s, kArrow[3][1] * s, c));
            };
            arrow(scale + 2.4f, outline);
            arrow(scale, fill);
            if (warning) {
                // A dark mark inside: a square for a fault, a bar across for a stuck robot.
                const float half = scale * 0.1f;
                if (robot.mode == Mode::Fault)
                    w.square(dr.x - fx * scale * 0.05f, dr.y - fy * scale * 0.05f, half, outline);
                else
                    w.quad(at(-scale * 0.18f, -scale * 0.05f - half, outline), at(scale * 0.18f, -scale * 0.05f - half, outline),
                           at(scale * 0.18f, -scale * 0.05f + half, outline), at(-scale * 0.18f, -scale * 0.05f + half, outline));
            }
        }
    }

    buildGrid();

    // Selection: ring and trail, from the same glide so they stay on the marker.
    const bool selectedDrawn = m_selectedRow >= 0 && m_selectedRow < rowCount
        && m_drawnIndexOfRow[static_cast<std::size_t>(m_selectedRow)] >= 0;
    QSGGeometry *ring = ringNode->geometry();
    if (selectedDrawn) {
        const Drawn &dr = m_drawn[static_cast<std::size_t>(m_drawnIndexOfRow[static_cast<std::size_t>(m_selectedRow)])];
        allocateVertices(ringNode, 2 * 6 * kRingSegments);
        Writer w(ring);
        const float radius = static_cast<float>(m_markerSize) * 0.8f + 4.0f;
        const Rgba halo = premultiplied(outlineColor(Freshness::Live, light));
        const Rgba accent = light ? premultiplied(QColor(0x0b, 0x57, 0xd0)) : premultiplied(QColor(0xf5, 0xf8, 0xfc));
        auto annulus = [&](float inner, float outer, Rgba c) {
            for (int k = 0; k < kRingSegments; ++k) {
                const double a0 = 2 * 3.14159265358979323846 * k / kRingSegments;
                const double a1 = 2 * 3.14159265358979323846 * (k + 1) / kRingSegments;
                const float c0 = static_cast<float>(std::cos(a0)), s0 = static_cast<float>(std::sin(a0));
                const float c1 = static_cast<float>(std::cos(a1)), s1 = static_cast<float>(std::sin(a1));
                w.quad({dr.x + c0 * inner, dr.y + s0 * inner, c}, {dr.x + c0 * outer, dr.y + s0 * outer, c},
                       {dr.x + c1 * outer, dr.y + s1 * outer, c}, {dr.x + c1 * inner, dr.y + s1 * inner, c});
            }
        };
        annulus(radius - 1.0f, radius + 3.0f, halo);
        annulus(radius, radius + 2.0f, accent);
    } else {
        allocateVertices(ringNode, 0);
    }

    QSGGeometry *trail = trailNode->geometry();
    if (selectedDrawn && m_trailSize > 0) {
        const Robot &robot = m_robots[static_cast<std::size_t>(m_selectedRow)];
        std::vector<QPointF> points;
        points.reserve(static_cast<std::size_t>(m_trailSize) + 1);
        for (int k = 0; k < m_trailSize; ++k)
            points.push_back(toItem(m_trail[static_cast<std::size_t>((m_trailStart + k) % kTrailCapacity)]));
        // The newest fix is where the robot is gliding to; end the line where it is drawn instead.
        points.back() = toItem(glidePosition(robot, now));
        const int segments = static_cast<int>(points.size()) - 1;
        allocateVertices(trailNode, 6 * segments);
        Writer w(trail);
        const QColor base = modePaletteColor(robot.mode);
        const float half = 1.25f;
        for (int k = 0; k < segments; ++k) {
            const QPointF a = points[static_cast<std::size_t>(k)];
            const QPointF b = points[static_cast<std::size_t>(k + 1)];
            const QPointF delta = b - a;
            const double len = std::hypot(delta.x(), delta.y());
            // A zero-length segment still fills its six vertices, with zero area.
            const float nx = len > 0 ? static_cast<float>(-delta.y() / len) * half : 0.0f;
            const float ny = len > 0 ? static_cast<float>(delta.x() / len) * half : 0.0f;
            // Older parts fade out.
            const Rgba ca = premultiplied(base, 0.15 + 0.75 * k / segments);
            const Rgba cb = premultiplied(base, 0.15 + 0.75 * (k + 1) / segments);
            const float ax = static_cast<float>(a.x()), ay = static_cast<float>(a.y());
            const float bx = static_cast<float>(b.x()), by = static_cast<float>(b.y());
            w.quad({ax + nx, ay + ny, ca}, {bx + nx, by + ny, cb}, {bx - nx, by - ny, cb}, {ax - nx, ay - ny, ca});
        }
    } else {
        allocateVertices(trailNode, 0);
    }

    m_syncedDrawnCount = placedCount;
    m_syncedClusterCount = static_cast<int>(m_clusters.size());
    m_lastBuildUs = timer.nsecsElapsed() / 1000;
    // Signals and the next frame's request belong on the main thread.
    QMetaObject::invokeMethod(this, [this] { afterFrame(); }, Qt::QueuedConnection);
    return root;
}

void RobotLayer::aggregate()
{
    // The grid is fixed to the Mercator plane at half-level zoom steps: panning moves cells with the
    // map instead of regrouping robots, and a smooth zoom regroups them twice per level.
    const double mercatorLimit = MapView::kMercatorPerPixelZoom0 * 128;
    const double cellPx = kClusterCellPx * std::exp2(m_view.zoom - std::floor(m_view.zoom * 2) / 2);
    // World pixel (from the plane's north-west corner) of this item's (0, 0).
    const double worldX = (m_view.center.x() + mercatorLimit) / m_view.perPixel - m_view.origin.x();
    const double worldY = (mercatorLimit - m_view.center.y()) / m_view.perPixel - m_view.origin.y();
    // One cell of margin each side: robots placed just outside the item.
    const double firstColumn = std::floor(worldX / cellPx) - 1;
    const double firstRow = std::floor(worldY / cellPx) - 1;
    const int columns = static_cast<int>(std::ceil(width() / cellPx)) + 3;
    const int rows = static_cast<int>(std::ceil(height() / cellPx)) + 3;

    // Two groups per cell: [0] robots going about their work, [1] those needing attention.
    std::vector<int> groupOf(m_drawn.size(), -1);
    std::vector<int> members(static_cast<std::size_t>(columns) * static_cast<std::size_t>(rows) * 2, 0);
    for (std::size_t i = 0; i < m_drawn.size(); ++i) {
        const Drawn &dr = m_drawn[i];
        if (dr.row == m_selectedRow)
            continue;
        const Robot &robot = m_robots[static_cast<std::size_t>(dr.row)];
        const auto column = std::clamp(static_cast<int>(std::floor((dr.x + worldX) / cellPx) - firstColumn), 0,
                                       columns - 1);
        const auto row = std::clamp(static_cast<int>(std::floor((dr.y + worldY) / cellPx) - firstRow), 0, rows - 1);
        const int group = (row * columns + column) * 2 + (needsAttention(robot.mode, robot.freshness) ? 1 : 0);
        groupOf[i] = group;
        ++members[static_cast<std::size_t>(group)];
    }
    std::vector<int> clusterOfGroup(members.size(), -1);
    for (int kind = 0; kind < 2; ++kind) {
        const int minimum = kind == 0 ? kClusterMinimum : kWarningClusterMinimum;
        for (std::size_t group = static_cast<std::size_t>(kind); group < members.size(); group += 2) {
            if (members[group] > minimum) {
                clusterOfGroup[group] = static_cast<int>(m_clusters.size());
                m_clusters.push_back({});
            }
        }
    }
    if (m_clusters.empty())
        return;

    // Members by mode, then by freshness.
    std::vector<int> tallies(m_clusters.size() * kTallyWidth, 0);
    std::vector<double> sums(m_clusters.size() * 2, 0.0);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < m_drawn.size(); ++i) {
        const Drawn dr = m_drawn[i];
        const int cluster = groupOf[i] >= 0 ? clusterOfGroup[static_cast<std::size_t>(groupOf[i])] : -1;
        if (cluster < 0) {
            m_drawnIndexOfRow[static_cast<std::size_t>(dr.row)] = static_cast<int>(kept);
            m_drawn[kept++] = dr;
            continue;
        }
        const auto c = static_cast<std::size_t>(cluster);
        const Robot &robot = m_robots[static_cast<std::size_t>(dr.row)];
        ++m_clusters[c].count;
        sums[2 * c] += dr.x;
        sums[2 * c + 1] += dr.y;
        int *tally = &tallies[c * kTallyWidth];
        ++tally[std::min<int>(static_cast<int>(robot.mode), kModeCount - 1)];
        ++tally[kModeCount + std::min<int>(static_cast<int>(robot.freshness), 3)];
        m_drawnIndexOfRow[static_cast<std::size_t>(dr.row)] = -2 - cluster;
    }
    m_drawn.resize(kept);
    for (std::size_t c = 0; c < m_clusters.size(); ++c) {
        Cluster &cluster = m_clusters[c];
        cluster.x = static_cast<float>(sums[2 * c] / cluster.count);
        cluster.y = static_cast<float>(sums[2 * c + 1] / cluster.count);
        cluster.radiusIndex = ClusterAtlas::radiusIndex(discRadius(cluster.count, cellPx));
        cluster.radius = static_cast<float>(ClusterAtlas::kRadii[static_cast<std::size_t>(cluster.radiusIndex)]
                                            + ClusterAtlas::kRingPx);
        // The most common mode's colour; grey only when most of its robots are out of touch.
        const int *tally = &tallies[c * kTallyWidth];
        const int mode = static_cast<int>(std::max_element(tally, tally + kModeCount) - tally);
        const int lost = tally[kModeCount + static_cast<int>(Freshness::Lost)];
        const int stale = tally[kModeCount + static_cast<int>(Freshness::Stale)];
        Freshness freshness = Freshness::Live;
        if (2 * lost > cluster.count)
            freshness = Freshness::Lost;
        else if (2 * (lost + stale) > cluster.count)
            freshness = Freshness::Stale;
        cluster.kind = discKind(mode, freshness);
    }
}

void RobotLayer::buildGrid()
{
    m_gridColumns = std::max(1, static_cast<int>(std::ceil(width() / kGridCellPx)));
    m_gridRows = std::max(1, static_cast<int>(std::ceil(height() / kGridCellPx)));
    const int cells = m_gridColumns * m_gridRows;
    m_cellStart.assign(static_cast<std::size_t>(cells) + 1, 0);
    auto cellOf = [this](const Drawn &dr) {
        const int cx = std::clamp(static_cast<int>(dr.x / kGridCellPx), 0, m_gridColumns - 1);
        const int cy = std::clamp(static_cast<int>(dr.y / kGridCellPx), 0, m_gridRows - 1);
        return cy * m_gridColumns + cx;
    };
    for (const Drawn &dr : m_drawn)
        ++m_cellStart[static_cast<std::size_t>(cellOf(dr)) + 1];
    for (int c = 0; c < cells; ++c)
        m_cellStart[static_cast<std::size_t>(c) + 1] += m_cellStart[static_cast<std::size_t>(c)];
    m_cellItems.resize(m_drawn.size());
    std::vector<int> fill(m_cellStart.begin(), m_cellStart.end() - 1);
    for (int i = 0; i < static_cast<int>(m_drawn.size()); ++i)
        m_cellItems[static_cast<std::size_t>(fill[static_cast<std::size_t>(cellOf(m_drawn[static_cast<std::size_t>(i)]))]++)] = i;
}

int RobotLayer::rowAt(qreal x, qreal y) const
{
    if (m_drawn.empty() || m_gridColumns == 0)
        return -1;
    const qreal radius = std::max(kPickRadiusPx, m_markerSize * 0.75);
    const int x0 = std::clamp(static_cast<int>(std::floor((x - radius) / kGridCellPx)), 0, m_gridColumns - 1);
    const int x1 = std::clamp(static_cast<int>(std::floor((x + radius) / kGridCellPx)), 0, m_gridColumns - 1);
    const int y0 = std::clamp(static_cast<int>(std::floor((y - radius) / kGridCellPx)), 0, m_gridRows - 1);
    const int y1 = std::clamp(static_cast<int>(std::floor((y + radius) / kGridCellPx)), 0, m_gridRows - 1);
    int best = -1;
    qreal bestDistance2 = radius * radius;
    for (int cy = y0; cy <= y1; ++cy) {
        for (int cx = x0; cx <= x1; ++cx) {
            const int cell = cy * m_gridColumns + cx;
            for (int k = m_cellStart[static_cast<std::size_t>(cell)]; k < m_cellStart[static_cast<std::size_t>(cell) + 1]; ++k) {
                const int i = m_cellItems[static_cast<std::size_t>(k)];
                const Drawn &dr = m_drawn[static_cast<std::size_t>(i)];
                const qreal dx = dr.x - x;
                const qreal dy = dr.y - y;
                const qreal d2 = dx * dx + dy * dy;
                // Ties go to the later-drawn robot, the one on top.
                if (d2 < bestDistance2 || (d2 == bestDistance2 && best >= 0 && i > best)) {
                    bestDistance2 = d2;
                    best = i;
                }
            }
        }
    }
    if (best < 0)
        return -1;
    // The model may have shrunk since the frame was built.
    const int row = m_drawn[static_cast<std::size_t>(best)].row;
    return row < static_cast<int>(m_robots.size()) ? row : -1;
}

int RobotLayer::clusterSizeAt(qreal x, qreal y) const
{
    // The last drawn is on top; a few hundred discs at most.
    for (auto it = m_clusters.crbegin(); it != m_clusters.crend(); ++it) {
        const qreal dx = it->x - x;
        const qreal dy = it->y - y;
        const qreal reach = it->radius;
        if (dx * dx + dy * dy <= reach * reach)
            return it->count;
    }
    return 0;
}

QPointF RobotLayer::drawnPosition(int row) const
{
    if (row < 0 || row >= static_cast<int>(m_drawnIndexOfRow.size()))
        return {-1, -1};
    const int i = m_drawnIndexOfRow[static_cast<std::size_t>(row)];
    if (i <= -2) {
        const Cluster &cluster = m_clusters[static_cast<std::size_t>(-2 - i)];
        return {cluster.x, cluster.y};
    }
    if (i < 0)
        return {-1, -1};
    return {m_drawn[static_cast<std::size_t>(i)].x, m_drawn[static_cast<std::size_t>(i)].y};
}

void RobotLayer::afterFrame()
{
    const qint64 now = currentMs();
    if (m_followSelected && map() && m_selectedRow >= 0 && m_selectedRow < static_cast<int>(m_robots.size())) {
        const Robot &robot = m_robots[static_cast<std::size_t>(m_selectedRow)];
        if (robot.positioned)
            map()->setCenterMercator(glidePosition(robot, now));
    }
    if (now < m_animatingUntilMs)
        update();
    if (m_drawnCount != m_syncedDrawnCount) {
        m_drawnCount = m_syncedDrawnCount;
        Q_EMIT drawnCountChanged();
    }
    if (m_clusterCount != m_syncedClusterCount) {
        m_clusterCount = m_syncedClusterCount;
        Q_EMIT clusterCountChanged();
    }
    Q_EMIT frameDrawn();
}

}  // namespace fleetdeck
