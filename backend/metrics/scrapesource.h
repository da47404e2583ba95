#pragma once

#include "clock.h"
#include "metricssource.h"
#include "scrapewindow.h"

#include <QNetworkAccessManager>
#include <QTimer>
#include <QUrl>

#include <optional>

namespace fleetdeck::metrics {

// Scrapes Prometheus-format endpoints itself and answers the queries over its own short window:
// for small setups and the demo, where there is no Prometheus server to ask.
// Thread: main.
class ScrapeSource final : public MetricsSource
{
    Q_OBJECT

public:
    struct Target {
        QString name;   // for health and logs
        QUrl url;
        // Attached to every sample of this target, as Prometheus attaches target labels (it is how
        // an exporter's figures are told apart by member: instance="mongo-1:27017").
        Labels labels;
    };
    struct Settings {
        std::vector<Target> targets;
        int intervalMs = 2000;
        int windowMs = 30'000;
        int requestTimeoutMs = 2000;
        qint64 maxBodyBytes = 16 << 20;  // a runaway exporter must not take the backend's memory
    };

    ScrapeSource(Settings settings, std::vector<Query> queries, const Clock *clock, QObject *parent = nullptr);

    // Targets from Prometheus' file_sd JSON ([{"targets": ["host:port"], "labels": {…}}]), the list a
    // Prometheus server would scrape: `__metrics_path__` and `__scheme__` shape the URL, other labels
    // starting with "__" are dropped, the rest attached; `instance` defaults to host:port as in
    // Prometheus. nullopt and `error` for anything else.
    [[nodiscard]] static std::optional<std::vector<Target>> parseFileSd(const QByteArray &json, QString *error);

    void start() override;
    [[nodiscard]] QueryResults evaluate() const override;
    [[nodiscard]] std::vector<SourceHealth> health() const override { return m_health; }

    // Adds one scraped body as if fetched from target `index` now; the network path calls it too.
    void ingest(std::size_t index, const QByteArray &body);
    [[nodiscard]] const ScrapeWindow &window() const { return m_window; }

Q_SIGNALS:
    // Every target of a round answered (or failed); for tests.
    void roundFinished();

private:
    void scrapeAll();

    Settings m_settings;
    std::vector<Query> m_queries;
    const Clock *m_clock;
    QNetworkAccessManager m_network;
    QTimer m_timer;
    ScrapeWindow m_window;
    std::vector<SourceHealth> m_health;  // one per target, same order
    int m_inFlight = 0;
};

}  // namespace fleetdeck::metrics
