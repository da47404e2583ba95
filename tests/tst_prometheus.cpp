// The PromQL source against a real Prometheus server (Debian's `prometheus`): the server scrapes the
// simulated database tier, and the backend's two ways in — its own scrapes and PromQL — must tell
// the same story: the same members in the same states, the same proxy groups, the same rates.

#include "clock.h"
#include "infraservice.h"
#include "promqlsource.h"
#include "scrapesource.h"
#include "simulateddatabase.h"
#include "fleetsimulator.h"
#include "streetgraph.h"

#include <QDir>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace fleetdeck;

namespace {

quint16 freePort()
{
    QTcpServer probe;
    (void)probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

const fleet::v1::ProxyGroup *groupNamed(const fleet::v1::InfraPoint &point, const std::string &app, const std::string &collection)
{
    for (const fleet::v1::ProxyGroup &g : point.proxy()) {
        if (g.app() == app && g.collection() == collection)
            return &g;
    }
    return nullptr;
}

}  // namespace

class TestPrometheus : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void promQlReadsWhatTheScrapesSay()
    {
        const QString prometheusBinary = QStandardPaths::findExecutable(QStringLiteral("prometheus"));
        if (prometheusBinary.isEmpty())
            QFAIL("prometheus is not installed (Debian package prometheus; packaging/install-debian-deps.sh installs it)");

