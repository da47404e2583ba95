#include "robotstate.h"

namespace fleetdeck {

std::uint32_t changedGroups(const RobotState &a, const RobotState &b)
{
    std::uint32_t groups = FieldGroup::None;
    if (a.latDeg != b.latDeg || a.lonDeg != b.lonDeg || a.headingDeg != b.headingDeg
        || a.speedMps != b.speedMps)
        groups |= FieldGroup::Position;
    if (a.mode != b.mode || a.taskId != b.taskId)
        groups |= FieldGroup::Mode;
    if (a.batteryPct != b.batteryPct)
        groups |= FieldGroup::Battery;
    if (a.motorLeftTempC != b.motorLeftTempC || a.motorRightTempC != b.motorRightTempC
        || a.lidar != b.lidar || a.cameras != b.cameras || a.gps != b.gps || a.cpuPct != b.cpuPct
        || a.diskPct != b.diskPct)
        groups |= FieldGroup::Health;
    if (a.linkRttMs != b.linkRttMs || a.signalDbm != b.signalDbm)
        groups |= FieldGroup::Link;
    if (a.faults != b.faults)
        groups |= FieldGroup::Faults;
    if (a.freshness != b.freshness || a.sampleTimeUnixMs != b.sampleTimeUnixMs
        || a.receivedUnixMs != b.receivedUnixMs)
        groups |= FieldGroup::Freshness;
    return groups;
}

void copyGroups(const RobotState &from, std::uint32_t groups, RobotState *into)
{
    if (groups & FieldGroup::Identity)
        into->robotId = from.robotId;
    if (groups & FieldGroup::Position) {
        into->latDeg = from.latDeg;
        into->lonDeg = from.lonDeg;
        into->headingDeg = from.headingDeg;
        into->speedMps = from.speedMps;
    }
    if (groups & FieldGroup::Mode) {
        into->mode = from.mode;
        into->taskId = from.taskId;
    }
    if (groups & FieldGroup::Battery)
        into->batteryPct = from.batteryPct;
    if (groups & FieldGroup::Health) {
        into->motorLeftTempC = from.motorLeftTempC;
        into->motorRightTempC = from.motorRightTempC;
        into->lidar = from.lidar;
        into->cameras = from.cameras;
        into->gps = from.gps;
        into->cpuPct = from.cpuPct;
        into->diskPct = from.diskPct;
    }
    if (groups & FieldGroup::Link) {
        into->linkRttMs = from.linkRttMs;
        into->signalDbm = from.signalDbm;
    }
    if (groups & FieldGroup::Faults)
        into->faults = from.faults;
    if (groups & FieldGroup::Freshness) {
        into->freshness = from.freshness;
        into->sampleTimeUnixMs = from.sampleTimeUnixMs;
        into->receivedUnixMs = from.receivedUnixMs;
    }
}

QString modeName(Mode mode)
{
    switch (mode) {
    case Mode::Idle: return QStringLiteral("idle");
    case Mode::Autonomous: return QStringLiteral("autonomous");
    case Mode::WaitingToCross: return QStringLiteral("waiting to cross");
    case Mode::Delivering: return QStringLiteral("delivering");
    case Mode::Returning: return QStringLiteral("returning");
    case Mode::Charging: return QStringLiteral("charging");
    case Mode::Teleop: return QStringLiteral("teleop");
    case Mode::Fault: return QStringLiteral("fault");
    case Mode::Stuck: return QStringLiteral("stuck");
    case Mode::Offline: return QStringLiteral("offline");
    case Mode::Unspecified: break;
    }
    return QStringLiteral("unknown");
}

QString faultDescription(int code)
{
    switch (static_cast<FaultCode>(code)) {
    case FaultCode::MotorOvertemp: return QStringLiteral("Motor overheating: robot slows, then stops to cool down");
    case FaultCode::LidarDegraded: return QStringLiteral("Lidar degraded: obstacle detection is unreliable");
    case FaultCode::CameraFailed: return QStringLiteral("Camera failed: the robot cannot see part of its surroundings");
    case FaultCode::BatteryCritical: return QStringLiteral("Battery critical: the robot will stop soon");
    case FaultCode::GpsDegraded: return QStringLiteral("GPS degraded: the position shown may be off by metres");
    case FaultCode::WheelBlocked: return QStringLiteral("Wheel blocked: something holds a wheel; drive it free or send help");
    case FaultCode::LidOpen: return QStringLiteral("Lid open while driving");
    case FaultCode::DiskFull: return QStringLiteral("Disk full: logs and recordings are being dropped");
    case FaultCode::Unspecified: break;
    }
    return QStringLiteral("Unknown fault %1").arg(code);
}

}  // namespace fleetdeck
