#include "maplayer.h"

#include "mapview.h"

namespace fleetdeck {

MapLayer::MapLayer(QQuickItem *parent) : QQuickItem(parent) {}

void MapLayer::setMap(MapView *map)
{
    if (m_map == map)
        return;
    if (m_map)
        disconnect(m_map, nullptr, this, nullptr);
    m_map = map;
    if (m_map)
        connect(m_map, &MapView::viewChanged, this, &MapLayer::onViewChanged);
    onViewChanged();
    Q_EMIT mapChanged();
}

void MapLayer::componentComplete()
{
    QQuickItem::componentComplete();
    if (!m_map)
        setMap(qobject_cast<MapView *>(parentItem()));
}

}  // namespace fleetdeck
