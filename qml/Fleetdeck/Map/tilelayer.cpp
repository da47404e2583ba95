#include "tilelayer.h"

#include "geo.h"

#include <QDateTime>
#include <QNetworkAccessManager>
#include <QNetworkDiskCache>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QQuickWindow>
#include <QSGSimpleTextureNode>
#include <QSGTexture>
#include <QStandardPaths>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <limits>

#ifndef FLEETDECK_HOMEPAGE_URL
#define FLEETDECK_HOMEPAGE_URL ""
#endif

namespace fleetdeck {
namespace {

// Half the Web Mercator plane's width, metres: 128 pixels of zoom 0.
constexpr double kMercatorLimit = MapView::kMercatorPerPixelZoom0 * 128;
// How many levels up a loading tile looks for a stand-in.
constexpr int kFallbackLevels = 4;
// More would mean a window far larger than any screen; stops a bad size from asking for thousands.
constexpr int kMaxVisibleTiles = 400;
constexpr int kTransferTimeoutMs = 15'000;

// Textures of the tiles drawn, kept across frames and owned here, so a tile is uploaded once while it
// stays in view (and a while after), not per frame. Deleted with the node, on the render thread.
class TileRoot : public QSGNode
{
public:
    struct Cached {
        QSGTexture *texture = nullptr;
        qint64 imageKey = 0;
        quint64 usedInFrame = 0;
    };

    ~TileRoot() override
    {
        // Children first: they point at the textures.
        removeAllChildNodes();
        for (auto &entry : textures)
            delete entry.second.texture;
    }

    QSGTexture *textureFor(std::uint64_t key, const QImage &image, QQuickWindow *window)
    {
        Cached &cached = textures[key];
        if (!cached.texture || cached.imageKey != image.cacheKey()) {
            delete cached.texture;
            cached.texture = window->createTextureFromImage(image);
            // Tiles are drawn between 0.7 and 1.4 times their size, and stand-ins far larger.
            cached.texture->setFiltering(QSGTexture::Linear);
            cached.imageKey = image.cacheKey();
        }
        cached.usedInFrame = frame;
        return cached.texture;
    }

    // Deletes the least recently drawn textures beyond `capacity`; none drawn this frame.
    void evict(std::size_t capacity)
    {
        if (textures.size() <= capacity)
            return;
        std::vector<std::pair<quint64, std::uint64_t>> idle;
        for (const auto &entry : textures) {
            if (entry.second.usedInFrame != frame)
                idle.emplace_back(entry.second.usedInFrame, entry.first);
        }
        std::sort(idle.begin(), idle.end());
        for (std::size_t k = 0; k < idle.size() && textures.size() > capacity; ++k) {
            auto it = textures.find(idle[k].second);
            delete it->second.texture;
            textures.erase(it);
        }
    }

