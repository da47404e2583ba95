#include "robotmodel.h"

#include "codec.h"

namespace fleetdeck {

namespace {
QString statusText(const RobotState &r)
{
    QString text = modeName(r.mode) + QStringLiteral(" · %1 %").arg(qRound(r.batteryPct));
    if (!r.faults.empty())
        text += QStringLiteral(" · %1 fault(s)").arg(r.faults.size());
    if (r.freshness == Freshness::Stale)
        text += QStringLiteral(" · stale");
    else if (r.freshness == Freshness::Lost)
        text += QStringLiteral(" · lost");
    return text;
}
}  // namespace

RobotModel::RobotModel(QObject *parent) : QAbstractListModel(parent) {}

int RobotModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : count();
}

QHash<int, QByteArray> RobotModel::roleNames() const
{
    return {
        {RobotIdRole, "robotId"},
        {LatitudeRole, "latitude"},
        {LongitudeRole, "longitude"},
        {HeadingRole, "headingDeg"},
        {SpeedRole, "speedMps"},
        {ModeRole, "mode"},
        {ModeNameRole, "modeName"},
        {TaskIdRole, "taskId"},
        {BatteryRole, "batteryPct"},
        {MotorLeftTempRole, "motorLeftTempC"},
        {MotorRightTempRole, "motorRightTempC"},
        {LidarRole, "lidar"},
        {CamerasRole, "cameras"},
        {GpsRole, "gps"},
        {CpuRole, "cpuPct"},
        {DiskRole, "diskPct"},
        {LinkRttRole, "linkRttMs"},
        {SignalRole, "signalDbm"},
        {FaultCountRole, "faultCount"},
        {FaultsRole, "faults"},
        {FreshnessRole, "freshness"},
        {SampleTimeRole, "sampleTimeUnixMs"},
        {ReceivedTimeRole, "receivedUnixMs"},
        {StatusRole, "status"},
    };
}

QVariant RobotModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RobotState &r = robotAt(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case RobotIdRole: return r.robotId;
    case LatitudeRole: return r.latDeg;
    case LongitudeRole: return r.lonDeg;
    case HeadingRole: return double(r.headingDeg);
    case SpeedRole: return double(r.speedMps);
    case ModeRole: return int(r.mode);
    case ModeNameRole: return modeName(r.mode);
    case TaskIdRole: return r.taskId;
    case BatteryRole: return double(r.batteryPct);
    case MotorLeftTempRole: return double(r.motorLeftTempC);
    case MotorRightTempRole: return double(r.motorRightTempC);
    case LidarRole: return int(r.lidar);
    case CamerasRole: return int(r.cameras);
    case GpsRole: return int(r.gps);
    case CpuRole: return double(r.cpuPct);
    case DiskRole: return double(r.diskPct);
    case LinkRttRole: return double(r.linkRttMs);
    case SignalRole: return double(r.signalDbm);
    case FaultCountRole: return int(r.faults.size());
    case FaultsRole: {
        QVariantList faults;
        for (const Fault &f : r.faults) {
            faults.append(QVariantMap{{QStringLiteral("code"), f.code},
                                      {QStringLiteral("description"), faultDescription(f.code)},
                                      {QStringLiteral("detail"), f.detail},
                                      {QStringLiteral("sinceUnixMs"), qint64(f.sinceUnixMs)}});
        }
        return faults;
    }
    case FreshnessRole: return int(r.freshness);
    case SampleTimeRole: return qint64(r.sampleTimeUnixMs);
    case ReceivedTimeRole: return qint64(r.receivedUnixMs);
    case StatusRole: return statusText(r);
    default: return {};
    }
}

int RobotModel::rowOf(const QString &robotId) const
{
    return m_rowById.value(robotId, -1);
}

QVector<int> RobotModel::rolesFor(std::uint32_t groups)
{
    QVector<int> roles;
    if (groups & FieldGroup::Identity)
        roles << RobotIdRole << Qt::DisplayRole;
    if (groups & FieldGroup::Position)
        roles << LatitudeRole << LongitudeRole << HeadingRole << SpeedRole;
    if (groups & FieldGroup::Mode)
        roles << ModeRole << ModeNameRole << TaskIdRole;
    if (groups & FieldGroup::Battery)
        roles << BatteryRole;
    if (groups & FieldGroup::Health)
        roles << MotorLeftTempRole << MotorRightTempRole << LidarRole << CamerasRole << GpsRole
              << CpuRole << DiskRole;
    if (groups & FieldGroup::Link)
        roles << LinkRttRole << SignalRole;
    if (groups & FieldGroup::Faults)
        roles << FaultCountRole << FaultsRole;
    if (groups & FieldGroup::Freshness)
        roles << FreshnessRole << SampleTimeRole << ReceivedTimeRole;
    if (groups & (FieldGroup::Mode | FieldGroup::Battery | FieldGroup::Faults | FieldGroup::Freshness))
        roles << StatusRole;
    return roles;
}

