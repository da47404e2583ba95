#include "daemonconfig.h"

#include "dbsimulator.h"
#include "options.h"

#include <functional>
#include <utility>
#include <vector>

namespace fleetdeck::config {

namespace {

// A key and the DaemonConfig field it fills: the one place each setting is declared.
struct Binding {
    Key key;
    std::function<void(DaemonConfig *, const QVariant &)> store;
};

template <typename T>
Binding bind(Key key, T DaemonConfig::*member)
{
    return {std::move(key), [member](DaemonConfig *config, const QVariant &value) { config->*member = value.value<T>(); }};
}

Key key(Type type, const char *name, const char *flag, const char *valueName, QVariant defaultValue, const char *doc)
{
    Key k;
    k.name = QString::fromUtf8(name);
    k.type = type;
    k.flag = QString::fromUtf8(flag);
    k.valueName = QString::fromUtf8(valueName);
    k.defaultValue = std::move(defaultValue);
    k.doc = QString::fromUtf8(doc);
    return k;
}

Key intKey(const char *name, const char *flag, const char *valueName, int defaultValue, int min, int max, const char *doc)
{
    Key k = key(Type::Int, name, flag, valueName, defaultValue, doc);
    k.min = min;
    k.max = max;
    return k;
}

Key boolKey(const char *name, const char *flag, const char *doc)
{
    return key(Type::Bool, name, flag, "", false, doc);
}

Key stringKey(Type type, const char *name, const char *flag, const char *valueName, const char *defaultValue, const char *doc)
{
    return key(type, name, flag, valueName, QString::fromUtf8(defaultValue), doc);
}

Key listKey(const char *name, const char *flag, const char *valueName, const char *doc)
{
    return key(Type::List, name, flag, valueName, QStringList(), doc);
}

const std::vector<Binding> &bindings()
{
    static const std::vector<Binding> all = [] {
        Key logFormat = stringKey(Type::Enum, "log.format", "log-format", "FORMAT", "text",
                                  "Log lines as text, or one JSON object per line (ts, level, category, msg, pid) for Loki and friends.");
        logFormat.choices = QStringList{QStringLiteral("text"), QStringLiteral("json")};

        Key properties = key(Type::Map, "kafka.properties", "kafka-property", "NAME=VALUE", QVariant::fromValue(QMap<QString, QString>()),
                             "librdkafka properties passed through as they are (security.protocol, sasl.*, ssl.*, …).");
        properties.secretEntries = QStringList{QStringLiteral("password"), QStringLiteral("passphrase"), QStringLiteral("secret"),
                                               QStringLiteral("key.pem"), QStringLiteral("private.key"),
                                               QStringLiteral("sasl.oauthbearer.config")};
        properties.examples = QStringList{QStringLiteral("security.protocol = SASL_SSL"),
                                          QStringLiteral("sasl.mechanisms = SCRAM-SHA-512"),
                                          QStringLiteral("sasl.username = fleetdeck"),
                                          QStringLiteral("sasl.password = change-me")};

        Key prometheus = key(Type::Url, "infra.prometheus_url", "prometheus", "URL", QUrl(),
                             "Prometheus server to ask (PromQL over its HTTP API) for database and proxy metrics instead of scraping them.");
        prometheus.schemes = QStringList{QStringLiteral("http"), QStringLiteral("https")};
        Key otlp = key(Type::Url, "tracing.otlp_endpoint", "otlp-endpoint", "URL", QUrl(),
                       "OpenTelemetry collector's OTLP/HTTP traces endpoint (e.g. http://otel-collector:4318/v1/traces): "
                       "spans of teleop commands, joined to the trace each console's traceparent starts. Empty: no export "
                       "(trace ids still go in the audit records).");
        otlp.schemes = QStringList{QStringLiteral("http"), QStringLiteral("https")};

        Key authMode = stringKey(Type::Enum, "auth.mode", "auth-mode", "MODE", "auto",
                                 "Who may use a console: tokens (every console presents a token of auth.tokens_file or auth.tokens; "
                                 "its name and role, viewer, operator or admin, decide what it may do), open (anyone who reaches the "
                                 "port may drive robots: demos only) or auto (open with demo.enabled, tokens otherwise).");
        authMode.choices = QStringList{QStringLiteral("auto"), QStringLiteral("open"), QStringLiteral("tokens")};

        Key incidents = listKey("demo.incidents", "incident", "SPEC",
                                "Database incidents of the demo, KIND:START_S:DURATION_S[:TARGET] with START_S from start; KIND "
                                "standby-backup[:member], replication-lag[:member], error-burst:app/collection or connections-saturated.");
        incidents.checkItem = [](const QString &spec, QString *why) { return sim::parseDbIncident(spec, 0, why).has_value(); };

        return std::vector<Binding>{
            bind(stringKey(Type::Address, "server.listen", "listen", "ADDRESS", "127.0.0.1",
                           "Address to serve consoles on (0.0.0.0 or :: for every interface)."),
                 &DaemonConfig::listen),
            bind(intKey("server.port", "port", "N", 8765, 0, 65535,
                        "WebSocket and HTTP port; 0 picks a free one (printed as LISTENING ws://…)."),
                 &DaemonConfig::port),
            bind(intKey("server.tick_ms", "tick-ms", "MS", 100, 10, 10'000, "Interval between deltas to consoles, in milliseconds."),
                 &DaemonConfig::tickMs),
            bind(stringKey(Type::File, "server.tls_certificate", "tls-certificate", "FILE", "",
                           "PEM certificate (chain) to serve wss:// and https:// with; needs server.tls_private_key. Empty: "
                           "plain ws:// and http://."),
                 &DaemonConfig::tlsCertificate),
            bind(stringKey(Type::File, "server.tls_private_key", "tls-private-key", "FILE", "",
                           "PEM private key of server.tls_certificate (unencrypted; readable by the service only)."),
                 &DaemonConfig::tlsPrivateKey),
            bind(stringKey(Type::Directory, "server.web_root", "web-root", "DIR", "",
                           "The browser console's files (packaging/wasm/build-console.sh makes them in build/wasm/web), "
                           "served at / on the same port. Empty: the installed console (../share/fleetdeck/web beside "
                           "the binary) if there is one."),
                 &DaemonConfig::webRoot),
            bind(authMode, &DaemonConfig::authMode),
            bind(stringKey(Type::File, "auth.tokens_file", "tokens-file", "FILE", "",
                           "Access tokens, one per line: NAME ROLE SHA256HEX [EXPIRES_ISO8601] (hashes only; fleetdeckd "
                           "--issue-token makes one). Reloaded on SIGHUP and when it changes; revoked tokens end their sessions."),
                 &DaemonConfig::tokensFile),
            bind(stringKey(Type::String, "auth.tokens", "tokens", "LINES", "",
                           "More access tokens in the same format, lines separated by ';' (for a Kubernetes Secret)."),
                 &DaemonConfig::tokens),
            bind(boolKey("auth.metrics_need_token", "metrics-need-token",
                         "/metrics answers only requests with Authorization: Bearer TOKEN (any role); /healthz and /readyz stay open."),
                 &DaemonConfig::metricsNeedToken),
            bind(intKey("freshness.stale_after_ms", "stale-after-ms", "MS", 5000, 100, 3'600'000,
                        "A robot silent this long is shown stale, in milliseconds."),
                 &DaemonConfig::staleAfterMs),
            bind(intKey("freshness.lost_after_ms", "lost-after-ms", "MS", 30'000, 100, 86'400'000,
                        "A robot silent this long is shown lost (it never disappears), in milliseconds; at least "
                        "freshness.stale_after_ms."),
                 &DaemonConfig::lostAfterMs),
            bind(stringKey(Type::String, "kafka.brokers", "brokers", "LIST", "",
                           "Kafka bootstrap servers, host:port,…; empty starts the embedded broker (its address printed as "
                           "KAFKA_BOOTSTRAP)."),
                 &DaemonConfig::brokers),
            bind(stringKey(Type::String, "kafka.topic_prefix", "topic-prefix", "PREFIX", "", "Prefix for every topic name (e.g. staging.)."),
                 &DaemonConfig::topicPrefix),
            bind(intKey("kafka.partitions", "partitions", "N", 6, 1, 256, "Partitions per topic of the embedded broker."),
                 &DaemonConfig::partitions),
            bind(intKey("kafka.replay_s", "replay-s", "S", 300, 1, 7 * 24 * 3600,
                        "Rebuild state from the last N seconds of telemetry at start (seek by time; the embedded broker "
                        "replays what it retains)."),
                 &DaemonConfig::replaySeconds),
            bind(boolKey("kafka.from_end", "from-end", "Read only new telemetry instead of rebuilding state from recent telemetry."),
                 &DaemonConfig::fromEnd),
            bind(properties, &DaemonConfig::kafkaProperties),
            bind(logFormat, &DaemonConfig::logFormat),
            bind(otlp, &DaemonConfig::otlpEndpoint),
            bind(stringKey(Type::String, "tracing.service_name", "service-name", "NAME", "fleetdeckd",
                           "service.name of the exported spans (each replica adds its own service.instance.id)."),
                 &DaemonConfig::tracingServiceName),
            bind(listKey("teleop.admins", "admins", "NAMES",
                         "With auth.mode = open: operators who may take over another operator's lease, by the name their "
                         "console states. With tokens, the admin role does this."),
                 &DaemonConfig::admins),
            bind(intKey("infra.interval_ms", "infra-interval-ms", "MS", 2000, 250, 60'000,
                        "How often consoles get a point of database, proxy and Kafka health, in milliseconds."),
                 &DaemonConfig::infraIntervalMs),
            bind(stringKey(Type::File, "infra.scrape_targets", "scrape-targets", "FILE", "",
                           "Database, proxy and prober metrics endpoints to scrape, as a Prometheus file_sd JSON file."),
                 &DaemonConfig::scrapeTargets),
            bind(prometheus, &DaemonConfig::prometheusUrl),
            bind(boolKey("demo.enabled", "demo",
                         "Also run the fleet simulator in this process (with the embedded broker unless kafka.brokers is set)."),
                 &DaemonConfig::demo),
            bind(intKey("demo.robots", "robots", "N", 200, 1, 100'000, "Simulated robots."), &DaemonConfig::robots),
            bind(intKey("demo.seed", "seed", "N", 1, 0, 1 << 30, "Simulator seed."), &DaemonConfig::seed),
            bind(incidents, &DaemonConfig::incidents),
            bind(stringKey(Type::File, "demo.drill", "drill", "FILE", "",
                           "A drill scenario to run on the demo (resources/drills/*.drill): incidents injected at set times, "
                           "then a report of when each alert fired and who acknowledged it."),
                 &DaemonConfig::drill),
            bind(stringKey(Type::String, "demo.drill_report", "drill-report", "FILE", "",
                           "Where to write the drill's report: HTML if the name ends in .html, text otherwise; empty: "
                           "standard output."),
                 &DaemonConfig::drillReport),
            bind(intKey("demo.drill_grace_s", "drill-grace-s", "S", 120, 0, 3600,
                        "How long the drill waits after its last incident is over, for late alerts and resolutions, "
                        "before it reports."),
                 &DaemonConfig::drillGraceS),
            bind(boolKey("process.exit_on_stdin_eof", "exit-on-stdin-eof",
                         "Shut down when standard input closes (the console's demo uses it)."),
                 &DaemonConfig::exitOnStdinEof),
            bind(boolKey("process.exit_after_drill", "exit-after-drill",
                         "Shut down once the drill has reported (otherwise the demo keeps running)."),
                 &DaemonConfig::exitAfterDrill),
            bind(intKey("alerts.robot_for_ms", "alert-robot-for-ms", "MS", 5000, 0, 3'600'000,
                        "A robot condition (stuck, battery, link) must hold this long before its alert fires."),
                 &DaemonConfig::alertRobotForMs),
            bind(intKey("alerts.infra_for_ms", "alert-infra-for-ms", "MS", 10'000, 0, 3'600'000,
                        "A database, proxy or Kafka condition must hold this long before its alert fires."),
                 &DaemonConfig::alertInfraForMs),
            bind(intKey("alerts.clear_for_ms", "alert-clear-for-ms", "MS", 15'000, 0, 3'600'000,
                        "A condition must be gone this long before its alert resolves (no flapping)."),
                 &DaemonConfig::alertClearForMs),
            bind(intKey("alerts.stuck_after_ms", "alert-stuck-after-ms", "MS", 60'000, 1000, 3'600'000,
                        "A working robot that makes no progress (3 m) for this long is stuck."),
                 &DaemonConfig::alertStuckAfterMs),
            bind(intKey("alerts.battery_low_pct", "alert-battery-low-pct", "PCT", 15, 0, 100,
                        "Battery below this (and not charging) fires battery_low."),
                 &DaemonConfig::alertBatteryLowPct),
            bind(intKey("alerts.battery_clear_pct", "alert-battery-clear-pct", "PCT", 20, 0, 100,
                        "Battery above this clears battery_low."),
                 &DaemonConfig::alertBatteryClearPct),
            bind(intKey("alerts.link_rtt_high_ms", "alert-link-rtt-high-ms", "MS", 400, 1, 60'000,
                        "A robot's link round trip above this fires link_rtt_high."),
                 &DaemonConfig::alertLinkRttHighMs),
            bind(intKey("alerts.link_rtt_clear_ms", "alert-link-rtt-clear-ms", "MS", 250, 1, 60'000,
                        "Below this it clears."),
                 &DaemonConfig::alertLinkRttClearMs),
            bind(intKey("alerts.area_stale_min_robots", "alert-area-stale-min-robots", "N", 5, 2, 100'000,
                        "This many stale or lost robots within about 500 m become one area_stale alert instead of one each."),
                 &DaemonConfig::alertAreaStaleMinRobots),
            bind(intKey("alerts.db_latency_ms", "alert-db-latency-ms", "MS", 250, 1, 600'000,
                        "A replica-set member's worst probe p99 above this fires db_latency."),
                 &DaemonConfig::alertDbLatencyMs),
            bind(intKey("alerts.db_latency_clear_ms", "alert-db-latency-clear-ms", "MS", 150, 1, 600'000,
                        "Below this it clears."),
                 &DaemonConfig::alertDbLatencyClearMs),
            bind(intKey("alerts.replication_lag_s", "alert-replication-lag-s", "S", 30, 1, 86'400,
                        "A secondary this far behind the primary fires replication_lag."),
                 &DaemonConfig::alertReplicationLagS),
            bind(intKey("alerts.replication_lag_clear_s", "alert-replication-lag-clear-s", "S", 10, 0, 86'400,
                        "Below this it clears."),
                 &DaemonConfig::alertReplicationLagClearS),
            bind(intKey("alerts.proxy_error_pct", "alert-proxy-error-pct", "PCT", 5, 1, 100,
                        "Errors above this share of one app's requests on one collection fire proxy_errors."),
                 &DaemonConfig::alertProxyErrorPct),
            bind(intKey("alerts.proxy_error_clear_pct", "alert-proxy-error-clear-pct", "PCT", 2, 0, 100,
                        "Below this it clears."),
                 &DaemonConfig::alertProxyErrorClearPct),
            bind(intKey("alerts.connections_used_pct", "alert-connections-used-pct", "PCT", 90, 1, 100,
                        "A member with more than this share of its connection limit in use fires db_connections."),
                 &DaemonConfig::alertConnectionsUsedPct),
            bind(intKey("alerts.connections_used_clear_pct", "alert-connections-used-clear-pct", "PCT", 80, 0, 100,
                        "Below this it clears."),
                 &DaemonConfig::alertConnectionsUsedClearPct),
            bind(intKey("alerts.kafka_lag", "alert-kafka-lag", "MESSAGES", 100'000, 1, 1'000'000'000,
                        "A telemetry partition this many messages behind fires kafka_lag."),
                 &DaemonConfig::alertKafkaLag),
            bind(intKey("alerts.kafka_lag_clear", "alert-kafka-lag-clear", "MESSAGES", 10'000, 0, 1'000'000'000,
                        "Below this it clears."),
                 &DaemonConfig::alertKafkaLagClear),
        };
    }();
    return all;
}

QString described(const Values &values, const char *name)
{
    const QString key = QString::fromUtf8(name);
    const Setting &setting = values.setting(key);
    const Key *declared = daemonSchema().find(key);
    return QStringLiteral("%1 = %2 (%3)").arg(key, displayValue(*declared, setting.value), setting.source.describe());
}

}  // namespace

alerts::Rules DaemonConfig::alertRules() const
{
    alerts::Rules rules;
    rules.robotForMs = alertRobotForMs;
    rules.infraForMs = alertInfraForMs;
    rules.clearForMs = alertClearForMs;
    rules.stuckAfterMs = alertStuckAfterMs;
    rules.batteryLowPct = alertBatteryLowPct;
    rules.batteryClearPct = alertBatteryClearPct;
    rules.linkRttHighMs = alertLinkRttHighMs;
    rules.linkRttClearMs = alertLinkRttClearMs;
    rules.areaStaleMinRobots = alertAreaStaleMinRobots;
    rules.dbLatencyMs = alertDbLatencyMs;
    rules.dbLatencyClearMs = alertDbLatencyClearMs;
    rules.replicationLagS = alertReplicationLagS;
    rules.replicationLagClearS = alertReplicationLagClearS;
    rules.proxyErrorRatio = alertProxyErrorPct / 100.0;
    rules.proxyErrorClearRatio = alertProxyErrorClearPct / 100.0;
    rules.connectionsUsed = alertConnectionsUsedPct / 100.0;
    rules.connectionsUsedClear = alertConnectionsUsedClearPct / 100.0;
    rules.kafkaLag = alertKafkaLag;
    rules.kafkaLagClear = alertKafkaLagClear;
    return rules;
}

bool DaemonConfig::tokensRequired() const
{
    return authMode == QLatin1String("tokens") || (authMode == QLatin1String("auto") && !demo);
}

kafka::KafkaSettings DaemonConfig::kafkaSettings() const
{
    kafka::KafkaSettings settings;
    settings.bootstrapServers = brokers.trimmed();
    settings.properties = kafkaProperties;
    options::applyTopicPrefix(topicPrefix, &settings.topics);
    return settings;
}

const Schema &daemonSchema()
{
    static const Schema schema = [] {
        Schema s;
        s.program = QStringLiteral("fleetdeckd");
        s.description = QStringLiteral("fleetdeck backend: Kafka telemetry to WebSocket consoles.");
        for (const Binding &binding : bindings())
            s.keys.push_back(binding.key);
        return s;
    }();
    return schema;
}

std::optional<DaemonConfig> daemonConfig(const Values &values, QStringList *errors)
{
    DaemonConfig config;
    for (const Binding &binding : bindings())
        binding.store(&config, values.value(binding.key.name));

    const qsizetype before = errors->size();
    if (config.lostAfterMs < config.staleAfterMs) {
        errors->append(QStringLiteral("%1 is below %2: a robot must turn stale before it turns lost")
                           .arg(described(values, "freshness.lost_after_ms"), described(values, "freshness.stale_after_ms")));
    }
    if (!config.incidents.isEmpty() && !config.demo) {
        errors->append(QStringLiteral("%1 needs demo.enabled = true (fleetsim --incident for a separate simulator)")
                           .arg(described(values, "demo.incidents")));
    }
    if (!config.drill.isEmpty() && !config.demo) {
        errors->append(QStringLiteral("%1 needs demo.enabled = true: drills inject incidents into the simulated fleet")
                           .arg(described(values, "demo.drill")));
    }
    if (config.exitAfterDrill && config.drill.isEmpty()) {
        errors->append(QStringLiteral("%1 needs demo.drill").arg(described(values, "process.exit_after_drill")));
    }
    if (!config.prometheusUrl.isEmpty() && !config.scrapeTargets.isEmpty()) {
        errors->append(QStringLiteral("%1 and %2: choose one source of database metrics")
                           .arg(described(values, "infra.prometheus_url"), described(values, "infra.scrape_targets")));
    }
    if (config.tlsCertificate.isEmpty() != config.tlsPrivateKey.isEmpty()) {
        errors->append(QStringLiteral("%1 and %2: TLS needs both a certificate and its private key")
                           .arg(described(values, "server.tls_certificate"), described(values, "server.tls_private_key")));
    }
    if (!config.tokensRequired() && (!config.tokensFile.isEmpty() || !config.tokens.isEmpty())) {
        errors->append(QStringLiteral("%1 with access tokens configured (auth.tokens_file, auth.tokens): say auth.mode = tokens")
                           .arg(described(values, "auth.mode")));
    }
    if (!config.tokensRequired() && config.metricsNeedToken) {
        errors->append(QStringLiteral("%1 needs auth.mode = tokens").arg(described(values, "auth.metrics_need_token")));
    }
    // Hysteresis only works when the clearing threshold is on the healthy side of the firing one.
    const auto hysteresis = [&](const char *fire, const char *clear, bool clearMustBeHigher) {
        const int fireValue = values.value(QString::fromUtf8(fire)).toInt();
        const int clearValue = values.value(QString::fromUtf8(clear)).toInt();
        if (clearMustBeHigher ? clearValue <= fireValue : clearValue >= fireValue) {
            errors->append(QStringLiteral("%1 must be %2 %3, or the alert would flap")
                               .arg(described(values, clear), clearMustBeHigher ? QStringLiteral("above") : QStringLiteral("below"),
                                    described(values, fire)));
        }
    };
    hysteresis("alerts.battery_low_pct", "alerts.battery_clear_pct", true);
    hysteresis("alerts.link_rtt_high_ms", "alerts.link_rtt_clear_ms", false);
    hysteresis("alerts.db_latency_ms", "alerts.db_latency_clear_ms", false);
    hysteresis("alerts.replication_lag_s", "alerts.replication_lag_clear_s", false);
    hysteresis("alerts.proxy_error_pct", "alerts.proxy_error_clear_pct", false);
    hysteresis("alerts.connections_used_pct", "alerts.connections_used_clear_pct", false);
    hysteresis("alerts.kafka_lag", "alerts.kafka_lag_clear", false);
    if (errors->size() != before)
        return std::nullopt;
    return config;
}

}  // namespace fleetdeck::config
