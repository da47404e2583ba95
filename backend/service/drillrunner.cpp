#include "drillrunner.h"

#include "alertservice.h"
#include "dbsimulator.h"
#include "fleetsimulator.h"
#include "geo.h"
#include "logging.h"

#include <QDateTime>
#include <QSaveFile>

#include <algorithm>

namespace fleetdeck {
namespace {

using Kind = sim::DrillIncident::Kind;
using Outcome = DrillRunner::Outcome;

QString seconds(std::int64_t ms)
{
    const std::int64_t s = (ms + 500) / 1000;
    if (s < 120)
        return QStringLiteral("%1 s").arg(s);
    return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
}

QString utc(std::int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'"));
}

QString describe(const sim::DrillIncident &incident)
{
    QString what = incident.kindName();
    if (!incident.target.isEmpty())
        what += QLatin1Char(' ') + incident.target;
    return what + QStringLiteral(" for %1").arg(seconds(incident.durationMs));
}

QString expectedText(const sim::DrillIncident &incident)
{
    QStringList parts;
    for (const sim::ExpectedAlert &e : incident.expectedAlerts())
        parts.append(e.subject.isEmpty() ? e.rule : e.rule + QLatin1Char(' ') + e.subject);
    return parts.join(QStringLiteral(" or "));
}

}  // namespace

DrillRunner::DrillRunner(sim::Drill drill, Targets targets, AlertService *alerts, const Clock *clock, Settings settings,
                         QObject *parent)
    : QObject(parent),
      m_drill(std::move(drill)),
      m_targets(std::move(targets)),
      m_alerts(alerts),
      m_clock(clock),
      m_settings(settings),
      m_outcomes(m_drill.incidents.size())
{
    connect(&m_timer, &QTimer::timeout, this, &DrillRunner::poll);
}

bool DrillRunner::start(QStringList *errors)
{
    if (m_targets.fleet && !sim::checkDrillRobots(m_drill, *m_targets.fleet, errors))
        return false;
    m_startMs = m_clock->nowUnixMs();
    m_endMs = m_startMs + m_drill.lastEndMs() + m_settings.graceMs;
    for (std::size_t i = 0; i < m_drill.incidents.size(); ++i) {
        const sim::DrillIncident &incident = m_drill.incidents[i];
        m_actions.push_back({incident.atMs, int(i), true});
        if (incident.kind == Kind::BrokerOutage)
            m_actions.push_back({incident.endMs(), int(i), false});
    }
    std::stable_sort(m_actions.begin(), m_actions.end(), [](const Action &a, const Action &b) { return a.atMs < b.atMs; });
    connect(m_alerts, &AlertService::alertChanged, this, &DrillRunner::onAlertChanged);
    qCInfo(lcSim).noquote() << "drill" << m_drill.fileName << "started:" << m_drill.incidents.size() << "incidents, report at"
                            << relative(m_endMs);
    m_timer.start(m_settings.pollIntervalMs);
    poll();
    return true;
}

void DrillRunner::poll()
{
    if (m_finished || m_startMs < 0)
        return;
    const std::int64_t now = m_clock->nowUnixMs();
    while (m_nextAction < m_actions.size() && m_startMs + m_actions[m_nextAction].atMs <= now) {
        const Action &action = m_actions[m_nextAction++];
        if (action.begin)
            inject(action.incident, now);
        else
            end(action.incident);
    }
    if (m_nextAction == m_actions.size() && now >= m_endMs)
        finish();
}

void DrillRunner::inject(int index, std::int64_t nowMs)
{
    const sim::DrillIncident &incident = m_drill.incidents[std::size_t(index)];
    Outcome &outcome = m_outcomes[std::size_t(index)];
    outcome.injectedMs = nowMs;
    outcome.state = Outcome::State::Injected;
    const auto notInjected = [&outcome](const QString &why) {
        outcome.state = Outcome::State::NotInjected;
        outcome.note = why;
    };
    const auto addDb = [&](const sim::DbIncident &dbIncident, const QString &what) {
        QString error;
        if (!m_targets.addDbIncident)
            notInjected(QStringLiteral("no simulated database to inject into"));
        else if (!m_targets.addDbIncident(dbIncident, &error))
            notInjected(error);
        else
            outcome.note = what;
    };

    std::optional<std::size_t> robot;
    if (incident.targetsRobot()) {
        if (m_targets.fleet)
            robot = m_targets.fleet->indexOf(incident.target);
        if (!robot)
            notInjected(m_targets.fleet ? QStringLiteral("no such robot") : QStringLiteral("no simulated fleet to inject into"));
    }
    switch (incident.kind) {
    case Kind::RobotFault:
        if (robot) {
            m_targets.fleet->injectFault(*robot, nowMs, incident.durationMs);
            outcome.note = QStringLiteral("lidar degraded: mode fault");
        }
        break;
    case Kind::RobotStuck:
        if (robot) {
            m_targets.fleet->injectStuck(*robot, nowMs, incident.durationMs);
            outcome.note = QStringLiteral("wheel blocked: mode stuck");
        }
        break;
    case Kind::RobotOffline:
        if (robot) {
            m_targets.fleet->injectOffline(*robot, incident.durationMs);
            outcome.note = QStringLiteral("telemetry stopped");
        }
        break;
    case Kind::AreaOffline: {
        if (!m_targets.fleet) {
            notInjected(QStringLiteral("no simulated fleet to inject into"));
            break;
        }
        const std::vector<RobotState> &robots = m_targets.fleet->robots();
        for (std::size_t i = 0; i < robots.size(); ++i) {
            const double d = geo::distanceM({incident.latDeg, incident.lonDeg}, {robots[i].latDeg, robots[i].lonDeg});
            if (d <= incident.radiusM && !m_targets.fleet->isOffline(i)) {
                m_targets.fleet->injectOffline(i, incident.durationMs);
                outcome.silencedRobots.append(robots[i].robotId);
            }
        }
        outcome.note = QStringLiteral("%1 robots within %2 m went silent")
                           .arg(outcome.silencedRobots.size())
                           .arg(incident.radiusM, 0, 'f', 0);
        break;
    }
    case Kind::DbStandbyBackup:
        addDb(sim::DbIncident::standbyBackupSlowdown(incident.target, nowMs, incident.durationMs),
              QStringLiteral("a backup runs on %1: slower and slower, falling behind").arg(incident.target));
        break;
    case Kind::DbReplicationLag:
        addDb(sim::DbIncident::replicationLagGrowth(incident.target, nowMs, incident.durationMs),
              QStringLiteral("%1 falls behind the primary").arg(incident.target));
        break;
    case Kind::DbConnectionsSaturated:
        addDb(sim::DbIncident::primaryConnectionsSaturated(nowMs, incident.durationMs),
              QStringLiteral("connections leak on the primary, filling its limit"));
        break;
    case Kind::ProxyErrorBurst: {
        const QStringList appCollection = incident.target.split(QLatin1Char('/'));
        addDb(sim::DbIncident::errorBurst(appCollection.value(0), appCollection.value(1), nowMs, incident.durationMs),
              QStringLiteral("%1's requests on %2 fail").arg(appCollection.value(0), appCollection.value(1)));
        break;
    }
    case Kind::BrokerOutage:
        if (!m_targets.setBrokersUp) {
            notInjected(QStringLiteral("the brokers are not ours to take down (external kafka.brokers)"));
            break;
        }
        m_targets.setBrokersUp(false);
        outcome.note = QStringLiteral("every broker down");
        break;
    }

    // Something already said so: an operator would not get a new alert for it.
    if (outcome.state == Outcome::State::Injected) {
        const std::vector<sim::ExpectedAlert> expected = incident.expectedAlerts();
        for (const fleet::v1::Alert &alert : m_alerts->engine().alerts()) {
            const QString rule = QString::fromStdString(alert.rule());
            const QString subject = QString::fromStdString(alert.subject());
            const bool matches = std::any_of(expected.begin(), expected.end(),
                                             [&](const sim::ExpectedAlert &e) { return e.matches(rule, subject); });
            if (matches && alert.state() != fleet::v1::ALERT_STATE_RESOLVED) {
                outcome.alreadyOpen = alert.id();
                remember(alert);
                break;
            }
        }
    }
    const bool done = outcome.state == Outcome::State::Injected;
    qCInfo(lcSim).noquote() << "drill" << relative(nowMs) << describe(incident)
                            << (done ? QStringLiteral("injected:") : QStringLiteral("NOT injected:")) << outcome.note;
    Q_EMIT injected(index);
}

void DrillRunner::end(int index)
{
    const sim::DrillIncident &incident = m_drill.incidents[std::size_t(index)];
    if (incident.kind == Kind::BrokerOutage && m_outcomes[std::size_t(index)].state == Outcome::State::Injected) {
        m_targets.setBrokersUp(true);
        qCInfo(lcSim).noquote() << "drill" << relative(m_clock->nowUnixMs()) << "brokers back up";
    }
}

void DrillRunner::onAlertChanged(const fleet::v1::Alert &alert)
{
    if (m_finished)
        return;
    const bool fresh = m_records.find(alert.id()) == m_records.end();
    // Alerts open before the drill are no part of it unless an incident claims them (inject()).
    if (fresh && alert.fired_unix_ms() < m_startMs)
        return;
    const AlertRecord &record = remember(alert);
    if (fresh) {
        m_firingOrder.push_back(record.id);
        attribute(record);
    }
}

const DrillRunner::AlertRecord &DrillRunner::remember(const fleet::v1::Alert &alert)
{
    AlertRecord &record = m_records[alert.id()];
    record.id = alert.id();
    record.rule = QString::fromStdString(alert.rule());
    record.subject = QString::fromStdString(alert.subject());
    record.title = QString::fromStdString(alert.title());
    record.firedMs = alert.fired_unix_ms();
    if (alert.acknowledged_unix_ms() > 0) {
        record.acknowledgedMs = alert.acknowledged_unix_ms();
        record.acknowledgedBy = QString::fromStdString(alert.acknowledged_by());
    }
    if (alert.state() == fleet::v1::ALERT_STATE_RESOLVED)
        record.resolvedMs = alert.resolved_unix_ms();
    return record;
}

void DrillRunner::attribute(const AlertRecord &record)
{
    const auto inWindow = [&](std::size_t i) {
        const Outcome &o = m_outcomes[i];
        return o.state == Outcome::State::Injected && record.firedMs >= o.injectedMs
            && record.firedMs <= o.injectedMs + m_drill.incidents[i].durationMs + m_settings.graceMs;
    };
    for (std::size_t i = 0; i < m_outcomes.size(); ++i) {
        if (m_outcomes[i].detectedBy || m_outcomes[i].alreadyOpen == record.id || !inWindow(i))
            continue;
        const std::vector<sim::ExpectedAlert> expected = m_drill.incidents[i].expectedAlerts();
        if (std::any_of(expected.begin(), expected.end(),
                        [&](const sim::ExpectedAlert &e) { return e.matches(record.rule, record.subject); })) {
            m_outcomes[i].detectedBy = record.id;
            qCInfo(lcSim).noquote() << "drill: incident" << i + 1 << "detected by alert" << record.id << record.rule
                                    << record.subject << seconds(record.firedMs - m_outcomes[i].injectedMs)
                                    << "after injection";
            return;
        }
    }
    for (std::size_t i = 0; i < m_outcomes.size(); ++i) {
        if (inWindow(i) && m_outcomes[i].alreadyOpen != record.id && isSideEffect(int(i), record)) {
            m_outcomes[i].related.push_back(record.id);
            return;
        }
    }
}

bool DrillRunner::isSideEffect(int index, const AlertRecord &record) const
{
    const Outcome &outcome = m_outcomes[std::size_t(index)];
    if (record.rule == QLatin1String("robot_stale") && outcome.silencedRobots.contains(record.subject))
        return true;
    const std::vector<sim::ExpectedAlert> effects = m_drill.incidents[std::size_t(index)].sideEffects();
    return std::any_of(effects.begin(), effects.end(),
                       [&](const sim::ExpectedAlert &e) { return e.matches(record.rule, record.subject); });
}

void DrillRunner::finish()
{
    m_finished = true;
    m_timer.stop();
    disconnect(m_alerts, &AlertService::alertChanged, this, &DrillRunner::onAlertChanged);
    qCInfo(lcSim).noquote() << "drill" << m_drill.fileName << "over:\n" << reportText();
    Q_EMIT finished();
}

const DrillRunner::AlertRecord *DrillRunner::alert(std::uint64_t id) const
{
    const auto it = m_records.find(id);
    return it == m_records.end() ? nullptr : &it->second;
}

std::vector<const DrillRunner::AlertRecord *> DrillRunner::unplanned() const
{
    std::vector<const AlertRecord *> out;
    for (const std::uint64_t id : m_firingOrder) {
        const bool claimed = std::any_of(m_outcomes.begin(), m_outcomes.end(), [id](const Outcome &o) {
            return o.detectedBy == id || o.alreadyOpen == id
                || std::find(o.related.begin(), o.related.end(), id) != o.related.end();
        });
        if (!claimed)
            out.push_back(&m_records.at(id));
    }
    return out;
}

QString DrillRunner::relative(std::int64_t ms) const
{
    const std::int64_t d = ms - m_startMs;
    const std::int64_t s = ((d < 0 ? -d : d) + 500) / 1000;  // rounded like the delays beside it
    return QStringLiteral("%1%2:%3")
        .arg(d < 0 ? QLatin1Char('-') : QLatin1Char('+'))
        .arg(s / 60, 2, 10, QLatin1Char('0'))
        .arg(s % 60, 2, 10, QLatin1Char('0'));
}

QString DrillRunner::reportText() const
{
    const auto alertLine = [this](const AlertRecord &a, std::int64_t injectedMs) {
        QString line = QStringLiteral("alert #%1 %2 %3 fired %4").arg(a.id).arg(a.rule, a.subject, relative(a.firedMs));
        if (injectedMs >= 0) {
            line += a.firedMs >= injectedMs ? QStringLiteral(" (%1 after injection)").arg(seconds(a.firedMs - injectedMs))
                                            : QStringLiteral(" (%1 before injection)").arg(seconds(injectedMs - a.firedMs));
        }
        line += a.acknowledgedMs >= 0 ? QStringLiteral(", acknowledged %1 by %2 (%3 after firing)")
                                            .arg(relative(a.acknowledgedMs), a.acknowledgedBy, seconds(a.acknowledgedMs - a.firedMs))
                                      : QStringLiteral(", not acknowledged");
        line += a.resolvedMs >= 0 ? QStringLiteral(", resolved %1").arg(relative(a.resolvedMs)) : QStringLiteral(", still open");
        return line;
    };

    int detected = 0;
    int notInjected = 0;
    int acknowledged = 0;
    for (const Outcome &o : m_outcomes) {
        const std::optional<std::uint64_t> id = o.detectedBy ? o.detectedBy : o.alreadyOpen;
        detected += id ? 1 : 0;
        notInjected += o.state == Outcome::State::NotInjected ? 1 : 0;
        acknowledged += id && alert(*id)->acknowledgedMs >= 0 ? 1 : 0;
    }
    const std::vector<const AlertRecord *> extra = unplanned();

    QString out;
    out += QStringLiteral("Drill %1, started %2%3\n")
               .arg(m_drill.fileName, m_startMs >= 0 ? utc(m_startMs) : QStringLiteral("(not started)"),
                    m_finished ? QStringLiteral(", over at %1").arg(relative(m_endMs)) : QStringLiteral(", in progress"));
    out += QStringLiteral("%1 of %2 incidents detected, %3 acknowledged, %4 not injected; %5 unplanned alerts\n")
               .arg(detected)
               .arg(m_outcomes.size())
               .arg(acknowledged)
               .arg(notInjected)
               .arg(extra.size());
    for (std::size_t i = 0; i < m_outcomes.size(); ++i) {
        const sim::DrillIncident &incident = m_drill.incidents[i];
        const Outcome &o = m_outcomes[i];
        out += QStringLiteral("\n#%1 %2 %3 (line %4)\n")
                   .arg(i + 1)
                   .arg(QStringLiteral("+%1:%2")
                            .arg(incident.atMs / 60'000, 2, 10, QLatin1Char('0'))
                            .arg(incident.atMs / 1000 % 60, 2, 10, QLatin1Char('0')),
                        describe(incident))
                   .arg(incident.line);
        switch (o.state) {
        case Outcome::State::Pending:
            out += QStringLiteral("    not yet injected\n");
            continue;
        case Outcome::State::NotInjected:
            out += QStringLiteral("    NOT INJECTED: %1\n").arg(o.note);
            continue;
        case Outcome::State::Injected:
            out += QStringLiteral("    injected %1: %2\n").arg(relative(o.injectedMs), o.note);
            break;
        }
        if (o.detectedBy) {
            out += QStringLiteral("    detected: %1\n").arg(alertLine(*alert(*o.detectedBy), o.injectedMs));
        } else if (o.alreadyOpen) {
            out += QStringLiteral("    already open: %1\n").arg(alertLine(*alert(*o.alreadyOpen), o.injectedMs));
        } else if (incident.expectedAlerts().empty()) {
            out += QStringLiteral("    not detected: no alert rule watches this\n");
        } else {
            out += QStringLiteral("    NOT DETECTED: no %1 alert fired%2\n")
                       .arg(expectedText(incident),
                            m_finished ? QStringLiteral(" by %1").arg(relative(m_endMs)) : QStringLiteral(" yet"));
        }
        for (const std::uint64_t id : o.related)
            out += QStringLiteral("    also: %1\n").arg(alertLine(*alert(id), -1));
    }
    out += QStringLiteral("\nUnplanned alerts (fired during the drill, matching no incident): %1\n").arg(extra.size());
    for (const AlertRecord *a : extra)
        out += QStringLiteral("    %1\n").arg(alertLine(*a, -1));
    return out;
}

QString DrillRunner::reportHtml() const
{
    const auto esc = [](const QString &text) { return text.toHtmlEscaped(); };
    const auto cell = [&esc](const QString &text) { return QStringLiteral("<td>%1</td>").arg(esc(text)); };
    const auto alertCells = [&](const AlertRecord *a, std::int64_t injectedMs) {
        if (!a)
            return QString();
        QString row = cell(QStringLiteral("#%1 %2 %3").arg(a->id).arg(a->rule, a->subject)) + cell(relative(a->firedMs));
        if (injectedMs >= 0)
            row += cell(a->firedMs >= injectedMs ? seconds(a->firedMs - injectedMs) : QStringLiteral("open before"));
        row += cell(a->acknowledgedMs >= 0 ? relative(a->acknowledgedMs) : QStringLiteral("—"))
            + cell(a->acknowledgedMs >= 0 ? a->acknowledgedBy : QString())
            + cell(a->resolvedMs >= 0 ? relative(a->resolvedMs) : QStringLiteral("open"));
        return row;
    };

    QString out;
    out += QStringLiteral("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Drill %1</title>\n").arg(esc(m_drill.fileName));
    out += QStringLiteral(
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
        "th,td{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top}th{background:#eee}"
        "tr.missed td{background:#fde2e2}tr.skipped td{background:#f3f3f3;color:#666}</style></head><body>\n");
    out += QStringLiteral("<h1>Drill %1</h1>\n<p>Started %2%3.</p>\n")
               .arg(esc(m_drill.fileName), esc(m_startMs >= 0 ? utc(m_startMs) : QStringLiteral("(not started)")),
                    m_finished ? esc(QStringLiteral(", over at %1").arg(relative(m_endMs))) : QStringLiteral(", in progress"));
    out += QStringLiteral("<table>\n<tr><th>#</th><th>Line</th><th>At</th><th>Incident</th><th>Injected</th><th>Expected alert</th>"
                          "<th>Alert</th><th>Fired</th><th>After</th><th>Acknowledged</th><th>By</th><th>Resolved</th>"
                          "<th>Also</th></tr>\n");
    for (std::size_t i = 0; i < m_outcomes.size(); ++i) {
        const sim::DrillIncident &incident = m_drill.incidents[i];
        const Outcome &o = m_outcomes[i];
        const std::optional<std::uint64_t> id = o.detectedBy ? o.detectedBy : o.alreadyOpen;
        const char *cls = o.state != Outcome::State::Injected ? "skipped" : (id ? "detected" : "missed");
        out += QStringLiteral("<tr class=\"%1\">").arg(QLatin1String(cls));
        out += cell(QString::number(i + 1)) + cell(QString::number(incident.line))
            + cell(QStringLiteral("+%1 s").arg(incident.atMs / 1000)) + cell(describe(incident));
        out += cell(o.state == Outcome::State::Injected
                        ? QStringLiteral("%1: %2").arg(relative(o.injectedMs), o.note)
                        : (o.state == Outcome::State::NotInjected ? QStringLiteral("not injected: %1").arg(o.note)
                                                                  : QStringLiteral("pending")));
        out += cell(incident.expectedAlerts().empty() ? QStringLiteral("none: no rule watches this") : expectedText(incident));
        if (id)
            out += alertCells(alert(*id), o.injectedMs);
        else
            out += QStringLiteral("<td colspan=\"6\">%1</td>")
                       .arg(esc(o.state == Outcome::State::Injected ? QStringLiteral("not detected") : QString()));
        QStringList also;
        for (const std::uint64_t r : o.related)
            also.append(QStringLiteral("#%1 %2 %3").arg(r).arg(alert(r)->rule, alert(r)->subject));
        out += cell(also.join(QStringLiteral(", "))) + QStringLiteral("</tr>\n");
    }
    out += QStringLiteral("</table>\n");
    const std::vector<const AlertRecord *> extra = unplanned();
    out += QStringLiteral("<h2>Unplanned alerts (%1)</h2>\n").arg(extra.size());
    if (!extra.empty()) {
        out += QStringLiteral("<table>\n<tr><th>Alert</th><th>Title</th><th>Fired</th><th>Acknowledged</th><th>By</th>"
                              "<th>Resolved</th></tr>\n");
        for (const AlertRecord *a : extra) {
            out += QStringLiteral("<tr>") + cell(QStringLiteral("#%1 %2 %3").arg(a->id).arg(a->rule, a->subject)) + cell(a->title)
                + cell(relative(a->firedMs)) + cell(a->acknowledgedMs >= 0 ? relative(a->acknowledgedMs) : QStringLiteral("—"))
                + cell(a->acknowledgedBy) + cell(a->resolvedMs >= 0 ? relative(a->resolvedMs) : QStringLiteral("open"))
                + QStringLiteral("</tr>\n");
        }
        out += QStringLiteral("</table>\n");
    }
    out += QStringLiteral("</body></html>\n");
    return out;
}

bool DrillRunner::writeReport(const QString &path, QString *error) const
{
    const bool html = path.endsWith(QLatin1String(".html"), Qt::CaseInsensitive)
        || path.endsWith(QLatin1String(".htm"), Qt::CaseInsensitive);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    file.write((html ? reportHtml() : reportText()).toUtf8());
    if (!file.commit()) {
        *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

}  // namespace fleetdeck
