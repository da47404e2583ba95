// W3C trace context on teleop: the console's traceparent parsed by the rules, the backend's spans for
// a command joined to it, the command for the robot carrying the publish span's context (in the
// payload and as a Kafka header), lease audit records naming the trace, and the OTLP/HTTP export to a
// collector — a real HTTP server here, since no OpenTelemetry collector is packaged for Debian 12.

#include "embeddedkafka.h"
#include "kafkaproducer.h"
#include "kafkareader.h"
#include "otlpexporter.h"
#include "teleoprouter.h"
#include "tracecontext.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace fleetdeck;

namespace {

const QByteArray kConsoleTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const QByteArray kConsoleSpan = "00f067aa0ba902b7";
const std::string kTraceparent = "00-" + kConsoleTrace.toStdString() + "-" + kConsoleSpan.toStdString() + "-01";

// Teleop as fleetdeckd wires it, minus Kafka: commands, audit records and spans go to lists.
struct Teleop {
    ManualClock clock;
    teleop::LeaseManager leases{clock};
    teleop::CommandGate gate{leases, clock};
    std::vector<fleet::v1::Command> commands;
    std::vector<QJsonObject> audit;
    std::vector<Span> spans;
    QList<fleet::v1::ServerMessage> toConsole;
    TeleopRouter router{&leases, &gate, &clock,
                        TeleopRouter::Outbox{[this](quint64, const fleet::v1::ServerMessage &m) { toConsole.append(m); },
                                             [](const fleet::v1::ServerMessage &) {}},
                        [this](const fleet::v1::Command &command) {
                            commands.push_back(command);
                            return true;
                        },
                        [this](const QByteArray &json) { audit.push_back(QJsonDocument::fromJson(json).object()); }};
    TeleopRouter::Console alice{1, QStringLiteral("alice"), teleop::Role::Operator};
    QString leaseId;
    std::uint64_t sequence = 0;

    Teleop()
    {
        router.setSpanSink([this](Span span) { spans.push_back(std::move(span)); });
    }

    void takeControl(const std::string &traceparent)
    {
        fleet::v1::AcquireLease acquire;
        acquire.set_robot_id("nb-0042");
        acquire.set_traceparent(traceparent);
        router.acquire(alice, acquire);
        QVERIFY(!toConsole.isEmpty() && toConsole.last().lease_result().granted());
        leaseId = QString::fromStdString(toConsole.last().lease_result().lease().lease_id());
    }

    void drive(const std::string &traceparent, float mps = 1.0F)
    {
        fleet::v1::TeleopCommand command;
        command.set_kind(fleet::v1::TeleopCommand::KIND_DRIVE);
        command.set_robot_id("nb-0042");
        command.set_lease_id(leaseId.toStdString());
        command.set_sequence(++sequence);
        command.set_sent_unix_ms(clock.nowUnixMs());
        command.set_linear_mps(mps);
        command.set_traceparent(traceparent);
        router.command(alice, command);
    }

    // A copy: later spans may move the vector.
    std::optional<Span> span(const QString &name) const
    {
        for (const Span &s : spans) {
            if (s.name == name)
                return s;
        }
        return std::nullopt;
    }
};

QVariant attribute(const Span &span, const QString &name)
{
    for (const auto &[key, value] : span.attributes) {
        if (key == name)
            return value;
    }
    return {};
}

}  // namespace

