#pragma once

#include <librdkafka/rdkafka.h>

#include <QMap>
#include <QString>

#include <memory>

// Ownership of librdkafka's C handles, and configuration that checks every property it sets.
namespace fleetdeck::kafka {

struct KafkaDeleter {
    void operator()(rd_kafka_t *rk) const { rd_kafka_destroy(rk); }
    void operator()(rd_kafka_conf_t *conf) const { rd_kafka_conf_destroy(conf); }
    void operator()(rd_kafka_topic_partition_list_t *list) const { rd_kafka_topic_partition_list_destroy(list); }
    void operator()(rd_kafka_message_t *message) const { rd_kafka_message_destroy(message); }
    void operator()(const rd_kafka_metadata_t *metadata) const { rd_kafka_metadata_destroy(metadata); }
    void operator()(rd_kafka_queue_t *queue) const { rd_kafka_queue_destroy(queue); }
};

using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using KafkaMessage = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using KafkaMetadata = std::unique_ptr<const rd_kafka_metadata_t, KafkaDeleter>;

// A configuration with every property applied, or null with the offending key named in `error`.
[[nodiscard]] KafkaConf makeConf(const QMap<QString, QString> &properties, QString *error);

// A producer or consumer handle; takes ownership of `conf` on success.
[[nodiscard]] KafkaHandle makeHandle(rd_kafka_type_t type, KafkaConf conf, QString *error);

// Number of partitions of `topic`, or -1 with `error` set.
[[nodiscard]] int partitionCount(rd_kafka_t *rk, const QString &topic, int timeoutMs, QString *error);

}  // namespace fleetdeck::kafka
