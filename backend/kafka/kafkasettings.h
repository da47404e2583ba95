#pragma once

#include <QMap>
#include <QString>

namespace fleetdeck::kafka {

struct Topics {
    QString telemetry = QStringLiteral("fleet.telemetry");
    QString events = QStringLiteral("fleet.events");
    QString commands = QStringLiteral("fleet.commands");
    QString commandAcks = QStringLiteral("fleet.command-acks");
    QString audit = QStringLiteral("fleet.audit");
    // Teleop leases shared by all backend replicas, keyed by robot id (see teleop::LeaseTable).
    QString leases = QStringLiteral("fleet.leases");
};

// Where and how to reach Kafka. `properties` are librdkafka configuration passed through as they are
// (security.protocol, sasl.*, ssl.*, …) so production brokers need no code change.
struct KafkaSettings {
    QString bootstrapServers;
    QMap<QString, QString> properties;
    // Consumer settings of ours that producers must not get (librdkafka warns about each); under
    // `properties`, which an operator sets.
    QMap<QString, QString> consumerOnly;
    Topics topics;
};

// Low-latency defaults for a console: small batches, short fetch waits. Caller properties win.
[[nodiscard]] QMap<QString, QString> consumerProperties(const KafkaSettings &settings);
[[nodiscard]] QMap<QString, QString> producerProperties(const KafkaSettings &settings);

}  // namespace fleetdeck::kafka