    std::unordered_map<std::uint64_t, Cached> textures;
    quint64 frame = 0;
};

int keyZ(std::uint64_t key)
{
    return static_cast<int>(key >> 58);
}
int keyX(std::uint64_t key)
{
    return static_cast<int>((key >> 29) & ((1u << 29) - 1));
}
int keyY(std::uint64_t key)
{
    return static_cast<int>(key & ((1u << 29) - 1));
}

}  // namespace

TileLayer::TileLayer(QQuickItem *parent)
    : MapLayer(parent)
    , m_userAgent(defaultUserAgent())
{
    setFlag(ItemHasContents, true);
    setClip(true);
}

TileLayer::~TileLayer()
{
    clearTiles();
}

QString TileLayer::defaultUserAgent()
{
    const QString homepage = QStringLiteral(FLEETDECK_HOMEPAGE_URL);
    return QStringLiteral("fleetdeck/%1 (%2operations console)")
        .arg(QStringLiteral(FLEETDECK_VERSION), homepage.isEmpty() ? QString() : QStringLiteral("+%1; ").arg(homepage));
}

QUrl TileLayer::tileUrl(const QString &urlTemplate, int z, int x, int y)
{
    QString url = urlTemplate;
    url.replace(QLatin1String("{z}"), QString::number(z));
    url.replace(QLatin1String("{x}"), QString::number(x));
    url.replace(QLatin1String("{y}"), QString::number(y));
    // Spread over the server's host names the same way each time, so caches stay warm.
    url.replace(QLatin1String("{s}"), QString(QLatin1Char("abc"[(x + y) % 3])));
    return QUrl(url);
}

QPoint TileLayer::tileAt(double latDeg, double lonDeg, int z)
{
    const QPointF m = geo::toMercator({std::clamp(latDeg, -geo::kMaxMercatorLatDeg, geo::kMaxMercatorLatDeg), lonDeg});
    const double n = std::exp2(z);
    const double span = 2 * kMercatorLimit / n;
    const auto clampIndex = [n](double v) { return static_cast<int>(std::clamp(std::floor(v), 0.0, n - 1)); };
    return {clampIndex((m.x() + kMercatorLimit) / span), clampIndex((kMercatorLimit - m.y()) / span)};
}

int TileLayer::tileZoomFor(double mapZoom, int minimumTileZoom, int maximumTileZoom)
{
    const int zoom = std::isfinite(mapZoom) ? static_cast<int>(std::lround(mapZoom)) : minimumTileZoom;
    return std::clamp(zoom, minimumTileZoom, std::max(minimumTileZoom, maximumTileZoom));
}

TileLayer::Key TileLayer::keyOf(int z, int x, int y)
{
    return (static_cast<Key>(z) << 58) | (static_cast<Key>(x) << 29) | static_cast<Key>(y);
}

void TileLayer::setUrlTemplate(const QString &urlTemplate)
{
    if (m_urlTemplate == urlTemplate)
        return;
    clearTiles();
    m_urlTemplate = urlTemplate;
    onViewChanged();
    Q_EMIT urlTemplateChanged();
}

void TileLayer::setUserAgent(const QString &userAgent)
{
    if (m_userAgent == userAgent)
        return;
    m_userAgent = userAgent;
    Q_EMIT userAgentChanged();
}

void TileLayer::setCacheDirectory(const QString &directory)
{
    if (m_cacheDirectory == directory)
        return;
    m_cacheDirectory = directory;
    // A new cache for the requests to come; the manager is made again with it.
    clearTiles();
    onViewChanged();
    Q_EMIT cacheChanged();
}

void TileLayer::setCacheMaximumBytes(qint64 bytes)
{
    bytes = std::max<qint64>(0, bytes);
    if (m_cacheMaximumBytes == bytes)
        return;
    m_cacheMaximumBytes = bytes;
    if (m_network) {
        if (auto *cache = qobject_cast<QNetworkDiskCache *>(m_network->cache()))
            cache->setMaximumCacheSize(bytes);
    }
    Q_EMIT cacheChanged();
}

void TileLayer::setMinimumTileZoom(int zoom)
{
    zoom = std::clamp(zoom, 0, 28);
    if (m_minimumTileZoom == zoom)
        return;
    m_minimumTileZoom = zoom;
    onViewChanged();
    Q_EMIT tileZoomRangeChanged();
}

void TileLayer::setMaximumTileZoom(int zoom)
{
    zoom = std::clamp(zoom, 0, 28);
    if (m_maximumTileZoom == zoom)
        return;
    m_maximumTileZoom = zoom;
    onViewChanged();
    Q_EMIT tileZoomRangeChanged();
}

qint64 TileLayer::nowMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

void TileLayer::componentComplete()
{
    MapLayer::componentComplete();
    onViewChanged();
}

void TileLayer::FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry)
{
    QQuickItem::FLEETDECK_GEOMETRY_CHANGE(newGeometry, oldGeometry);
    onViewChanged();
}

void TileLayer::onViewChanged()
{
    // Placement and requests once per frame, however many view changes a drag makes.
    polish();
    update();
}

void TileLayer::clearTiles()
{
    for (auto &entry : m_tiles) {
        if (QNetworkReply *reply = entry.second.reply) {
            disconnect(reply, nullptr, this, nullptr);
            reply->abort();
            reply->deleteLater();
        }
    }
    m_tiles.clear();
    m_wanted.clear();
    m_placed.clear();
    m_inFlight = 0;
    m_nodesDirty = true;
    // The disk cache belongs to the manager; a new directory needs a new one.
    delete m_network;
    m_network = nullptr;
}

void TileLayer::ensureNetwork()
{
    if (m_network)
        return;
    m_network = new QNetworkAccessManager(this);
    auto *cache = new QNetworkDiskCache(m_network);
    const QString defaultDirectory =
        QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + QStringLiteral("/tiles");
    cache->setCacheDirectory(m_cacheDirectory.isEmpty() ? defaultDirectory : m_cacheDirectory);
    cache->setMaximumCacheSize(m_cacheMaximumBytes);
    m_network->setCache(cache);
}

