#include "consolefixture.h"

#include "codec.h"

#include <QDebug>

namespace fleetdeck {

namespace {

// Applies `fields` to `state`; returns the FieldGroup bits touched, or None for an unknown field.
std::uint32_t applyFields(const QVariantMap &fields, RobotState *state, bool *ok)
{
    std::uint32_t groups = FieldGroup::None;
    *ok = true;
    for (auto it = fields.cbegin(); it != fields.cend(); ++it) {
        const QString &key = it.key();
        const QVariant &value = it.value();
        if (key == QLatin1String("robotId")) {
            state->robotId = value.toString();
            groups |= FieldGroup::Identity;
        } else if (key == QLatin1String("latitude")) {
            state->latDeg = value.toDouble();
            groups |= FieldGroup::Position;
        } else if (key == QLatin1String("longitude")) {
            state->lonDeg = value.toDouble();
            groups |= FieldGroup::Position;
        } else if (key == QLatin1String("headingDeg")) {
            state->headingDeg = value.toFloat();
            groups |= FieldGroup::Position;
        } else if (key == QLatin1String("speedMps")) {
            state->speedMps = value.toFloat();
            groups |= FieldGroup::Position;
        } else if (key == QLatin1String("mode")) {
            state->mode = static_cast<Mode>(value.toInt());
            groups |= FieldGroup::Mode;
        } else if (key == QLatin1String("taskId")) {
            state->taskId = value.toString();
            groups |= FieldGroup::Mode;
        } else if (key == QLatin1String("batteryPct")) {
            state->batteryPct = value.toFloat();
            groups |= FieldGroup::Battery;
        } else if (key == QLatin1String("motorLeftTempC")) {
            state->motorLeftTempC = value.toFloat();
            groups |= FieldGroup::Health;
        } else if (key == QLatin1String("motorRightTempC")) {
            state->motorRightTempC = value.toFloat();
            groups |= FieldGroup::Health;
        } else if (key == QLatin1String("linkRttMs")) {
            state->linkRttMs = value.toFloat();
            groups |= FieldGroup::Link;
        } else if (key == QLatin1String("signalDbm")) {
            state->signalDbm = value.toFloat();
            groups |= FieldGroup::Link;
        } else if (key == QLatin1String("faults")) {
            state->faults.clear();
            for (const QVariant &f : value.toList()) {
                const QVariantMap fault = f.toMap();
                state->faults.push_back({fault.value(QStringLiteral("code")).toInt(),
                                         fault.value(QStringLiteral("sinceUnixMs")).toLongLong(),
                                         fault.value(QStringLiteral("detail")).toString()});
            }
            groups |= FieldGroup::Faults;
        } else if (key == QLatin1String("freshness")) {
            state->freshness = static_cast<Freshness>(value.toInt());
            groups |= FieldGroup::Freshness;
        } else {
            qWarning().noquote() << "ConsoleFixture: no robot field" << key;
            *ok = false;
        }
    }
    return groups;
}

}  // namespace

ConsoleFixture::ConsoleFixture(QObject *parent) : QObject(parent) {}

void ConsoleFixture::load(const QVariantList &robots)
{
    m_selection.clear();
    m_fleetList.setSearchText({});
    m_fleetList.setModeFilter(-1);
    m_fleetList.setAttentionOnly(false);
    m_fleetList.setStaleOnly(false);
    m_fleetList.setBatteryBelow(101);

    const std::int64_t now = m_clock.nowUnixMs();
    fleet::v1::Snapshot snapshot;
    snapshot.set_sequence(++m_sequence);
    snapshot.set_server_time_unix_ms(now);
    std::uint32_t slot = 0;
    for (const QVariant &entry : robots) {
        RobotState state;
        state.robotId = QStringLiteral("nb-%1").arg(slot, 4, 10, QLatin1Char('0'));
        state.latDeg = 53.55 + slot * 1e-4;
        state.lonDeg = 13.26;
        state.mode = Mode::Autonomous;
        state.batteryPct = 80;
        state.speedMps = 1.2f;
        state.motorLeftTempC = 30;
        state.motorRightTempC = 31;
        state.lidar = state.cameras = state.gps = SensorStatus::Ok;
        state.linkRttMs = 60;
        state.signalDbm = -70;
        state.freshness = Freshness::Live;
        state.sampleTimeUnixMs = now;
        state.receivedUnixMs = now;
        bool ok = true;
        applyFields(entry.toMap(), &state, &ok);
        codec::writeRobotState(state, slot++, FieldGroup::All, snapshot.add_robots());
    }
    m_robots.applySnapshot(snapshot, now);
    m_summary.recount();
}

bool ConsoleFixture::update(const QString &robotId, const QVariantMap &changes)
{
    const int row = m_robots.rowOf(robotId);
    if (row < 0) {
        qWarning().noquote() << "ConsoleFixture: no robot" << robotId;
        return false;
    }
    RobotState state = m_robots.robotAt(row);
    bool ok = true;
    std::uint32_t groups = applyFields(changes, &state, &ok);
    if (!ok)
        return false;
    const std::int64_t now = m_clock.nowUnixMs();
    if (state.freshness == Freshness::Live || !changes.contains(QStringLiteral("freshness"))) {
        state.freshness = Freshness::Live;
        state.sampleTimeUnixMs = now;
        state.receivedUnixMs = now;
        groups |= FieldGroup::Freshness;
    }
    fleet::v1::Delta delta;
    delta.set_sequence(++m_sequence);
    delta.set_server_time_unix_ms(now);
    codec::writeRobotState(state, static_cast<std::uint32_t>(row), groups, delta.add_robots());
    if (!m_robots.applyDelta(delta, now))
        return false;
    m_summary.recount();  // as the application does after each frame
    return true;
}

void ConsoleFixture::advance(int ms)
{
    m_clock.advance(ms);
    Q_EMIT nowMsChanged();
}

}  // namespace fleetdeck
