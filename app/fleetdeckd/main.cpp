// fleetdeckd: the headless backend. Kafka telemetry in, fleet state kept, WebSocket snapshots and
// deltas out. With no --brokers it runs librdkafka's mock cluster in process; with --demo it also
// runs the fleet simulator, so one command gives a living fleet. Settings come from a config file, the
// environment and flags (backend/service/daemonconfig.cpp declares them; --help, --print-config).

#include "clock.h"
#include "codec.h"
#include "alertservice.h"
#include "daemonconfig.h"
#include "drill.h"
#include "drillrunner.h"
#include "embeddedkafka.h"
#include "fleetserver.h"
#include "fleetsimulator.h"
#include "infraservice.h"
#include "logformat.h"
#include "logging.h"
#include "prometheustext.h"
#include "promqlsource.h"
#include "scrapesource.h"
#include "shutdownsignals.h"
#include "simulateddatabase.h"
#include "simulatorrunner.h"
#include "streetgraph.h"
#include "telemetryingest.h"
#include "teleopservice.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcessEnvironment>
#include <QUrl>

#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

using namespace fleetdeck;

namespace {

// The demo fleet starts mid-shift: a quarter of an hour of simulated past before going live.
constexpr std::int64_t kDemoWarmUpMs = 15 * 60 * 1000;

int fail(const QString &message)
{
    std::fprintf(stderr, "fleetdeckd: %s\n", qPrintable(message));
    return 2;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    codec::routeProtobufLogs();  // hostile payloads must not flood the log
    QCoreApplication::setApplicationName(QStringLiteral("fleetdeckd"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FLEETDECK_VERSION));

    const config::Schema &schema = config::daemonSchema();
    config::Loaded loaded = config::load(schema, QCoreApplication::arguments().mid(1), QProcessEnvironment::systemEnvironment());
    std::optional<config::DaemonConfig> cfg;
    if (loaded.errors.isEmpty() && (loaded.action == config::Action::Run || loaded.action == config::Action::PrintConfig))
        cfg = config::daemonConfig(loaded.values, &loaded.errors);
    if (!loaded.errors.isEmpty()) {
        for (const QString &error : std::as_const(loaded.errors))
            std::fprintf(stderr, "fleetdeckd: %s\n", qPrintable(error));
        return 2;
    }
    switch (loaded.action) {
    case config::Action::Help:
        std::printf("%s", qPrintable(config::helpText(schema)));
        return 0;
    case config::Action::Version:
        std::printf("fleetdeckd %s\n", FLEETDECK_VERSION);
        return 0;
    case config::Action::PrintDefaultConfig:
        std::printf("%s", qPrintable(config::exampleConfigText(schema)));
        return 0;
    case config::Action::PrintConfig:
        std::printf("%s", qPrintable(config::effectiveConfigText(schema, loaded.values)));
        return 0;
    case config::Action::Run:
        break;
    }

    QString error;
    kafka::KafkaSettings kafkaSettings = cfg->kafkaSettings();
    std::optional<std::vector<metrics::ScrapeSource::Target>> scrapeTargets;
    if (!cfg->scrapeTargets.isEmpty()) {
        QFile file(cfg->scrapeTargets);
        if (!file.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("infra.scrape_targets %1: %2").arg(file.fileName(), file.errorString()));
        scrapeTargets = metrics::ScrapeSource::parseFileSd(file.readAll(), &error);
        if (!scrapeTargets)
            return fail(QStringLiteral("infra.scrape_targets %1: %2").arg(file.fileName(), error));
    }
    const QUrl prometheusUrl = cfg->prometheusUrl;
    LogFormat logFormat = LogFormat::Text;
    if (!parseLogFormat(cfg->logFormat, &logFormat))
        return fail(QStringLiteral("log.format \"%1\": expected text or json").arg(cfg->logFormat));
    installLogFormat(logFormat);
    const QHostAddress listenAddress(cfg->listen);

    ShutdownSignals shutdown;
    QObject::connect(&shutdown, &ShutdownSignals::shutdownRequested, &app, [](const QString &why) {
        qCInfo(lcServer).noquote() << "shutting down:" << why;
        QCoreApplication::quit();
    });
    if (cfg->exitOnStdinEof)
        shutdown.watchStandardInput();

    // Declared before everything that talks to it, so it is destroyed last.
    std::unique_ptr<kafka::EmbeddedKafka> embedded;
    if (kafkaSettings.bootstrapServers.isEmpty()) {
        embedded = std::make_unique<kafka::EmbeddedKafka>();
        if (!embedded->start(1, &error))
            return fail(error);
        const kafka::Topics &t = kafkaSettings.topics;
        for (const QString &topic : {t.telemetry, t.events, t.commands, t.commandAcks, t.audit, t.leases}) {
            if (!embedded->createTopic(topic, cfg->partitions, &error))
                return fail(error);
        }
        kafkaSettings.bootstrapServers = embedded->bootstrapServers();
        std::printf("KAFKA_BOOTSTRAP %s\n", qPrintable(kafkaSettings.bootstrapServers));
    }

    SystemClock clock;
    TelemetryMailbox mailbox;
    FleetServer::Settings serverSettings;
    serverSettings.tickIntervalMs = cfg->tickMs;
    serverSettings.freshness.staleAfterMs = cfg->staleAfterMs;
    serverSettings.freshness.lostAfterMs = cfg->lostAfterMs;
    serverSettings.adminOperators = cfg->admins;
    FleetServer server(serverSettings, &mailbox, &clock);
    if (!server.listen(listenAddress, static_cast<quint16>(cfg->port), &error))
        return fail(error);

    kafka::TelemetryIngest ingest(&mailbox);
    if (!ingest.start(kafkaSettings,
                      cfg->fromEnd ? kafka::KafkaReader::StartAt::End : kafka::KafkaReader::StartAt::Time,
                      &error, clock.nowUnixMs() - std::int64_t(cfg->replaySeconds) * 1000))
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
    if (cfg->demo) {
        graph = sim::StreetGraph::loadShipped(&error);
        if (!graph)
            return fail(error);
        sim::FleetSimulator::Config simConfig;
        simConfig.robotCount = cfg->robots;
        simConfig.seed = static_cast<std::uint64_t>(cfg->seed);
        simulator = std::make_unique<sim::FleetSimulator>(*graph, simConfig);
        runner = std::make_unique<sim::SimulatorRunner>(simulator.get(), &clock);
        if (!runner->start(kafkaSettings, 100, kDemoWarmUpMs, &error))
            return fail(error);
        qCInfo(lcSim) << "simulating" << cfg->robots << "robots";

        // The demo's database tier, served on its own port like real sidecars and scraped over HTTP.
        database = std::make_unique<SimulatedDatabase>(simulator.get(), &clock, static_cast<std::uint64_t>(cfg->seed));
        if (!database->addIncidents(cfg->incidents, &error))
            return fail(QStringLiteral("demo.incidents: %1").arg(error));
        if (!database->listen(QHostAddress::LocalHost, 0, &error))
            return fail(error);
        std::printf("METRICS http://%s\n", database->hostPort().constData());
        if (!scrapeTargets && prometheusUrl.isEmpty())
            scrapeTargets = metrics::ScrapeSource::parseFileSd(database->targetsJson(), &error);
    }

    InfraService::Settings infraSettings;
    infraSettings.intervalMs = cfg->infraIntervalMs;
    std::unique_ptr<metrics::MetricsSource> metricsSource;
    if (!prometheusUrl.isEmpty()) {
        metrics::PromQlSource::Settings promSettings;
        promSettings.baseUrl = prometheusUrl;
        promSettings.intervalMs = cfg->infraIntervalMs;
        metricsSource = std::make_unique<metrics::PromQlSource>(promSettings, InfraService::standardQueries(), &clock);
    } else if (scrapeTargets) {
        metrics::ScrapeSource::Settings scrapeSettings;
        scrapeSettings.targets = *scrapeTargets;
        scrapeSettings.intervalMs = cfg->infraIntervalMs;
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
    own.kafkaReachable = [&ingest] { return ingest.reader().isBrokerReachable(); };
    own.teleopRoundTripP99Ms = [&teleop](std::int64_t windowMs) { return teleop.router().roundTripP99Ms(windowMs); };
    InfraService infra(infraSettings, std::move(metricsSource), own, &server, &clock);
    infra.start();

    // Alerts over the fleet and the latest infrastructure point, the same for every console.
    AlertService alertService(cfg->alertRules(), &server, &clock);
    QObject::connect(&infra, &InfraService::collected, &alertService, &AlertService::setInfraPoint);
    alertService.setKafkaReachable(ingest.reader().isBrokerReachable());
    QObject::connect(&ingest.reader(), &kafka::KafkaReader::brokerReachableChanged, &alertService, &AlertService::setKafkaReachable);
    alertService.start();

    // A drill ("wheel of misfortune"): incidents at set times, then a report of what the alerts said.
    std::unique_ptr<DrillRunner> drill;
    if (!cfg->drill.isEmpty()) {
        QStringList errors;
        std::optional<sim::Drill> scenario = sim::loadDrill(cfg->drill, &errors);
        DrillRunner::Targets targets;
        targets.fleet = simulator.get();
        targets.addDbIncident = [&database](const sim::DbIncident &incident, QString *why) {
            return database->database().addIncident(incident, why);
        };
        if (embedded)
            targets.setBrokersUp = [&embedded](bool up) { embedded->setBrokersUp(up); };
        DrillRunner::Settings drillSettings;
        drillSettings.graceMs = std::int64_t(cfg->drillGraceS) * 1000;
        if (scenario) {
            drill = std::make_unique<DrillRunner>(std::move(*scenario), std::move(targets), &alertService, &clock, drillSettings);
            if (!drill->start(&errors))
                drill.reset();
        }
        if (!drill)
            return fail(errors.join(QStringLiteral("\nfleetdeckd: ")));
        QObject::connect(drill.get(), &DrillRunner::finished, &app,
                         [&drill, reportPath = cfg->drillReport, exitAfter = cfg->exitAfterDrill] {
                             QString why;
                             if (reportPath.isEmpty()) {
                                 std::printf("%s", qPrintable(drill->reportText()));
                                 std::fflush(stdout);
                             } else if (drill->writeReport(reportPath, &why)) {
                                 qCInfo(lcSim).noquote() << "drill report written to" << reportPath;
                             } else {
                                 qCWarning(lcSim).noquote() << "drill report not written:" << why;
                             }
                             if (exitAfter)
                                 QCoreApplication::quit();
                         });
    }

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
