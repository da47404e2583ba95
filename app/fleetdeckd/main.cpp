// fleetdeckd: the headless backend. Kafka telemetry in, fleet state kept, WebSocket snapshots and
// deltas out. With no --brokers it runs librdkafka's mock cluster in process; with --demo it also
// runs the fleet simulator, so one command gives a living fleet.

#include "clock.h"
#include "embeddedkafka.h"
#include "fleetserver.h"
#include "fleetsimulator.h"
#include "infraservice.h"
#include "logformat.h"
#include "logging.h"
#include "options.h"
#include "prometheustext.h"
#include "promqlsource.h"
#include "scrapesource.h"
#include "shutdownsignals.h"
#include "simulateddatabase.h"
#include "simulatorrunner.h"
#include "streetgraph.h"
#include "telemetryingest.h"
#include "teleopservice.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QUrl>

#include <cstdio>
#include <memory>

using namespace fleetdeck;

namespace {

// The demo fleet starts mid-shift: a quarter of an hour of simulated past before going live.
constexpr std::int64_t kDemoWarmUpMs = 15 * 60 * 1000;

struct DaemonOptions {
    options::KafkaOptions kafka;
    QCommandLineOption listen{QStringLiteral("listen"), QStringLiteral("Address to serve consoles on (default 127.0.0.1)."),
                              QStringLiteral("address"), QStringLiteral("127.0.0.1")};
    QCommandLineOption port{QStringLiteral("port"), QStringLiteral("WebSocket port; 0 picks a free one (default 8765)."),
                            QStringLiteral("port"), QStringLiteral("8765")};
    QCommandLineOption tickMs{QStringLiteral("tick-ms"), QStringLiteral("Delta interval in ms (default 100)."),
                              QStringLiteral("ms"), QStringLiteral("100")};
    QCommandLineOption staleMs{QStringLiteral("stale-after-ms"),
                               QStringLiteral("A robot silent this long is shown stale (default 5000)."),
                               QStringLiteral("ms"), QStringLiteral("5000")};
    QCommandLineOption lostMs{QStringLiteral("lost-after-ms"),
                              QStringLiteral("A robot silent this long is shown lost (default 30000)."),
                              QStringLiteral("ms"), QStringLiteral("30000")};
    QCommandLineOption partitions{QStringLiteral("partitions"),
                                  QStringLiteral("Partitions per topic of the embedded broker (default 6)."),
                                  QStringLiteral("n"), QStringLiteral("6")};
    QCommandLineOption fromEnd{QStringLiteral("from-end"),
                               QStringLiteral("Read only new telemetry instead of rebuilding state from recent telemetry.")};
    QCommandLineOption replay{QStringLiteral("replay-s"),
                              QStringLiteral("Rebuild state from the last N seconds of telemetry (seek by time; the embedded broker replays what it retains). Default 300."),
                              QStringLiteral("s"), QStringLiteral("300")};
    QCommandLineOption logFormat{QStringLiteral("log-format"), QStringLiteral("text (default) or json (one object per line)."),
                                 QStringLiteral("format"), QStringLiteral("text")};
    QCommandLineOption demo{QStringLiteral("demo"),
                            QStringLiteral("Also run the fleet simulator in this process (with the embedded broker unless --brokers).")};
    QCommandLineOption robots{QStringLiteral("robots"), QStringLiteral("Simulated robots with --demo (default 200)."),
                              QStringLiteral("n"), QStringLiteral("200")};
    QCommandLineOption seed{QStringLiteral("seed"), QStringLiteral("Simulator seed with --demo (default 1)."),
                            QStringLiteral("n"), QStringLiteral("1")};
    QCommandLineOption admins{QStringLiteral("admins"),
                              QStringLiteral("Operators (comma-separated names) who may take over leases. Until token authentication, names are as consoles state them."),
                              QStringLiteral("names")};
    QCommandLineOption scrapeTargets{QStringLiteral("scrape-targets"),
                                     QStringLiteral("Database, proxy and prober metrics endpoints to scrape, as a Prometheus file_sd JSON file."),
                                     QStringLiteral("file")};
    QCommandLineOption prometheus{QStringLiteral("prometheus"),
                                  QStringLiteral("Ask this Prometheus server (PromQL over its HTTP API) for the database and proxy metrics instead of scraping."),
                                  QStringLiteral("url")};
    QCommandLineOption infraIntervalMs{QStringLiteral("infra-interval-ms"),
                                       QStringLiteral("How often consoles get a point of database, proxy and Kafka health (default 2000)."),
                                       QStringLiteral("ms"), QStringLiteral("2000")};
    QCommandLineOption incident{QStringLiteral("incident"),
                                QStringLiteral("With --demo: a database incident, START_S from start (repeatable): KIND:START_S:DURATION_S[:TARGET], "
                                               "KIND standby-backup[:member], replication-lag[:member], error-burst:app/collection, connections-saturated."),
                                QStringLiteral("spec")};
    QCommandLineOption exitWithParent{QStringLiteral("exit-on-stdin-eof"),
                                      QStringLiteral("Shut down when standard input closes (used by the console's demo).")};
};

int fail(const QString &message)
{
    std::fprintf(stderr, "fleetdeckd: %s\n", qPrintable(message));
    return 2;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("fleetdeckd"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FLEETDECK_VERSION));

