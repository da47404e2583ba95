#include "teleoplog.h"

#include "codec.h"
#include "fleetclient.h"

#include <QVariantMap>

namespace fleetdeck {
namespace {

QString titleOf(int kind)
{
    switch (kind) {
    case fleet::v1::TeleopEvent::KIND_LEASE_ACQUIRED: return TeleopLog::tr("Took control");
    case fleet::v1::TeleopEvent::KIND_LEASE_TAKEN_OVER: return TeleopLog::tr("Took over");
    case fleet::v1::TeleopEvent::KIND_LEASE_ENDED: return TeleopLog::tr("Control ended");
    case fleet::v1::TeleopEvent::KIND_EMERGENCY_STOP: return TeleopLog::tr("Emergency stop");
    case fleet::v1::TeleopEvent::KIND_RESUME_AUTONOMY: return TeleopLog::tr("Resumed autonomy");
    default: break;
    }
    return TeleopLog::tr("Teleoperation event");
}

}  // namespace

TeleopLog::TeleopLog(FleetClient *client, QObject *parent) : QObject(parent), m_client(client)
{
    m_client->setTeleopHistoryHandler([this](const fleet::v1::ServerMessage &message) { onServerMessage(message); });
}

TeleopLog::~TeleopLog()
{
    m_client->setTeleopHistoryHandler({});
}

void TeleopLog::setRobotId(const QString &robotId)
{
    if (robotId == m_robotId)
        return;
    m_robotId = robotId;
    Q_EMIT robotIdChanged();
    updateShown();
}

void TeleopLog::onServerMessage(const fleet::v1::ServerMessage &message)
{
    if (message.has_teleop_history()) {
        m_entries.clear();
        for (const fleet::v1::TeleopEvent &event : message.teleop_history().events())
            append(event);
    } else if (message.has_teleop_event()) {
        append(message.teleop_event());
    } else {
        return;
    }
    updateShown();
}

void TeleopLog::append(const fleet::v1::TeleopEvent &event)
{
    if (m_entries.size() >= kCapacity)
        m_entries.pop_front();
    Entry entry;
    entry.kind = event.kind();
    entry.robotId = codec::toQString(event.robot_id());
    entry.operatorName = codec::toQString(event.operator_name());
    entry.timeUnixMs = event.time_unix_ms();
    entry.detail = codec::toQString(event.detail());
    entry.durationMs = event.duration_ms();
    entry.commands = event.commands();
    entry.maxLinearMps = event.max_linear_mps();
    m_entries.push_back(std::move(entry));
}

void TeleopLog::updateShown()
{
    QVariantList shown;
    for (auto it = m_entries.crbegin(); it != m_entries.crend() && shown.size() < kShown; ++it) {
        if (it->robotId != m_robotId)
            continue;
        shown.append(QVariantMap{
            {QStringLiteral("kind"), it->kind},
            {QStringLiteral("title"), titleOf(it->kind)},
            {QStringLiteral("operatorName"), it->operatorName},
            {QStringLiteral("timeUnixMs"), double(it->timeUnixMs)},
            {QStringLiteral("detail"), it->detail},
            {QStringLiteral("durationMs"), double(it->durationMs)},
            {QStringLiteral("commands"), it->commands},
            {QStringLiteral("maxLinearMps"), double(it->maxLinearMps)},
        });
    }
    if (shown == m_shown)
        return;
    m_shown = shown;
    Q_EMIT eventsChanged();
}

}  // namespace fleetdeck
