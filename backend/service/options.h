#pragma once

#include "kafkasettings.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QString>

#include <optional>

// fleetsim's command-line options, with values checked so that a bad one stops start-up with a message
// naming the option. (fleetdeckd reads file, environment and flags through daemonconfig.h.)
namespace fleetdeck::options {

struct KafkaOptions {
    QCommandLineOption brokers{QStringLiteral("brokers"),
                               QStringLiteral("Kafka bootstrap servers (host:port,…). Empty: start the embedded broker."),
                               QStringLiteral("list")};
    QCommandLineOption property{QStringLiteral("kafka-property"),
                                QStringLiteral("librdkafka property passed through, e.g. security.protocol=SASL_SSL (repeatable)."),
                                QStringLiteral("key=value")};
    QCommandLineOption topicPrefix{QStringLiteral("topic-prefix"),
                                   QStringLiteral("Prefix for every topic name (e.g. staging.)."),
                                   QStringLiteral("prefix")};

    void addTo(QCommandLineParser *parser) const;
    // False with `error` naming the option when a value is malformed.
    [[nodiscard]] bool read(const QCommandLineParser &parser, kafka::KafkaSettings *settings, QString *error) const;
};

// Puts `prefix` before every topic name (staging. → staging.fleet.telemetry).
void applyTopicPrefix(const QString &prefix, kafka::Topics *topics);

// An integer option within [min, max], or nullopt with `error` naming it.
[[nodiscard]] std::optional<int> intValue(const QCommandLineParser &parser, const QCommandLineOption &option,
                                          int min, int max, QString *error);

}  // namespace fleetdeck::options
