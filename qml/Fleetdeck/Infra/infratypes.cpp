#include "infratypes.h"

#include "heatmapitem.h"
#include "inframodel.h"
#include "seriesplotitem.h"

#include <QQmlEngine>

namespace fleetdeck {

void registerInfraTypes()
{
    const char *uri = "Fleetdeck.Infra.Types";
    qmlRegisterUncreatableType<InfraModel>(uri, 1, 0, "InfraModel", QStringLiteral("created by the application"));
    // Qt 5 resolves pointer-typed properties (InfraModel.members, …) only for types QML knows.
    qmlRegisterUncreatableType<InfraMemberModel>(uri, 1, 0, "InfraMemberModel", QStringLiteral("owned by InfraModel"));
    qmlRegisterUncreatableType<InfraProxyModel>(uri, 1, 0, "InfraProxyModel", QStringLiteral("owned by InfraModel"));
    qmlRegisterUncreatableType<InfraPartitionModel>(uri, 1, 0, "InfraPartitionModel", QStringLiteral("owned by InfraModel"));
    qmlRegisterUncreatableType<InfraSourceModel>(uri, 1, 0, "InfraSourceModel", QStringLiteral("owned by InfraModel"));
    qmlRegisterType<HeatmapItem>(uri, 1, 0, "LatencyHeatmap");
    qmlRegisterType<SeriesPlotItem>(uri, 1, 0, "SeriesPlot");
}

}  // namespace fleetdeck
