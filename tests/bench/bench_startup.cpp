// Backend memory per robot (10k and 50k robots: state, mailbox, encoded snapshot, one console) and cold
// start: from an empty backend process state to a console holding a full 10k-robot fleet, reading the
// embedded broker's retained telemetry. Targets (DESIGN.md §8): <= 2 KiB per robot; <= 3 s cold start.

#include "benchsupport.h"
#include "clock.h"
#include "codec.h"
#include "embeddedkafka.h"
#include "fleetclient.h"
#include "fleetserver.h"
#include "kafkaproducer.h"
#include "telemetryingest.h"
#include "websockettransport.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <QProcess>
#include <QThread>

#include <cstdio>

using namespace fleetdeck;

namespace {

// Child mode, so that each fleet size starts from a fresh heap.
int runMemory(int robots)
{
    const double before = bench::rssKiB();
    SystemClock clock;
    TelemetryMailbox mailbox;
    FleetServer server(FleetServer::Settings{}, &mailbox, &clock);
    QString error;
    if (!server.listen(QHostAddress::LocalHost, 0, &error))
        return 1;
    for (quint64 step = 1; step <= 3; ++step) {
        std::vector<RobotState> batch;
        batch.reserve(std::size_t(robots));
        for (int i = 0; i < robots; ++i)
            batch.push_back(bench::syntheticRobot(i, step));
        mailbox.put(std::move(batch));
        server.tick();
    }
    WebSocketTransport transport;
    FleetClient console(&transport, &clock);  // forces a full snapshot to be encoded and sent
    console.setUrl(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(server.port())));
    QElapsedTimer timer;
    timer.start();
    while (console.robots()->rowCount() < robots && timer.elapsed() < 30'000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    const double withConsole = bench::rssKiB();
    // The console's own model is not the backend's cost: subtract a model of the same fleet.
    const double modelBytes = double(sizeof(RobotState)) * robots;
    std::printf("%.1f\n", ((withConsole - before) * 1024.0 - modelBytes) / robots);
    return 0;
}

double coldStartSeconds(int robots, double *readyS)
{
    QString error;
    kafka::EmbeddedKafka cluster;
    kafka::KafkaSettings settings;
    if (!cluster.start(1, &error) || !cluster.createTopic(settings.topics.telemetry, 6, &error))
        return -1;
    settings.bootstrapServers = cluster.bootstrapServers();
    {
        kafka::KafkaProducer producer;
        if (!producer.start(settings, &error))
            return -1;
        fleet::v1::Telemetry telemetry;
        for (quint64 step = 1; step <= 3; ++step) {
            for (int i = 0; i < robots; ++i) {
                RobotState robot = bench::syntheticRobot(i, step);
                telemetry.Clear();
                codec::stateToTelemetry(robot, &telemetry);
                while (!producer.produce(settings.topics.telemetry, robot.robotId.toUtf8(), codec::serialize(telemetry)))
                    producer.flush(100);
            }
        }
        producer.flush(60'000);
    }

    // The clock starts where a restarted fleetdeckd's main() would be.
    QElapsedTimer timer;
    timer.start();
    SystemClock clock;
    TelemetryMailbox mailbox;
    FleetServer server(FleetServer::Settings{}, &mailbox, &clock);
    kafka::TelemetryIngest ingest(&mailbox);
    if (!server.listen(QHostAddress::LocalHost, 0, &error)
        || !ingest.start(settings, kafka::KafkaReader::StartAt::Time, &error, clock.nowUnixMs() - 300'000))
        return -1;
    server.startTicking();
    WebSocketTransport transport;
    FleetClient console(&transport, &clock);
    console.setUrl(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(server.port())));
    *readyS = -1;
    double seconds = -1;
    QEventLoop loop;
    QObject::connect(&ingest.reader(), &kafka::KafkaReader::caughtUp, &loop,
                     [&] { *readyS = double(timer.nsecsElapsed()) / 1e9; });
    QObject::connect(&console, &FleetClient::updated, &loop, [&] {
        if (console.robots()->rowCount() >= robots) {
            seconds = double(timer.nsecsElapsed()) / 1e9;
            loop.quit();
        }
    });
    QTimer::singleShot(60'000, &loop, &QEventLoop::quit);
    loop.exec();
    ingest.stop();
    return seconds;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    if (args.size() == 3 && args[1] == QLatin1String("--memory"))
        return runMemory(args[2].toInt());

    for (const int robots : {10'000, 50'000}) {
        QProcess child;
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--memory"), QString::number(robots)});
        child.waitForFinished(120'000);
        const double perRobot = child.readAllStandardOutput().trimmed().toDouble();
        bench::print("backend_memory_per_robot_" + QByteArray::number(robots), perRobot, "B");
        std::printf("  %d robots: %.0f bytes of backend memory per robot (target <= 2048)\n", robots, perRobot);
    }

    double readyS = 0;
    const double coldS = coldStartSeconds(10'000, &readyS);
    bench::print("cold_start_to_full_snapshot_10000", coldS, "s");
    bench::print("cold_start_to_ready_10000", readyS, "s");
    std::printf("summary: cold start to a console holding all 10000 robots %.2f s (ready after %.2f s; target <= 3 s)\n",
                coldS, readyS);
    return coldS > 0 ? 0 : 1;
}