    DaemonOptions opts;
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("fleetdeck backend: Kafka telemetry to WebSocket consoles."));
    parser.addHelpOption();
    parser.addVersionOption();
    opts.kafka.addTo(&parser);
    parser.addOptions({opts.listen, opts.port, opts.tickMs, opts.staleMs, opts.lostMs, opts.partitions, opts.fromEnd,
                       opts.replay, opts.logFormat, opts.demo, opts.robots, opts.seed, opts.admins, opts.scrapeTargets, opts.prometheus, opts.infraIntervalMs,
                       opts.incident, opts.exitWithParent});
    parser.process(app);

    QString error;
    kafka::KafkaSettings kafkaSettings;
    if (!opts.kafka.read(parser, &kafkaSettings, &error))
        return fail(error);
    const auto port = options::intValue(parser, opts.port, 0, 65535, &error);
    const auto tickMs = port ? options::intValue(parser, opts.tickMs, 10, 10'000, &error) : std::nullopt;
    const auto staleMs = tickMs ? options::intValue(parser, opts.staleMs, 100, 3'600'000, &error) : std::nullopt;
    const auto lostMs = staleMs ? options::intValue(parser, opts.lostMs, *staleMs, 86'400'000, &error) : std::nullopt;
    const auto partitions = lostMs ? options::intValue(parser, opts.partitions, 1, 256, &error) : std::nullopt;
    const auto robots = partitions ? options::intValue(parser, opts.robots, 1, 100'000, &error) : std::nullopt;
    const auto seed = robots ? options::intValue(parser, opts.seed, 0, 1 << 30, &error) : std::nullopt;
    const auto replaySeconds = seed ? options::intValue(parser, opts.replay, 1, 7 * 24 * 3600, &error) : std::nullopt;
    const auto infraIntervalMs = replaySeconds ? options::intValue(parser, opts.infraIntervalMs, 250, 60'000, &error) : std::nullopt;
    if (!infraIntervalMs)
        return fail(error);
    if (parser.isSet(opts.incident) && !parser.isSet(opts.demo))
        return fail(QStringLiteral("--incident needs --demo (fleetsim --incident for a separate simulator)"));
    if (parser.isSet(opts.prometheus) && parser.isSet(opts.scrapeTargets))
        return fail(QStringLiteral("--prometheus and --scrape-targets: choose one source of database metrics"));
    std::optional<std::vector<metrics::ScrapeSource::Target>> scrapeTargets;
    if (parser.isSet(opts.scrapeTargets)) {
        QFile file(parser.value(opts.scrapeTargets));
        if (!file.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("--scrape-targets %1: %2").arg(file.fileName(), file.errorString()));
        scrapeTargets = metrics::ScrapeSource::parseFileSd(file.readAll(), &error);
        if (!scrapeTargets)
            return fail(QStringLiteral("--scrape-targets %1: %2").arg(file.fileName(), error));
    }
    QUrl prometheusUrl;
    if (parser.isSet(opts.prometheus)) {
        prometheusUrl = QUrl(parser.value(opts.prometheus), QUrl::StrictMode);
        if (!prometheusUrl.isValid() || (prometheusUrl.scheme() != QLatin1String("http") && prometheusUrl.scheme() != QLatin1String("https")))
            return fail(QStringLiteral("--prometheus \"%1\": expected an http(s) URL").arg(parser.value(opts.prometheus)));
    }
    LogFormat logFormat = LogFormat::Text;
    if (!parseLogFormat(parser.value(opts.logFormat), &logFormat))
        return fail(QStringLiteral("--log-format \"%1\": expected text or json").arg(parser.value(opts.logFormat)));
    installLogFormat(logFormat);
    const QHostAddress listenAddress(parser.value(opts.listen));
    if (listenAddress.isNull())
        return fail(QStringLiteral("--listen \"%1\": not an IP address").arg(parser.value(opts.listen)));

    ShutdownSignals shutdown;
    QObject::connect(&shutdown, &ShutdownSignals::shutdownRequested, &app, [](const QString &why) {
        qCInfo(lcServer).noquote() << "shutting down:" << why;
        QCoreApplication::quit();
    });
    if (parser.isSet(opts.exitWithParent))
        shutdown.watchStandardInput();

    // Declared before everything that talks to it, so it is destroyed last.
    std::unique_ptr<kafka::EmbeddedKafka> embedded;
    if (kafkaSettings.bootstrapServers.isEmpty()) {
        embedded = std::make_unique<kafka::EmbeddedKafka>();
        if (!embedded->start(1, &error))
            return fail(error);
        const kafka::Topics &t = kafkaSettings.topics;
        for (const QString &topic : {t.telemetry, t.events, t.commands, t.commandAcks, t.audit}) {
            if (!embedded->createTopic(topic, *partitions, &error))
                return fail(error);
        }
        kafkaSettings.bootstrapServers = embedded->bootstrapServers();
        std::printf("KAFKA_BOOTSTRAP %s\n", qPrintable(kafkaSettings.bootstrapServers));
    }

    SystemClock clock;
    TelemetryMailbox mailbox;
    FleetServer::Settings serverSettings;
    serverSettings.tickIntervalMs = *tickMs;
    serverSettings.freshness.staleAfterMs = *staleMs;
    serverSettings.freshness.lostAfterMs = *lostMs;
    serverSettings.adminOperators = parser.value(opts.admins).split(QLatin1Char(','), Qt::SkipEmptyParts);
    FleetServer server(serverSettings, &mailbox, &clock);
    if (!server.listen(listenAddress, static_cast<quint16>(*port), &error))
        return fail(error);

    kafka::TelemetryIngest ingest(&mailbox);
    if (!ingest.start(kafkaSettings,
                      parser.isSet(opts.fromEnd) ? kafka::KafkaReader::StartAt::End : kafka::KafkaReader::StartAt::Time,
                      &error, clock.nowUnixMs() - std::int64_t(*replaySeconds) * 1000))
        return fail(error);
    const auto reportUpstream = [&server, &ingest] {
        server.setUpstreamStatus(ingest.reader().isBrokerReachable(), ingest.reader().isCaughtUp());
    };
    reportUpstream();
    QObject::connect(&ingest.reader(), &kafka::KafkaReader::brokerReachableChanged, &server, reportUpstream);
    QObject::connect(&ingest.reader(), &kafka::KafkaReader::caughtUp, &server, [&server, reportUpstream] {
        qCInfo(lcServer) << "state rebuilt from recent telemetry:" << server.store().size() << "robots; ready";
        reportUpstream();
    });

    TeleopService teleop(&server, &clock);
    if (!teleop.start(kafkaSettings, &error))
        return fail(error);
    QObject::connect(&ingest.reader(), &kafka::KafkaReader::brokerReachableChanged, &teleop,
                     &TeleopService::setCommandPathUp);

    server.addHttpRoute("/healthz", [](const HttpRequest &) { return HttpResponse{200, "text/plain; charset=utf-8", "ok\n", {}}; });
    server.addHttpRoute("/readyz", [&ingest](const HttpRequest &) {
        if (!ingest.reader().isCaughtUp())
            return HttpResponse{503, "text/plain; charset=utf-8", "rebuilding state from recent telemetry\n", {}};
        if (!ingest.reader().isBrokerReachable())
            return HttpResponse{503, "text/plain; charset=utf-8", "Kafka brokers unreachable: serving last known state\n", {}};
        return HttpResponse{200, "text/plain; charset=utf-8", "ready\n", {}};
    });
    server.addHttpRoute("/metrics", [&server, &ingest](const HttpRequest &) {
        PrometheusText text;
        server.writeMetrics(&text);
        ingest.writeMetrics(&text);
        return HttpResponse{200, PrometheusText::kContentType, text.text(), {}};
    });

    std::optional<sim::StreetGraph> graph;
    std::unique_ptr<sim::FleetSimulator> simulator;
    std::unique_ptr<sim::SimulatorRunner> runner;
    std::unique_ptr<SimulatedDatabase> database;
    if (parser.isSet(opts.demo)) {
        graph = sim::StreetGraph::loadShipped(&error);
        if (!graph)
            return fail(error);
        sim::FleetSimulator::Config config;
        config.robotCount = *robots;
        config.seed = static_cast<std::uint64_t>(*seed);
        simulator = std::make_unique<sim::FleetSimulator>(*graph, config);
        runner = std::make_unique<sim::SimulatorRunner>(simulator.get(), &clock);
        if (!runner->start(kafkaSettings, 100, kDemoWarmUpMs, &error))
            return fail(error);
        qCInfo(lcSim) << "simulating" << *robots << "robots";

        // The demo's database tier, served on its own port like real sidecars and scraped over HTTP.
        database = std::make_unique<SimulatedDatabase>(simulator.get(), &clock, static_cast<std::uint64_t>(*seed));
        if (!database->addIncidents(parser.values(opts.incident), &error))
            return fail(QStringLiteral("--incident: %1").arg(error));
        if (!database->listen(QHostAddress::LocalHost, 0, &error))
            return fail(error);
        std::printf("METRICS http://%s\n", database->hostPort().constData());
        if (!scrapeTargets && prometheusUrl.isEmpty())
            scrapeTargets = metrics::ScrapeSource::parseFileSd(database->targetsJson(), &error);
    }

    InfraService::Settings infraSettings;
    infraSettings.intervalMs = *infraIntervalMs;
    std::unique_ptr<metrics::MetricsSource> metricsSource;
    if (!prometheusUrl.isEmpty()) {
        metrics::PromQlSource::Settings promSettings;
        promSettings.baseUrl = prometheusUrl;
        promSettings.intervalMs = *infraIntervalMs;
        metricsSource = std::make_unique<metrics::PromQlSource>(promSettings, InfraService::standardQueries(), &clock);
    } else if (scrapeTargets) {
        metrics::ScrapeSource::Settings scrapeSettings;
        scrapeSettings.targets = *scrapeTargets;
        scrapeSettings.intervalMs = *infraIntervalMs;
        metricsSource = std::make_unique<metrics::ScrapeSource>(scrapeSettings, InfraService::standardQueries(), &clock);
    }
    InfraService::OwnFigures own;
    own.kafkaLag = [&ingest, topic = kafkaSettings.topics.telemetry] {
        std::vector<fleet::v1::PartitionLag> lags;
        for (const kafka::KafkaReader::PartitionState &state : ingest.reader().partitionStates()) {
            fleet::v1::PartitionLag lag;
            lag.set_topic(topic.toStdString());
            lag.set_partition(state.partition);
            lag.set_lag(state.lag());
            lags.push_back(std::move(lag));
        }
        return lags;
    };
    own.telemetryMessages = [&ingest] { return ingest.messageCount(); };
    own.teleopRoundTripP99Ms = [&teleop](std::int64_t windowMs) { return teleop.router().roundTripP99Ms(windowMs); };
    InfraService infra(infraSettings, std::move(metricsSource), own, &server, &clock);
    infra.start();

    server.startTicking();
    // A parent process (the console's demo) reads this line to find us.
    std::printf("LISTENING ws://%s:%u\n", qPrintable(listenAddress.toString()), unsigned(server.port()));
    std::fflush(stdout);

    const int code = QCoreApplication::exec();
    teleop.stop(QStringLiteral("the backend is shutting down"));  // every driven robot is told to stop first
    server.closeAllSessions(QStringLiteral("the backend is shutting down"));
    QCoreApplication::processEvents();  // lets the goodbyes go out
    if (runner)
        runner->stop();
    ingest.stop();
    return code;
}
