#include "kafkasettings.h"

namespace fleetdeck::kafka {
namespace {

// A connection that stops answering without being closed (a broker paused or cut off by the network,
// or librdkafka's mock cluster taking its brokers down) holds its requests until this timeout, and
// only then reconnects: at librdkafka's 60 s, telemetry resumed a minute after the brokers were
// back (bench_outage). No request here should take seconds: fetches wait 10 ms, batches are small.
const QString kSocketTimeoutMs = QStringLiteral("10000");

QMap<QString, QString> withOverrides(QMap<QString, QString> defaults, const KafkaSettings &settings)
{
    defaults.insert(QStringLiteral("bootstrap.servers"), settings.bootstrapServers);
    for (auto it = settings.properties.cbegin(); it != settings.properties.cend(); ++it)
        defaults.insert(it.key(), it.value());
    return defaults;
}

}  // namespace

QMap<QString, QString> consumerProperties(const KafkaSettings &settings)
{
    QMap<QString, QString> defaults = withOverrides(
        {
            // Every backend replica reads every partition (assign, no group), so no offsets are
            // committed; a group id is still required by librdkafka's consumer.
            {QStringLiteral("group.id"), QStringLiteral("fleetdeck")},
            {QStringLiteral("enable.auto.commit"), QStringLiteral("false")},
            {QStringLiteral("enable.auto.offset.store"), QStringLiteral("false")},
            // Brokers (and librdkafka's mock cluster) hold an empty fetch this long: keep it short.
            {QStringLiteral("fetch.wait.max.ms"), QStringLiteral("10")},
            {QStringLiteral("fetch.error.backoff.ms"), QStringLiteral("50")},
            // Prefetch deep enough that the fetcher never waits on the application: at librdkafka's
            // default (100k) a busy consumer starves between fetches and ingest drops to a quarter
            // (bench_ingest). Memory stays bounded by queued.max.messages.kbytes.
            {QStringLiteral("queued.min.messages"), QStringLiteral("1000000")},
            // Reaching a partition's end is how a reader knows it has caught up (readiness).
            {QStringLiteral("enable.partition.eof"), QStringLiteral("true")},
            // Small requests must not wait for Nagle's algorithm: teleop commands and acks are tiny.
            {QStringLiteral("socket.nagle.disable"), QStringLiteral("true")},
            {QStringLiteral("reconnect.backoff.max.ms"), QStringLiteral("2000")},
            {QStringLiteral("socket.timeout.ms"), kSocketTimeoutMs},
        },
        settings);
    for (auto it = settings.consumerOnly.cbegin(); it != settings.consumerOnly.cend(); ++it) {
        if (!settings.properties.contains(it.key()))
            defaults.insert(it.key(), it.value());
    }
    return defaults;
}

QMap<QString, QString> producerProperties(const KafkaSettings &settings)
{
    return withOverrides(
        {
            {QStringLiteral("linger.ms"), QStringLiteral("5")},
            {QStringLiteral("socket.nagle.disable"), QStringLiteral("true")},
            {QStringLiteral("queue.buffering.max.messages"), QStringLiteral("1000000")},
            {QStringLiteral("compression.type"), QStringLiteral("lz4")},
            {QStringLiteral("reconnect.backoff.max.ms"), QStringLiteral("2000")},
            {QStringLiteral("socket.timeout.ms"), kSocketTimeoutMs},
        },
        settings);
}

}  // namespace fleetdeck::kafka
