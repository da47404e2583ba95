#include "kafkareader.h"

#include "clock.h"
#include "logging.h"

#include <QThread>

#include <vector>

namespace fleetdeck::kafka {
namespace {
constexpr int kMetadataTimeoutMs = 10'000;
constexpr int kPollTimeoutMs = 100;
constexpr std::size_t kMaxBatch = 4096;
}  // namespace

KafkaReader::KafkaReader(QObject *parent) : QObject(parent) {}

KafkaReader::~KafkaReader()
{
    stop();
}

void KafkaReader::errorCallback(rd_kafka_t *, int err, const char *reason, void *opaque)
{
    auto *self = static_cast<KafkaReader *>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        self->setBrokerReachable(false);
    quint64 suppressed = 0;
    if (self->m_errorLog.shouldLog(SystemClock().nowUnixMs(), &suppressed))
        qCWarning(lcKafka).noquote() << self->m_topic << "reader:" << reason
                                     << (suppressed ? QStringLiteral("(%1 similar suppressed)").arg(suppressed) : QString());
}

void KafkaReader::setBrokerReachable(bool reachable)
{
    if (m_brokerReachable.exchange(reachable) == reachable)
        return;
    QMetaObject::invokeMethod(this, [this, reachable] { Q_EMIT brokerReachableChanged(reachable); },
                              Qt::QueuedConnection);
}

bool KafkaReader::start(const KafkaSettings &settings, const QString &topic, StartAt startAt,
                        BatchHandler handler, QString *error)
{
    m_topic = topic;
    m_handler = std::move(handler);
    KafkaConf conf = makeConf(consumerProperties(settings), error);
    if (!conf)
        return false;
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_error_cb(conf.get(), &KafkaReader::errorCallback);
    m_consumer = makeHandle(RD_KAFKA_CONSUMER, std::move(conf), error);
    if (!m_consumer)
        return false;
    rd_kafka_poll_set_consumer(m_consumer.get());

    const int partitions = partitionCount(m_consumer.get(), topic, kMetadataTimeoutMs, error);
    if (partitions <= 0)
        return false;
    PartitionList assignment(rd_kafka_topic_partition_list_new(partitions));
    const QByteArray name = topic.toUtf8();
    for (int p = 0; p < partitions; ++p) {
        rd_kafka_topic_partition_list_add(assignment.get(), name.constData(), p)->offset =
            startAt == StartAt::Beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    }
    if (const rd_kafka_resp_err_t err = rd_kafka_assign(m_consumer.get(), assignment.get())) {
        *error = QStringLiteral("cannot assign %1: %2").arg(topic, QString::fromUtf8(rd_kafka_err2str(err)));
        return false;
    }

    m_stopping = false;
    m_thread.reset(QThread::create([this] { pollLoop(); }));
    m_thread->setObjectName(QStringLiteral("kafka:") + topic);
    m_thread->start();
    qCInfo(lcKafka).noquote() << "reading" << topic << "from" << partitions << "partitions";
    return true;
}

void KafkaReader::pollLoop()
{
    std::vector<rd_kafka_message_t *> batch;
    batch.reserve(kMaxBatch);
    while (!m_stopping.load(std::memory_order_relaxed)) {
        int timeoutMs = kPollTimeoutMs;
        while (batch.size() < kMaxBatch) {
            rd_kafka_message_t *message = rd_kafka_consumer_poll(m_consumer.get(), timeoutMs);
            if (!message)
                break;
            timeoutMs = 0;
            if (message->err) {
                quint64 suppressed = 0;
                if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF
                    && m_errorLog.shouldLog(SystemClock().nowUnixMs(), &suppressed))
                    qCWarning(lcKafka).noquote() << m_topic << "consume error:" << rd_kafka_message_errstr(message);
                rd_kafka_message_destroy(message);
                continue;
            }
            batch.push_back(message);
        }
        if (batch.empty())
            continue;
        setBrokerReachable(true);
        m_messages.fetch_add(batch.size(), std::memory_order_relaxed);
        m_handler(batch.data(), batch.size());
        for (rd_kafka_message_t *message : batch)
            rd_kafka_message_destroy(message);
        batch.clear();
    }
}

void KafkaReader::stop()
{
    if (m_thread) {
        m_stopping = true;
        m_thread->wait();
        m_thread.reset();
    }
    if (m_consumer) {
        rd_kafka_consumer_close(m_consumer.get());
        m_consumer.reset();
    }
}

}  // namespace fleetdeck::kafka
