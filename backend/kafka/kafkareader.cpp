#include "kafkareader.h"

#include "clock.h"
#include "logging.h"

#include <QElapsedTimer>
#include <QThread>

#include <vector>

namespace fleetdeck::kafka {
namespace {
constexpr int kMetadataTimeoutMs = 10'000;
constexpr int kPollTimeoutMs = 100;
constexpr std::size_t kMaxBatch = 4096;
constexpr int kReachabilityProbeMs = 1000;
// Where seeking by time finds nothing: read at most this many of a partition's last messages.
constexpr qint64 kTailMessages = 100'000;
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
                        BatchHandler handler, QString *error, std::int64_t startTimeUnixMs)
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
    m_partitionCount = partitions;
    m_positions = std::make_unique<std::atomic<qint64>[]>(static_cast<std::size_t>(partitions));
    m_targetOffsets.assign(static_cast<std::size_t>(partitions), 0);
    m_lowOffsets.assign(static_cast<std::size_t>(partitions), 0);
    const QByteArray name = topic.toUtf8();
    for (int p = 0; p < partitions; ++p) {
        m_positions[static_cast<std::size_t>(p)] = -1;
        std::int64_t low = 0, high = 0;
        // What is there now is what "caught up" means for readiness.
        if (startAt != StartAt::End
            && rd_kafka_query_watermark_offsets(m_consumer.get(), name.constData(), p, &low, &high, kMetadataTimeoutMs)
                == RD_KAFKA_RESP_ERR_NO_ERROR)
        {
            m_targetOffsets[static_cast<std::size_t>(p)] = high;
            m_lowOffsets[static_cast<std::size_t>(p)] = low;
        }
    }
    PartitionList assignment(rd_kafka_topic_partition_list_new(partitions));
    for (int p = 0; p < partitions; ++p)
        rd_kafka_topic_partition_list_add(assignment.get(), name.constData(), p);
    applyStartPosition(assignment.get(), startAt, startTimeUnixMs);
    if (const rd_kafka_resp_err_t err = rd_kafka_assign(m_consumer.get(), assignment.get())) {
        *error = QStringLiteral("cannot assign %1: %2").arg(topic, QString::fromUtf8(rd_kafka_err2str(err)));
        return false;
    }

    m_stopping = false;
    checkCaughtUp();
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
    QElapsedTimer sinceProbe;
    sinceProbe.start();
    while (!m_stopping.load(std::memory_order_relaxed)) {
        // librdkafka says when every broker is down but not when one is back; an idle topic brings
        // no message to say so either. Ask for metadata now and then until a broker answers.
        if (!m_brokerReachable.load() && sinceProbe.elapsed() >= kReachabilityProbeMs) {
            sinceProbe.restart();
            const rd_kafka_metadata_t *metadata = nullptr;
            if (rd_kafka_metadata(m_consumer.get(), 0, nullptr, &metadata, kReachabilityProbeMs / 2) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                rd_kafka_metadata_destroy(metadata);
                setBrokerReachable(true);
            }
        }
        int timeoutMs = kPollTimeoutMs;
        while (batch.size() < kMaxBatch) {
            rd_kafka_message_t *message = rd_kafka_consumer_poll(m_consumer.get(), timeoutMs);
            if (!message)
                break;
            timeoutMs = 0;
            if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                // The end of a partition counts as caught up even where the last offsets are
                // transaction markers, which are never delivered as messages.
                if (message->partition >= 0 && message->partition < m_partitionCount)
                    m_targetOffsets[static_cast<std::size_t>(message->partition)] = 0;
                rd_kafka_message_destroy(message);
                if (!m_caughtUp.load(std::memory_order_relaxed))
                    checkCaughtUp();
                continue;
            }
            if (message->err) {
                quint64 suppressed = 0;
                if (m_errorLog.shouldLog(SystemClock().nowUnixMs(), &suppressed))
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
        for (const rd_kafka_message_t *message : batch) {
            if (message->partition >= 0 && message->partition < m_partitionCount)
                m_positions[static_cast<std::size_t>(message->partition)].store(message->offset + 1, std::memory_order_relaxed);
        }
        if (!m_caughtUp.load(std::memory_order_relaxed))
            checkCaughtUp();
        m_handler(batch.data(), batch.size());
        for (rd_kafka_message_t *message : batch)
            rd_kafka_message_destroy(message);
        batch.clear();
    }
}

void KafkaReader::applyStartPosition(rd_kafka_topic_partition_list_t *assignment, StartAt startAt,
                                     std::int64_t startTimeUnixMs)
{
    for (int i = 0; i < assignment->cnt; ++i)
        assignment->elems[i].offset = startAt == StartAt::End ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
    if (startAt != StartAt::Time)
        return;
    PartitionList query(rd_kafka_topic_partition_list_copy(assignment));
    for (int i = 0; i < query->cnt; ++i)
        query->elems[i].offset = startTimeUnixMs;  // offsets_for_times takes the timestamp in .offset
    const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(m_consumer.get(), query.get(), kMetadataTimeoutMs);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        qCInfo(lcKafka).noquote() << m_topic << ": the broker cannot seek by time ("
                                  << rd_kafka_err2str(err) << "); reading all it retains";
        return;
    }
    for (int i = 0; i < query->cnt; ++i) {
        if (query->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR)
            continue;
        const auto partition = static_cast<std::size_t>(assignment->elems[i].partition);
        qint64 offset = query->elems[i].offset;
        // -1: nothing newer than the start time (or a broker that cannot tell, like the mock
        // cluster). The partition's tail still holds the last known state of robots that went
        // silent, which a console must show as lost rather than not at all.
        if (offset < 0)
            offset = std::max(m_lowOffsets[partition], m_targetOffsets[partition] - kTailMessages);
        assignment->elems[i].offset = offset;
        if (offset >= m_targetOffsets[partition])
            m_targetOffsets[partition] = 0;  // nothing to read before the start-time high watermark
    }
}

void KafkaReader::checkCaughtUp()
{
    for (int p = 0; p < m_partitionCount; ++p) {
        const auto index = static_cast<std::size_t>(p);
        const qint64 position = m_positions[index].load(std::memory_order_relaxed);
        if (m_targetOffsets[index] > 0 && position < m_targetOffsets[index])
            return;
    }
    if (!m_caughtUp.exchange(true))
        QMetaObject::invokeMethod(this, [this] { Q_EMIT caughtUp(); }, Qt::QueuedConnection);
}

std::vector<KafkaReader::PartitionState> KafkaReader::partitionStates() const
{
    std::vector<PartitionState> states;
    if (!m_consumer)
        return states;
    const QByteArray name = m_topic.toUtf8();
    for (int p = 0; p < m_partitionCount; ++p) {
        PartitionState state;
        state.partition = p;
        state.position = m_positions[static_cast<std::size_t>(p)].load(std::memory_order_relaxed);
        std::int64_t low = 0, high = -1;
        if (rd_kafka_get_watermark_offsets(m_consumer.get(), name.constData(), p, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR)
            state.highWatermark = high >= 0 ? high : -1;
        states.push_back(state);
    }
    return states;
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
