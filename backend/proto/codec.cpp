#include "codec.h"

#include "logging.h"

#include <google/protobuf/stubs/logging.h>

#include <QDateTime>

#include <mutex>

#include <algorithm>
#include <cmath>
#include <limits>

namespace fleetdeck::codec {
namespace {

static_assert(int(Mode::Offline) == fleet::v1::MODE_OFFLINE);
static_assert(int(Mode::Stuck) == fleet::v1::MODE_STUCK);
static_assert(int(Mode::Idle) == fleet::v1::MODE_IDLE);
static_assert(int(Freshness::Lost) == fleet::v1::FRESHNESS_LOST);
static_assert(int(SensorStatus::Failed) == fleet::v1::SENSOR_FAILED);
static_assert(int(FieldGroup::Freshness) == int(fleet::v1::FIELD_GROUP_FRESHNESS));
static_assert(int(FieldGroup::Faults) == int(fleet::v1::FIELD_GROUP_FAULTS));
static_assert(int(FieldGroup::Position) == int(fleet::v1::FIELD_GROUP_POSITION));

constexpr int kMaxRobotIdLength = 128;
constexpr int kMaxFaults = 64;

// Values from a newer robot that this build does not know become Unspecified rather than garbage.
Mode toMode(int value)
{
    return (value >= 0 && value < kModeCount) ? static_cast<Mode>(value) : Mode::Unspecified;
}

SensorStatus toSensor(int value)
{
    return (value >= 0 && value <= int(SensorStatus::Failed)) ? static_cast<SensorStatus>(value)
                                                              : SensorStatus::Unspecified;
}

Freshness toFreshness(int value)
{
    return (value >= 0 && value <= int(Freshness::Lost)) ? static_cast<Freshness>(value)
                                                        : Freshness::Unspecified;
}

float finiteOr(float value, float fallback)
{
    return std::isfinite(value) ? value : fallback;
}

void readPosition(const fleet::v1::Position &p, RobotState *s)
{
    s->latDeg = p.lat_deg();
    s->lonDeg = p.lon_deg();
    s->headingDeg = finiteOr(p.heading_deg(), 0.f);
    s->speedMps = finiteOr(p.speed_mps(), 0.f);
}

void writePosition(const RobotState &s, fleet::v1::Position *p)
{
    p->set_lat_deg(s.latDeg);
    p->set_lon_deg(s.lonDeg);
    p->set_heading_deg(s.headingDeg);
    p->set_speed_mps(s.speedMps);
}

void readHealth(const fleet::v1::Health &h, RobotState *s)
{
    s->motorLeftTempC = finiteOr(h.motor_left_temp_c(), 0.f);
    s->motorRightTempC = finiteOr(h.motor_right_temp_c(), 0.f);
    s->lidar = toSensor(h.lidar());
    s->cameras = toSensor(h.cameras());
    s->gps = toSensor(h.gps());
    s->cpuPct = finiteOr(h.cpu_pct(), 0.f);
    s->diskPct = finiteOr(h.disk_pct(), 0.f);
}

void writeHealth(const RobotState &s, fleet::v1::Health *h)
{
    h->set_motor_left_temp_c(s.motorLeftTempC);
    h->set_motor_right_temp_c(s.motorRightTempC);
    h->set_lidar(static_cast<fleet::v1::SensorStatus>(s.lidar));
    h->set_cameras(static_cast<fleet::v1::SensorStatus>(s.cameras));
    h->set_gps(static_cast<fleet::v1::SensorStatus>(s.gps));
    h->set_cpu_pct(s.cpuPct);
    h->set_disk_pct(s.diskPct);
}

template<typename FaultList>
void readFaults(const FaultList &faults, RobotState *s)
{
    s->faults.clear();
    const int n = std::min(faults.size(), kMaxFaults);
    s->faults.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const auto &f = faults.Get(i);
        s->faults.push_back({f.code(), f.since_unix_ms(), toQString(f.detail())});
    }
}

template<typename FaultList>
void writeFaults(const RobotState &s, FaultList *faults)
{
    faults->Clear();
    for (const Fault &f : s.faults) {
        auto *out = faults->Add();
        out->set_code(static_cast<fleet::v1::FaultCode>(f.code));
        out->set_since_unix_ms(f.sinceUnixMs);
        out->set_detail(toStd(f.detail));
    }
}

}  // namespace

bool telemetryToState(const fleet::v1::Telemetry &in, RobotState *out, QString *error)
{
    if (in.robot_id().empty() || in.robot_id().size() > kMaxRobotIdLength) {
        *error = QStringLiteral("robot_id is empty or longer than %1 bytes").arg(kMaxRobotIdLength);
        return false;
    }
    const auto &p = in.position();
    if (!std::isfinite(p.lat_deg()) || !std::isfinite(p.lon_deg()) || std::abs(p.lat_deg()) > 90
        || std::abs(p.lon_deg()) > 180) {
        *error = QStringLiteral("position %1,%2 is not on the globe").arg(p.lat_deg()).arg(p.lon_deg());
        return false;
    }
    if (!std::isfinite(in.battery_pct())) {
        *error = QStringLiteral("battery_pct is not a number");
        return false;
    }
    out->robotId = toQString(in.robot_id());
    out->sampleTimeUnixMs = in.time_unix_ms();
    out->sequence = in.sequence();
    readPosition(p, out);
    out->mode = toMode(in.mode());
    out->taskId = toQString(in.task_id());
    out->batteryPct = std::clamp(in.battery_pct(), 0.f, 100.f);
    readHealth(in.health(), out);
    out->linkRttMs = finiteOr(in.link().rtt_ms(), 0.f);
    out->signalDbm = finiteOr(in.link().signal_dbm(), 0.f);
    readFaults(in.faults(), out);
    return true;
}

