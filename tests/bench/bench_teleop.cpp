// Teleoperation round trip, console -> fleetdeckd -> Kafka -> robot -> ack -> Kafka -> fleetdeckd ->
// console, on loopback with the embedded broker, while 200 and then 10,000 simulated robots publish
// telemetry at 2 Hz through the same backend. Target (DESIGN.md §8): p99 <= 20 ms.
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

std::vector<double> measure(int robots)
{
    QString error;
    kafka::EmbeddedKafka cluster;
    kafka::KafkaSettings settings;
    if (!cluster.start(1, &error))
        return {};
    settings.bootstrapServers = cluster.bootstrapServers();
    bench::addKafkaPropertiesFromEnvironment(&settings.properties);
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
    QHash<quint64, qint64> sentAt;
    std::vector<double> roundTrips;
    console.setTeleopHandler([&](const fleet::v1::ServerMessage &m) {
        if (m.has_lease_result() && m.lease_result().granted())
            leaseId = codec::toQString(m.lease_result().lease().lease_id());
        if (m.has_teleop_ack()) {
            const qint64 sent = sentAt.take(m.teleop_ack().sequence());
            if (sent > 0 && m.teleop_ack().sequence() > quint64(kWarmUpCommands))
                roundTrips.push_back(double(clock.nowUnixMs() - sent));
        }
    });
    console.setUrl(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(server.port())));
    for (int i = 0; i < 200 && console.state() != FleetClient::ConnectionState::Live; ++i)
        wait(50);
    const QString robotId = simulator.robots()[0].robotId;
    fleet::v1::ClientMessage acquire;
    acquire.mutable_acquire_lease()->set_robot_id(codec::toStd(robotId));
    console.sendClientMessage(acquire);
    for (int i = 0; i < 100 && leaseId.isEmpty(); ++i)
        wait(20);

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
    for (const int robots : {200, 10'000}) {
        const std::vector<double> rtt = measure(robots);
        const QByteArray suffix = "_robots" + QByteArray::number(robots);
        bench::print("teleop_round_trip_p50" + suffix, bench::percentile(rtt, 50), "ms");
        bench::print("teleop_round_trip_p99" + suffix, bench::percentile(rtt, 99), "ms");
        bench::print("teleop_round_trip_max" + suffix, bench::percentile(rtt, 100), "ms");
        bench::print("teleop_acks" + suffix, double(rtt.size()), "of 400");
        std::printf("summary: teleop round trip with %d robots' telemetry: p50 %.0f ms, p99 %.0f ms over %zu commands "
                    "(target p99 <= 20 ms)\n",
                    robots, bench::percentile(rtt, 50), bench::percentile(rtt, 99), rtt.size());
    }
    return 0;
}
