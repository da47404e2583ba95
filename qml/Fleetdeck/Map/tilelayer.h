#pragma once

#include "maplayer.h"

#include "logging.h"
#include "mapview.h"

#include <QImage>
#include <QPoint>
#include <QPointer>
#include <QQuickItem>
#include <QRectF>
#include <QString>
#include <QUrl>

#include <cstdint>
#include <unordered_map>
#include <vector>

class QNetworkAccessManager;
class QNetworkReply;

namespace fleetdeck {

// Optional XYZ raster tiles (DESIGN.md §7) from a `{z}/{x}/{y}` URL template, drawn as one textured
// node per visible tile at the integer zoom nearest the map's. While a tile loads, the nearest loaded
// ancestor stands in for it, magnified. Fetched with an honest User-Agent, at most a few at a time,
// nearest the centre first; responses go through an HTTP disk cache (QNetworkDiskCache, bounded) that
// honours the server's freshness, so a restart does not fetch the city again. Decoded tiles and
// textures are capped in number. A tile that fails is counted and left out (the vector basemap
// beneath shows there); 4xx answers are not asked again, other failures after a while.
// The owner shows the tile source's attribution: this item draws only the tiles.
// Thread: main (updatePaintNode on the render thread, with the main thread blocked).
class TileLayer : public MapLayer
{
    Q_OBJECT
    // e.g. "https://tile.example.org/{z}/{x}/{y}.png"; {s} becomes a, b or c. Empty: nothing is
    // fetched or drawn.
    Q_PROPERTY(QString urlTemplate READ urlTemplate WRITE setUrlTemplate NOTIFY urlTemplateChanged)
    // Sent with every request; tile servers' usage policies ask for one that names the application.
    Q_PROPERTY(QString userAgent READ userAgent WRITE setUserAgent NOTIFY userAgentChanged)
    // Where the HTTP cache lives; empty (the default) is "tiles" under QStandardPaths::CacheLocation.
    Q_PROPERTY(QString cacheDirectory READ cacheDirectory WRITE setCacheDirectory NOTIFY cacheChanged)
    Q_PROPERTY(qint64 cacheMaximumBytes READ cacheMaximumBytes WRITE setCacheMaximumBytes NOTIFY cacheChanged)
    // Tile zoom levels the server has.
    Q_PROPERTY(int minimumTileZoom READ minimumTileZoom WRITE setMinimumTileZoom NOTIFY tileZoomRangeChanged)
    Q_PROPERTY(int maximumTileZoom READ maximumTileZoom WRITE setMaximumTileZoom NOTIFY tileZoomRangeChanged)
    // True while every tile in view at the current tile zoom is drawn with its own image: an owner
    // can skip drawing what lies beneath.
    Q_PROPERTY(bool covered READ isCovered NOTIFY coveredChanged)
    // Tiles in view at the current tile zoom, and how many of them are drawn with their own image.
    Q_PROPERTY(int visibleTileCount READ visibleTileCount NOTIFY tilesChanged)
    Q_PROPERTY(int loadedTileCount READ loadedTileCount NOTIFY tilesChanged)
    // Since the layer was made: requests sent (including those the disk cache answered), tiles that
    // could not be loaded.
    Q_PROPERTY(int requestCount READ requestCount NOTIFY tilesChanged)
    Q_PROPERTY(int failedCount READ failedCount NOTIFY tilesChanged)

public:
    static constexpr int kTileSize = 256;
    static constexpr int kMaxConcurrentRequests = 4;
    // Decoded tiles kept on the main thread (256 KiB each), and textures kept on the render thread.
    static constexpr int kMaxImages = 128;
    static constexpr int kMaxTextures = 96;
    // Longest a transient failure (timeout, 5xx, 429) keeps a tile from being asked again.
    static constexpr qint64 kRetryAfterMs = 30'000;
    static constexpr qint64 kDefaultCacheBytes = 256LL * 1024 * 1024;

    explicit TileLayer(QQuickItem *parent = nullptr);
    ~TileLayer() override;

