#include "scrapesource.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

#include <algorithm>
#include <cmath>

namespace fleetdeck::metrics {
namespace {

void attachLabels(Exposition *exposition, const Labels &targetLabels)
{
    if (targetLabels.empty())
        return;
    for (Family &family : exposition->families) {
        for (Sample &sample : family.samples) {
            for (const auto &label : targetLabels) {
                const auto at = std::lower_bound(sample.labels.begin(), sample.labels.end(), label.first,
                                                 [](const auto &entry, const QByteArray &name) { return entry.first < name; });
                if (at != sample.labels.end() && at->first == label.first)
                    at->second = label.second;
                else
                    sample.labels.insert(at, label);
            }
        }
    }
}

std::vector<SeriesValue> fromMap(const std::map<Labels, double> &map)
{
    std::vector<SeriesValue> out;
    out.reserve(map.size());
    for (const auto &[labels, value] : map)
        out.push_back({labels, value});
    return out;
}

QByteArray boundText(double bound)
{
    return std::isinf(bound) ? QByteArrayLiteral("+Inf") : QByteArray::number(bound, 'g', 17);
}

}  // namespace

ScrapeSource::ScrapeSource(Settings settings, std::vector<Query> queries, const Clock *clock, QObject *parent)
    : MetricsSource(parent),
      m_settings(std::move(settings)),
      m_queries(std::move(queries)),
      m_clock(clock),
      m_window(m_settings.windowMs)
{
    for (const Target &target : m_settings.targets)
        m_health.push_back({target.name, false, tr("not scraped yet"), 0});
    m_timer.setInterval(m_settings.intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &ScrapeSource::scrapeAll);
}

std::optional<std::vector<ScrapeSource::Target>> ScrapeSource::parseFileSd(const QByteArray &json, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (!document.isArray()) {
        *error = document.isNull() ? parseError.errorString() : tr("expected a JSON array of target groups");
        return std::nullopt;
    }
    std::vector<Target> targets;
    for (const QJsonValue &groupValue : document.array()) {
        const QJsonObject group = groupValue.toObject();
        const QJsonObject groupLabels = group.value(QStringLiteral("labels")).toObject();
        const QString path = groupLabels.value(QStringLiteral("__metrics_path__")).toString(QStringLiteral("/metrics"));
        const QString scheme = groupLabels.value(QStringLiteral("__scheme__")).toString(QStringLiteral("http"));
        const QJsonValue hosts = group.value(QStringLiteral("targets"));
        if (!hosts.isArray()) {
            *error = tr("a target group without a \"targets\" array");
            return std::nullopt;
        }
        for (const QJsonValue &hostValue : hosts.toArray()) {
            const QString host = hostValue.toString();
            Target target;
            target.url = QUrl(QStringLiteral("%1://%2%3").arg(scheme, host, path));
            if (host.isEmpty() || !target.url.isValid()) {
                *error = tr("not a target address: \"%1\"").arg(host);
                return std::nullopt;
            }
            target.labels.emplace_back(QByteArrayLiteral("instance"), host.toUtf8());
            for (auto it = groupLabels.begin(); it != groupLabels.end(); ++it) {
                if (it.key().startsWith(QLatin1String("__")))
                    continue;
                const QByteArray name = it.key().toUtf8();
                const auto existing = std::find_if(target.labels.begin(), target.labels.end(),
                                                   [&name](const auto &label) { return label.first == name; });
                if (existing != target.labels.end())
                    existing->second = it.value().toString().toUtf8();
                else
                    target.labels.emplace_back(name, it.value().toString().toUtf8());
            }
            std::sort(target.labels.begin(), target.labels.end());
            target.name = host + path;
            targets.push_back(std::move(target));
        }
    }
    return targets;
}

void ScrapeSource::start()
{
    m_timer.start();
    scrapeAll();
}

void ScrapeSource::scrapeAll()
{
    if (m_inFlight > 0)
        return;  // a slow target holds the round: no pile of requests behind it
    m_window.advance(m_clock->nowUnixMs());
    m_inFlight = static_cast<int>(m_settings.targets.size());
    for (std::size_t i = 0; i < m_settings.targets.size(); ++i) {
        QNetworkRequest request(m_settings.targets[i].url);
        request.setTransferTimeout(m_settings.requestTimeoutMs);
        request.setRawHeader("Accept", "text/plain;version=0.0.4");
        QNetworkReply *reply = m_network.get(request);
        connect(reply, &QNetworkReply::downloadProgress, reply, [this, reply](qint64 received, qint64) {
            if (received > m_settings.maxBodyBytes)
                reply->abort();
        });
        connect(reply, &QNetworkReply::finished, this, [this, reply, i] {
            reply->deleteLater();
            SourceHealth &health = m_health[i];
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (reply->error() != QNetworkReply::NoError) {
                health.up = false;
                health.error = reply->error() == QNetworkReply::OperationCanceledError
                    ? tr("answer larger than %1 bytes").arg(m_settings.maxBodyBytes)
                    : reply->errorString();
            } else if (status != 200) {
                health.up = false;
                health.error = tr("HTTP status %1").arg(status);
            } else {
                ingest(i, reply->readAll());
            }
            if (--m_inFlight == 0)
                Q_EMIT roundFinished();
        });
    }
}

void ScrapeSource::ingest(std::size_t index, const QByteArray &body)
{
    const Target &target = m_settings.targets.at(index);
    SourceHealth &health = m_health[index];
    Exposition exposition = parseExposition(body);
    attachLabels(&exposition, target.labels);
    const qint64 now = m_clock->nowUnixMs();
    (void)m_window.add(target.name.toUtf8(), now, exposition);
    health.up = true;
    health.lastSuccessUnixMs = now;
    // Malformed lines are skipped, not fatal; said, so the exporter gets fixed.
    health.error = exposition.errors.empty()
        ? QString()
        : tr("%n malformed line(s) skipped; line %1: %2", nullptr, int(exposition.errors.size()))
              .arg(exposition.errors.front().line)
              .arg(exposition.errors.front().message);
}

QueryResults ScrapeSource::evaluate() const
{
    QueryResults results;
    for (const Query &query : m_queries) {
        switch (query.kind) {
        case Query::Kind::Rate:
            results[query.id] = fromMap(m_window.rate(query.metric, query.groupBy));
            break;
        case Query::Kind::Latest:
            results[query.id] = fromMap(m_window.latest(query.metric, query.groupBy,
                                                        query.aggregate == Query::Aggregate::Max ? Aggregate::Max : Aggregate::Sum));
            break;
        case Query::Kind::HistogramRate:
        case Query::Kind::BucketRates:
        case Query::Kind::Quantile: {
            std::vector<SeriesValue> &out = results[query.id];
            const qint64 spanMs = m_window.windowMs();
            for (const auto &[group, histogram] : m_window.histogram(query.metric, query.groupBy)) {
                if (query.kind == Query::Kind::HistogramRate) {
                    out.push_back({group, histogram.ratePerSecond});
                } else if (query.kind == Query::Kind::Quantile) {
                    const double value = histogram.quantile(query.quantile);
                    if (!std::isnan(value))
                        out.push_back({group, value});
                } else {
                    // As rate(x_bucket): per bucket; the share of each is what callers use, so
                    // the window span is a fine common divisor.
                    for (std::size_t b = 0; b < histogram.upperBounds.size(); ++b) {
                        Labels labels = group;
                        labels.emplace_back(QByteArrayLiteral("le"), boundText(histogram.upperBounds[b]));
                        std::sort(labels.begin(), labels.end());
                        out.push_back({std::move(labels), histogram.bucketIncrease[b] * 1000.0 / double(spanMs)});
                    }
                }
            }
            break;
        }
        }
    }
    return results;
}

}  // namespace fleetdeck::metrics
