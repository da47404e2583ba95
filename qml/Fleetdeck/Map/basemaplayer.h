#pragma once

#include "maplayer.h"

#include "basemap.h"
#include "mapview.h"

#include <QColor>
#include <QMatrix4x4>
#include <QPointer>
#include <QQuickItem>
#include <QRectF>
#include <QUrl>

#include <memory>

namespace fleetdeck {

// The offline basemap: one QSGGeometryNode per Basemap layer (flat colour) under one transform node.
// The geometry is uploaded once per source. Panning and zooming only change the transform (and, below
// zoom 15, hide footpaths and road casings, sub-pixel there); a theme change only the colours. The
// GeoJSON is parsed on the main thread when `source` is set (about 50 ms for the shipped city).
// Thread: main (updatePaintNode on the render thread, with the main thread blocked).
class BasemapLayer : public MapLayer
{
    Q_OBJECT
    // "dark" (default) or "light".
    Q_PROPERTY(QString theme READ theme WRITE setTheme NOTIFY themeChanged)
    Q_PROPERTY(QUrl source READ source WRITE setSource NOTIFY sourceChanged)
    // What to fill behind the layer (land).
    Q_PROPERTY(QColor backgroundColor READ backgroundColor NOTIFY themeChanged)
    Q_PROPERTY(bool ready READ isReady NOTIFY statusChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY statusChanged)
    // The data's extent: x = west, y = south, width/height = degrees of longitude/latitude.
    Q_PROPERTY(QRectF geoBounds READ geoBounds NOTIFY statusChanged)
    Q_PROPERTY(int vertexCount READ vertexCount NOTIFY statusChanged)

public:
    explicit BasemapLayer(QQuickItem *parent = nullptr);
    ~BasemapLayer() override;

    [[nodiscard]] QString theme() const { return m_theme; }
    void setTheme(const QString &theme);
    [[nodiscard]] QUrl source() const { return m_source; }
    void setSource(const QUrl &source);
    [[nodiscard]] QColor backgroundColor() const;
    [[nodiscard]] bool isReady() const { return m_basemap != nullptr; }
    [[nodiscard]] QString errorString() const { return m_error; }
    [[nodiscard]] QRectF geoBounds() const;
    [[nodiscard]] int vertexCount() const { return m_basemap ? m_basemap->totalVertexCount() : 0; }
    [[nodiscard]] const Basemap *basemap() const { return m_basemap.get(); }

    // Layer colours of a theme, bottom first; unknown themes read as "dark".
    [[nodiscard]] static QColor layerColor(const QString &theme, Basemap::Layer layer);
    [[nodiscard]] static QColor backgroundColor(const QString &theme);

Q_SIGNALS:
    void themeChanged();
    void sourceChanged();
    void statusChanged();

protected:
    void componentComplete() override;
    QSGNode *updatePaintNode(QSGNode *oldNode, UpdatePaintNodeData *data) override;
    void FLEETDECK_GEOMETRY_CHANGE(const QRectF &newGeometry, const QRectF &oldGeometry) override;

private:
    void load();
    void onViewChanged() override;

    QString m_theme = QStringLiteral("dark");
    QUrl m_source = QUrl(QStringLiteral("qrc:/basemap/neubrandenburg-centre.geojson"));
    std::unique_ptr<const Basemap> m_basemap;
    QString m_error;

    // Read by updatePaintNode; written on the main thread between frames.
    QMatrix4x4 m_transform;
    double m_zoom = 0;
    bool m_geometryDirty = true;
    bool m_colorsDirty = true;
};

}  // namespace fleetdeck
