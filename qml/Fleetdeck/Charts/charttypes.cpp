#include "charttypes.h"

#include "historyfeed.h"

#include <QQmlEngine>

namespace fleetdeck {

void registerChartTypes()
{
    qmlRegisterType<HistoryFeed>("Fleetdeck.Charts.Types", 1, 0, "HistoryFeed");
}

}  // namespace fleetdeck
