// Kafka -> fleet state ingest throughput, side by side with a raw librdkafka consumer draining the
// same messages from the same embedded broker (the ceiling). Target (DESIGN.md §8): the state path at
// >= 70 % of the raw consumer and >= 300k msgs/s.

#include "benchsupport.h"
#include "codec.h"
#include "embeddedkafka.h"
#include "fleetstore.h"
#include "kafkaproducer.h"
#include "kafkareader.h"
#include "telemetryingest.h"
#include "telemetrymailbox.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>

#include <cstdio>

using namespace fleetdeck;

namespace {
constexpr int kRobots = 10'000;
constexpr int kSamplesPerRobot = 30;
constexpr quint64 kMessages = quint64(kRobots) * kSamplesPerRobot;
constexpr int kPartitions = 12;

[[noreturn]] void die(const QString &why)
{
    std::fprintf(stderr, "bench_ingest: %s\n", qPrintable(why));
    std::exit(1);
}

double drainRaw(const kafka::KafkaSettings &settings)
{
    kafka::KafkaReader reader;
    QString error;
    QElapsedTimer timer;
    timer.start();
    if (!reader.start(settings, settings.topics.telemetry, kafka::KafkaReader::StartAt::Beginning,
                      [](rd_kafka_message_t *const *, std::size_t) {}, &error))
        die(error);
    while (reader.messageCount() < kMessages && timer.elapsed() < 120'000)
        QThread::msleep(2);
    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    reader.stop();
    return double(reader.messageCount()) / seconds;
}

double drainIntoState(const kafka::KafkaSettings &settings, std::size_t *robots, quint64 *decodeErrors)
{
    TelemetryMailbox mailbox;
    FleetStore store;
    kafka::TelemetryIngest ingest(&mailbox);
    QString error;
    const double cpuStart = bench::cpuSeconds();
    QElapsedTimer timer;
    timer.start();
    if (!ingest.start(settings, kafka::KafkaReader::StartAt::Beginning, &error))
        die(error);
    // The main thread plays the server's tick: drain the mailbox into the store as fast as it fills.
    while (timer.elapsed() < 120'000) {
        const bool allRead = ingest.messageCount() >= kMessages;
        for (const RobotState &sample : mailbox.take())
            store.apply(sample, 0);
        if (allRead)
            break;
        QThread::msleep(1);
    }
    for (const RobotState &sample : mailbox.take())
        store.apply(sample, 0);
    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    std::printf("into state: %.2f s wall, %.2f s CPU\n", seconds, bench::cpuSeconds() - cpuStart);
    ingest.stop();
    *robots = store.size();
    *decodeErrors = ingest.decodeErrorCount();
    return double(ingest.messageCount()) / seconds;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QString error;
    kafka::EmbeddedKafka cluster;
    if (!cluster.start(1, &error))
        die(error);
    kafka::KafkaSettings settings;
    settings.bootstrapServers = cluster.bootstrapServers();
    bench::addKafkaPropertiesFromEnvironment(&settings.properties);
    if (!cluster.createTopic(settings.topics.telemetry, kPartitions, &error))
        die(error);

    {
        kafka::KafkaProducer producer;
        if (!producer.start(settings, &error))
            die(error);
        QElapsedTimer timer;
        timer.start();
        fleet::v1::Telemetry telemetry;
        for (int step = 0; step < kSamplesPerRobot; ++step) {
            for (int i = 0; i < kRobots; ++i) {
                telemetry.Clear();
                const RobotState robot = bench::syntheticRobot(i, quint64(step));
                codec::stateToTelemetry(robot, &telemetry);
                const QByteArray key = robot.robotId.toUtf8();
                const QByteArray payload = codec::serialize(telemetry);
                while (!producer.produce(settings.topics.telemetry, key, payload))
                    producer.flush(100);  // local queue full: let it drain
            }
        }
        if (!producer.flush(120'000))
            die(QStringLiteral("the embedded broker did not take every message"));
        std::printf("produced %llu telemetry messages (%d robots x %d) in %.1f s\n", kMessages, kRobots,
                    kSamplesPerRobot, double(timer.elapsed()) / 1000.0);
    }

    // The first read of freshly produced data is slower whoever does it: a warm-up round, then
    // alternate the two paths and keep the best round of each.
    (void)drainRaw(settings);
    double raw = 0, state = 0;
    std::size_t robots = 0;
    quint64 decodeErrors = 0;
    for (int round = 0; round < 3; ++round) {
        const double r = drainRaw(settings);
        const double s = drainIntoState(settings, &robots, &decodeErrors);
        std::printf("round %d: raw %.0f msgs/s, into state %.0f msgs/s\n", round + 1, r, s);
        raw = std::max(raw, r);
        state = std::max(state, s);
    }

    bench::print("ingest_raw_consumer_rate", raw, "msgs/s");
    bench::print("ingest_to_state_rate", state, "msgs/s");
    bench::print("ingest_to_state_vs_raw", 100.0 * state / raw, "%");
    bench::print("ingest_robots_in_state", double(robots), "robots");
    std::printf("summary: ingest %.0f msgs/s into state = %.0f %% of raw librdkafka %.0f msgs/s (targets: >= 70 %%, >= 300000); "
                "%zu robots, %llu decode errors\n",
                state, 100.0 * state / raw, raw, robots, decodeErrors);
    return robots == std::size_t(kRobots) && decodeErrors == 0 ? 0 : 1;
}
