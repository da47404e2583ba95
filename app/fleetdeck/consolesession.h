#pragma once

#include "alertmodel.h"
#include "clock.h"
#include "consoletypes.h"
#include "fleetclient.h"
#include "fleetsummary.h"
#include "inframodel.h"
#include "robotfiltermodel.h"
#include "robothistory.h"
#include "robotselection.h"
#include "teleopcontroller.h"
#include "teleoplog.h"

#include <QVariantMap>

namespace fleetdeck {

// The console's models over one protocol client, built and wired alike by the desktop and the
// browser composition roots, and the properties Main.qml is given. Members are declared in the order
// they depend on each other (destroyed in reverse); `client` and `clock` must outlive the session.
struct ConsoleSession {
    ConsoleSession(FleetClient *protocolClient, const Clock *clock, const QString &selectedRobot, bool dark)
        : client(protocolClient),
          summary(client->robots()),
          selection(client->robots()),
          fleetList(client->robots()),
          history(client->robots(), &selection, clock),
          infra(clock),
          teleop(client, clock),
          alerts(client),
          teleopLog(client)
    {
        QObject::connect(client, &FleetClient::updated, &summary, &FleetSummary::recount);
        style.setDark(dark);
        if (!selectedRobot.isEmpty()) {
            selection.setRobotId(selectedRobot);
            client->setFollowedRobot(selectedRobot);
        }
        // Database, proxy and Kafka health as the backend reduces it; the client hands over InfraUpdate.
        client->setInfraHandler([this](const fleet::v1::ServerMessage &message) { infra.handle(message); });
        // Teleop and its log act on whichever robot the operator selects.
        teleop.setRobotId(selection.robotId());
        teleopLog.setRobotId(selection.robotId());
        QObject::connect(&selection, &RobotSelection::robotIdChanged, &teleopLog,
                         [this] { teleopLog.setRobotId(selection.robotId()); });
        QObject::connect(&selection, &RobotSelection::robotIdChanged, &teleop,
                         [this] { teleop.setRobotId(selection.robotId()); });
    }
    ConsoleSession(const ConsoleSession &) = delete;
    ConsoleSession &operator=(const ConsoleSession &) = delete;

    // Main.qml's required properties; a root adds what only it has (size, a gamepad).
    [[nodiscard]] QVariantMap mainProperties(const QVariantMap &startup)
    {
        return {
            {QStringLiteral("client"), QVariant::fromValue(client)},
            {QStringLiteral("robots"), QVariant::fromValue(client->robots())},
            {QStringLiteral("fleetList"), QVariant::fromValue(&fleetList)},
            {QStringLiteral("summary"), QVariant::fromValue(&summary)},
            {QStringLiteral("selection"), QVariant::fromValue(&selection)},
            {QStringLiteral("style"), QVariant::fromValue(&style)},
            {QStringLiteral("history"), QVariant::fromValue(&history)},
            {QStringLiteral("teleop"), QVariant::fromValue(&teleop)},
            {QStringLiteral("teleopLog"), QVariant::fromValue(&teleopLog)},
            {QStringLiteral("alerts"), QVariant::fromValue(&alerts)},
            {QStringLiteral("infra"), QVariant::fromValue(&infra)},
            {QStringLiteral("startup"), startup},
        };
    }

    FleetClient *client;
    FleetSummary summary;
    RobotSelection selection;
    RobotFilterModel fleetList;
    ConsoleStyle style;
    RobotHistory history;
    InfraModel infra;
    TeleopController teleop;  // after the client, so destroyed before it
    AlertModel alerts;
    TeleopLog teleopLog;
};

}  // namespace fleetdeck
