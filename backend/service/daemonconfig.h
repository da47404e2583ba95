#pragma once

#include "alertengine.h"
#include "config.h"
#include "kafkasettings.h"

#include <QMap>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>

// fleetdeckd's settings: its keys (declared once, in daemonconfig.cpp, with their flags, defaults and
// docs) and the typed struct main() reads them through.
namespace fleetdeck::config {

struct DaemonConfig {
    // [server]
    QString listen;
    int port = 0;
    int tickMs = 0;
    QString tlsCertificate;  // PEM files, both or neither: wss:// and https:// only
    QString tlsPrivateKey;
    QString webRoot;  // a readable directory when not empty
    // [auth]
    QString authMode;  // auto, open or tokens
    QString tokensFile;
    QString tokens;    // inline token lines, ';'-separated (FLEETDECKD_AUTH_TOKENS)
    bool metricsNeedToken = false;
    // [freshness]
    int staleAfterMs = 0;
    int lostAfterMs = 0;
    // [kafka]
    QString brokers;  // empty: the embedded broker
    QString topicPrefix;
    int partitions = 0;
    int replaySeconds = 0;
    bool fromEnd = false;
    QMap<QString, QString> kafkaProperties;
    // [log]
    QString logFormat;
    // [tracing]
    QUrl otlpEndpoint;  // http(s) when not empty
    QString tracingServiceName;
    // [teleop]
    QStringList admins;
    // [infra]
    int infraIntervalMs = 0;
    QString scrapeTargets;  // a readable file when not empty
    QUrl prometheusUrl;     // http(s) when not empty
    // [demo]
    bool demo = false;
    int robots = 0;
    int seed = 0;
    QStringList incidents;  // each parses as a database incident
    QString drill;          // a readable scenario file when not empty; needs demo
    QString drillReport;    // empty: standard output
    int drillGraceS = 0;
    // [process]
    bool exitOnStdinEof = false;
    bool exitAfterDrill = false;  // needs drill
    // [alerts]: each condition fires over one threshold and clears under another, after hold times
    int alertRobotForMs = 0;
    int alertInfraForMs = 0;
    int alertClearForMs = 0;
    int alertStuckAfterMs = 0;
    int alertBatteryLowPct = 0;
    int alertBatteryClearPct = 0;
    int alertLinkRttHighMs = 0;
    int alertLinkRttClearMs = 0;
    int alertAreaStaleMinRobots = 0;
    int alertDbLatencyMs = 0;
    int alertDbLatencyClearMs = 0;
    int alertReplicationLagS = 0;
    int alertReplicationLagClearS = 0;
    int alertProxyErrorPct = 0;
    int alertProxyErrorClearPct = 0;
    int alertConnectionsUsedPct = 0;
    int alertConnectionsUsedClearPct = 0;
    int alertKafkaLag = 0;
    int alertKafkaLagClear = 0;

    [[nodiscard]] kafka::KafkaSettings kafkaSettings() const;
    // auth.mode resolved: tokens unless it says open, or says auto in a demo.
    [[nodiscard]] bool tokensRequired() const;
    [[nodiscard]] alerts::Rules alertRules() const;
};

[[nodiscard]] const Schema &daemonSchema();

// The typed settings, or nullopt with `errors` for rules that span keys (each names its keys and
// where they were set). `values` must come from load() with daemonSchema() and no errors.
[[nodiscard]] std::optional<DaemonConfig> daemonConfig(const Values &values, QStringList *errors);

}  // namespace fleetdeck::config
