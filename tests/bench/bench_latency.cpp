// Latency from a Kafka produce to a console receiving the change, at 10,000 robots x 1 Hz through the
// real path: producer -> embedded broker -> backend consumer thread -> mailbox -> tick -> WebSocket ->
// console (a child process, so its CPU is its own). Target (DESIGN.md §8): p99 <= one tick + 10 ms.

#include "benchsupport.h"
#include "clock.h"
#include "codec.h"
#include "embeddedkafka.h"
#include "fleetserver.h"
#include "kafkaproducer.h"
#include "telemetryingest.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QTimer>
#include <QWebSocket>

#include <cstdio>

using namespace fleetdeck;

namespace {

constexpr int kRobots = 10'000;
constexpr int kTickMs = 100;
constexpr int kBurstMs = 10;  // robots are spread over the second in bursts this far apart
constexpr int kWarmUpMs = 3000;
constexpr int kMeasureMs = 10'000;

// Child mode: one console that records now - sample time for every robot change it receives.
int runConsole(const QUrl &url, int warmUpMs, int durationMs)
{
    std::vector<double> latencies;
    QElapsedTimer since;
    since.start();
    QWebSocket socket;
    QObject::connect(&socket, &QWebSocket::connected, &socket, [&socket] {
        fleet::v1::ClientMessage hello;
        hello.mutable_hello()->set_protocol_version(fleet::v1::PROTOCOL_VERSION_1);
        socket.sendBinaryMessage(codec::serialize(hello));
    });
    QObject::connect(&socket, &QWebSocket::binaryMessageReceived, &socket, [&](const QByteArray &bytes) {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        fleet::v1::ServerMessage message;
        if (since.elapsed() < warmUpMs || !codec::parse(bytes, &message) || !message.has_delta())
            return;
        for (const auto &robot : message.delta().robots()) {
            if (robot.groups() & FieldGroup::Position)
                latencies.push_back(double(now - robot.sample_time_unix_ms()));
        }
    });
    socket.open(url);
    QTimer::singleShot(warmUpMs + durationMs, qApp, [] { QCoreApplication::quit(); });
    QCoreApplication::exec();
    std::printf("%zu %.3f %.3f %.3f\n", latencies.size(), bench::percentile(latencies, 50),
                bench::percentile(latencies, 99), bench::percentile(latencies, 100));
    return 0;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    if (args.size() == 5 && args[1] == QLatin1String("--console"))
        return runConsole(QUrl(args[2]), args[3].toInt(), args[4].toInt());

    QString error;
    kafka::EmbeddedKafka cluster;
    kafka::KafkaSettings settings;
    if (!cluster.start(1, &error) || !cluster.createTopic(settings.topics.telemetry, 6, &error))
        return std::fprintf(stderr, "%s\n", qPrintable(error)), 1;
    settings.bootstrapServers = cluster.bootstrapServers();

    SystemClock clock;
    TelemetryMailbox mailbox;
    FleetServer::Settings serverSettings;
    serverSettings.tickIntervalMs = kTickMs;
    FleetServer server(serverSettings, &mailbox, &clock);
    kafka::TelemetryIngest ingest(&mailbox);
    kafka::KafkaProducer producer;
    if (!server.listen(QHostAddress::LocalHost, 0, &error) || !producer.start(settings, &error)
        || !ingest.start(settings, kafka::KafkaReader::StartAt::End, &error))
        return std::fprintf(stderr, "%s\n", qPrintable(error)), 1;
    server.startTicking();

    // Every robot once a second, spread evenly: kRobots / (1000 / kBurstMs) per burst.
    quint64 burst = 0;
    QTimer feeder;
    feeder.setTimerType(Qt::PreciseTimer);
    QObject::connect(&feeder, &QTimer::timeout, [&] {
        const int perBurst = kRobots * kBurstMs / 1000;
        const int first = int(burst % quint64(kRobots / perBurst)) * perBurst;
        fleet::v1::Telemetry telemetry;
        for (int i = first; i < first + perBurst; ++i) {
            RobotState robot = bench::syntheticRobot(i, burst + 1);
            robot.sampleTimeUnixMs = QDateTime::currentMSecsSinceEpoch();
            telemetry.Clear();
            codec::stateToTelemetry(robot, &telemetry);
            (void)producer.produce(settings.topics.telemetry, robot.robotId.toUtf8(), codec::serialize(telemetry));
        }
        ++burst;
    });
    feeder.start(kBurstMs);

    QProcess console;
    console.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    console.start(QCoreApplication::applicationFilePath(),
                  {QStringLiteral("--console"), QStringLiteral("ws://127.0.0.1:%1").arg(server.port()),
                   QString::number(kWarmUpMs), QString::number(kMeasureMs)});
    QEventLoop loop;
    QObject::connect(&console, qOverload<int, QProcess::ExitStatus>(&QProcess::finished), &loop, &QEventLoop::quit);
    if (console.state() != QProcess::NotRunning)
        loop.exec();
    feeder.stop();
    const QList<QByteArray> figures = console.readAllStandardOutput().trimmed().split(' ');
    const double p50 = figures.value(1).toDouble(), p99 = figures.value(2).toDouble();
    bench::print("latency_produce_to_console_p50", p50, "ms");
    bench::print("latency_produce_to_console_p99", p99, "ms");
    bench::print("latency_produce_to_console_max", figures.value(3).toDouble(), "ms");
    bench::print("latency_samples", figures.value(0).toDouble(), "changes");
    std::printf("summary: Kafka produce -> console p50 %.1f ms, p99 %.1f ms at %d robots x 1 Hz, tick %d ms "
                "(target p99 <= %d ms)\n",
                p50, p99, kRobots, kTickMs, kTickMs + 10);
    ingest.stop();
    return 0;
}
