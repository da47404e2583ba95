#include "kafkahandles.h"

#include "logging.h"

namespace fleetdeck::kafka {
namespace {

// librdkafka's own lines (a broker unreachable, a property that does not apply) go through Qt's
// logging like ours, so they carry the same format: JSON lines for Loki, not raw text among them.
// Called on librdkafka's threads; Qt's logging is thread-safe.
void logCallback(const rd_kafka_t *rk, int level, const char *facility, const char *text)
{
    // No librdkafka call here (not even rd_kafka_name): a log callback must not make any.
    (void)rk;
    const QString line = QStringLiteral("librdkafka %1: %2").arg(QString::fromUtf8(facility), QString::fromUtf8(text));
    if (level <= 4)  // syslog levels: emergency .. warning
        qCWarning(lcKafka).noquote() << line;
    else if (level <= 6)  // notice, info
        qCInfo(lcKafka).noquote() << line;
    else
        qCDebug(lcKafka).noquote() << line;
}

}  // namespace

KafkaConf makeConf(const QMap<QString, QString> &properties, QString *error)
{
    KafkaConf conf(rd_kafka_conf_new());
    rd_kafka_conf_set_log_cb(conf.get(), &logCallback);
    char errstr[512];
    for (auto it = properties.cbegin(); it != properties.cend(); ++it) {
        if (rd_kafka_conf_set(conf.get(), it.key().toUtf8().constData(), it.value().toUtf8().constData(),
                              errstr, sizeof errstr)
            != RD_KAFKA_CONF_OK) {
            *error = QStringLiteral("Kafka property %1: %2").arg(it.key(), QString::fromUtf8(errstr));
            return nullptr;
        }
    }
    return conf;
}

KafkaHandle makeHandle(rd_kafka_type_t type, KafkaConf conf, QString *error)
{
    char errstr[512];
    // rd_kafka_new takes ownership of conf only when it succeeds.
    rd_kafka_t *rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
    if (!rk) {
        *error = QStringLiteral("cannot create Kafka client: %1").arg(QString::fromUtf8(errstr));
        return nullptr;
    }
    (void)conf.release();
    return KafkaHandle(rk);
}

int partitionCount(rd_kafka_t *rk, const QString &topic, int timeoutMs, QString *error)
{
    const QByteArray name = topic.toUtf8();
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, name.constData(), nullptr);
    const rd_kafka_metadata_t *raw = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &raw, timeoutMs);
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        *error = QStringLiteral("metadata for topic %1: %2").arg(topic, QString::fromUtf8(rd_kafka_err2str(err)));
        return -1;
    }
    const KafkaMetadata metadata(raw);
    if (metadata->topic_cnt != 1 || metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const auto topicErr = metadata->topic_cnt == 1 ? metadata->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
        *error = QStringLiteral("topic %1: %2").arg(topic, QString::fromUtf8(rd_kafka_err2str(topicErr)));
        return -1;
    }
    return metadata->topics[0].partition_cnt;
}

}  // namespace fleetdeck::kafka