class TestTracing : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void traceparentIsParsedByTheRules_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<bool>("sampled");
        QTest::newRow("w3c example") << QByteArray("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") << true << true;
        QTest::newRow("not sampled") << QByteArray("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00") << true << false;
        QTest::newRow("other flags kept apart") << QByteArray("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09") << true << true;
        QTest::newRow("future version, more fields") << QByteArray("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds") << true << true;
        QTest::newRow("version 00 with more") << QByteArray("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x") << false << false;
        QTest::newRow("future version glued") << QByteArray("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x") << false << false;
        QTest::newRow("version ff") << QByteArray("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") << false << false;
        QTest::newRow("upper case") << QByteArray("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01") << false << false;
        QTest::newRow("zero trace") << QByteArray("00-00000000000000000000000000000000-00f067aa0ba902b7-01") << false << false;
        QTest::newRow("zero span") << QByteArray("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01") << false << false;
        QTest::newRow("short") << QByteArray("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01") << false << false;
        QTest::newRow("not hex") << QByteArray("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01") << false << false;
        QTest::newRow("wrong separators") << QByteArray("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01") << false << false;
        QTest::newRow("empty") << QByteArray() << false << false;
    }

    void traceparentIsParsedByTheRules()
    {
        QFETCH(QByteArray, header);
        QFETCH(bool, valid);
        QFETCH(bool, sampled);
        const std::optional<TraceContext> context = TraceContext::parse({header.constData(), std::size_t(header.size())});
        QCOMPARE(context.has_value(), valid);
        if (!valid)
            return;
        QCOMPARE(context->traceId, header.mid(3, 32));
        QCOMPARE(context->spanId, header.mid(36, 16));
        QCOMPARE(context->sampled, sampled);
        // What we send on is always version 00, whatever version came in.
        QCOMPARE(context->traceparent(), "00-" + header.mid(3, 49) + (sampled ? "-01" : "-00"));
    }

    void newContextsAreValidAndDistinct()
    {
        const TraceContext a = TraceContext::newTrace();
        const TraceContext b = TraceContext::newTrace(false);
        QVERIFY(a.isValid());
        QVERIFY(b.isValid());
        QVERIFY(a.traceId != b.traceId);
        QVERIFY(!b.sampled);
        const TraceContext child = a.child();
        QCOMPARE(child.traceId, a.traceId);
        QVERIFY(child.spanId != a.spanId);
        QVERIFY(TraceContext::parse(a.traceparent().toStdString()).has_value());
    }

    void aCommandIsFollowedFromConsoleToRobotAndBack()
    {
        Teleop t;
        t.takeControl(kTraceparent);
        t.clock.advance(50);
        t.drive(kTraceparent);

        QCOMPARE(t.commands.size(), std::size_t(1));
        const std::optional<TraceContext> carried = TraceContext::parse(t.commands[0].traceparent());
        QVERIFY2(carried, t.commands[0].traceparent().c_str());
        QCOMPARE(carried->traceId, kConsoleTrace);

        const std::optional<Span> command = t.span(QStringLiteral("teleop.command"));
        QVERIFY(command);
        QCOMPARE(command->kind, Span::Kind::Server);
        QCOMPARE(command->context.traceId, kConsoleTrace);
        QCOMPARE(command->parentSpanId, kConsoleSpan);
        QVERIFY(!command->failed);
        QCOMPARE(attribute(*command, QStringLiteral("fleetdeck.robot_id")).toString(), QStringLiteral("nb-0042"));
        QCOMPARE(attribute(*command, QStringLiteral("fleetdeck.operator")).toString(), QStringLiteral("alice"));
        QCOMPARE(attribute(*command, QStringLiteral("fleetdeck.command.kind")).toString(), QStringLiteral("drive"));
        QCOMPARE(attribute(*command, QStringLiteral("fleetdeck.command.accepted")).toBool(), true);
        QVERIFY(command->endUnixNs >= command->startUnixNs);
        QVERIFY(!t.span(QStringLiteral("fleet.commands publish")));  // not before the robot answers

        // The robot echoes the context; the publish span ends with the ack, child of the command span,
        // under the very id the robot was given.
        t.clock.advance(42);
        fleet::v1::CommandAck ack;
        ack.set_robot_id("nb-0042");
        ack.set_sequence(t.commands[0].sequence());
        ack.set_result(fleet::v1::CommandAck::RESULT_APPLIED);
        ack.set_traceparent(t.commands[0].traceparent());
        t.router.acknowledged(ack);
        const std::optional<Span> publish = t.span(QStringLiteral("fleet.commands publish"));
        QVERIFY(publish);
        QCOMPARE(publish->kind, Span::Kind::Producer);
        QCOMPARE(publish->context.traceId, kConsoleTrace);
        QCOMPARE(publish->context.spanId, carried->spanId);
        QCOMPARE(publish->parentSpanId, command->context.spanId);
        QCOMPARE(publish->endUnixNs - publish->startUnixNs, std::int64_t(42'000'000));
        QCOMPARE(attribute(*publish, QStringLiteral("fleetdeck.ack.result")).toString(), QStringLiteral("applied"));
        QCOMPARE(attribute(*publish, QStringLiteral("fleetdeck.round_trip_ms")).toLongLong(), 42);
        QVERIFY(!publish->failed);
    }

    void refusalsAndLostAcksAreFailedSpans()
    {
        Teleop t;
        t.takeControl(kTraceparent);
        t.drive(kTraceparent, 1.0F);
        t.sequence = 0;  // a replayed sequence: refused by the gate
        t.spans.clear();
        t.drive(kTraceparent, 1.0F);
        QCOMPARE(t.spans.size(), std::size_t(1));
        QVERIFY(t.spans[0].failed);
        QVERIFY(!t.spans[0].statusMessage.isEmpty());
        QCOMPARE(attribute(t.spans[0], QStringLiteral("fleetdeck.command.accepted")).toBool(), false);

        // The first drive's ack never comes: its publish span ends failed when the router gives up on it.
        t.spans.clear();
        t.clock.advance(11'000);
        t.router.expireLeases();
        const std::optional<Span> publish = t.span(QStringLiteral("fleet.commands publish"));
        QVERIFY(publish);
        QVERIFY(publish->failed);
        QVERIFY2(publish->statusMessage.contains(QStringLiteral("no acknowledgement")), qPrintable(publish->statusMessage));
    }

    void aBadOrMissingTraceparentStartsATraceOfItsOwn()
    {
        Teleop t;
        t.takeControl({});
        t.drive("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
        QCOMPARE(t.commands.size(), std::size_t(1));  // the command itself is not refused for it
        const std::optional<Span> command = t.span(QStringLiteral("teleop.command"));
        QVERIFY(command);
        QVERIFY(command->context.isValid());
        QVERIFY(command->context.traceId != "4bf92f3577b34da6a3ce929d0e0e4736");
        QVERIFY(command->parentSpanId.isEmpty());
        QCOMPARE(TraceContext::parse(t.commands[0].traceparent())->traceId, command->context.traceId);
    }

    void leaseAuditRecordsAndTheBackendsStopJoinTheSession()
    {
        Teleop t;
        t.takeControl(kTraceparent);
        QCOMPARE(t.audit.size(), std::size_t(1));
        QCOMPARE(t.audit[0].value(QStringLiteral("event")).toString(), QStringLiteral("lease_acquired"));
        QCOMPARE(t.audit[0].value(QStringLiteral("trace_id")).toString(), QString::fromLatin1(kConsoleTrace));

        fleet::v1::ReleaseLease release;
        release.set_lease_id(t.leaseId.toStdString());
        t.router.release(t.alice, release);
        QVERIFY(!t.commands.empty());
        const fleet::v1::Command &stop = t.commands.back();
        QVERIFY(stop.has_stop());
        QCOMPARE(TraceContext::parse(stop.traceparent())->traceId, kConsoleTrace);
        QCOMPARE(t.audit.back().value(QStringLiteral("event")).toString(), QStringLiteral("lease_ended"));
        QCOMPARE(t.audit.back().value(QStringLiteral("trace_id")).toString(), QString::fromLatin1(kConsoleTrace));
    }

    // The robot's consumer (or an OpenTelemetry Kafka instrumentation) finds the context in the
    // record's `traceparent` header as well as in the payload.
    void theCommandRecordCarriesATraceparentHeader()
    {
        QString error;
        kafka::EmbeddedKafka cluster;
        QVERIFY2(cluster.start(1, &error), qPrintable(error));
        kafka::KafkaSettings settings;
        settings.bootstrapServers = cluster.bootstrapServers();
        QVERIFY2(cluster.createTopic(settings.topics.commands, 1, &error), qPrintable(error));
        kafka::KafkaProducer producer;
        QVERIFY2(producer.start(settings, &error), qPrintable(error));
        const QByteArray traceparent = TraceContext::newTrace().traceparent();
        QVERIFY(producer.produce(settings.topics.commands, "nb-0042", "payload", {{"traceparent", traceparent}}, &error));
        QVERIFY(producer.flush(10'000));

        QByteArray seen;
        kafka::KafkaReader reader;
        QVERIFY2(reader.start(settings, settings.topics.commands, kafka::KafkaReader::StartAt::Beginning,
                              [&seen](rd_kafka_message_t *const *messages, std::size_t count) {
                                  for (std::size_t i = 0; i < count; ++i) {
                                      rd_kafka_headers_t *headers = nullptr;
                                      const void *value = nullptr;
                                      std::size_t size = 0;
                                      if (rd_kafka_message_headers(messages[i], &headers) == RD_KAFKA_RESP_ERR_NO_ERROR
                                          && rd_kafka_header_get_last(headers, "traceparent", &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR)
                                          QMetaObject::invokeMethod(qApp, [&seen, h = QByteArray(static_cast<const char *>(value), int(size))] { seen = h; });
                                  }
                              },
                              &error),
                 qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(seen, traceparent, 15000);
        reader.stop();
    }

    void spansReachACollectorAsOtlpJson()
    {
        // A collector: answers each POST with `status`, keeps the bodies.
        QTcpServer collector;
        QVERIFY(collector.listen(QHostAddress::LocalHost));
        QList<QByteArray> bodies;
        QList<QByteArray> heads;
        int status = 200;
        QObject::connect(&collector, &QTcpServer::newConnection, [&] {
            QTcpSocket *socket = collector.nextPendingConnection();
            auto *buffer = new QByteArray;
            QObject::connect(socket, &QTcpSocket::readyRead, socket, [&, socket, buffer] {
                *buffer += socket->readAll();
                const int end = buffer->indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                const QByteArray head = buffer->left(end).toLower();
                const int at = head.indexOf("content-length:");
                const int length = head.mid(at + 15, head.indexOf('\r', at) - at - 15).trimmed().toInt();
                if (buffer->size() < end + 4 + length)
                    return;
                heads.append(head);
                bodies.append(buffer->mid(end + 4, length));
                buffer->clear();
                socket->write("HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Length: 0\r\n\r\n");
            });
            QObject::connect(socket, &QTcpSocket::disconnected, socket, [socket, buffer] {
                delete buffer;
                socket->deleteLater();
            });
        });

        OtlpExporter::Settings settings;
        settings.endpoint = QUrl(QStringLiteral("http://127.0.0.1:%1/v1/traces").arg(collector.serverPort()));
        settings.serviceInstanceId = QStringLiteral("replica-a");
        settings.flushIntervalMs = 50;
        settings.maxQueued = 3;
        OtlpExporter exporter(settings);
        QSignalSpy batches(&exporter, &OtlpExporter::batchDone);

        Teleop t;
        t.takeControl(kTraceparent);
        t.drive(kTraceparent);
        QCOMPARE(t.spans.size(), std::size_t(1));
        Span unsampled = t.spans[0];
        unsampled.context.sampled = false;
        exporter.add(unsampled);  // not sampled: not exported
        exporter.add(t.spans[0]);
        QTRY_COMPARE(batches.count(), 1);
        QCOMPARE(batches.at(0).at(0).toInt(), 1);
        QCOMPARE(batches.at(0).at(1).toBool(), true);
        QCOMPARE(exporter.exportedCount(), quint64(1));
        QVERIFY(heads.at(0).startsWith("post /v1/traces http/1.1"));
        QVERIFY(heads.at(0).contains("content-type: application/json"));

        const QJsonObject request = QJsonDocument::fromJson(bodies.at(0)).object();
        const QJsonObject resourceSpans = request.value(QStringLiteral("resourceSpans")).toArray().at(0).toObject();
        const QJsonArray resource = resourceSpans.value(QStringLiteral("resource")).toObject().value(QStringLiteral("attributes")).toArray();
        QCOMPARE(resource.at(0).toObject().value(QStringLiteral("key")).toString(), QStringLiteral("service.name"));
        QCOMPARE(resource.at(0).toObject().value(QStringLiteral("value")).toObject().value(QStringLiteral("stringValue")).toString(),
                 QStringLiteral("fleetdeckd"));
        QCOMPARE(resource.at(1).toObject().value(QStringLiteral("value")).toObject().value(QStringLiteral("stringValue")).toString(),
                 QStringLiteral("replica-a"));
        const QJsonObject span = resourceSpans.value(QStringLiteral("scopeSpans")).toArray().at(0).toObject()
                                     .value(QStringLiteral("spans")).toArray().at(0).toObject();
        QCOMPARE(span.value(QStringLiteral("traceId")).toString(), QString::fromLatin1(kConsoleTrace));
        QCOMPARE(span.value(QStringLiteral("parentSpanId")).toString(), QString::fromLatin1(kConsoleSpan));
        QCOMPARE(span.value(QStringLiteral("spanId")).toString().size(), 16);
        QCOMPARE(span.value(QStringLiteral("name")).toString(), QStringLiteral("teleop.command"));
        QCOMPARE(span.value(QStringLiteral("kind")).toInt(), 2);
        QCOMPARE(span.value(QStringLiteral("startTimeUnixNano")).toString(), QString::number(t.spans[0].startUnixNs));
        QVERIFY(!span.contains(QStringLiteral("status")));  // UNSET: it did not fail
        Span refused = t.spans[0];
        refused.failed = true;
        refused.statusMessage = QStringLiteral("no lease");
        const QJsonObject failed = QJsonDocument::fromJson(OtlpExporter::encode({refused}, settings)).object()
                                       .value(QStringLiteral("resourceSpans")).toArray().at(0).toObject()
                                       .value(QStringLiteral("scopeSpans")).toArray().at(0).toObject()
                                       .value(QStringLiteral("spans")).toArray().at(0).toObject()
                                       .value(QStringLiteral("status")).toObject();
        QCOMPARE(failed.value(QStringLiteral("code")).toInt(), 2);
        QCOMPARE(failed.value(QStringLiteral("message")).toString(), QStringLiteral("no lease"));
        bool sawSequence = false;
        for (const QJsonValue &a : span.value(QStringLiteral("attributes")).toArray()) {
            if (a.toObject().value(QStringLiteral("key")).toString() == QStringLiteral("fleetdeck.command.sequence")) {
                QCOMPARE(a.toObject().value(QStringLiteral("value")).toObject().value(QStringLiteral("intValue")).toString(), QStringLiteral("1"));
                sawSequence = true;
            }
        }
        QVERIFY(sawSequence);

        // A collector that refuses: the batch is dropped and counted, not retried. A full queue drops too.
        status = 503;
        exporter.add(t.spans[0]);
        QTRY_COMPARE(batches.count(), 2);
        QCOMPARE(batches.at(1).at(1).toBool(), false);
        QCOMPARE(exporter.droppedCount(), quint64(1));
        collector.close();
        settings.flushIntervalMs = 60'000;
        OtlpExporter idle(settings);
        for (int i = 0; i < 5; ++i)
            idle.add(t.spans[0]);
        QCOMPARE(idle.droppedCount(), quint64(2));  // 3 queued, 2 over the bound
        PrometheusText metrics;
        idle.writeMetrics(&metrics);
        QVERIFY(metrics.text().contains("fleetdeck_trace_spans_dropped_total 2"));
        QVERIFY(metrics.text().contains("fleetdeck_trace_spans_queued 3"));
    }
};

QTEST_GUILESS_MAIN(TestTracing)
#include "tst_tracing.moc"
