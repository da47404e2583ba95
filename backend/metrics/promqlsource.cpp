#include "promqlsource.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

#include <algorithm>
#include <cmath>

namespace fleetdeck::metrics {

PromQlSource::PromQlSource(Settings settings, std::vector<Query> queries, const Clock *clock, QObject *parent)
    : MetricsSource(parent), m_settings(std::move(settings)), m_queries(std::move(queries)), m_clock(clock)
{
    m_health.name = QStringLiteral("prometheus %1").arg(m_settings.baseUrl.toString());
    m_health.error = tr("not asked yet");
    m_timer.setInterval(m_settings.intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &PromQlSource::askAll);
}

void PromQlSource::start()
{
    m_timer.start();
    askAll();
}

QUrl PromQlSource::queryUrl(const Query &query) const
{
    QUrl url = m_settings.baseUrl;
    QString path = url.path();
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    url.setPath(path + QStringLiteral("/api/v1/query"));
    // Encoded by hand: a '+' left as is would reach Prometheus as a space.
    url.setQuery(QStringLiteral("query=") + QString::fromLatin1(QUrl::toPercentEncoding(toPromQl(query, m_settings.windowSeconds))));
    return url;
}

void PromQlSource::askAll()
{
    if (m_inFlight > 0)
        return;  // the last round is still out: a slow server gets no pile of requests
    m_roundError.clear();
    m_inFlight = static_cast<int>(m_queries.size());
    for (const Query &query : m_queries) {
        QNetworkRequest request(queryUrl(query));
        request.setTransferTimeout(m_settings.requestTimeoutMs);
        QNetworkReply *reply = m_network.get(request);
        const QByteArray id = query.id;
        connect(reply, &QNetworkReply::finished, this, [this, reply, id] {
            reply->deleteLater();
            const QByteArray body = reply->readAll();
            QString error;
            std::optional<std::vector<SeriesValue>> series;
            if (reply->error() != QNetworkReply::NoError && body.isEmpty())
                error = reply->errorString();
            else
                series = parseVectorResponse(body, &error);
            if (series)
                m_results[id] = std::move(*series);
            else {
                m_results.erase(id);
                if (m_roundError.isEmpty())
                    m_roundError = QStringLiteral("%1: %2").arg(QString::fromLatin1(id), error);
            }
            if (--m_inFlight > 0)
                return;
            m_health.up = m_roundError.isEmpty();
            m_health.error = m_roundError;
            if (m_health.up)
                m_health.lastSuccessUnixMs = m_clock->nowUnixMs();
            Q_EMIT roundFinished();
        });
    }
}

std::optional<std::vector<SeriesValue>> PromQlSource::parseVectorResponse(const QByteArray &body, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (!document.isObject()) {
        *error = tr("not a Prometheus API answer (%1)").arg(parseError.errorString());
        return std::nullopt;
    }
    const QJsonObject root = document.object();
    if (root.value(QStringLiteral("status")).toString() != QLatin1String("success")) {
        *error = root.value(QStringLiteral("error")).toString(tr("the query failed"));
        return std::nullopt;
    }
    const QJsonObject data = root.value(QStringLiteral("data")).toObject();
    if (data.value(QStringLiteral("resultType")).toString() != QLatin1String("vector")) {
        *error = tr("expected an instant vector, got %1").arg(data.value(QStringLiteral("resultType")).toString());
        return std::nullopt;
    }
    std::vector<SeriesValue> series;
    for (const QJsonValue &entry : data.value(QStringLiteral("result")).toArray()) {
        const QJsonObject object = entry.toObject();
        const QJsonArray value = object.value(QStringLiteral("value")).toArray();
        if (value.size() != 2)
            continue;
        const std::optional<double> number = parseValue(value.at(1).toString().toLatin1());
        if (!number)
            continue;
        SeriesValue out;
        const QJsonObject metric = object.value(QStringLiteral("metric")).toObject();
        for (auto it = metric.begin(); it != metric.end(); ++it)
            out.labels.emplace_back(it.key().toUtf8(), it.value().toString().toUtf8());
        std::sort(out.labels.begin(), out.labels.end());
        out.value = *number;
        series.push_back(std::move(out));
    }
    return series;
}

}  // namespace fleetdeck::metrics
