#include "options.h"

namespace fleetdeck::options {

void KafkaOptions::addTo(QCommandLineParser *parser) const
{
    parser->addOption(brokers);
    parser->addOption(property);
    parser->addOption(topicPrefix);
}

bool KafkaOptions::read(const QCommandLineParser &parser, kafka::KafkaSettings *settings, QString *error) const
{
    settings->bootstrapServers = parser.value(brokers).trimmed();
    for (const QString &pair : parser.values(property)) {
        const int eq = pair.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            *error = QStringLiteral("--kafka-property \"%1\": expected key=value").arg(pair);
            return false;
        }
        settings->properties.insert(pair.left(eq).trimmed(), pair.mid(eq + 1));
    }
    applyTopicPrefix(parser.value(topicPrefix), &settings->topics);
    return true;
}

void applyTopicPrefix(const QString &prefix, kafka::Topics *topics)
{
    if (prefix.isEmpty())
        return;
    for (QString *topic : {&topics->telemetry, &topics->events, &topics->commands, &topics->commandAcks, &topics->audit,
                            &topics->leases})
        *topic = prefix + *topic;
}

std::optional<int> intValue(const QCommandLineParser &parser, const QCommandLineOption &option, int min, int max,
                            QString *error)
{
    const QString text = parser.value(option);
    bool ok = false;
    const int value = text.toInt(&ok);
    if (!ok || value < min || value > max) {
        *error = QStringLiteral("--%1 \"%2\": expected a whole number from %3 to %4")
                     .arg(option.names().constFirst(), text)
                     .arg(min)
                     .arg(max);
        return std::nullopt;
    }
    return value;
}

}  // namespace fleetdeck::options