        QString error;
        const std::optional<sim::StreetGraph> graph = sim::StreetGraph::loadShipped(&error);
        QVERIFY2(graph, qPrintable(error));
        sim::FleetSimulator::Config fleetConfig;
        fleetConfig.robotCount = 300;
        sim::FleetSimulator fleet(*graph, fleetConfig);
        SystemClock clock;
        SimulatedDatabase database(&fleet, &clock, 7);
        // Something to see in the error figures: a burst on one collection for the whole test.
        QVERIFY2(database.addIncidents({QStringLiteral("error-burst:0:600:dispatcher/tasks")}, &error), qPrintable(error));
        QVERIFY2(database.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile targets(dir.filePath(QStringLiteral("targets.json")));
        QVERIFY(targets.open(QIODevice::WriteOnly));
        targets.write(database.targetsJson());
        targets.close();
        QFile config(dir.filePath(QStringLiteral("prometheus.yml")));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(QStringLiteral("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                                    "scrape_configs:\n  - job_name: fleet-database\n    file_sd_configs:\n"
                                    "      - files: ['%1']\n        refresh_interval: 1s\n")
                         .arg(targets.fileName())
                         .toUtf8());
        config.close();

        const quint16 port = freePort();
        QProcess prometheus;
        prometheus.setProcessChannelMode(QProcess::MergedChannels);
        prometheus.start(prometheusBinary, {QStringLiteral("--config.file=") + config.fileName(),
                                            QStringLiteral("--storage.tsdb.path=") + dir.filePath(QStringLiteral("data")),
                                            QStringLiteral("--web.listen-address=127.0.0.1:%1").arg(port),
                                            QStringLiteral("--log.level=warn")});
        QVERIFY2(prometheus.waitForStarted(10'000), qPrintable(prometheus.errorString()));
        const auto stopPrometheus = qScopeGuard([&prometheus] {
            prometheus.terminate();
            if (!prometheus.waitForFinished(10'000))
                prometheus.kill();
        });

        const std::vector<metrics::Query> queries = InfraService::standardQueries();
        metrics::PromQlSource::Settings promSettings;
        promSettings.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
        promSettings.intervalMs = 1000;
        promSettings.windowSeconds = 15;
        metrics::PromQlSource promQl(promSettings, queries, &clock);
        std::optional<std::vector<metrics::ScrapeSource::Target>> scrapeTargets =
            metrics::ScrapeSource::parseFileSd(database.targetsJson(), &error);
        QVERIFY2(scrapeTargets, qPrintable(error));
        QCOMPARE(scrapeTargets->size(), std::size_t(7));   // 3 sidecars, 3 exporters, 1 prober
        metrics::ScrapeSource::Settings scrapeSettings;
        scrapeSettings.targets = *scrapeTargets;
        scrapeSettings.intervalMs = 1000;
        scrapeSettings.windowMs = 15'000;
        metrics::ScrapeSource scrapes(scrapeSettings, queries, &clock);
        promQl.start();
        scrapes.start();

        // Until Prometheus has a window of scrapes of every target: every app's traffic and every
        // member's probe latency answered.
        fleet::v1::InfraPoint viaPromQl;
        const auto complete = [](const fleet::v1::InfraPoint &p) {
            if (p.members_size() != 3 || p.proxy_size() < 6)
                return false;
            for (const fleet::v1::DbMember &m : p.members()) {
                if (std::isnan(m.ping_p99_ms()) || m.state().empty())
                    return false;
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                viaPromQl.Clear();
                InfraService::fillFromMetrics(promQl.evaluate(), {}, &viaPromQl);
                return complete(viaPromQl) && promQl.health().front().up;
            }(),
            60'000);
        // Let both windows fill with the same stretch of traffic.
        QTest::qWait(8000);
        viaPromQl.Clear();
        fleet::v1::InfraPoint viaScrapes;
        InfraService::fillFromMetrics(promQl.evaluate(), {}, &viaPromQl);
        InfraService::fillFromMetrics(scrapes.evaluate(), {}, &viaScrapes);
        for (const metrics::SourceHealth &h : scrapes.health())
            QVERIFY2(h.up && h.error.isEmpty(), qPrintable(h.name + QStringLiteral(": ") + h.error));

        // The same members, in the same states, with the same gauges.
        QCOMPARE(viaScrapes.members_size(), viaPromQl.members_size());
        for (int i = 0; i < viaPromQl.members_size(); ++i) {
            const fleet::v1::DbMember &a = viaPromQl.members(i);
            const fleet::v1::DbMember &b = viaScrapes.members(i);
            QCOMPARE(a.name(), b.name());
            QCOMPARE(a.state(), b.state());
            QVERIFY(a.up() && b.up());
            // Gauges of two scrapes a moment apart: the same to a few connections.
            QVERIFY2(std::abs(a.connections_available() - b.connections_available()) <= 0.02 * b.connections_available(),
                     qPrintable(QStringLiteral("%1 vs %2").arg(a.connections_available()).arg(b.connections_available())));
            QVERIFY2(std::abs(a.ping_p99_ms() - b.ping_p99_ms()) <= std::max(2.0, 0.5 * double(b.ping_p99_ms())),
                     qPrintable(QStringLiteral("%1: ping p99 %2 ms by PromQL, %3 ms by scrapes").arg(QString::fromStdString(a.name())).arg(a.ping_p99_ms()).arg(b.ping_p99_ms())));
        }
        QCOMPARE(viaPromQl.members(0).name(), std::string("mongo-0"));
        QCOMPARE(viaPromQl.members(0).state(), std::string("PRIMARY"));

        // The same proxy groups, with the same rates and shares (two windows over one steady load).
        // The same groups with traffic (a group with a request every few seconds may have no increase
        // in one of the two windows, and then no rate).
        for (const fleet::v1::ProxyGroup &b : viaScrapes.proxy()) {
            if (b.ops_per_s() > 1)
                QVERIFY2(groupNamed(viaPromQl, b.app(), b.collection()), (b.app() + "/" + b.collection()).c_str());
        }
        for (const fleet::v1::ProxyGroup &a : viaPromQl.proxy()) {
            const fleet::v1::ProxyGroup *b = groupNamed(viaScrapes, a.app(), a.collection());
            if (!b && a.ops_per_s() <= 1)
                continue;
            QVERIFY2(b, a.app().c_str());
            const QString what = QString::fromStdString(a.app() + "/" + a.collection());
            // Two 15 s windows a scrape or two apart over Poisson traffic: a quiet group (a few ops/s)
            // swings more than the whole; the total below is held tighter.
            QVERIFY2(std::abs(a.ops_per_s() - b->ops_per_s()) <= 0.5 * b->ops_per_s() + 1.0,
                     qPrintable(QStringLiteral("%1: %2 ops/s by PromQL, %3 by scrapes").arg(what).arg(a.ops_per_s()).arg(b->ops_per_s())));
            QCOMPARE(a.bucket_shares_size(), b->bucket_shares_size());
            // Enough responses in a 15 s window for two windows' shares to agree closely.
            if (b->ops_per_s() > 30)
                QVERIFY2(std::abs(a.share_over_10ms() - b->share_over_10ms()) <= 0.12,
                         qPrintable(QStringLiteral("%1: %2 over 10 ms by PromQL, %3 by scrapes").arg(what).arg(a.share_over_10ms()).arg(b->share_over_10ms())));
        }
        // Prometheus extrapolates rate() to the window's edges, the scrape source divides by each series'
        // own span; at a few dozen ops/s the two totals differ by a third at most.
        QVERIFY(viaPromQl.proxy_ops_per_s() > 10);
        QVERIFY2(std::abs(viaPromQl.proxy_ops_per_s() - viaScrapes.proxy_ops_per_s()) <= 0.4 * viaScrapes.proxy_ops_per_s(),
                 qPrintable(QStringLiteral("%1 ops/s by PromQL, %2 by scrapes").arg(viaPromQl.proxy_ops_per_s()).arg(viaScrapes.proxy_ops_per_s())));
        QCOMPARE(viaPromQl.proxy_bucket_bounds_s_size(), 6);   // mongoproxy's decade buckets, 1 ms … 60 s
        const fleet::v1::ProxyGroup *burst = groupNamed(viaPromQl, "dispatcher", "tasks");
        QVERIFY(burst);
        QVERIFY2(burst->errors_per_s() > 0.05 * burst->ops_per_s(), qPrintable(QString::number(burst->errors_per_s())));
        QCOMPARE(burst->level(), fleet::v1::LEVEL_CRITICAL);
        QCOMPARE(viaScrapes.proxy_level(), fleet::v1::LEVEL_CRITICAL);
    }
};

QTEST_GUILESS_MAIN(TestPrometheus)
#include "tst_prometheus.moc"