void TileLayer::updatePolish()
{
    ++m_pass;
    m_placed.clear();
    m_wanted.clear();
    m_nodesDirty = true;
    int visible = 0;
    int loaded = 0;
    if (map() && !m_urlTemplate.isEmpty() && width() > 0 && height() > 0) {
        const int z = tileZoomFor(map()->zoom(), m_minimumTileZoom, m_maximumTileZoom);
        const int n = 1 << z;
        const double span = 2 * kMercatorLimit / n;
        const QPointF topLeft = map()->itemToMercator(mapToItem(map(), QPointF(0, 0)));
        const QPointF bottomRight = map()->itemToMercator(mapToItem(map(), QPointF(width(), height())));
        const auto column = [&](double mx) { return static_cast<int>(std::floor((mx + kMercatorLimit) / span)); };
        const auto row = [&](double my) {
            return std::clamp(static_cast<int>(std::floor((kMercatorLimit - my) / span)), 0, n - 1);
        };
        const int x0 = column(topLeft.x());
        const int x1 = column(bottomRight.x());
        const int y0 = row(topLeft.y());
        const int y1 = row(bottomRight.y());
        // Tile edges, rounded to whole pixels: neighbours share them, so no seams.
        const auto itemX = [&](int x) {
            return std::round(mapFromItem(map(), map()->mercatorToItem({-kMercatorLimit + x * span, 0})).x());
        };
        const auto itemY = [&](int y) {
            return std::round(mapFromItem(map(), map()->mercatorToItem({0, kMercatorLimit - y * span})).y());
        };
        const double centreX = (x0 + x1 + 1) / 2.0;
        const double centreY = (y0 + y1 + 1) / 2.0;
        std::vector<std::pair<double, Key>> wanted;
        if ((x1 - x0 + 1) * (y1 - y0 + 1) <= kMaxVisibleTiles) {
            for (int y = y0; y <= y1; ++y) {
                for (int x = x0; x <= x1; ++x) {
                    ++visible;
                    // Across the antimeridian the same tiles repeat.
                    const int wrapped = ((x % n) + n) % n;
                    const Key key = keyOf(z, wrapped, y);
                    const QRectF target(QPointF(itemX(x), itemY(y)), QPointF(itemX(x + 1), itemY(y + 1)));
                    auto it = m_tiles.find(key);
                    if (it != m_tiles.end()) {
                        it->second.usedInPass = m_pass;
                        if (it->second.status == Status::Loaded) {
                            ++loaded;
                            m_placed.push_back({target, key, QRectF(QPointF(0, 0), it->second.image.size())});
                            continue;
                        }
                    }
                    const double dx = x + 0.5 - centreX;
                    const double dy = y + 0.5 - centreY;
                    wanted.emplace_back(dx * dx + dy * dy, key);
                    for (int up = 1; up <= kFallbackLevels && z - up >= m_minimumTileZoom; ++up) {
                        auto ancestor = m_tiles.find(keyOf(z - up, wrapped >> up, y >> up));
                        if (ancestor == m_tiles.end() || ancestor->second.status != Status::Loaded)
                            continue;
                        ancestor->second.usedInPass = m_pass;
                        const QSizeF part = QSizeF(ancestor->second.image.size()) / (1 << up);
                        const int mask = (1 << up) - 1;
                        const QPointF corner((wrapped & mask) * part.width(), (y & mask) * part.height());
                        m_placed.push_back({target, ancestor->first, QRectF(corner, part)});
                        break;
                    }
                }
            }
        }
        std::sort(wanted.begin(), wanted.end());
        for (const auto &entry : wanted)
            m_wanted.push_back(entry.second);
    }
    schedule();
    evictImages();

    const bool covered = visible > 0 && loaded == visible;
    const bool countsChanged = visible != m_visibleTileCount || loaded != m_loadedTileCount;
    m_visibleTileCount = visible;
    m_loadedTileCount = loaded;
    if (countsChanged)
        Q_EMIT tilesChanged();
    if (covered != m_covered) {
        m_covered = covered;
        Q_EMIT coveredChanged();
    }
}

void TileLayer::schedule()
{
    if (m_urlTemplate.isEmpty())
        return;
    // Requests for tiles out of view are dropped: a zoom through three levels should not wait for
    // the two it passed.
    for (auto it = m_tiles.begin(); it != m_tiles.end();) {
        Tile &tile = it->second;
        if (tile.status == Status::Loading && tile.reply && tile.usedInPass != m_pass) {
            disconnect(tile.reply, nullptr, this, nullptr);
            tile.reply->abort();
            tile.reply->deleteLater();
            --m_inFlight;
            it = m_tiles.erase(it);
        } else {
            ++it;
        }
    }
    const qint64 now = nowMs();
    const int requestsBefore = m_requestCount;
    for (Key key : m_wanted) {
        if (m_inFlight >= kMaxConcurrentRequests)
            break;
        auto it = m_tiles.find(key);
        if (it == m_tiles.end() || (it->second.status == Status::Failed && now >= it->second.retryAtMs))
            request(key);
    }
    if (m_requestCount != requestsBefore)
        Q_EMIT tilesChanged();
}

