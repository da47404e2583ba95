#pragma once

#include "prometheustext.h"
#include "tracecontext.h"

#include <QNetworkAccessManager>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <vector>

namespace fleetdeck {

// Sends finished spans to an OpenTelemetry collector over OTLP/HTTP with JSON bodies (the encoding
// any collector, Tempo or Jaeger takes without a protobuf schema of ours). Spans wait in a bounded
// queue and go in batches, one request at a time: a slow or absent collector costs dropped spans
// (counted on /metrics), never memory or the event loop. A batch the collector refuses is not
// retried: traces are for following actions, and a retry storm would hurt what they observe.
// Thread: main.
class OtlpExporter : public QObject
{
    Q_OBJECT

public:
    struct Settings {
        QUrl endpoint;  // e.g. http://otel-collector:4318/v1/traces
        QString serviceName = QStringLiteral("fleetdeckd");
        QString serviceInstanceId;  // this replica
        int maxQueued = 4096;
        int maxBatch = 512;
        int flushIntervalMs = 1000;
        int requestTimeoutMs = 5000;
    };

    explicit OtlpExporter(Settings settings, QObject *parent = nullptr);

    // A finished span; unsampled ones are not exported.
    void add(Span span);
    // Sends what is queued now (one request; the rest follow on the timer).
    void flush();

    [[nodiscard]] quint64 exportedCount() const { return m_exported; }
    [[nodiscard]] quint64 droppedCount() const { return m_dropped; }
    void writeMetrics(PrometheusText *out) const;

    // The OTLP/JSON ExportTraceServiceRequest for `spans` (ids in hex, times as decimal strings).
    [[nodiscard]] static QByteArray encode(const std::vector<Span> &spans, const Settings &settings);

Q_SIGNALS:
    // After each request: how many spans it carried and whether the collector took them.
    void batchDone(int spans, bool accepted);

private:
    Settings m_settings;
    QNetworkAccessManager m_network;
    QTimer m_timer;
    std::vector<Span> m_queue;
    bool m_inFlight = false;
    quint64 m_exported = 0;
    quint64 m_dropped = 0;
    quint64 m_failedRequests = 0;
};

}  // namespace fleetdeck