    [[nodiscard]] QString urlTemplate() const { return m_urlTemplate; }
    void setUrlTemplate(const QString &urlTemplate);
    [[nodiscard]] QString userAgent() const { return m_userAgent; }
    void setUserAgent(const QString &userAgent);
    [[nodiscard]] QString cacheDirectory() const { return m_cacheDirectory; }
    void setCacheDirectory(const QString &directory);
    [[nodiscard]] qint64 cacheMaximumBytes() const { return m_cacheMaximumBytes; }
    void setCacheMaximumBytes(qint64 bytes);
    [[nodiscard]] int minimumTileZoom() const { return m_minimumTileZoom; }
    void setMinimumTileZoom(int zoom);
    [[nodiscard]] int maximumTileZoom() const { return m_maximumTileZoom; }
    void setMaximumTileZoom(int zoom);
    [[nodiscard]] bool isCovered() const { return m_covered; }
    [[nodiscard]] int visibleTileCount() const { return m_visibleTileCount; }
    [[nodiscard]] int loadedTileCount() const { return m_loadedTileCount; }
    [[nodiscard]] int requestCount() const { return m_requestCount; }
    [[nodiscard]] int failedCount() const { return m_failedCount; }

    // "fleetdeck/<version> (+<homepage>; operations console)".
    [[nodiscard]] static QString defaultUserAgent();
    // The template with {z}, {x}, {y} (and {s}) filled in.
    [[nodiscard]] static QUrl tileUrl(const QString &urlTemplate, int z, int x, int y);
    // The tile holding a coordinate at tile zoom z (the slippy-map tile numbering).
    [[nodiscard]] static QPoint tileAt(double latDeg, double lonDeg, int z);
    // The tile zoom drawn at a map zoom: the nearest integer, within the server's levels.
    [[nodiscard]] static int tileZoomFor(double mapZoom, int minimumTileZoom, int maximumTileZoom);

Q_SIGNALS:
    void urlTemplateChanged();
    void userAgentChanged();
    void cacheChanged();
    void tileZoomRangeChanged();
    void coveredChanged();
    void tilesChanged();

protected:
    void componentComplete() override;
    void updatePolish() override;
    QSGNode *updatePaintNode(QSGNode *oldNode, UpdatePaintNodeData *data) override;
    void FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry) override;

private:
    using Key = std::uint64_t;
    enum class Status { Loading, Loaded, Failed };
    struct Tile {
        Status status = Status::Loading;
        QImage image;
        QNetworkReply *reply = nullptr;
        qint64 retryAtMs = 0;  // Failed: when it may be asked again (max for never)
        quint64 usedInPass = 0;
    };
    // A tile in view and the image drawn for it: its own, or part of an ancestor's.
    struct Placed {
        QRectF target;  // item pixels
        Key source;
        QRectF sourceRect;  // pixels of the source image
    };

    [[nodiscard]] static Key keyOf(int z, int x, int y);
    void onViewChanged() override;
    void clearTiles();
    void ensureNetwork();
    void schedule();
    void request(Key key);
    void onReplyFinished(Key key, QNetworkReply *reply);
    void evictImages();
    [[nodiscard]] qint64 nowMs() const;

    QString m_urlTemplate;
    QString m_userAgent;
    QString m_cacheDirectory;
    qint64 m_cacheMaximumBytes = kDefaultCacheBytes;
    int m_minimumTileZoom = 0;
    int m_maximumTileZoom = 19;

    QNetworkAccessManager *m_network = nullptr;  // child; made when a template is first set
    std::unordered_map<Key, Tile> m_tiles;
    std::vector<Key> m_wanted;  // in view, nearest the centre first
    int m_inFlight = 0;
    quint64 m_pass = 0;
    RateLimitedLog m_failureLog;

    // Written by updatePolish, read by updatePaintNode (main thread blocked).
    std::vector<Placed> m_placed;
    bool m_nodesDirty = true;

    bool m_covered = false;
    int m_visibleTileCount = 0;
    int m_loadedTileCount = 0;
    int m_requestCount = 0;
    int m_failedCount = 0;
};

}  // namespace fleetdeck
