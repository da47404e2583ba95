#pragma once

#include "robotstate.h"

#include "fleet/v1/command.pb.h"
#include "fleet/v1/console.pb.h"
#include "fleet/v1/telemetry.pb.h"

#include <QByteArray>
#include <QString>

#include <cstdint>

// Conversions between the fleet.v1 wire messages and fleetdeck::RobotState, with validation.
// Shared by the backend, the simulator and the console, so every side reads the wire one way.
namespace fleetdeck::codec {

// Decodes a Kafka telemetry payload. False, with a reason in `error`, for bytes that do not parse or
// values no robot can report (no id, a position off the globe, NaN); `out` is then unspecified.
[[nodiscard]] bool decodeTelemetry(const void *data, std::size_t size, RobotState *out, QString *error);
[[nodiscard]] bool telemetryToState(const fleet::v1::Telemetry &in, RobotState *out, QString *error);
void stateToTelemetry(const RobotState &in, fleet::v1::Telemetry *out);

// Writes the `groups` of `state` into a wire RobotState for `slot`.
void writeRobotState(const RobotState &state, std::uint32_t slot, std::uint32_t groups,
                     fleet::v1::RobotState *out);
// Applies the groups present in `in` onto `target`; returns those groups.
std::uint32_t readRobotState(const fleet::v1::RobotState &in, RobotState *target);

[[nodiscard]] QByteArray serialize(const google::protobuf::MessageLite &message);
[[nodiscard]] bool parse(const QByteArray &bytes, google::protobuf::MessageLite *message);

[[nodiscard]] inline QString toQString(const std::string &s)
{
    return QString::fromUtf8(s.data(), static_cast<int>(s.size()));
}
[[nodiscard]] inline std::string toStd(const QString &s)
{
    const QByteArray utf8 = s.toUtf8();
    return {utf8.constData(), static_cast<std::size_t>(utf8.size())};
}

// libprotobuf writes a line to stderr for every string field that is not valid UTF-8, unlimited: a
// hostile producer or console could flood the log that way. Routes its messages through Qt logging
// at a limited rate (decode failures are counted by the callers anyway). Call once at start-up.
void routeProtobufLogs();

}  // namespace fleetdeck::codec
