#pragma once

#include "kafkahandles.h"

#include <QString>

struct rd_kafka_mock_cluster_s;

namespace fleetdeck::kafka {

// librdkafka's mock cluster in this process: a real Kafka wire-protocol broker that any client, in
// this process or another (fleetsim, kcat), can reach at bootstrapServers(). For the demo and tests;
// it keeps only a few MiB per partition and does not implement offsets-for-times.
// Thread: main; the brokers run on librdkafka's own threads.
class EmbeddedKafka
{
public:
    EmbeddedKafka() = default;
    ~EmbeddedKafka();
    EmbeddedKafka(const EmbeddedKafka &) = delete;
    EmbeddedKafka &operator=(const EmbeddedKafka &) = delete;

    [[nodiscard]] bool start(int brokerCount, QString *error);
    [[nodiscard]] bool createTopic(const QString &topic, int partitions, QString *error);
    [[nodiscard]] QString bootstrapServers() const { return m_bootstrapServers; }
    [[nodiscard]] bool isRunning() const { return m_cluster != nullptr; }

    // Takes every broker down or up, to rehearse a broker outage.
    void setBrokersUp(bool up);

private:
    KafkaHandle m_owner;  // the mock cluster lives inside this handle
    rd_kafka_mock_cluster_s *m_cluster = nullptr;
    int m_brokerCount = 0;
    QString m_bootstrapServers;
};

}  // namespace fleetdeck::kafka
