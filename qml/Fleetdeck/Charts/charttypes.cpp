#include "charttypes.h"

#include "historyfeed.h"
#include "historyplotitem.h"
#ifdef FLEETDECK_QT_CHARTS
#include "seriesfill.h"
#endif

#include <QQmlEngine>

namespace fleetdeck {

void registerChartTypes()
{
    const char *uri = "Fleetdeck.Charts.Types";
    qmlRegisterType<HistoryFeed>(uri, 1, 0, "HistoryFeed");
    qmlRegisterType<HistoryPlotItem>(uri, 1, 0, "HistoryPlotItem");
#ifdef FLEETDECK_QT_CHARTS
    qmlRegisterType<SeriesFill>(uri, 1, 0, "SeriesFill");
#endif
}

}  // namespace fleetdeck
