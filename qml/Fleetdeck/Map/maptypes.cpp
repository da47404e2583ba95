#include "maptypes.h"

#include "basemaplayer.h"
#include "mapview.h"
#include "robotlayer.h"
#include "robotmodel.h"
#include "tilelayer.h"

#include <QQmlEngine>

namespace fleetdeck {

void registerMapTypes()
{
    const char *uri = "Fleetdeck.Map";
    qRegisterMetaType<GeoCoordinate>();
    qmlRegisterType<MapView>(uri, 1, 0, "MapView");
    qmlRegisterType<BasemapLayer>(uri, 1, 0, "BasemapLayer");
    qmlRegisterType<TileLayer>(uri, 1, 0, "TileLayer");
    qmlRegisterType<RobotLayer>(uri, 1, 0, "RobotLayer");
    // Qt 5 resolves pointer-typed properties (RobotLayer.model) only for types QML knows.
    qmlRegisterAnonymousType<RobotModel>(uri, 1);
}

}  // namespace fleetdeck
