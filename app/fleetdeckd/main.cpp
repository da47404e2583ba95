// fleetdeckd: the headless backend. Kafka telemetry in, fleet state kept, WebSocket snapshots and
// deltas out. With no --brokers it runs librdkafka's mock cluster in process; with --demo it also
// runs the fleet simulator, so one command gives a living fleet. Settings come from a config file, the
// environment and flags (backend/service/daemonconfig.cpp declares them; --help, --print-config).

#include "clock.h"
#include "codec.h"
#include "alertservice.h"
#include "authenticator.h"
#include "daemonconfig.h"
#include "drill.h"
#include "drillrunner.h"
#include "embeddedkafka.h"
#include "fleetserver.h"
#include "fleetsimulator.h"
#include "infraservice.h"
#include "logformat.h"
#include "otlpexporter.h"
#include "logging.h"
#include "prometheustext.h"
#include "promqlsource.h"
#include "scrapesource.h"
#include "shutdownsignals.h"
#include "simulateddatabase.h"
#include "simulatorrunner.h"
#include "staticfiles.h"
#include "streetgraph.h"
#include "telemetryingest.h"
#include "teleopservice.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QEventLoop>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTimer>
#include <QTextStream>
#include <QUrl>

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

using namespace fleetdeck;

namespace {

// The demo fleet starts mid-shift: a quarter of an hour of simulated past before going live.
constexpr std::int64_t kDemoWarmUpMs = 15 * 60 * 1000;

// Set once log lines are JSON: from then on a start-up failure is a JSON line like every other.
bool g_jsonLog = false;

int fail(const QString &message)
{
    if (g_jsonLog)
        qCCritical(lcServer).noquote() << "fleetdeckd:" << message;
    else
        std::fprintf(stderr, "fleetdeckd: %s\n", qPrintable(message));
    return 2;
}

// fleetdeckd --issue-token NAME ROLE [DAYS]: a new token, printed once, and the line for the
// tokens file (its hash). fleetdeckd --hash-token: the SHA-256 of a token read from standard input.
int tokenTool(const QStringList &args)
{
    if (args.value(0) == QLatin1String("--hash-token")) {
        QTextStream in(stdin);
        const QByteArray token = in.readLine().trimmed().toUtf8();
        if (token.isEmpty())
            return fail(QStringLiteral("--hash-token reads a token from standard input"));
        std::printf("%s\n", auth::sha256(token).toHex().constData());
        return 0;
    }
    const QString name = args.value(1);
    const std::optional<teleop::Role> role = auth::parseRole(args.value(2));
    bool daysOk = true;
    const int days = args.size() > 3 ? args.value(3).toInt(&daysOk) : 0;
    if (args.size() < 3 || args.size() > 4 || !role || !daysOk || days < 0) {
        return fail(QStringLiteral("usage: fleetdeckd --issue-token NAME viewer|operator|admin [DAYS]"));
    }
    const QByteArray token = auth::generateToken();
    const std::int64_t expires = days > 0 ? QDateTime::currentDateTimeUtc().addDays(days).toMSecsSinceEpoch() : 0;
    const QString line = auth::tokenLine(name, *role, token, expires);
    QStringList errors;
    if (auth::parseTokens(line, QStringLiteral("name"), &errors).empty())
        return fail(errors.join(QLatin1Char(' ')));
    std::printf("token (give it to %s; it is not stored anywhere):\n%s\n\nline for the tokens file:\n%s\n",
                qPrintable(name), token.constData(), qPrintable(line));
    return 0;
}

// The certificate and key of server.tls_*, checked now so a bad pair stops start-up naming the key.
std::optional<QSslConfiguration> tlsConfiguration(const QString &certificatePath, const QString &keyPath, QString *error)
{
    QFile certificateFile(certificatePath);
    if (!certificateFile.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("server.tls_certificate %1: %2").arg(certificatePath, certificateFile.errorString());
        return std::nullopt;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certificateFile.readAll(), QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull()) {
        *error = QStringLiteral("server.tls_certificate %1: no PEM certificate in it").arg(certificatePath);
        return std::nullopt;
    }
    QFile keyFile(keyPath);
    if (!keyFile.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("server.tls_private_key %1: %2").arg(keyPath, keyFile.errorString());
        return std::nullopt;
    }
    const QByteArray keyPem = keyFile.readAll();
    QSslKey key;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        key = QSslKey(keyPem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull()) {
        *error = QStringLiteral("server.tls_private_key %1: no unencrypted PEM private key (RSA, EC or DSA) in it").arg(keyPath);
        return std::nullopt;
    }
    if (chain.first().expiryDate() < QDateTime::currentDateTimeUtc())
        qCWarning(lcServer).noquote() << "server.tls_certificate" << certificatePath << "expired on" << chain.first().expiryDate().toString(Qt::ISODate);
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);  // consoles authenticate with tokens, not certificates

