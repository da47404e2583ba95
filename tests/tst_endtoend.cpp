// The whole loop with real parts: librdkafka's mock cluster (real Kafka protocol), the simulator
// publishing through a real producer, the backend's consumer thread, the WebSocket server, and a
// real console client.

#include "clock.h"
#include "codec.h"
#include "embeddedkafka.h"
#include "fleetclient.h"
#include "fleetserver.h"
#include "fleetsimulator.h"
#include "geo.h"
#include "kafkaproducer.h"
#include "simulatorrunner.h"
#include "streetgraph.h"
#include "telemetryingest.h"
#include "websockettransport.h"

#include <QTest>

using namespace fleetdeck;

class TestEndToEnd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void simulatorToConsoleThroughKafka()
    {
        QString error;
        kafka::EmbeddedKafka cluster;
        QVERIFY2(cluster.start(1, &error), qPrintable(error));
        kafka::KafkaSettings settings;
        settings.bootstrapServers = cluster.bootstrapServers();
        for (const QString &topic : {settings.topics.telemetry, settings.topics.commands, settings.topics.commandAcks})
            QVERIFY2(cluster.createTopic(topic, 3, &error), qPrintable(error));

        SystemClock clock;
        TelemetryMailbox mailbox;
        FleetServer server(FleetServer::Settings{}, &mailbox, &clock);
        QVERIFY2(server.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        kafka::TelemetryIngest ingest(&mailbox);
        QVERIFY2(ingest.start(settings, kafka::KafkaReader::StartAt::Beginning, &error), qPrintable(error));
        server.startTicking();

        // Garbage on the telemetry topic is counted and skipped; the stream goes on.
        kafka::KafkaProducer vandal;
        QVERIFY2(vandal.start(settings, &error), qPrintable(error));
        QVERIFY(vandal.produce(settings.topics.telemetry, "nb-bogus", QByteArray("\xff\xfe\xfd not protobuf", 17)));
        vandal.flush(5000);

        const auto graph = sim::StreetGraph::loadShipped(&error);
        QVERIFY2(graph, qPrintable(error));
        sim::FleetSimulator::Config config;
        config.robotCount = 60;
        config.seed = 7;
        sim::FleetSimulator simulator(*graph, config);
        sim::SimulatorRunner runner(&simulator, &clock);
        QVERIFY2(runner.start(settings, 100, 0, &error), qPrintable(error));

        SystemClock consoleClock;
        WebSocketTransport transport;
        FleetClient client(&transport, &consoleClock);
        client.setUrl(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(server.port())));

        QTRY_COMPARE_WITH_TIMEOUT(client.robots()->rowCount(), 60, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(ingest.decodeErrorCount() == 1, 10000);
        QCOMPARE(client.state(), FleetClient::ConnectionState::Live);

        // Let a few seconds of deltas flow, then compare the console's view with the simulator's truth.
        const quint64 deltasBefore = client.stats().deltas;
        QTRY_VERIFY_WITH_TIMEOUT(client.stats().deltas > deltasBefore + 20, 10000);
        QCOMPARE(client.stats().gaps, quint64(0));
        RobotModel *model = client.robots();
        for (std::size_t i = 0; i < simulator.robots().size(); ++i) {
            if (simulator.isOffline(i))
                continue;  // silent on purpose: the console shows it stale, as it should
            const RobotState &truth = simulator.robots()[i];
            const int row = model->rowOf(truth.robotId);
            QVERIFY2(row >= 0, qPrintable(truth.robotId));
            const RobotState &seen = model->robotAt(row);
            // Published at 2 Hz and ticked at 10 Hz, a robot on a sidewalk is at most a few metres ahead.
            const double metres = geo::distanceM({seen.latDeg, seen.lonDeg}, {truth.latDeg, truth.lonDeg});
            QVERIFY2(metres < 10.0, qPrintable(QStringLiteral("%1 is %2 m off").arg(truth.robotId).arg(metres)));
            QCOMPARE(seen.freshness, Freshness::Live);
        }
        QVERIFY(runner.publishedCount() > 60);

        runner.stop();
        ingest.stop();
    }
};

QTEST_GUILESS_MAIN(TestEndToEnd)
#include "tst_endtoend.moc"
