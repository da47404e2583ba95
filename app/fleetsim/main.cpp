// fleetsim: a fleet of simulated sidewalk robots driving the streets of the shipped city. Publishes
// fleet.v1 telemetry to Kafka, obeys fleet.v1 commands and acknowledges them. Deterministic per --seed.
// With --metrics-port it also serves the fleet's database tier (mongoproxy sidecars, mongod exporters, a
// prober) as Prometheus endpoints whose traffic follows the fleet, with --incident to break it on cue.

#include "clock.h"
#include "codec.h"
#include "fleetsimulator.h"
#include "logging.h"
#include "options.h"
#include "shutdownsignals.h"
#include "simulateddatabase.h"
#include "simulatorrunner.h"
#include "streetgraph.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTimer>

#include <cstdio>
#include <memory>

using namespace fleetdeck;

namespace {
int fail(const QString &message)
{
    std::fprintf(stderr, "fleetsim: %s\n", qPrintable(message));
    return 2;
}
}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    codec::routeProtobufLogs();  // hostile payloads must not flood the log
    QCoreApplication::setApplicationName(QStringLiteral("fleetsim"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FLEETDECK_VERSION));

    options::KafkaOptions kafkaOptions;
    const QCommandLineOption robotsOption(QStringLiteral("robots"), QStringLiteral("Number of robots (default 200)."),
                                          QStringLiteral("n"), QStringLiteral("200"));
    const QCommandLineOption seedOption(QStringLiteral("seed"), QStringLiteral("Random seed (default 1)."),
                                        QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption rateOption(QStringLiteral("rate-hz"),
                                        QStringLiteral("Telemetry messages per robot per second (default 2)."),
                                        QStringLiteral("hz"), QStringLiteral("2"));
    const QCommandLineOption stepOption(QStringLiteral("step-ms"), QStringLiteral("Simulation step (default 100)."),
                                        QStringLiteral("ms"), QStringLiteral("100"));
    const QCommandLineOption durationOption(QStringLiteral("duration-s"),
                                            QStringLiteral("Stop after this many seconds (default: run until stopped)."),
                                            QStringLiteral("s"), QStringLiteral("0"));
    const QCommandLineOption warmUpOption(QStringLiteral("warm-up-s"),
                                          QStringLiteral("Simulate this much of the past before going live, so robots start spread out on tasks (default 900)."),
                                          QStringLiteral("s"), QStringLiteral("900"));
    const QCommandLineOption metricsPortOption(
        QStringLiteral("metrics-port"),
        QStringLiteral("Serve simulated MongoDB, mongoproxy and prober metrics on this port (0: off; default 0). "
                       "The address is printed as METRICS http://…"),
        QStringLiteral("port"), QStringLiteral("0"));
    const QCommandLineOption metricsListenOption(QStringLiteral("metrics-listen"),
                                                 QStringLiteral("Address for --metrics-port (default 127.0.0.1)."),
                                                 QStringLiteral("address"), QStringLiteral("127.0.0.1"));
    const QCommandLineOption incidentOption(
        QStringLiteral("incident"),
        QStringLiteral("Inject a database incident, START_S after going live (repeatable): KIND:START_S:DURATION_S[:TARGET] "
                       "with KIND standby-backup[:member], replication-lag[:member], error-burst:app/collection or "
                       "connections-saturated; e.g. standby-backup:60:300:mongo-2."),
        QStringLiteral("spec"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("fleetdeck fleet simulator."));
    parser.addHelpOption();
    parser.addVersionOption();
    kafkaOptions.addTo(&parser);
    parser.addOptions({robotsOption, seedOption, rateOption, stepOption, durationOption, warmUpOption,
                      metricsPortOption, metricsListenOption, incidentOption});
    parser.process(app);

    QString error;
    kafka::KafkaSettings settings;
    if (!kafkaOptions.read(parser, &settings, &error))
        return fail(error);
    if (settings.bootstrapServers.isEmpty())
        return fail(QStringLiteral("--brokers is required (fleetdeckd prints its embedded broker's address as KAFKA_BOOTSTRAP)"));
    const auto robots = options::intValue(parser, robotsOption, 1, 100'000, &error);
    const auto seed = robots ? options::intValue(parser, seedOption, 0, 1 << 30, &error) : std::nullopt;
    const auto rate = seed ? options::intValue(parser, rateOption, 1, 50, &error) : std::nullopt;
    const auto step = rate ? options::intValue(parser, stepOption, 10, 1000, &error) : std::nullopt;
    const auto duration = step ? options::intValue(parser, durationOption, 0, 1 << 30, &error) : std::nullopt;
    const auto warmUp = duration ? options::intValue(parser, warmUpOption, 0, 24 * 3600, &error) : std::nullopt;
    const auto metricsPort = warmUp ? options::intValue(parser, metricsPortOption, 0, 65535, &error) : std::nullopt;
    if (!metricsPort)
        return fail(error);
    const QHostAddress metricsAddress(parser.value(metricsListenOption));
    if (metricsAddress.isNull())
        return fail(QStringLiteral("--metrics-listen: not an IP address: %1").arg(parser.value(metricsListenOption)));
    const QStringList incidentSpecs = parser.values(incidentOption);
    if (!incidentSpecs.isEmpty() && *metricsPort == 0)
        return fail(QStringLiteral("--incident needs --metrics-port"));

    const std::optional<sim::StreetGraph> graph = sim::StreetGraph::loadShipped(&error);
    if (!graph)
        return fail(error);
    sim::FleetSimulator::Config config;
    config.robotCount = *robots;
    config.seed = static_cast<std::uint64_t>(*seed);
    config.publishIntervalMs = 1000 / *rate;
    sim::FleetSimulator simulator(*graph, config);
    SystemClock clock;
    sim::SimulatorRunner runner(&simulator, &clock);
    if (!runner.start(settings, *step, std::int64_t(*warmUp) * 1000, &error))
        return fail(error);

    std::unique_ptr<SimulatedDatabase> database;
    if (*metricsPort > 0) {
        database = std::make_unique<SimulatedDatabase>(&simulator, &clock, static_cast<std::uint64_t>(*seed));
        if (!database->addIncidents(incidentSpecs, &error))
            return fail(QStringLiteral("--incident: %1").arg(error));
        if (!database->listen(metricsAddress, quint16(*metricsPort), &error))
            return fail(QStringLiteral("--metrics-port %1: %2").arg(*metricsPort).arg(error));
        std::printf("METRICS http://%s\n", database->hostPort().constData());
        std::fflush(stdout);
    }
    qCInfo(lcSim).noquote() << "simulating" << *robots << "robots at" << *rate << "Hz into" << settings.bootstrapServers;

    ShutdownSignals shutdown;
    QObject::connect(&shutdown, &ShutdownSignals::shutdownRequested, &app, [] { QCoreApplication::quit(); });
    if (*duration > 0)
        QTimer::singleShot(*duration * 1000, &app, [] { QCoreApplication::quit(); });

    const int code = QCoreApplication::exec();
    runner.stop();
    qCInfo(lcSim) << "published" << runner.publishedCount() << "telemetry messages, answered" << runner.commandCount()
                  << "commands";
    return code;
}
