#include "otlpexporter.h"

#include "logging.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <algorithm>
#include <iterator>

namespace fleetdeck {

namespace {

QJsonObject anyValue(const QVariant &value)
{
    switch (value.userType()) {
    case QMetaType::Bool:
        return {{QStringLiteral("boolValue"), value.toBool()}};
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
        // OTLP/JSON carries 64-bit integers as decimal strings.
        return {{QStringLiteral("intValue"), QString::number(value.toLongLong())}};
    case QMetaType::Double:
    case QMetaType::Float:
        return {{QStringLiteral("doubleValue"), value.toDouble()}};
    default:
        return {{QStringLiteral("stringValue"), value.toString()}};
    }
}

QJsonArray attributes(const QList<QPair<QString, QVariant>> &pairs)
{
    QJsonArray out;
    for (const auto &[name, value] : pairs)
        out.append(QJsonObject{{QStringLiteral("key"), name}, {QStringLiteral("value"), anyValue(value)}});
    return out;
}

}  // namespace

OtlpExporter::OtlpExporter(Settings settings, QObject *parent) : QObject(parent), m_settings(std::move(settings))
{
    m_timer.setInterval(m_settings.flushIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &OtlpExporter::flush);
    m_timer.start();
}

void OtlpExporter::add(Span span)
{
    if (!span.context.sampled)
        return;
    if (int(m_queue.size()) >= m_settings.maxQueued) {
        ++m_dropped;
        return;
    }
    m_queue.push_back(std::move(span));
    if (int(m_queue.size()) >= m_settings.maxBatch)
        flush();
}

void OtlpExporter::flush()
{
    if (m_inFlight || m_queue.empty())
        return;
    const auto end = m_queue.begin() + std::min<std::ptrdiff_t>(m_settings.maxBatch, static_cast<std::ptrdiff_t>(m_queue.size()));
    std::vector<Span> batch(std::make_move_iterator(m_queue.begin()), std::make_move_iterator(end));
    m_queue.erase(m_queue.begin(), end);

    QNetworkRequest request(m_settings.endpoint);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setTransferTimeout(m_settings.requestTimeoutMs);
    QNetworkReply *reply = m_network.post(request, encode(batch, m_settings));
    m_inFlight = true;
    const int count = int(batch.size());
    connect(reply, &QNetworkReply::finished, this, [this, reply, count] {
        reply->deleteLater();
        m_inFlight = false;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const bool accepted = reply->error() == QNetworkReply::NoError && status >= 200 && status < 300;
        if (accepted) {
            m_exported += quint64(count);
        } else {
            m_dropped += quint64(count);
            // One line per failed request at most once a flush interval: a dead collector must not flood the log.
            if (m_failedRequests++ % 60 == 0)
                qCWarning(lcServer).noquote() << QStringLiteral("trace export to %1 failed: %2 (%3 requests failed so far; their spans dropped)")
                                                     .arg(m_settings.endpoint.toDisplayString(),
                                                          status ? QString::number(status) : reply->errorString())
                                                     .arg(m_failedRequests);
        }
        Q_EMIT batchDone(count, accepted);
    });
}

void OtlpExporter::writeMetrics(PrometheusText *out) const
{
    out->counter("fleetdeck_trace_spans_exported_total", "Spans the OTLP collector accepted.", double(m_exported));
    out->counter("fleetdeck_trace_spans_dropped_total",
                 "Spans not exported: the queue was full or the collector refused or did not answer.", double(m_dropped));
    out->gauge("fleetdeck_trace_spans_queued", "Spans waiting to be exported.", double(m_queue.size()));
}

QByteArray OtlpExporter::encode(const std::vector<Span> &spans, const Settings &settings)
{
    QJsonArray jsonSpans;
    for (const Span &span : spans) {
        QJsonObject json{
            {QStringLiteral("traceId"), QString::fromLatin1(span.context.traceId)},
            {QStringLiteral("spanId"), QString::fromLatin1(span.context.spanId)},
            {QStringLiteral("name"), span.name},
            {QStringLiteral("kind"), int(span.kind)},
            {QStringLiteral("startTimeUnixNano"), QString::number(span.startUnixNs)},
            {QStringLiteral("endTimeUnixNano"), QString::number(span.endUnixNs)},
            {QStringLiteral("attributes"), attributes(span.attributes)},
        };
        // STATUS_CODE_ERROR = 2; a span that did not fail stays UNSET, as OpenTelemetry asks of
        // instrumentation (OK is for an application overriding an error).
        if (span.failed)
            json.insert(QStringLiteral("status"), QJsonObject{{QStringLiteral("code"), 2}, {QStringLiteral("message"), span.statusMessage}});
        if (!span.parentSpanId.isEmpty())
            json.insert(QStringLiteral("parentSpanId"), QString::fromLatin1(span.parentSpanId));
        jsonSpans.append(json);
    }
    QList<QPair<QString, QVariant>> resource{{QStringLiteral("service.name"), settings.serviceName}};
    if (!settings.serviceInstanceId.isEmpty())
        resource.append({QStringLiteral("service.instance.id"), settings.serviceInstanceId});
    const QJsonObject request{
        {QStringLiteral("resourceSpans"),
         QJsonArray{QJsonObject{
             {QStringLiteral("resource"), QJsonObject{{QStringLiteral("attributes"), attributes(resource)}}},
             {QStringLiteral("scopeSpans"),
              QJsonArray{QJsonObject{{QStringLiteral("scope"), QJsonObject{{QStringLiteral("name"), QStringLiteral("fleetdeck")}}},
                                     {QStringLiteral("spans"), jsonSpans}}}}}}}};
    return QJsonDocument(request).toJson(QJsonDocument::Compact);
}

}  // namespace fleetdeck
