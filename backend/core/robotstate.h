#pragma once

#include <QMetaType>
#include <QObject>
#include <QString>

#include <cstdint>
#include <vector>

// The one description of a robot's state, shared by the backend's fleet store, the simulator and the
// console's robot model. Enum values equal the protobuf ones in fleet/v1 (checked in codec.cpp).
namespace fleetdeck {
Q_NAMESPACE

enum class Mode : std::uint8_t {
    Unspecified = 0,
    Idle = 1,
    Autonomous = 2,
    WaitingToCross = 3,
    Delivering = 4,
    Returning = 5,
    Charging = 6,
    Teleop = 7,
    Fault = 8,
    Stuck = 9,
    Offline = 10,
};
Q_ENUM_NS(Mode)
inline constexpr int kModeCount = 11;

enum class Freshness : std::uint8_t { Unspecified = 0, Live = 1, Stale = 2, Lost = 3 };
Q_ENUM_NS(Freshness)

enum class SensorStatus : std::uint8_t { Unspecified = 0, Ok = 1, Degraded = 2, Failed = 3 };
Q_ENUM_NS(SensorStatus)

enum class FaultCode : std::uint8_t {
    Unspecified = 0,
    MotorOvertemp = 1,
    LidarDegraded = 2,
    CameraFailed = 3,
    BatteryCritical = 4,
    GpsDegraded = 5,
    WheelBlocked = 6,
    LidOpen = 7,
    DiskFull = 8,
};
Q_ENUM_NS(FaultCode)

// Bits of fleet.v1.FieldGroup: which parts of a RobotState a delta carries.
namespace FieldGroup {
enum : std::uint32_t {
    None = 0,
    Identity = 1,
    Position = 2,
    Mode = 4,
    Battery = 8,
    Health = 16,
    Link = 32,
    Faults = 64,
    Freshness = 128,
    All = 255,
};
}

struct Fault {
    int code = 0;  // FaultCode, or a newer code this build does not know
    std::int64_t sinceUnixMs = 0;
    QString detail;

    friend bool operator==(const Fault &a, const Fault &b)
    {
        return a.code == b.code && a.sinceUnixMs == b.sinceUnixMs && a.detail == b.detail;
    }
    friend bool operator!=(const Fault &a, const Fault &b) { return !(a == b); }
};

struct RobotState {
    QString robotId;

    double latDeg = 0;
    double lonDeg = 0;
    float headingDeg = 0;
    float speedMps = 0;

    Mode mode = Mode::Unspecified;
    QString taskId;

    float batteryPct = 0;

    float motorLeftTempC = 0;
    float motorRightTempC = 0;
    SensorStatus lidar = SensorStatus::Unspecified;
    SensorStatus cameras = SensorStatus::Unspecified;
    SensorStatus gps = SensorStatus::Unspecified;
    float cpuPct = 0;
    float diskPct = 0;

    float linkRttMs = 0;
    float signalDbm = 0;

    std::vector<Fault> faults;

    Freshness freshness = Freshness::Unspecified;
    std::int64_t sampleTimeUnixMs = 0;  // robot's clock
    std::int64_t receivedUnixMs = 0;    // backend's clock
    std::uint64_t sequence = 0;         // robot's telemetry sequence; not sent to consoles
};

// Which FieldGroup bits differ between two states of one robot (Identity never does).
[[nodiscard]] std::uint32_t changedGroups(const RobotState &before, const RobotState &after);

// Copies the groups named in `groups` from `from` into `into`.
void copyGroups(const RobotState &from, std::uint32_t groups, RobotState *into);

// Whether `candidate` supersedes `current` (same robot): a higher telemetry sequence, or — after a
// reboot, when the sequence starts again — a lower one with a later sample time. Equal: a duplicate.
[[nodiscard]] inline bool isNewerSample(const RobotState &candidate, const RobotState &current)
{
    if (candidate.sequence > current.sequence)
        return true;
    return candidate.sequence < current.sequence && candidate.sampleTimeUnixMs > current.sampleTimeUnixMs;
}

[[nodiscard]] QString modeName(Mode mode);
[[nodiscard]] QString faultDescription(int code);

}  // namespace fleetdeck

Q_DECLARE_METATYPE(fleetdeck::RobotState)