bool decodeTelemetry(const void *data, std::size_t size, RobotState *out, QString *error)
{
    fleet::v1::Telemetry telemetry;
    if (size > static_cast<std::size_t>(std::numeric_limits<int>::max())
        || !telemetry.ParseFromArray(data, static_cast<int>(size))) {
        *error = QStringLiteral("not a fleet.v1.Telemetry message (%1 bytes)").arg(size);
        return false;
    }
    return telemetryToState(telemetry, out, error);
}

void stateToTelemetry(const RobotState &in, fleet::v1::Telemetry *out)
{
    out->set_robot_id(toStd(in.robotId));
    out->set_time_unix_ms(in.sampleTimeUnixMs);
    out->set_sequence(in.sequence);
    writePosition(in, out->mutable_position());
    out->set_mode(static_cast<fleet::v1::Mode>(in.mode));
    out->set_task_id(toStd(in.taskId));
    out->set_battery_pct(in.batteryPct);
    writeHealth(in, out->mutable_health());
    out->mutable_link()->set_rtt_ms(in.linkRttMs);
    out->mutable_link()->set_signal_dbm(in.signalDbm);
    writeFaults(in, out->mutable_faults());
}

void writeRobotState(const RobotState &s, std::uint32_t slot, std::uint32_t groups,
                     fleet::v1::RobotState *out)
{
    out->set_slot(slot);
    out->set_groups(groups);
    if (groups & FieldGroup::Identity)
        out->set_robot_id(toStd(s.robotId));
    if (groups & FieldGroup::Position)
        writePosition(s, out->mutable_position());
    if (groups & FieldGroup::Mode) {
        out->set_mode(static_cast<fleet::v1::Mode>(s.mode));
        out->set_task_id(toStd(s.taskId));
    }
    if (groups & FieldGroup::Battery)
        out->set_battery_pct(s.batteryPct);
    if (groups & FieldGroup::Health)
        writeHealth(s, out->mutable_health());
    if (groups & FieldGroup::Link) {
        out->mutable_link()->set_rtt_ms(s.linkRttMs);
        out->mutable_link()->set_signal_dbm(s.signalDbm);
    }
    if (groups & FieldGroup::Faults)
        writeFaults(s, out->mutable_faults());
    if (groups & FieldGroup::Freshness) {
        out->set_freshness(static_cast<fleet::v1::Freshness>(s.freshness));
        out->set_sample_time_unix_ms(s.sampleTimeUnixMs);
        out->set_received_unix_ms(s.receivedUnixMs);
    }
}

std::uint32_t readRobotState(const fleet::v1::RobotState &in, RobotState *s)
{
    const std::uint32_t groups = in.groups() & FieldGroup::All;
    if (groups & FieldGroup::Identity)
        s->robotId = toQString(in.robot_id());
    if (groups & FieldGroup::Position)
        readPosition(in.position(), s);
    if (groups & FieldGroup::Mode) {
        s->mode = toMode(in.mode());
        s->taskId = toQString(in.task_id());
    }
    if (groups & FieldGroup::Battery)
        s->batteryPct = finiteOr(in.battery_pct(), 0.f);
    if (groups & FieldGroup::Health)
        readHealth(in.health(), s);
    if (groups & FieldGroup::Link) {
        s->linkRttMs = finiteOr(in.link().rtt_ms(), 0.f);
        s->signalDbm = finiteOr(in.link().signal_dbm(), 0.f);
    }
    if (groups & FieldGroup::Faults)
        readFaults(in.faults(), s);
    if (groups & FieldGroup::Freshness) {
        s->freshness = toFreshness(in.freshness());
        s->sampleTimeUnixMs = in.sample_time_unix_ms();
        s->receivedUnixMs = in.received_unix_ms();
    }
    return groups;
}

QByteArray serialize(const google::protobuf::MessageLite &message)
{
    QByteArray bytes(static_cast<int>(message.ByteSizeLong()), Qt::Uninitialized);
    message.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t *>(bytes.data()));
    return bytes;
}

bool parse(const QByteArray &bytes, google::protobuf::MessageLite *message)
{
    return message->ParseFromArray(bytes.constData(), static_cast<int>(bytes.size()));
}

void routeProtobufLogs()
{
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel level, const char *file, int line, const std::string &message) {
        static std::mutex mutex;  // protobuf logs from whichever thread decodes (the Kafka threads too)
        static RateLimitedLog limit;
        quint64 suppressed = 0;
        {
            const std::lock_guard<std::mutex> lock(mutex);
            if (!limit.shouldLog(QDateTime::currentMSecsSinceEpoch(), &suppressed))
                return;
        }
        const QString text = QStringLiteral("protobuf %1:%2: %3 (%4 similar lines suppressed)")
                                 .arg(QString::fromUtf8(file)).arg(line).arg(QString::fromStdString(message)).arg(suppressed);
        if (level >= google::protobuf::LOGLEVEL_ERROR)
            qCWarning(lcCore).noquote() << text;
        else
            qCInfo(lcCore).noquote() << text;
    });
}

}  // namespace fleetdeck::codec
