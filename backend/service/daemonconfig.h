#pragma once

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
    // [process]
    bool exitOnStdinEof = false;

    [[nodiscard]] kafka::KafkaSettings kafkaSettings() const;
};

[[nodiscard]] const Schema &daemonSchema();

// The typed settings, or nullopt with `errors` for rules that span keys (each names its keys and
// where they were set). `values` must come from load() with daemonSchema() and no errors.
[[nodiscard]] std::optional<DaemonConfig> daemonConfig(const Values &values, QStringList *errors);

}  // namespace fleetdeck::config
