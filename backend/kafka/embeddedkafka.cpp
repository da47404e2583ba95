#include "embeddedkafka.h"

#include "logging.h"

#include <librdkafka/rdkafka_mock.h>

namespace fleetdeck::kafka {

EmbeddedKafka::~EmbeddedKafka()
{
    if (m_cluster)
        rd_kafka_mock_cluster_destroy(m_cluster);
}

bool EmbeddedKafka::start(int brokerCount, QString *error)
{
    KafkaConf conf = makeConf({{QStringLiteral("log_level"), QStringLiteral("3")}}, error);
    if (!conf)
        return false;
    m_owner = makeHandle(RD_KAFKA_PRODUCER, std::move(conf), error);
    if (!m_owner)
        return false;
    m_cluster = rd_kafka_mock_cluster_new(m_owner.get(), brokerCount);
    if (!m_cluster) {
        *error = QStringLiteral("cannot start the embedded Kafka cluster");
        return false;
    }
    m_brokerCount = brokerCount;
    m_bootstrapServers = QString::fromUtf8(rd_kafka_mock_cluster_bootstraps(m_cluster));
    qCInfo(lcKafka).noquote() << "embedded Kafka running at" << m_bootstrapServers;
    return true;
}

bool EmbeddedKafka::createTopic(const QString &topic, int partitions, QString *error)
{
    const rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
        m_cluster, topic.toUtf8().constData(), partitions, std::min(m_brokerCount, 3));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        *error = QStringLiteral("cannot create topic %1: %2").arg(topic, QString::fromUtf8(rd_kafka_err2str(err)));
        return false;
    }
    return true;
}

void EmbeddedKafka::setBrokersUp(bool up)
{
    for (int broker = 1; broker <= m_brokerCount; ++broker) {
        if (up)
            rd_kafka_mock_broker_set_up(m_cluster, broker);
        else
            rd_kafka_mock_broker_set_down(m_cluster, broker);
    }
}

}  // namespace fleetdeck::kafka
