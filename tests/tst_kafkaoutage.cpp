// A broker outage seen by an idle reader (no messages flowing, like the teleop ack topic): the reader
// must say the brokers are gone, and say so again when they are back, without a message to tell it.

#include "embeddedkafka.h"
#include "kafkareader.h"

#include <QSignalSpy>
#include <QTest>

using namespace fleetdeck;

class TestKafkaOutage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void idleReaderNoticesOutageAndRecovery()
    {
        QString error;
        kafka::EmbeddedKafka cluster;
        QVERIFY2(cluster.start(1, &error), qPrintable(error));
        kafka::KafkaSettings settings;
        settings.bootstrapServers = cluster.bootstrapServers();
        settings.properties.insert(QStringLiteral("reconnect.backoff.max.ms"), QStringLiteral("200"));
        QVERIFY2(cluster.createTopic(settings.topics.commandAcks, 1, &error), qPrintable(error));
        kafka::KafkaReader reader;
        QSignalSpy changes(&reader, &kafka::KafkaReader::brokerReachableChanged);
        QVERIFY2(reader.start(settings, settings.topics.commandAcks, kafka::KafkaReader::StartAt::End,
                              [](rd_kafka_message_t *const *, std::size_t) {}, &error),
                 qPrintable(error));
        QVERIFY(reader.isBrokerReachable());

        cluster.setBrokersUp(false);
        QTRY_VERIFY_WITH_TIMEOUT(!reader.isBrokerReachable(), 30000);
        cluster.setBrokersUp(true);
        QTRY_VERIFY_WITH_TIMEOUT(reader.isBrokerReachable(), 15000);
        QTRY_COMPARE(changes.count(), 2);
        QCOMPARE(changes.at(0).at(0).toBool(), false);
        QCOMPARE(changes.at(1).at(0).toBool(), true);
        reader.stop();
    }
};

QTEST_GUILESS_MAIN(TestKafkaOutage)
#include "tst_kafkaoutage.moc"
