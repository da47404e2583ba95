#pragma once

#include "clock.h"
#include "metricssource.h"

#include <QNetworkAccessManager>
#include <QTimer>
#include <QUrl>

namespace fleetdeck::metrics {

// Asks a Prometheus server's HTTP API (/api/v1/query, instant queries) the queries as PromQL every
// interval and keeps the latest answer of each. A query that fails keeps no stale answer: a figure
// that is not current must not look current.
// Thread: main.
class PromQlSource final : public MetricsSource
{
    Q_OBJECT

public:
    struct Settings {
        QUrl baseUrl;                 // e.g. http://prometheus:9090
        int intervalMs = 2000;
        int windowSeconds = 30;       // range of rate(); at least four scrape intervals of the server
        int requestTimeoutMs = 5000;
    };

    PromQlSource(Settings settings, std::vector<Query> queries, const Clock *clock, QObject *parent = nullptr);

    void start() override;
    [[nodiscard]] QueryResults evaluate() const override { return m_results; }
    [[nodiscard]] std::vector<SourceHealth> health() const override { return {m_health}; }

    // The URL of one query, for logs and tests.
    [[nodiscard]] QUrl queryUrl(const Query &query) const;
    // Parses an /api/v1/query answer of result type vector; nullopt and `error` set otherwise.
    [[nodiscard]] static std::optional<std::vector<SeriesValue>> parseVectorResponse(const QByteArray &body, QString *error);

Q_SIGNALS:
    // Every query of a round answered (or failed); for tests.
    void roundFinished();

private:
    void askAll();

    Settings m_settings;
    std::vector<Query> m_queries;
    const Clock *m_clock;
    QNetworkAccessManager m_network;
    QTimer m_timer;
    QueryResults m_results;
    SourceHealth m_health;
    int m_inFlight = 0;
    QString m_roundError;
};

}  // namespace fleetdeck::metrics
