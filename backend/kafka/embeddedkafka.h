#pragma once

#include "kafkahandles.h"
#include "kafkasettings.h"

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

    // The mock broker answers a Fetch that finds nothing new only when the consumer's whole
    // fetch.wait.max.ms has passed, even if data arrives meanwhile (a real broker answers as soon as it
    // does), so every consumer hop of a teleop round trip waited ~10 ms more here than on real Kafka
    // (bench_teleop: Kafka leg p50 18 ms with the default wait, 3 ms with 1 ms). Readers whose latency
    // matters (commands at the robots, acks at the backend) get this on the embedded cluster only:
    // against real brokers it would be a thousand idle fetches a second.
    // (An operator's own kafka.properties still win.)
    static void tuneLatencyCriticalReader(KafkaSettings *settings)
    {
        settings->consumerOnly.insert(QStringLiteral("fetch.wait.max.ms"), QStringLiteral("1"));
    }

private:
    KafkaHandle m_owner;  // the mock cluster lives inside this handle
    rd_kafka_mock_cluster_s *m_cluster = nullptr;
    int m_brokerCount = 0;
    QString m_bootstrapServers;
};

}  // namespace fleetdeck::kafka
