#pragma once

#include <QPointer>
#include <QQuickItem>

namespace fleetdeck {

class MapView;

// A layer drawn over a MapView (basemap, tiles, robots): finds the view it sits in unless given one,
// and hears of every camera move through onViewChanged(). Thread: main (GUI).
class MapLayer : public QQuickItem
{
    Q_OBJECT
    Q_PROPERTY(fleetdeck::MapView *map READ map WRITE setMap NOTIFY mapChanged)

public:
    [[nodiscard]] MapView *map() const { return m_map; }
    void setMap(MapView *map);

Q_SIGNALS:
    void mapChanged();

protected:
    explicit MapLayer(QQuickItem *parent = nullptr);
    void componentComplete() override;
    // The camera moved, or the layer now follows another view (or none).
    virtual void onViewChanged() = 0;

private:
    QPointer<MapView> m_map;
};

}  // namespace fleetdeck