void TileLayer::request(Key key)
{
    ensureNetwork();
    QNetworkRequest request(tileUrl(m_urlTemplate, keyZ(key), keyX(key), keyY(key)));
    request.setHeader(QNetworkRequest::UserAgentHeader, m_userAgent);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setTransferTimeout(kTransferTimeoutMs);
    Tile &tile = m_tiles[key];
    tile.status = Status::Loading;
    tile.usedInPass = m_pass;
    tile.reply = m_network->get(request);
    ++m_inFlight;
    ++m_requestCount;
    QNetworkReply *reply = tile.reply;
    connect(reply, &QNetworkReply::finished, this, [this, key, reply] { onReplyFinished(key, reply); });
}

void TileLayer::onReplyFinished(Key key, QNetworkReply *reply)
{
    reply->deleteLater();
    --m_inFlight;
    auto it = m_tiles.find(key);
    if (it == m_tiles.end() || it->second.reply != reply)
        return;
    Tile &tile = it->second;
    tile.reply = nullptr;
    const int httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    QImage image;
    if (reply->error() == QNetworkReply::NoError && image.loadFromData(reply->readAll())) {
        // Opaque tiles become opaque textures, which the renderer draws without blending.
        tile.image = image.convertToFormat(image.hasAlphaChannel() ? QImage::Format_ARGB32_Premultiplied
                                                                   : QImage::Format_RGB32);
        tile.status = Status::Loaded;
    } else {
        tile.status = Status::Failed;
        ++m_failedCount;
        // Not there, or not an image: asking again would get the same answer.
        const bool permanent = reply->error() == QNetworkReply::NoError
            || (httpStatus >= 400 && httpStatus < 500 && httpStatus != 408 && httpStatus != 429);
        const qint64 now = nowMs();
        tile.retryAtMs = permanent ? std::numeric_limits<qint64>::max() : now + kRetryAfterMs;
        if (!permanent)
            QTimer::singleShot(kRetryAfterMs, this, [this] { polish(); });
        quint64 suppressed = 0;
        if (m_failureLog.shouldLog(now, &suppressed)) {
            qCWarning(lcMap, "tile %s: %s (%llu more failures not shown)", qPrintable(reply->url().toString()),
                      reply->error() == QNetworkReply::NoError ? "not an image" : qPrintable(reply->errorString()),
                      static_cast<unsigned long long>(suppressed));
        }
    }
    Q_EMIT tilesChanged();
    polish();
    update();
}

void TileLayer::evictImages()
{
    std::vector<std::pair<quint64, Key>> idle;
    std::size_t images = 0;
    for (const auto &entry : m_tiles) {
        if (entry.second.status == Status::Loading)
            continue;
        images += entry.second.status == Status::Loaded ? 1 : 0;
        if (entry.second.usedInPass != m_pass)
            idle.emplace_back(entry.second.usedInPass, entry.first);
    }
    // Failed tiles are remembered too (so they are not asked again), but not without end.
    if (images <= kMaxImages && m_tiles.size() <= 8 * kMaxImages)
        return;
    std::sort(idle.begin(), idle.end());
    for (const auto &[pass, key] : idle) {
        if (images <= kMaxImages && m_tiles.size() <= 8 * kMaxImages)
            break;
        auto it = m_tiles.find(key);
        images -= it->second.status == Status::Loaded ? 1 : 0;
        m_tiles.erase(it);
    }
}

QSGNode *TileLayer::updatePaintNode(QSGNode *oldNode, UpdatePaintNodeData *)
{
    auto *root = static_cast<TileRoot *>(oldNode);
    if (m_placed.empty()) {
        delete root;
        return nullptr;
    }
    if (!root)
        root = new TileRoot;
    if (!m_nodesDirty)
        return root;
    m_nodesDirty = false;
    ++root->frame;
    QSGNode *child = root->firstChild();
    for (const Placed &placed : m_placed) {
        const Tile &tile = m_tiles.at(placed.source);
        QSGTexture *texture = root->textureFor(placed.source, tile.image, window());
        auto *node = static_cast<QSGSimpleTextureNode *>(child);
        const bool added = !node;
        if (added) {
            node = new QSGSimpleTextureNode;
            node->setFiltering(QSGTexture::Linear);
            node->setFlag(QSGNode::OwnedByParent, true);
        }
        if (node->texture() != texture)
            node->setTexture(texture);
        if (node->rect() != placed.target)
            node->setRect(placed.target);
        if (node->sourceRect() != placed.sourceRect)
            node->setSourceRect(placed.sourceRect);
        // Textured before it joins the tree: the software renderer reads the texture on insertion.
        if (added)
            root->appendChildNode(node);
        child = added ? nullptr : node->nextSibling();
    }
    while (child) {
        QSGNode *next = child->nextSibling();
        root->removeChildNode(child);
        delete child;
        child = next;
    }
    root->evict(kMaxTextures);
    return root;
}

}  // namespace fleetdeck
