#pragma once

#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <vector>

namespace fleetdeck::sim {

class FleetSimulator;

// An alert that shows an incident was noticed: rule and subject as AlertEngine names them; an empty
// subject matches any.
struct ExpectedAlert {
    QString rule;
    QString subject;

    [[nodiscard]] bool matches(const QString &alertRule, const QString &alertSubject) const
    {
        return alertRule == rule && (subject.isEmpty() || alertSubject == subject);
    }
};

// One line of a drill scenario: what goes wrong, where, when (from the drill's start) and for how long.
struct DrillIncident {
    enum class Kind {
        RobotFault,              // target: robot id; a degraded lidar, mode Fault
        RobotStuck,              // target: robot id; a blocked wheel, mode Stuck
        RobotOffline,            // target: robot id; no telemetry
        AreaOffline,             // target: LAT,LON[,RADIUS_M]; every robot that close goes silent (a dead cell)
        DbStandbyBackup,         // target: member or "-" (the standby); slow, falls behind
        DbReplicationLag,        // target: member or "-" (the standby); falls behind
        DbConnectionsSaturated,  // target: "-"; the primary's connections fill up, it slows down
        ProxyErrorBurst,         // target: app/collection; one app's requests fail
        BrokerOutage,            // target: "-"; every Kafka broker down
    };

    Kind kind = Kind::RobotFault;
    std::int64_t atMs = 0;  // from the drill's start
    std::int64_t durationMs = 0;
    QString target;  // as written; "" for "-"
    int line = 0;    // in the scenario file
    double latDeg = 0;  // AreaOffline
    double lonDeg = 0;
    double radiusM = 0;

    static constexpr double kDefaultAreaRadiusM = 300;

    [[nodiscard]] std::int64_t endMs() const { return atMs + durationMs; }
    [[nodiscard]] bool targetsRobot() const
    {
        return kind == Kind::RobotFault || kind == Kind::RobotStuck || kind == Kind::RobotOffline;
    }
    // The alerts that mean "detected": whichever fires first after the injection counts. Empty when
    // no rule watches what this incident breaks.
    [[nodiscard]] std::vector<ExpectedAlert> expectedAlerts() const;
    // Every alert this incident is known to cause, the expected ones included (robots that look
    // silent after a broker outage, a standby both slow and behind, …): listed with it, not as unplanned.
    [[nodiscard]] std::vector<ExpectedAlert> sideEffects() const;
    // "robot-fault", … as written in scenario files.
    [[nodiscard]] QString kindName() const { return kindName(kind); }
    [[nodiscard]] static QString kindName(Kind kind);
    [[nodiscard]] static QStringList kindNames();
};

// A drill scenario ("wheel of misfortune"): plain text, one incident per line,
//     AT_S  KIND  TARGET  DURATION_S      # comment
// with '#' starting a comment anywhere, blank lines ignored, TARGET "-" where a kind takes none.
// Incidents are kept in file order.
struct Drill {
    QString fileName;  // for messages: file:line
    std::vector<DrillIncident> incidents;

    // When the last incident is over, from the start.
    [[nodiscard]] std::int64_t lastEndMs() const;
};

// Every error names fileName:line. Robot ids are checked later, against the fleet (checkDrillRobots()).
[[nodiscard]] std::optional<Drill> parseDrill(const QString &text, const QString &fileName, QStringList *errors);
[[nodiscard]] std::optional<Drill> loadDrill(const QString &path, QStringList *errors);

// Robot targets the fleet does not have, one error per line ("file:line: no robot nb-9999 in the fleet").
[[nodiscard]] bool checkDrillRobots(const Drill &drill, const FleetSimulator &fleet, QStringList *errors);

}  // namespace fleetdeck::sim
