// fleetsim: a fleet of simulated sidewalk robots driving the streets of the shipped city. Publishes
// fleet.v1 telemetry to Kafka, obeys fleet.v1 commands and acknowledges them. Deterministic per --seed.

#include "clock.h"
#include "fleetsimulator.h"
#include "logging.h"
#include "options.h"
#include "shutdownsignals.h"
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
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("fleetdeck fleet simulator."));
    parser.addHelpOption();
    parser.addVersionOption();
    kafkaOptions.addTo(&parser);
    parser.addOptions({robotsOption, seedOption, rateOption, stepOption, durationOption, warmUpOption});
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
    if (!warmUp)
        return fail(error);

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
