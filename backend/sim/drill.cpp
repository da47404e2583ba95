#include "drill.h"

#include "dbsimulator.h"
#include "fleetsimulator.h"

#include <QFile>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace fleetdeck::sim {
namespace {

using Kind = DrillIncident::Kind;

struct KindName {
    Kind kind;
    const char *name;
};

constexpr KindName kKinds[] = {
    {Kind::RobotFault, "robot-fault"},
    {Kind::RobotStuck, "robot-stuck"},
    {Kind::RobotOffline, "robot-offline"},
    {Kind::AreaOffline, "area-offline"},
    {Kind::DbStandbyBackup, "db-standby-backup"},
    {Kind::DbReplicationLag, "db-replication-lag"},
    {Kind::DbConnectionsSaturated, "db-connections-saturated"},
    {Kind::ProxyErrorBurst, "proxy-error-burst"},
    {Kind::BrokerOutage, "broker-outage"},
};

std::optional<Kind> kindFromName(const QString &name)
{
    for (const KindName &k : kKinds) {
        if (name == QLatin1String(k.name))
            return k.kind;
    }
    return std::nullopt;
}

// Whole seconds or decimals, >= 0; nullopt otherwise.
std::optional<std::int64_t> parseSeconds(const QString &text)
{
    bool ok = false;
    const double s = text.toDouble(&ok);
    if (!ok || !std::isfinite(s) || s < 0 || s > 7 * 24 * 3600)
        return std::nullopt;
    return std::int64_t(std::llround(s * 1000));
}

// Checks and completes the target of `incident` (incident->target as written); an error or "".
QString checkTarget(DrillIncident *incident)
{
    const QString &target = incident->target;
    const bool none = target.isEmpty();
    switch (incident->kind) {
    case Kind::RobotFault:
    case Kind::RobotStuck:
    case Kind::RobotOffline:
        return none ? QStringLiteral("%1 needs a robot id").arg(incident->kindName()) : QString();
    case Kind::AreaOffline: {
        const QStringList parts = target.split(QLatin1Char(','));
        bool latOk = false;
        bool lonOk = false;
        bool radiusOk = parts.size() == 2;
        if (parts.size() == 2 || parts.size() == 3) {
            incident->latDeg = parts[0].toDouble(&latOk);
            incident->lonDeg = parts[1].toDouble(&lonOk);
            incident->radiusM = DrillIncident::kDefaultAreaRadiusM;
            if (parts.size() == 3)
                incident->radiusM = parts[2].toDouble(&radiusOk);
        }
        if (!latOk || !lonOk || !radiusOk || std::abs(incident->latDeg) > 90 || std::abs(incident->lonDeg) > 180
            || !(incident->radiusM > 0 && incident->radiusM <= 50'000)) {
            return QStringLiteral("area-offline needs LAT,LON or LAT,LON,RADIUS_M (degrees, metres up to 50000), not '%1'")
                .arg(target);
        }
        return {};
    }
    case Kind::DbStandbyBackup:
    case Kind::DbReplicationLag: {
        if (none) {
            incident->target = DbSimulator::standbyMember();
            return {};
        }
        const QStringList members = DbSimulator::members();
        if (!members.contains(target))
            return QStringLiteral("unknown database member '%1' (one of %2)").arg(target, members.join(u", "));
        if (target == members.first())
            return QStringLiteral("%1 is the primary; %2 strikes a secondary").arg(target, incident->kindName());
        return {};
    }
    case Kind::ProxyErrorBurst: {
        const QStringList parts = target.split(QLatin1Char('/'));
        if (parts.size() != 2 || parts[0].isEmpty() || parts[1].isEmpty())
            return QStringLiteral("proxy-error-burst needs app/collection, e.g. dispatcher/tasks");
        if (!DbSimulator::apps().contains(parts[0]))
            return QStringLiteral("unknown app '%1' (one of %2)").arg(parts[0], DbSimulator::apps().join(u", "));
        return {};
    }
    case Kind::DbConnectionsSaturated:
    case Kind::BrokerOutage:
        return none ? QString() : QStringLiteral("%1 takes no target: write '-'").arg(incident->kindName());
    }
    return {};
}

}  // namespace

QString DrillIncident::kindName(Kind kind)
{
    for (const KindName &k : kKinds) {
        if (k.kind == kind)
            return QLatin1String(k.name);
    }
    return {};
}

QStringList DrillIncident::kindNames()
{
    QStringList names;
    for (const KindName &k : kKinds)
        names.append(QLatin1String(k.name));
    return names;
}

std::vector<ExpectedAlert> DrillIncident::expectedAlerts() const
{
    switch (kind) {
    case Kind::RobotFault: return {{QStringLiteral("robot_faulted"), target}};
    case Kind::RobotStuck: return {{QStringLiteral("robot_stuck"), target}};
    case Kind::RobotOffline: return {{QStringLiteral("robot_stale"), target}};
    case Kind::AreaOffline: return {{QStringLiteral("area_stale"), {}}};
    case Kind::DbStandbyBackup:
        return {{QStringLiteral("replication_lag"), target}, {QStringLiteral("db_latency"), target}};
    case Kind::DbReplicationLag: return {{QStringLiteral("replication_lag"), target}};
    case Kind::DbConnectionsSaturated: return {{QStringLiteral("db_connections"), DbSimulator::members().first()}};
    case Kind::ProxyErrorBurst: return {{QStringLiteral("proxy_errors"), target}};
    case Kind::BrokerOutage: return {{QStringLiteral("telemetry_outage"), QStringLiteral("kafka")}};
    }
    return {};
}

std::vector<ExpectedAlert> DrillIncident::sideEffects() const
{
    switch (kind) {
    case Kind::DbStandbyBackup:
    case Kind::DbReplicationLag:
        return {{QStringLiteral("replication_lag"), target}, {QStringLiteral("db_latency"), target}};
    case Kind::DbConnectionsSaturated:
        return {{QStringLiteral("db_latency"), {}}, {QStringLiteral("db_member_down"), {}}};
    case Kind::BrokerOutage:
        // Consumers fall behind and robots look silent until the backlog is read.
        return {{QStringLiteral("kafka_lag"), {}}, {QStringLiteral("robot_stale"), {}}, {QStringLiteral("area_stale"), {}}};
    case Kind::RobotFault:
    case Kind::RobotStuck:
    case Kind::RobotOffline:
    case Kind::AreaOffline:  // the silenced robots' own alerts: DrillRunner knows which robots those are
    case Kind::ProxyErrorBurst:
        break;
    }
    return expectedAlerts();
}

std::int64_t Drill::lastEndMs() const
{
    std::int64_t end = 0;
    for (const DrillIncident &incident : incidents)
        end = std::max(end, incident.endMs());
    return end;
}

std::optional<Drill> parseDrill(const QString &text, const QString &fileName, QStringList *errors)
{
    Drill drill;
    drill.fileName = fileName;
    const qsizetype errorsBefore = errors->size();
    const auto fail = [&](int line, const QString &why) {
        errors->append(QStringLiteral("%1:%2: %3").arg(fileName).arg(line).arg(why));
    };
    static const QRegularExpression kSpace(QStringLiteral("\\s+"));
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (qsizetype n = 0; n < lines.size(); ++n) {
        const int lineNumber = int(n) + 1;
        QString line = lines[n];
        const qsizetype hash = line.indexOf(QLatin1Char('#'));
        if (hash >= 0)
            line.truncate(hash);
        line = line.trimmed();
        if (line.isEmpty())
            continue;
        const QStringList fields = line.split(kSpace);
        if (fields.size() != 4) {
            fail(lineNumber, QStringLiteral("expected AT_S KIND TARGET DURATION_S, found %1 fields").arg(fields.size()));
            continue;
        }
        DrillIncident incident;
        incident.line = lineNumber;
        const std::optional<Kind> kind = kindFromName(fields[1]);
        if (!kind) {
            fail(lineNumber, QStringLiteral("unknown kind '%1' (one of %2)").arg(fields[1], DrillIncident::kindNames().join(u", ")));
            continue;
        }
        incident.kind = *kind;
        const std::optional<std::int64_t> at = parseSeconds(fields[0]);
        if (!at) {
            fail(lineNumber, QStringLiteral("AT_S '%1' is not a number of seconds >= 0").arg(fields[0]));
            continue;
        }
        incident.atMs = *at;
        const std::optional<std::int64_t> duration = parseSeconds(fields[3]);
        if (!duration || *duration <= 0) {
            fail(lineNumber, QStringLiteral("DURATION_S '%1' is not a number of seconds > 0").arg(fields[3]));
            continue;
        }
        incident.durationMs = *duration;
        incident.target = fields[2] == QLatin1String("-") ? QString() : fields[2];
        const QString why = checkTarget(&incident);
        if (!why.isEmpty()) {
            fail(lineNumber, why);
            continue;
        }
        drill.incidents.push_back(std::move(incident));
    }
    if (errors->size() == errorsBefore && drill.incidents.empty())
        errors->append(QStringLiteral("%1: no incidents").arg(fileName));
    if (errors->size() != errorsBefore)
        return std::nullopt;
    return drill;
}

std::optional<Drill> loadDrill(const QString &path, QStringList *errors)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        errors->append(QStringLiteral("%1: %2").arg(path, file.errorString()));
        return std::nullopt;
    }
    return parseDrill(QString::fromUtf8(file.readAll()), path, errors);
}

bool checkDrillRobots(const Drill &drill, const FleetSimulator &fleet, QStringList *errors)
{
    bool ok = true;
    for (const DrillIncident &incident : drill.incidents) {
        if (incident.targetsRobot() && !fleet.indexOf(incident.target)) {
            const std::size_t n = fleet.robots().size();
            errors->append(QStringLiteral("%1:%2: no robot %3 in the fleet (%4 … %5)")
                               .arg(drill.fileName)
                               .arg(incident.line)
                               .arg(incident.target,
                                    n > 0 ? fleet.robots().front().robotId : QString(),
                                    n > 0 ? fleet.robots().back().robotId : QString()));
            ok = false;
        }
    }
    return ok;
}

}  // namespace fleetdeck::sim
