#include "kafkaproducer.h"

#include "logging.h"

namespace fleetdeck::kafka {
namespace {
constexpr int kPollIntervalMs = 50;
}

KafkaProducer::KafkaProducer(QObject *parent) : QObject(parent)
{
    m_pollTimer.setInterval(kPollIntervalMs);
    connect(&m_pollTimer, &QTimer::timeout, this, [this] { rd_kafka_poll(m_producer.get(), 0); });
}

KafkaProducer::~KafkaProducer()
{
    if (m_producer)
        flush(2000);
}

bool KafkaProducer::start(const KafkaSettings &settings, QString *error)
{
    KafkaConf conf = makeConf(producerProperties(settings), error);
    if (!conf)
        return false;
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaProducer::deliveryCallback);
    m_producer = makeHandle(RD_KAFKA_PRODUCER, std::move(conf), error);
    if (!m_producer)
        return false;
    m_pollTimer.start();
    return true;
}

void KafkaProducer::deliveryCallback(rd_kafka_t *, const rd_kafka_message_t *message, void *opaque)
{
    auto *self = static_cast<KafkaProducer *>(opaque);
    if (message->err) {
        if (self->m_failed.fetch_add(1, std::memory_order_relaxed) % 1000 == 0)
            qCWarning(lcKafka).noquote() << "delivery failed:" << rd_kafka_err2str(message->err);
    } else {
        self->m_delivered.fetch_add(1, std::memory_order_relaxed);
    }
}

bool KafkaProducer::prepareTopic(const QString &topic, int timeoutMs, QString *error)
{
    return partitionCount(m_producer.get(), topic, timeoutMs, error) > 0;
}

bool KafkaProducer::produce(const QString &topic, const QByteArray &key, const QByteArray &payload,
                            QString *error)
{
    return produce(topic, key, payload, {}, error);
}

bool KafkaProducer::produce(const QString &topic, const QByteArray &key, const QByteArray &payload,
                            const Headers &headers, QString *error)
{
    const QByteArray topicName = topic.toUtf8();
    rd_kafka_headers_t *kafkaHeaders = nullptr;
    if (!headers.isEmpty()) {
        kafkaHeaders = rd_kafka_headers_new(static_cast<std::size_t>(headers.size()));
        for (const auto &[name, value] : headers)
            rd_kafka_header_add(kafkaHeaders, name.constData(), name.size(), value.constData(), value.size());
    }
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        m_producer.get(), RD_KAFKA_V_TOPIC(topicName.constData()),
        RD_KAFKA_V_KEY(key.constData(), static_cast<std::size_t>(key.size())),
        RD_KAFKA_V_VALUE(const_cast<char *>(payload.constData()), static_cast<std::size_t>(payload.size())),
        RD_KAFKA_V_HEADERS(kafkaHeaders), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        // The message owns its headers only once it is queued.
        if (kafkaHeaders)
            rd_kafka_headers_destroy(kafkaHeaders);
        if (error)
            *error = QString::fromUtf8(rd_kafka_err2str(err));
        m_failed.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    return true;
}

bool KafkaProducer::flush(int timeoutMs)
{
    return rd_kafka_flush(m_producer.get(), timeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

int KafkaProducer::queuedCount() const
{
    return rd_kafka_outq_len(m_producer.get());
}

}  // namespace fleetdeck::kafka
