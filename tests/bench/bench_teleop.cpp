// Teleoperation round trip, console -> fleetdeckd -> Kafka -> robot -> ack -> Kafka -> fleetdeckd ->
// console, on loopback with the embedded broker, while 200 and then 10,000 simulated robots publish
// telemetry at 2 Hz through the same backend. Target (DESIGN.md §8): p99 <= 20 ms. The backend's publish
// spans give the Kafka leg alone (queued -> the robot's ack read back), so the WebSocket legs show too.
// Everything runs in this process (console, backend, simulator): the figures include that sharing.

#include "benchsupport.h"
#include "clock.h"
#include "codec.h"
#include "embeddedkafka.h"
#include "fleetclient.h"
#include "fleetserver.h"
#include "fleetsimulator.h"
#include "simulatorrunner.h"
#include "streetgraph.h"
#include "telemetryingest.h"
#include "teleopservice.h"
#include "websockettransport.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHash>
#include <QTimer>

#include <cstdio>

using namespace fleetdeck;

namespace {

constexpr int kDriveHz = 20;
constexpr int kWarmUpCommands = 20;
constexpr int kMeasuredCommands = 400;  // 20 s of driving

void wait(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

struct RoundTrips {
    std::vector<double> console;  // console -> backend -> Kafka -> robot -> Kafka -> backend -> console
    std::vector<double> kafka;    // the backend's publish span: queued for Kafka -> the robot's ack read back
};

RoundTrips measure(int robots, bool tunedReaders)
{
    QString error;
    kafka::EmbeddedKafka cluster;
    kafka::KafkaSettings settings;
    if (!cluster.start(1, &error))
        return {};
    settings.bootstrapServers = cluster.bootstrapServers();
    bench::addKafkaPropertiesFromEnvironment(&settings.properties);
    if (tunedReaders)  // as fleetdeckd --demo does on its embedded cluster
        kafka::EmbeddedKafka::tuneLatencyCriticalReader(&settings);
    for (const QString &topic : {settings.topics.telemetry, settings.topics.commands, settings.topics.commandAcks,
                                 settings.topics.audit, settings.topics.leases}) {
        if (!cluster.createTopic(topic, 6, &error))
            return {};
    }
    SystemClock clock;
    TelemetryMailbox mailbox;
    FleetServer server(FleetServer::Settings{}, &mailbox, &clock);
    kafka::TelemetryIngest ingest(&mailbox);
    TeleopService teleop(&server, &clock);
    if (!server.listen(QHostAddress::LocalHost, 0, &error) || !ingest.start(settings, kafka::KafkaReader::StartAt::End, &error)
        || !teleop.start(settings, &error))
        return {};
    server.startTicking();
    const auto graph = sim::StreetGraph::loadShipped(&error);
    sim::FleetSimulator::Config config;
    config.robotCount = robots;
    config.offlinePerHour = 0;
    config.stuckPerHour = 0;
    sim::FleetSimulator simulator(*graph, config);
    sim::SimulatorRunner runner(&simulator, &clock);
    if (!runner.start(settings, 50, 0, &error))
        return {};

    WebSocketTransport transport;
    FleetClient console(&transport, &clock);
    console.setOperatorName(QStringLiteral("bench"));
    QString leaseId;
    QString refusal;
    QHash<quint64, qint64> sentAt;
    RoundTrips roundTrips;
    // The backend's own spans split the round trip: what the Kafka leg takes, and so what the
    // WebSocket legs and the backend add.
    teleop.router().setSpanSink([&roundTrips](Span span) {
        if (span.name == QLatin1String("fleet.commands publish") && !span.failed)
            roundTrips.kafka.push_back(double(span.endUnixNs - span.startUnixNs) / 1e6);
    });
    console.setTeleopHandler([&](const fleet::v1::ServerMessage &m) {
        if (m.has_lease_result() && m.lease_result().granted())
            leaseId = codec::toQString(m.lease_result().lease().lease_id());
        else if (m.has_lease_result())
            refusal = codec::toQString(m.lease_result().reason());
        else if (m.has_teleop_result() && !m.teleop_result().accepted() && leaseId.isEmpty())
            refusal = codec::toQString(m.teleop_result().reason());
        if (m.has_teleop_ack()) {
            const qint64 sent = sentAt.take(m.teleop_ack().sequence());
            if (sent > 0 && m.teleop_ack().sequence() > quint64(kWarmUpCommands))
                roundTrips.console.push_back(double(clock.nowUnixMs() - sent));
        }
    });
    console.setUrl(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(server.port())));
    for (int i = 0; i < 200 && console.state() != FleetClient::ConnectionState::Live; ++i)
        wait(50);
    if (console.state() != FleetClient::ConnectionState::Live) {
        std::fprintf(stderr, "bench_teleop: the console is not live after 10 s (state %d)\n", int(console.state()));
        return {};
    }
    const QString robotId = simulator.robots()[0].robotId;
    // A robot the backend has not heard from yet cannot be leased ("no such robot").
    for (int i = 0; i < 200 && !server.store().slotOf(robotId); ++i)
        wait(50);
    fleet::v1::ClientMessage acquire;
    acquire.mutable_acquire_lease()->set_robot_id(codec::toStd(robotId));
    console.sendClientMessage(acquire);
    for (int i = 0; i < 500 && leaseId.isEmpty(); ++i)
        wait(20);
    if (leaseId.isEmpty()) {
        std::fprintf(stderr, "bench_teleop: no lease on %s after 10 s%s%s\n", qPrintable(robotId),
                     refusal.isEmpty() ? "" : ": ", qPrintable(refusal));
        return {};
    }

    // Gentle driving: stop commands for the warm-up (the first waits for producer metadata), then
    // slow drive commands at the console's real rate.
    quint64 sequence = 0;
    QTimer driver;
    driver.setTimerType(Qt::PreciseTimer);
    QObject::connect(&driver, &QTimer::timeout, [&] {
        fleet::v1::ClientMessage m;
        auto *c = m.mutable_teleop();
        c->set_kind(sequence < quint64(kWarmUpCommands) ? fleet::v1::TeleopCommand::KIND_STOP
                                                          : fleet::v1::TeleopCommand::KIND_DRIVE);
        c->set_robot_id(codec::toStd(robotId));
        c->set_lease_id(codec::toStd(leaseId));
        c->set_sequence(++sequence);
        c->set_sent_unix_ms(clock.nowUnixMs());
        c->set_linear_mps(0.3f);
        c->set_angular_dps(15.f);  // circles, so the robot stays near where it started
        sentAt.insert(sequence, clock.nowUnixMs());
        console.sendClientMessage(m);
    });
    driver.start(1000 / kDriveHz);
    while (sequence < quint64(kWarmUpCommands + kMeasuredCommands))
        wait(100);
    driver.stop();
    wait(500);
    runner.stop();
    teleop.stop(QStringLiteral("benchmark over"));
    ingest.stop();
    return roundTrips;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    // The baseline: the robots' and the backend's readers with librdkafka's default fetch wait (10 ms
    // here), which the mock broker always sits out; then as fleetdeckd --demo runs them.
    struct Run {
        int robots;
        bool tuned;
        const char *suffix;
    };
    for (const Run &run : {Run{200, false, "_robots200_baseline_fetchwait10"}, Run{200, true, "_robots200"},
                           Run{10'000, true, "_robots10000"}}) {
        const RoundTrips measured = measure(run.robots, run.tuned);
        const std::vector<double> &rtt = measured.console;
        const QByteArray suffix = run.suffix;
        bench::print("teleop_kafka_leg_p50" + suffix, bench::percentile(measured.kafka, 50), "ms");
        bench::print("teleop_kafka_leg_p99" + suffix, bench::percentile(measured.kafka, 99), "ms");
        bench::print("teleop_round_trip_p50" + suffix, bench::percentile(rtt, 50), "ms");
        bench::print("teleop_round_trip_p99" + suffix, bench::percentile(rtt, 99), "ms");
        bench::print("teleop_round_trip_max" + suffix, bench::percentile(rtt, 100), "ms");
        bench::print("teleop_acks" + suffix, double(rtt.size()), "of 400");
        std::printf("summary: teleop round trip with %d robots' telemetry%s: p50 %.0f ms, p99 %.0f ms over %zu commands "
                    "(target p99 <= 20 ms)\n",
                    run.robots, run.tuned ? "" : " (baseline: default fetch wait)", bench::percentile(rtt, 50),
                    bench::percentile(rtt, 99), rtt.size());
    }
    return 0;
}