    // Whether the key belongs to the certificate only a handshake tells: one on loopback, now,
    // rather than a failure at every console's first connection.
    QSslServer probe;
    probe.setSslConfiguration(configuration);
    if (!probe.listen(QHostAddress::LocalHost, 0)) {
        *error = QStringLiteral("server.tls_certificate: cannot check the key on loopback: %1").arg(probe.errorString());
        return std::nullopt;
    }
    QSslSocket client;
    QEventLoop loop;
    QString why;
    QObject::connect(&client, &QSslSocket::encrypted, &loop, &QEventLoop::quit);
    QObject::connect(&client, &QSslSocket::errorOccurred, &loop, [&] { why = client.errorString(); loop.quit(); });
    QObject::connect(&probe, &QSslServer::errorOccurred, &loop, [&](QSslSocket *socket, QAbstractSocket::SocketError) {
        why = socket->errorString();
        loop.quit();
    });
    QObject::connect(&client, &QSslSocket::sslErrors, &client, [&client](const QList<QSslError> &) { client.ignoreSslErrors(); });
    QTimer::singleShot(5000, &loop, [&] { why = QStringLiteral("no TLS handshake within 5 s"); loop.quit(); });
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), probe.serverPort());
    loop.exec();
    if (!client.isEncrypted()) {
        *error = QStringLiteral("server.tls_private_key %1 and server.tls_certificate %2 do not make a working TLS pair: %3")
                     .arg(keyPath, certificatePath, why);
        return std::nullopt;
    }
    client.abort();
    return configuration;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    codec::routeProtobufLogs();  // hostile payloads must not flood the log
    QCoreApplication::setApplicationName(QStringLiteral("fleetdeckd"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FLEETDECK_VERSION));

    const QStringList arguments = QCoreApplication::arguments().mid(1);
    if (arguments.value(0) == QLatin1String("--issue-token") || arguments.value(0) == QLatin1String("--hash-token"))
        return tokenTool(arguments);

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
        std::printf("\nAccess tokens:\n  fleetdeckd --issue-token NAME viewer|operator|admin [DAYS]\n"
                    "      prints a new token once and its line for auth.tokens_file\n"
                    "  fleetdeckd --hash-token < token\n      prints a token's SHA-256 (the third field of a line)\n");
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
    g_jsonLog = logFormat == LogFormat::Json;
    const QHostAddress listenAddress(cfg->listen);
    std::optional<QSslConfiguration> tls;
    if (!cfg->tlsCertificate.isEmpty()) {
        tls = tlsConfiguration(cfg->tlsCertificate, cfg->tlsPrivateKey, &error);
        if (!tls)
            return fail(error);
    }
    SystemClock clock;
    // Tokens: who may use a console, and as what. Open mode trusts whatever a console says.
    std::unique_ptr<Authenticator> authenticator;
    if (cfg->tokensRequired()) {
        authenticator = std::make_unique<Authenticator>(&clock);
        QStringList errors;
        if (!authenticator->setSources(cfg->tokensFile, cfg->tokens, &errors))
            return fail(errors.join(QStringLiteral("\nfleetdeckd: ")));
        authenticator->watch();
        if (authenticator->tokenCount() == 0)
            qCWarning(lcServer) << "auth.mode = tokens and no tokens configured (auth.tokens_file, auth.tokens):"
                                   " every console will be refused; fleetdeckd --issue-token makes one";
        else
            qCInfo(lcServer) << "access tokens:" << authenticator->tokenCount();
    } else if (!cfg->demo) {
        qCWarning(lcServer).noquote() << "UNSAFE: auth.mode = open: anyone who can reach" << cfg->listen
                                      << "may watch the fleet and drive robots, as any name they choose."
                                         " Use auth.mode = tokens outside a demo.";
    } else {
        qCInfo(lcServer) << "demo: auth.mode = open (no tokens; consoles are who they say they are)";
    }

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

    TelemetryMailbox mailbox;
    FleetServer::Settings serverSettings;
    serverSettings.tickIntervalMs = cfg->tickMs;
    serverSettings.freshness.staleAfterMs = cfg->staleAfterMs;
    serverSettings.freshness.lostAfterMs = cfg->lostAfterMs;
    serverSettings.adminOperators = cfg->admins;
    FleetServer server(serverSettings, &mailbox, &clock);
    server.setAuthenticator(authenticator.get());
    if (tls)
        server.setTlsConfiguration(*tls);
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

    kafka::KafkaSettings teleopKafkaSettings = kafkaSettings;
    if (embedded)
        kafka::EmbeddedKafka::tuneLatencyCriticalReader(&teleopKafkaSettings);
    TeleopService teleop(&server, &clock);
    if (!teleop.start(teleopKafkaSettings, &error))
        return fail(error);
    QObject::connect(&ingest.reader(), &kafka::KafkaReader::brokerReachableChanged, &teleop,
                     &TeleopService::setCommandPathUp);

    std::unique_ptr<OtlpExporter> traces;
    if (!cfg->otlpEndpoint.isEmpty()) {
        OtlpExporter::Settings traceSettings;
        traceSettings.endpoint = cfg->otlpEndpoint;
        traceSettings.serviceName = cfg->tracingServiceName;
        traceSettings.serviceInstanceId = teleop.replicaId();
        traces = std::make_unique<OtlpExporter>(traceSettings);
        teleop.router().setSpanSink([exporter = traces.get()](Span span) { exporter->add(std::move(span)); });
        qCInfo(lcServer).noquote() << "exporting teleop spans to" << cfg->otlpEndpoint.toDisplayString();
    }

    server.addHttpRoute("/healthz", [](const HttpRequest &) { return HttpResponse{200, "text/plain; charset=utf-8", "ok\n", {}}; });
    server.addHttpRoute("/readyz", [&ingest, &teleop](const HttpRequest &) {
        if (!ingest.reader().isCaughtUp())
            return HttpResponse{503, "text/plain; charset=utf-8", "rebuilding state from recent telemetry\n", {}};
        // Until then this replica could show a robot free that another replica's operator drives.
        if (!teleop.isLeaseLogRead())
            return HttpResponse{503, "text/plain; charset=utf-8", "reading the shared lease log\n", {}};
        if (!ingest.reader().isBrokerReachable())
            return HttpResponse{503, "text/plain; charset=utf-8", "Kafka brokers unreachable: serving last known state\n", {}};
        return HttpResponse{200, "text/plain; charset=utf-8", "ready\n", {}};
    });
    // Parts made further down add their own figures here.
    std::vector<std::function<void(PrometheusText *)>> moreMetrics;
    server.addHttpRoute("/metrics", [&server, &ingest, &authenticator, &traces, &moreMetrics, needToken = cfg->metricsNeedToken](const HttpRequest &request) {
        if (needToken) {
            const QByteArray header = request.headers.value("authorization");
            const bool bearer = header.startsWith("Bearer ");
            if (!bearer || authenticator->authenticate(header.mid(7).trimmed()).verdict != Authenticator::Verdict::Valid)
                return HttpResponse{401, "text/plain; charset=utf-8", "a valid token is needed: Authorization: Bearer TOKEN\n",
                                    {{"WWW-Authenticate", "Bearer"}}};
        }
        PrometheusText text;
        server.writeMetrics(&text);
        ingest.writeMetrics(&text);
        if (traces)
            traces->writeMetrics(&text);
        for (const auto &write : moreMetrics)
            write(&text);
        return HttpResponse{200, PrometheusText::kContentType, text.text(), {}};
    });

    // The browser console, on the same port as its WebSocket: http://host:port/ is all a user opens.
    QString webRoot = cfg->webRoot;
    if (webRoot.isEmpty()) {
        const QString installed = QCoreApplication::applicationDirPath() + QStringLiteral("/../share/fleetdeck/web");
        if (QFileInfo::exists(installed + QStringLiteral("/fleetdeck.html")))
            webRoot = installed;
    }
    StaticFiles webConsole(webRoot);
    webConsole.warmUp();
    server.setHttpFallbackRoute([&webConsole](const HttpRequest &request) { return webConsole.serve(request); });
    if (webConsole.hasRoot())
        qCInfo(lcServer).noquote() << "browser console: serving" << webConsole.root() << "at /";
    else
        qCInfo(lcServer) << "browser console: none (server.web_root); / says how to build it";

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
        if (!runner->start(teleopKafkaSettings, 100, kDemoWarmUpMs, &error))  // its command reader is a robot's
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
    moreMetrics.push_back([&alertService](PrometheusText *text) { alertService.writeMetrics(text); });

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
    std::printf("LISTENING %s://%s:%u\n", server.isTls() ? "wss" : "ws", qPrintable(listenAddress.toString()), unsigned(server.port()));
    std::fflush(stdout);

    const int code = QCoreApplication::exec();
    teleop.router().setSpanSink({});  // the exporter goes before the router does
    teleop.stop(QStringLiteral("the backend is shutting down"));  // every driven robot is told to stop first
    server.closeAllSessions(QStringLiteral("the backend is shutting down"));
    QCoreApplication::processEvents();  // lets the goodbyes go out
    if (runner)
        runner->stop();
    ingest.stop();
    return code;
}