void RobotModel::setServerTime(qint64 serverUnixMs, qint64 localNowUnixMs)
{
    const qint64 offset = serverUnixMs - localNowUnixMs;
    if (offset != m_serverTimeOffsetMs) {
        m_serverTimeOffsetMs = offset;
        Q_EMIT serverTimeOffsetMsChanged();
    }
}

void RobotModel::applySnapshot(const fleet::v1::Snapshot &snapshot, qint64 localNowUnixMs)
{
    const int oldCount = count();
    beginResetModel();
    m_robots.clear();
    m_rowById.clear();
    const int n = snapshot.robots_size();
    m_robots.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const auto &wire = snapshot.robots(i);
        // Snapshots list slots densely from 0; anything else is a broken server, kept readable.
        if (wire.slot() != static_cast<std::uint32_t>(m_robots.size()))
            continue;
        RobotState state;
        codec::readRobotState(wire, &state);
        m_rowById.insert(state.robotId, static_cast<int>(m_robots.size()));
        m_robots.push_back(std::move(state));
    }
    endResetModel();
    setServerTime(snapshot.server_time_unix_ms(), localNowUnixMs);
    if (count() != oldCount)
        Q_EMIT countChanged();
}

bool RobotModel::applyDelta(const fleet::v1::Delta &delta, qint64 localNowUnixMs)
{
    return applyChanges(delta.robots(), delta.server_time_unix_ms(), localNowUnixMs);
}

bool RobotModel::applyRefresh(const fleet::v1::Refresh &refresh, qint64 localNowUnixMs)
{
    return applyChanges(refresh.robots(), refresh.server_time_unix_ms(), localNowUnixMs);
}

bool RobotModel::applyChanges(const google::protobuf::RepeatedPtrField<fleet::v1::RobotState> &robots,
                              qint64 serverUnixMs, qint64 localNowUnixMs)
{
    // Validate first so a bad delta leaves the model as it was.
    const auto rowCountBefore = static_cast<std::uint32_t>(m_robots.size());
    std::uint32_t expectedNewSlot = rowCountBefore;
    for (const auto &wire : robots) {
        if (wire.slot() < rowCountBefore)
            continue;
        if (wire.slot() != expectedNewSlot || !(wire.groups() & FieldGroup::Identity))
            return false;
        ++expectedNewSlot;
    }

    int runFirst = -1;
    int runLast = -1;
    std::uint32_t runGroups = 0;
    const auto flushRun = [&] {
        if (runFirst >= 0)
            emitChangedRun(runFirst, runLast, runGroups);
        runFirst = -1;
        runGroups = 0;
    };

    for (const auto &wire : robots) {
        const auto row = static_cast<int>(wire.slot());
        if (wire.slot() >= rowCountBefore)
            continue;
        RobotState &robot = m_robots[wire.slot()];
        const QString previousId = robot.robotId;
        RobotState before = robot;
        codec::readRobotState(wire, &robot);
        if (robot.robotId != previousId) {
            m_rowById.remove(previousId);
            m_rowById.insert(robot.robotId, row);
        }
        const std::uint32_t changed = changedGroups(before, robot) | (wire.groups() & FieldGroup::Identity);
        if (!changed)
            continue;
        if (runFirst >= 0 && row == runLast + 1) {
            runLast = row;
            runGroups |= changed;
        } else {
            flushRun();
            runFirst = runLast = row;
            runGroups = changed;
        }
    }
    flushRun();

    if (expectedNewSlot > rowCountBefore) {
        beginInsertRows({}, static_cast<int>(rowCountBefore), static_cast<int>(expectedNewSlot) - 1);
        m_robots.resize(expectedNewSlot);
        for (const auto &wire : robots) {
            if (wire.slot() < rowCountBefore)
                continue;
            RobotState &robot = m_robots[wire.slot()];
            codec::readRobotState(wire, &robot);
            m_rowById.insert(robot.robotId, static_cast<int>(wire.slot()));
        }
        endInsertRows();
        Q_EMIT countChanged();
    }
    setServerTime(serverUnixMs, localNowUnixMs);
    return true;
}

void RobotModel::emitChangedRun(int first, int last, std::uint32_t groups)
{
    Q_EMIT dataChanged(index(first), index(last), rolesFor(groups));
}

void RobotModel::clear()
{
    if (m_robots.empty())
        return;
    beginResetModel();
    m_robots.clear();
    m_rowById.clear();
    endResetModel();
    Q_EMIT countChanged();
}

}  // namespace fleetdeck
