#include "alertengine.h"

#include "geo.h"

#include <QCoreApplication>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <limits>

namespace fleetdeck::alerts {
namespace {

QString tr(const char *text, const char *disambiguation = nullptr, int n = -1)
{
    return QCoreApplication::translate("AlertEngine", text, disambiguation, n);
}

std::string std8(const QString &text)
{
    return text.toStdString();
}

bool working(Mode mode)
{
    return mode == Mode::Autonomous || mode == Mode::Delivering || mode == Mode::Returning;
}

// A tracker key per rule and subject; one alert at a time per key.
QString keyOf(const QString &rule, const QString &subject)
{
    return rule + QLatin1Char('|') + subject;
}

}  // namespace

AlertEngine::AlertEngine(Rules rules) : m_rules(rules) {}

namespace {

// Every rule, with where to start looking when it fires.
const QHash<QString, const char *> &adviceByRule()
{
    static const QHash<QString, const char *> advice{
        {QStringLiteral("robot_faulted"), QT_TRANSLATE_NOOP("AlertEngine", "Open the robot: its active faults say which part failed. Take control only to move it out of the way; otherwise send field support.")},
        {QStringLiteral("robot_stuck"), QT_TRANSLATE_NOOP("AlertEngine", "Look at the robot on the map at street zoom: an obstacle, a closed crossing or a map error. Take control and drive it around, then resume autonomy.")},
        {QStringLiteral("battery_low"), QT_TRANSLATE_NOOP("AlertEngine", "Check it is heading to a charger; if its task is long, reassign the task and send it to the nearest hub.")},
        {QStringLiteral("robot_stale"), QT_TRANSLATE_NOOP("AlertEngine", "The robot's telemetry stopped. If robots nearby are silent too, suspect the mobile network there; otherwise the robot's modem or power. Its last position is on the map.")},
        {QStringLiteral("link_rtt_high"), QT_TRANSLATE_NOOP("AlertEngine", "The robot's link is slow: poor coverage at its position or a congested cell. Do not teleoperate it until the round trip is back under 250 ms.")},
        {QStringLiteral("area_stale"), QT_TRANSLATE_NOOP("AlertEngine", "Many robots in one area went silent at once: most likely the mobile network there, not the robots. Check the carrier's status and Kafka ingest; robots continue on their own.")},
        {QStringLiteral("db_member_down"), QT_TRANSLATE_NOOP("AlertEngine", "A database member does not answer its exporter: check the pod or host, then the replica set status (rs.status()) from another member.")},
        {QStringLiteral("db_connections"), QT_TRANSLATE_NOOP("AlertEngine", "A member is running out of connections: look for a client that leaks them (mongoproxy's per-app connection counters, a recent deploy), then raise the limit only if the load is real.")},
        {QStringLiteral("db_latency"), QT_TRANSLATE_NOOP("AlertEngine", "A member answers slowly. On a standby, check for a running backup or compaction (disk and CPU); on the primary, slow queries (db.currentOp()) and connection counts.")},
        {QStringLiteral("replication_lag"), QT_TRANSLATE_NOOP("AlertEngine", "A secondary is falling behind: check its disk and CPU (backups compress heavily), the network to the primary, and the oplog window before it falls off.")},
        {QStringLiteral("proxy_errors"), QT_TRANSLATE_NOOP("AlertEngine", "One app's requests on one collection fail: check that app's recent deploys and logs, then the collection's indexes and the primary's health.")},
        {QStringLiteral("telemetry_outage"), QT_TRANSLATE_NOOP("AlertEngine", "The backend cannot reach any Kafka broker: check the brokers and the network between them and the backend (/readyz says the same). Consoles show the last known state, marked stale; teleoperation is refused until it is back.")},
        {QStringLiteral("kafka_lag"), QT_TRANSLATE_NOOP("AlertEngine", "The backend reads telemetry slower than it arrives: check its CPU and the brokers' health; the map shows robots' last known state meanwhile.")},
    };
    return advice;
}

}  // namespace

QString AlertEngine::whatToCheck(const QString &rule)
{
    const auto it = adviceByRule().constFind(rule);
    return it == adviceByRule().cend() ? QString() : QCoreApplication::translate("AlertEngine", it.value());
}

QStringList AlertEngine::ruleNames()
{
    QStringList names = adviceByRule().keys();
    names.sort();
    return names;
}

void AlertEngine::readRobots(std::int64_t nowMs, const FleetStore &store, std::vector<Reading> *out)
{
    const std::vector<RobotState> &robots = store.robots();
    m_progress.resize(robots.size());
    // During an outage every robot is silent, and just after it robots are still stale until their
    // next report: neither is news about the robots (telemetry_outage is the news).
    const bool silenceCounts = m_kafkaReachable && (m_kafkaBackSinceMs < 0 || nowMs - m_kafkaBackSinceMs >= m_rules.outageGraceMs);

    // Silent robots by area first: where many are silent together, one area alert stands for them.
    struct Cell {
        int silent = 0;
        double latSum = 0;
        double lonSum = 0;
    };
    std::map<std::pair<int, int>, Cell> cells;
    const double cell = m_rules.areaCellDeg;
    const auto cellOf = [cell](const RobotState &r) {
        return std::make_pair(int(std::floor(r.latDeg / cell)), int(std::floor(r.lonDeg / (cell * 1.6))));
    };
    for (const RobotState &robot : robots) {
        if (robot.freshness == Freshness::Stale || robot.freshness == Freshness::Lost) {
            Cell &c = cells[cellOf(robot)];
            ++c.silent;
            c.latSum += robot.latDeg;
            c.lonSum += robot.lonDeg;
        }
    }
    for (const auto &[index, c] : cells) {
        Reading r;
        r.rule = QStringLiteral("area_stale");
        r.subject = QStringLiteral("area %1/%2").arg(index.first).arg(index.second);
        r.firing = silenceCounts && c.silent >= m_rules.areaStaleMinRobots;
        r.clear = c.silent < std::max(1, m_rules.areaStaleMinRobots / 2);
        r.severity = fleet::v1::SEVERITY_CRITICAL;
        r.latitudeDeg = c.latSum / c.silent;
        r.longitudeDeg = c.lonSum / c.silent;
        r.title = tr("%n robots silent in one area", nullptr, c.silent);
        r.detail = tr("%n robots stale or lost within about 500 m of %1, %2", nullptr, c.silent)
                       .arg(r.latitudeDeg, 0, 'f', 5)
                       .arg(r.longitudeDeg, 0, 'f', 5);
        r.forMs = m_rules.robotForMs;
        if (r.firing || m_trackers.contains(keyOf(r.rule, r.subject)))
            out->push_back(std::move(r));
    }

    for (std::size_t slot = 0; slot < robots.size(); ++slot) {
        const RobotState &robot = robots[slot];
        const bool live = robot.freshness == Freshness::Live;
        const auto read = [&](const char *rule, bool firing, bool clear, fleet::v1::Severity severity, const QString &title,
                              const QString &detail, std::int64_t forMs) {
            const QString ruleName = QLatin1String(rule);
            if (!firing && !m_trackers.contains(keyOf(ruleName, robot.robotId)))
                return;  // nothing pending or active: the common case costs no allocation
            Reading r;
            r.rule = ruleName;
            r.subject = robot.robotId;
            r.robotId = robot.robotId;
            r.firing = firing;
            r.clear = clear;
            r.severity = severity;
            r.title = title;
            r.detail = detail;
            r.forMs = forMs;
            out->push_back(std::move(r));
        };

        // While a robot is silent its last mode is all there is: its alerts neither fire nor clear.
        const bool faulted = live && robot.mode == Mode::Fault;
        read("robot_faulted", faulted, live && !faulted, fleet::v1::SEVERITY_CRITICAL, tr("%1 faulted").arg(robot.robotId),
             robot.faults.empty() ? tr("mode fault") : tr("%n active fault(s), first: %1", nullptr, int(robot.faults.size())).arg(robot.faults.front().detail),
             0);

        Progress &progress = m_progress[slot];
        // Without telemetry there is no telling whether it moved: progress is judged afresh after.
        if (progress.sinceMs < 0 || !working(robot.mode) || !live
            || geo::distanceM({progress.latDeg, progress.lonDeg}, {robot.latDeg, robot.lonDeg}) >= m_rules.stuckProgressM) {
            progress = {robot.latDeg, robot.lonDeg, nowMs};
        }
        const bool stuck = live && (robot.mode == Mode::Stuck || (working(robot.mode) && nowMs - progress.sinceMs >= m_rules.stuckAfterMs));
        read("robot_stuck", stuck, live && !stuck, fleet::v1::SEVERITY_WARNING, tr("%1 stuck").arg(robot.robotId),
             robot.mode == Mode::Stuck ? tr("the robot reports itself stuck")
                                       : tr("no progress for %1 s while %2").arg((nowMs - progress.sinceMs) / 1000).arg(modeName(robot.mode)),
             m_rules.robotForMs);

        const bool batteryKnown = robot.freshness != Freshness::Unspecified;
        read("battery_low", batteryKnown && robot.batteryPct < m_rules.batteryLowPct && robot.mode != Mode::Charging,
             !batteryKnown || robot.batteryPct > m_rules.batteryClearPct || robot.mode == Mode::Charging,
             fleet::v1::SEVERITY_WARNING, tr("%1 battery low").arg(robot.robotId), tr("battery %1 %").arg(double(robot.batteryPct), 0, 'f', 0),
             m_rules.robotForMs);

        read("link_rtt_high", live && robot.linkRttMs > m_rules.linkRttHighMs, live && robot.linkRttMs < m_rules.linkRttClearMs,
             fleet::v1::SEVERITY_WARNING, tr("%1 link slow").arg(robot.robotId), tr("round trip %1 ms").arg(double(robot.linkRttMs), 0, 'f', 0),
             m_rules.robotForMs);

        const bool silent = robot.freshness == Freshness::Stale || robot.freshness == Freshness::Lost;
        const auto cellIt = silent ? cells.find(cellOf(robot)) : cells.end();
        const bool coveredByArea = cellIt != cells.end() && cellIt->second.silent >= m_rules.areaStaleMinRobots;
        const bool lost = robot.freshness == Freshness::Lost;
        read("robot_stale", silenceCounts && silent && !coveredByArea, !silent || coveredByArea || !silenceCounts,
             lost ? fleet::v1::SEVERITY_CRITICAL : fleet::v1::SEVERITY_WARNING,
             lost ? tr("%1 lost").arg(robot.robotId) : tr("%1 silent").arg(robot.robotId),
             tr("no telemetry for %1 s").arg((nowMs - robot.receivedUnixMs) / 1000), 0);
    }
}

void AlertEngine::readInfra(const fleet::v1::InfraPoint &infra, std::vector<Reading> *out) const
{
    const auto reading = [this](const char *rule, const QString &subject, const char *tile, fleet::v1::Severity severity) {
        Reading r;
        r.rule = QLatin1String(rule);
        r.subject = subject;
        r.infraTile = QLatin1String(tile);
        r.severity = severity;
        r.forMs = m_rules.infraForMs;
        return r;
    };
    for (const fleet::v1::DbMember &m : infra.members()) {
        const QString member = QString::fromStdString(m.name());
        Reading down = reading("db_member_down", member, "db", fleet::v1::SEVERITY_CRITICAL);
        down.firing = !m.up();
        down.clear = m.up();
        down.title = tr("%1 down").arg(member);
        down.detail = tr("its exporter reports the member unreachable");
        out->push_back(std::move(down));

        const float worst = m.worst_probe_p99_ms();
        Reading latency = reading("db_latency", member, "db", fleet::v1::SEVERITY_CRITICAL);
        latency.firing = !std::isnan(worst) && worst > m_rules.dbLatencyMs;
        latency.clear = std::isnan(worst) || worst < m_rules.dbLatencyClearMs;
        latency.title = tr("%1 slow").arg(member);
        latency.detail = tr("probe p99 %1 ms (over %2 ms)").arg(double(worst), 0, 'f', 0).arg(m_rules.dbLatencyMs);
        out->push_back(std::move(latency));

        const double total = double(m.connections_current()) + double(m.connections_available());
        if (total > 0) {
            const double used = double(m.connections_current()) / total;
            Reading connections = reading("db_connections", member, "db", fleet::v1::SEVERITY_WARNING);
            connections.firing = used > m_rules.connectionsUsed;
            connections.clear = used < m_rules.connectionsUsedClear;
            connections.title = tr("%1 running out of connections").arg(member);
            connections.detail = tr("%1 % of its connections in use (%2 of %3)")
                                     .arg(used * 100, 0, 'f', 0)
                                     .arg(double(m.connections_current()), 0, 'f', 0)
                                     .arg(total, 0, 'f', 0);
            out->push_back(std::move(connections));
        }

        if (m.state() != "PRIMARY") {
            Reading lag = reading("replication_lag", member, "db", fleet::v1::SEVERITY_WARNING);
            const double lagS = m.replication_lag_s();
            lag.firing = !std::isnan(lagS) && lagS > m_rules.replicationLagS;
            lag.clear = std::isnan(lagS) || lagS < m_rules.replicationLagClearS;
            lag.title = tr("%1 behind the primary").arg(member);
            lag.detail = tr("replication lag %1 s (over %2 s)").arg(lagS, 0, 'f', 0).arg(m_rules.replicationLagS);
            out->push_back(std::move(lag));
        }
    }
    for (const fleet::v1::ProxyGroup &g : infra.proxy()) {
        const QString subject = QString::fromStdString(g.app() + "/" + g.collection());
        Reading errors = reading("proxy_errors", subject, "proxy", fleet::v1::SEVERITY_WARNING);
        const double ratio = g.ops_per_s() > 0 ? double(g.errors_per_s()) / double(g.ops_per_s()) : 0;
        errors.firing = g.ops_per_s() >= m_rules.proxyMinOpsPerS && ratio > m_rules.proxyErrorRatio;
        errors.clear = ratio < m_rules.proxyErrorClearRatio || g.ops_per_s() < m_rules.proxyMinOpsPerS / 2;
        errors.title = tr("%1 failing").arg(subject);
        errors.detail = tr("%1 % of %2 ops/s fail").arg(ratio * 100, 0, 'f', 1).arg(double(g.ops_per_s()), 0, 'f', 1);
        out->push_back(std::move(errors));
    }
    for (const fleet::v1::PartitionLag &p : infra.kafka_lag()) {
        const QString subject = QStringLiteral("%1/%2").arg(QString::fromStdString(p.topic())).arg(p.partition());
        Reading lag = reading("kafka_lag", subject, "kafka", fleet::v1::SEVERITY_WARNING);
        lag.firing = p.lag() > m_rules.kafkaLag;
        lag.clear = p.lag() < m_rules.kafkaLagClear;
        lag.title = tr("telemetry %1 behind").arg(subject);
        lag.detail = tr("%1 messages behind").arg(p.lag());
        out->push_back(std::move(lag));
    }
}

AlertEngine::Changes AlertEngine::evaluate(std::int64_t nowMs, const FleetStore &store, const fleet::v1::InfraPoint *infra)
{
    if (!m_kafkaReachable)
        m_kafkaBackSinceMs = -2;   // an outage is on; the grace starts when it ends
    else if (m_kafkaBackSinceMs == -2)
        m_kafkaBackSinceMs = nowMs;
    std::vector<Reading> readings;
    {
        Reading outage;
        outage.rule = QStringLiteral("telemetry_outage");
        outage.subject = QStringLiteral("kafka");
        outage.firing = !m_kafkaReachable;
        outage.clear = m_kafkaReachable;
        outage.severity = fleet::v1::SEVERITY_CRITICAL;
        outage.title = tr("Kafka unreachable: no telemetry");
        outage.detail = tr("the backend reaches none of its brokers");
        outage.infraTile = QStringLiteral("kafka");
        outage.forMs = m_rules.infraForMs;
        readings.push_back(std::move(outage));
    }
    readRobots(nowMs, store, &readings);
    if (infra)
        readInfra(*infra, &readings);
    Changes changes;
    apply(nowMs, readings, &changes);
    expire(nowMs, &changes);
    return changes;
}

void AlertEngine::apply(std::int64_t nowMs, std::vector<Reading> &readings, Changes *changes)
{
    QSet<QString> seen;
    for (Reading &r : readings) {
        const QString key = keyOf(r.rule, r.subject);
        seen.insert(key);
        Tracker &t = m_trackers[key];
        if (t.activeId == 0) {
            if (!r.firing) {
                m_trackers.remove(key);
                continue;
            }
            if (t.pendingSinceMs < 0)
                t.pendingSinceMs = nowMs;
            if (nowMs - t.pendingSinceMs < r.forMs)
                continue;
            fleet::v1::Alert alert;
            alert.set_id(m_nextId++);
            alert.set_rule(std8(r.rule));
            alert.set_severity(r.severity);
            alert.set_state(fleet::v1::ALERT_STATE_FIRING);
            alert.set_subject(std8(r.subject));
            alert.set_robot_id(std8(r.robotId));
            alert.set_title(std8(r.title));
            alert.set_detail(std8(r.detail));
            alert.set_what_to_check(std8(whatToCheck(r.rule)));
            alert.set_fired_unix_ms(nowMs);
            alert.set_infra_tile(std8(r.infraTile));
            alert.set_latitude_deg(r.latitudeDeg);
            alert.set_longitude_deg(r.longitudeDeg);
            t.activeId = alert.id();
            t.pendingSinceMs = -1;
            t.clearSinceMs = -1;
            changes->changed.push_back(alert);
            m_alerts.emplace(alert.id(), std::move(alert));
            continue;
        }
        fleet::v1::Alert &alert = m_alerts.at(t.activeId);
        if (r.firing && r.severity > alert.severity()) {
            // Escalation (stale → lost) is news; the figures of a steady alert are not resent.
            alert.set_severity(r.severity);
            alert.set_title(std8(r.title));
            alert.set_detail(std8(r.detail));
            changes->changed.push_back(alert);
        }
        if (!r.clear) {
            t.clearSinceMs = -1;
            continue;
        }
        if (t.clearSinceMs < 0)
            t.clearSinceMs = nowMs;
        if (nowMs - t.clearSinceMs < m_rules.clearForMs)
            continue;
        alert.set_state(fleet::v1::ALERT_STATE_RESOLVED);
        alert.set_resolved_unix_ms(nowMs);
        changes->changed.push_back(alert);
        m_trackers.remove(key);
    }
    // A subject with no reading this time (an area where nobody is silent any more, a member gone
    // from the replica set) is clear, and resolves after the same hold as any other.
    for (auto it = m_trackers.begin(); it != m_trackers.end();) {
        if (seen.contains(it.key())) {
            ++it;
            continue;
        }
        if (it->activeId == 0) {
            it = m_trackers.erase(it);
            continue;
        }
        if (it->clearSinceMs < 0)
            it->clearSinceMs = nowMs;
        if (nowMs - it->clearSinceMs < m_rules.clearForMs) {
            ++it;
            continue;
        }
        fleet::v1::Alert &alert = m_alerts.at(it->activeId);
        alert.set_state(fleet::v1::ALERT_STATE_RESOLVED);
        alert.set_resolved_unix_ms(nowMs);
        changes->changed.push_back(alert);
        it = m_trackers.erase(it);
    }
}

void AlertEngine::expire(std::int64_t nowMs, Changes *changes)
{
    for (auto it = m_alerts.begin(); it != m_alerts.end();) {
        const bool old = it->second.state() == fleet::v1::ALERT_STATE_RESOLVED
            && nowMs - it->second.resolved_unix_ms() >= m_rules.keepResolvedMs;
        if (old) {
            changes->removed.push_back(it->first);
            it = m_alerts.erase(it);
        } else {
            ++it;
        }
    }
    // Over the cap: the oldest resolved go first, then (a city-wide outage) the oldest of all.
    for (const bool resolvedOnly : {true, false}) {
        for (auto it = m_alerts.begin(); m_alerts.size() > m_rules.maxAlerts && it != m_alerts.end();) {
            if (resolvedOnly && it->second.state() != fleet::v1::ALERT_STATE_RESOLVED) {
                ++it;
                continue;
            }
            changes->removed.push_back(it->first);
            for (auto t = m_trackers.begin(); t != m_trackers.end(); ++t) {
                if (t->activeId == it->first) {
                    m_trackers.erase(t);
                    break;
                }
            }
            it = m_alerts.erase(it);
        }
    }
}

std::optional<fleet::v1::Alert> AlertEngine::acknowledge(std::uint64_t id, const QString &who, std::int64_t nowMs, QString *reason)
{
    const auto it = m_alerts.find(id);
    if (it == m_alerts.end()) {
        *reason = tr("no such alert");
        return std::nullopt;
    }
    fleet::v1::Alert &alert = it->second;
    if (alert.state() == fleet::v1::ALERT_STATE_RESOLVED) {
        *reason = tr("already resolved");
        return std::nullopt;
    }
    if (alert.state() == fleet::v1::ALERT_STATE_ACKNOWLEDGED) {
        *reason = tr("already acknowledged by %1").arg(QString::fromStdString(alert.acknowledged_by()));
        return std::nullopt;
    }
    alert.set_state(fleet::v1::ALERT_STATE_ACKNOWLEDGED);
    alert.set_acknowledged_by(std8(who));
    alert.set_acknowledged_unix_ms(nowMs);
    return alert;
}

std::vector<fleet::v1::Alert> AlertEngine::alerts() const
{
    std::vector<fleet::v1::Alert> out;
    out.reserve(m_alerts.size());
    for (const auto &[id, alert] : m_alerts) {
        (void)id;
        out.push_back(alert);
    }
    std::stable_sort(out.begin(), out.end(), [](const fleet::v1::Alert &a, const fleet::v1::Alert &b) {
        const bool aOpen = a.state() != fleet::v1::ALERT_STATE_RESOLVED;
        const bool bOpen = b.state() != fleet::v1::ALERT_STATE_RESOLVED;
        if (aOpen != bOpen)
            return aOpen;
        if (a.severity() != b.severity())
            return a.severity() > b.severity();
        return a.fired_unix_ms() > b.fired_unix_ms();
    });
    return out;
}

const fleet::v1::Alert *AlertEngine::find(std::uint64_t id) const
{
    const auto it = m_alerts.find(id);
    return it == m_alerts.end() ? nullptr : &it->second;
}

}  // namespace fleetdeck::alerts
