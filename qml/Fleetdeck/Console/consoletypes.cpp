#include "consoletypes.h"

#include "fleetclient.h"
#include "fleetsummary.h"
#include "maptypes.h"
#include "modepalette.h"
#include "robotfiltermodel.h"
#include "robothistory.h"
#include "robotmodel.h"
#include "robotselection.h"
#include "robotstate.h"
#include "teleopcontroller.h"
#include "teleoplog.h"
#include "alertmodel.h"

#include <QQmlEngine>

namespace fleetdeck {

void registerConsoleTypes()
{
    registerMapTypes();
    const char *uri = "Fleetdeck.Client";
    qmlRegisterUncreatableType<FleetClient>(uri, 1, 0, "FleetClient", QStringLiteral("created by the application"));
    qmlRegisterUncreatableType<RobotModel>(uri, 1, 0, "RobotModel", QStringLiteral("owned by FleetClient"));
    qmlRegisterUncreatableType<TeleopController>(uri, 1, 0, "TeleopController", QStringLiteral("created by the application"));
    qmlRegisterUncreatableType<TeleopLog>(uri, 1, 0, "TeleopLog", QStringLiteral("created by the application"));
    qmlRegisterUncreatableType<AlertModel>(uri, 1, 0, "AlertModel", QStringLiteral("created by the application"));
    qmlRegisterUncreatableMetaObject(fleetdeck::staticMetaObject, uri, 1, 0, "Fleet",
                                     QStringLiteral("enums only"));
    const char *consoleUri = "Fleetdeck.Console.Types";
    qmlRegisterUncreatableType<FleetSummary>(consoleUri, 1, 0, "FleetSummary", QStringLiteral("created by the application"));
    qmlRegisterUncreatableType<RobotSelection>(consoleUri, 1, 0, "RobotSelection", QStringLiteral("created by the application"));
    qmlRegisterUncreatableType<RobotFilterModel>(consoleUri, 1, 0, "RobotFilterModel", QStringLiteral("created by the application"));
    qmlRegisterUncreatableType<RobotHistory>(consoleUri, 1, 0, "RobotHistory", QStringLiteral("created by the application"));
    qmlRegisterUncreatableType<ConsoleStyle>(consoleUri, 1, 0, "ConsoleStyle", QStringLiteral("created by the application"));
}

void addConsoleImportPath(QQmlEngine *engine)
{
    engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
}

void ConsoleStyle::setDark(bool dark)
{
    if (dark == m_dark)
        return;
    m_dark = dark;
    Q_EMIT darkChanged();
}

QColor ConsoleStyle::modeColor(int mode) const
{
    return modePaletteColor(static_cast<Mode>(mode));
}

QString ConsoleStyle::modeName(int mode) const
{
    return fleetdeck::modeName(static_cast<Mode>(mode));
}

QString ConsoleStyle::freshnessName(int freshness) const
{
    switch (static_cast<Freshness>(freshness)) {
    case Freshness::Live: return tr("live");
    case Freshness::Stale: return tr("stale");
    case Freshness::Lost: return tr("lost");
    case Freshness::Unspecified: break;
    }
    return tr("unknown");
}

QString ConsoleStyle::sensorName(int status) const
{
    switch (static_cast<SensorStatus>(status)) {
    case SensorStatus::Ok: return tr("ok");
    case SensorStatus::Degraded: return tr("degraded");
    case SensorStatus::Failed: return tr("failed");
    case SensorStatus::Unspecified: break;
    }
    return tr("unknown");
}

QString ConsoleStyle::faultDescription(int code) const
{
    return fleetdeck::faultDescription(code);
}

QString ConsoleStyle::formatAge(double ageMs) const
{
    if (ageMs < 0)
        ageMs = 0;
    if (ageMs < 10'000)
        return tr("%1 s").arg(ageMs / 1000.0, 0, 'f', 1);
    if (ageMs < 120'000)
        return tr("%1 s").arg(qRound(ageMs / 1000.0));
    if (ageMs < 2 * 3'600'000)
        return tr("%1 min").arg(qRound(ageMs / 60'000.0));
    return tr("%1 h").arg(qRound(ageMs / 3'600'000.0));
}

}  // namespace fleetdeck
