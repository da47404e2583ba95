// Kafka telemetry payloads, as hostile as a broker can deliver them, through the backend's path:
// decode (codec::decodeTelemetry) -> latest-value mailbox -> FleetStore -> one delta -> a console's
// copy of the fleet. Besides crashes, leaks and UB it checks two properties a sanitizer cannot see:
//   - a sample that decodes encodes back to bytes that decode to the same sample;
//   - after every tick, a console that applied the deltas holds exactly the store's robots.
//
// Input (see fuzzframes.h): one Kafka message per frame. Control byte: bits 0-2 the message key
// (0: none, k: "nb-000k"), bit 3: an 8-byte Kafka timestamp follows the frame (else the clock's now),
// bits 4-6: clock step before the message, bit 7: the batch ends after it and the server ticks.
// The whole input is also decoded as one payload, so a bare protobuf seed is explored too.
//
// TelemetryIngest::decodeBatch itself needs messages that librdkafka allocated
// (rd_kafka_message_timestamp reads past the public struct), so its loop is mirrored here.

#include "codec.h"
#include "fleetstore.h"
#include "fuzzframes.h"
#include "telemetrymailbox.h"

#include <QLoggingCategory>

#include <google/protobuf/stubs/logging.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <unordered_set>

namespace {

using namespace fleetdeck;

struct KafkaMessage {
    QByteArray key;
    QByteArray payload;
    std::int64_t timestampMs = 0;
};

[[noreturn]] void fail(const char *what, const QString &detail = {})
{
    std::fprintf(stderr, "fuzz_telemetry: %s %s\n", what, detail.toUtf8().constData());
    std::abort();
}

bool sameSample(const RobotState &a, const RobotState &b)
{
    return a.robotId == b.robotId && a.sequence == b.sequence && changedGroups(a, b) == 0;
}

void checkRoundTrip(const RobotState &sample)
{
    fleet::v1::Telemetry wire;
    codec::stateToTelemetry(sample, &wire);
    const QByteArray bytes = codec::serialize(wire);
    RobotState again;
    QString error;
    if (!codec::decodeTelemetry(bytes.constData(), std::size_t(bytes.size()), &again, &error))
        fail("a decoded sample, encoded again, does not decode:", error);
    if (!sameSample(sample, again))
        fail("a decoded sample, encoded again, decodes to another sample of", sample.robotId);
}

bool decode(const QByteArray &payload, RobotState *sample)
{
    QString error;
    if (codec::decodeTelemetry(payload.constData(), std::size_t(payload.size()), sample, &error)) {
        checkRoundTrip(*sample);
        return true;
    }
    if (error.isEmpty())
        fail("a payload was refused without a reason");
    return false;
}

// TelemetryIngest::decodeBatch: newest message of each key only, walking backwards.
void decodeBatch(const std::vector<KafkaMessage> &messages, TelemetryMailbox *mailbox)
{
    std::vector<RobotState> batch;
    std::unordered_set<std::string_view> seenKeys;
    for (std::size_t i = messages.size(); i-- > 0;) {
        const KafkaMessage &message = messages[i];
        if (!message.key.isEmpty()
            && !seenKeys.insert(std::string_view(message.key.constData(), std::size_t(message.key.size()))).second)
            continue;
        RobotState sample;
        if (decode(message.payload, &sample)) {
            sample.receivedUnixMs = message.timestampMs;
            batch.push_back(std::move(sample));
        }
    }
    mailbox->put(std::move(batch));
}

// FleetServer::tick's store half, its whole-fleet delta, and RobotModel::applyChanges on the other end.
void tick(TelemetryMailbox *mailbox, FleetStore *store, std::int64_t now, std::vector<RobotState> *console)
{
    for (const RobotState &sample : mailbox->take()) {
        const std::int64_t received = sample.receivedUnixMs > 0 ? std::min<std::int64_t>(now, sample.receivedUnixMs) : now;
        (void)store->apply(sample, received);
    }
    store->updateFreshness(now);
    if (!store->hasChanges())
        return;
    const std::vector<FleetStore::Change> changes = store->takeChanges();
    fleet::v1::ServerMessage message;
    auto *delta = message.mutable_delta();
    delta->set_server_time_unix_ms(now);
    for (const FleetStore::Change &change : changes)
        codec::writeRobotState(store->robot(change.slot), change.slot, change.groups, delta->add_robots());
    const QByteArray bytes = codec::serialize(message);

    fleet::v1::ServerMessage received;
    if (!codec::parse(bytes, &received) || !received.has_delta())
        fail("the server's own delta does not parse");
    for (const fleet::v1::RobotState &wire : received.delta().robots()) {
        if (wire.slot() > console->size())
            fail("a delta skips a slot");
        if (wire.slot() == console->size())
            console->emplace_back();
        (void)codec::readRobotState(wire, &(*console)[wire.slot()]);
    }
    if (console->size() != store->size())
        fail("the console holds another number of robots than the store");
    for (std::uint32_t slot = 0; slot < store->size(); ++slot) {
        const RobotState &robot = store->robot(slot);
        const RobotState &copy = (*console)[slot];
        if (copy.robotId != robot.robotId || changedGroups(copy, robot) != 0)
            fail("after a delta the console's robot differs from the store's:", robot.robotId);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    // The ingest logs each refused payload (rate-limited); a fuzzer refuses thousands per second.
    QLoggingCategory::setFilterRules(QStringLiteral("fleetdeck.*=false"));
    // libprotobuf logs every string field of invalid UTF-8 at ERROR, unconditionally (see the report
    // of issue #9): at fuzzing rates that is most of the run's time.
    google::protobuf::SetLogHandler(nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    {
        RobotState whole;
        (void)decode(QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size)), &whole);
    }

    std::int64_t now = fuzz::kStartUnixMs;
    TelemetryMailbox mailbox;
    FleetStore store;
    std::vector<RobotState> console;
    std::vector<KafkaMessage> batch;
    fuzz::FrameReader reader(data, size);
    fuzz::Frame frame;
    while (reader.next(&frame)) {
        KafkaMessage message;
        const int key = frame.control & 7;
        if (key)
            message.key = "nb-000" + QByteArray::number(key);
        message.payload = frame.bytes;
        now += fuzz::kClockSteps[(frame.control >> 4) & 7];
        message.timestampMs = (frame.control & 8) ? reader.takeInt64() : now;
        batch.push_back(std::move(message));
        if (frame.control & 0x80) {
            decodeBatch(batch, &mailbox);
            batch.clear();
            tick(&mailbox, &store, now, &console);
        }
    }
    decodeBatch(batch, &mailbox);
    tick(&mailbox, &store, now, &console);
    return 0;
}
