// The infrastructure figures: the queries as PromQL, Prometheus API answers, and query answers
// turned into members, proxy groups and levels the way an SRE reads them.

#include "clock.h"
#include "codec.h"
#include "fleetserver.h"
#include "infraservice.h"
#include "promqlsource.h"

#include <QTest>

#include <cmath>

using namespace fleetdeck;
using metrics::Labels;
using metrics::QueryResults;
using metrics::SeriesValue;

namespace {

Labels labels(std::initializer_list<std::pair<const char *, const char *>> list)
{
    Labels out;
    for (const auto &[name, value] : list)
        out.emplace_back(name, value);
    std::sort(out.begin(), out.end());
    return out;
}

const fleet::v1::DbMember *memberNamed(const fleet::v1::InfraPoint &point, const std::string &name)
{
    for (const fleet::v1::DbMember &m : point.members()) {
        if (m.name() == name)
            return &m;
    }
    return nullptr;
}

const fleet::v1::ProxyGroup *groupNamed(const fleet::v1::InfraPoint &point, const std::string &app, const std::string &collection)
{
    for (const fleet::v1::ProxyGroup &g : point.proxy()) {
        if (g.app() == app && g.collection() == collection)
            return &g;
    }
    return nullptr;
}

// A healthy replica set and two proxy groups, as either source would answer.
QueryResults healthyAnswers()
{
    QueryResults r;
    // Exporters are known by their own address (instance, port 9216), members by theirs (27017).
    r["up"] = {{labels({{"instance", "mongo-0:9216"}}), 1}, {labels({{"instance", "mongo-1:9216"}}), 1}};
    r["member_state"] = {{labels({{"instance", "mongo-0:9216"}}), 1}, {labels({{"instance", "mongo-1:9216"}}), 2}};
    r["replication_lag"] = {{labels({{"name", "mongo-1:27017"}}), 1.5}};
    r["connections"] = {{labels({{"instance", "mongo-0:9216"}, {"conn_type", "current"}}), 300},
                        {labels({{"instance", "mongo-0:9216"}, {"conn_type", "available"}}), 700}};
    r["probe_p99"] = {{labels({{"member", "mongo-0:27017"}, {"op", "ping"}}), 0.004},
                      {labels({{"member", "mongo-0:27017"}, {"op", "read_primary"}}), 0.012},
                      {labels({{"member", "mongo-1:27017"}, {"op", "read_secondary"}}), 0.020}};
    r["ops"] = {{labels({{"instance", "mongo-0:9216"}, {"op_type", "reads"}}), 100}};
    r["op_latency"] = {{labels({{"instance", "mongo-0:9216"}, {"op_type", "reads"}}), 250'000}};  // µs per s
    r["proxy_ops"] = {{labels({{"app", "fleet-api"}, {"collection", "robots"}}), 200},
                      {labels({{"app", "dispatcher"}, {"collection", "tasks"}}), 50}};
    r["proxy_errors"] = {{labels({{"app", "dispatcher"}, {"collection", "tasks"}}), 0.1}};
    // Cumulative bucket rates: fleet-api/robots has 200/s, 150 under 1 ms, 190 under 10 ms, 199 under 100 ms.
    const std::pair<const char *, double> robots[] = {{"0.001", 150}, {"0.01", 190}, {"0.1", 199}, {"1", 200}, {"10", 200}, {"60", 200}, {"+Inf", 200}};
    for (const auto &[le, rate] : robots)
        r["proxy_buckets"].push_back({labels({{"app", "fleet-api"}, {"collection", "robots"}, {"le", le}}), rate});
    const std::pair<const char *, double> tasks[] = {{"0.001", 10}, {"0.01", 40}, {"0.1", 50}, {"1", 50}, {"10", 50}, {"60", 50}, {"+Inf", 50}};
    for (const auto &[le, rate] : tasks)
        r["proxy_buckets"].push_back({labels({{"app", "dispatcher"}, {"collection", "tasks"}, {"le", le}}), rate});
    return r;
}

}  // namespace

class TestInfraService : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void promQlOfEachKind()
    {
        const std::vector<metrics::Query> queries = InfraService::standardQueries();
        QHash<QByteArray, QString> byId;
        for (const metrics::Query &q : queries)
            byId.insert(q.id, metrics::toPromQl(q, 30));
        QCOMPARE(byId.value("proxy_ops"), QStringLiteral("sum by (app, collection) (rate(mongoproxy_response_latency_seconds_count[30s]))"));
        QCOMPARE(byId.value("proxy_buckets"), QStringLiteral("sum by (app, collection, le) (rate(mongoproxy_response_latency_seconds_bucket[30s]))"));
        QCOMPARE(byId.value("probe_p99"), QStringLiteral("histogram_quantile(0.99, sum by (member, op, le) (rate(mongodb_prober_latency_seconds_bucket[30s])))"));
        QVERIFY(byId.value("replication_lag").startsWith(QStringLiteral("max by (name) (")));
    }

    void queryUrlEncodesPlusAndBraces()
    {
        ManualClock clock;
        metrics::PromQlSource source({QUrl(QStringLiteral("http://127.0.0.1:9090/")), 2000, 30, 1000}, {}, &clock);
        metrics::Query q{"x", metrics::Query::Kind::Rate, "a_total", {"app"}};
        const QUrl url = source.queryUrl(q);
        QCOMPARE(url.path(), QStringLiteral("/api/v1/query"));
        QVERIFY2(url.toString(QUrl::FullyEncoded).contains(QStringLiteral("query=sum%20by%20%28app%29%20%28rate%28a_total%5B30s%5D%29%29")),
                 qPrintable(url.toString(QUrl::FullyEncoded)));
    }

    void parsesPrometheusVectorAnswers()
    {
        QString error;
        const auto series = metrics::PromQlSource::parseVectorResponse(
            R"({"status":"success","data":{"resultType":"vector","result":[
                {"metric":{"member":"mongo-1:27017","op":"ping"},"value":[1700000000.1,"0.0042"]},
                {"metric":{"member":"mongo-2:27017","op":"ping"},"value":[1700000000.1,"NaN"]},
                {"metric":{},"value":[1700000000.1,"+Inf"]}]}})",
            &error);
        QVERIFY2(series, qPrintable(error));
        QCOMPARE(series->size(), std::size_t(3));
        QCOMPARE(series->at(0).labels, labels({{"member", "mongo-1:27017"}, {"op", "ping"}}));
        QCOMPARE(series->at(0).value, 0.0042);
        QVERIFY(std::isnan(series->at(1).value));
        QVERIFY(std::isinf(series->at(2).value));

        QVERIFY(!metrics::PromQlSource::parseVectorResponse(R"({"status":"error","errorType":"bad_data","error":"parse error at char 5"})", &error));
        QCOMPARE(error, QStringLiteral("parse error at char 5"));
        QVERIFY(!metrics::PromQlSource::parseVectorResponse(R"({"status":"success","data":{"resultType":"matrix","result":[]}})", &error));
        QVERIFY(error.contains(QStringLiteral("matrix")));
        QVERIFY(!metrics::PromQlSource::parseVectorResponse("<html>502 Bad Gateway</html>", &error));
    }

    void healthyReplicaSetIsGreen()
    {
        fleet::v1::InfraPoint point;
        InfraService::fillFromMetrics(healthyAnswers(), {}, &point);
        QCOMPARE(point.members_size(), 2);
        const fleet::v1::DbMember *primary = memberNamed(point, "mongo-0");
        QVERIFY(primary);
        QCOMPARE(primary->state(), std::string("PRIMARY"));
        QVERIFY(primary->up());
        QCOMPARE(primary->connections_current(), 300.f);
        QCOMPARE(primary->ping_p99_ms(), 4.f);
        QCOMPARE(primary->read_p99_ms(), 12.f);
        QCOMPARE(primary->worst_probe_p99_ms(), 12.f);   // read, the slowest probe; write unprobed (NaN) is skipped
        QCOMPARE(primary->op_latency_read_ms(), 2.5f);   // 250 000 µs/s over 100 reads/s
        QVERIFY(std::isnan(primary->write_p99_ms()));    // unknown, not zero
        QCOMPARE(primary->level(), fleet::v1::LEVEL_OK);
        const fleet::v1::DbMember *secondary = memberNamed(point, "mongo-1");
        QVERIFY(secondary);
        QCOMPARE(secondary->state(), std::string("SECONDARY"));
        QVERIFY(secondary->up());
        QCOMPARE(secondary->replication_lag_s(), 1.5f);
        QCOMPARE(secondary->read_p99_ms(), 20.f);
        QCOMPARE(point.db_level(), fleet::v1::LEVEL_OK);
    }

    void decadeBucketsBecomeShares()
    {
        fleet::v1::InfraPoint point;
        InfraService::fillFromMetrics(healthyAnswers(), {}, &point);
        QCOMPARE(point.proxy_bucket_bounds_s_size(), 6);
        QCOMPARE(point.proxy_bucket_bounds_s(0), 0.001);
        QCOMPARE(point.proxy_bucket_bounds_s(5), 60.0);
        const fleet::v1::ProxyGroup *robots = groupNamed(point, "fleet-api", "robots");
        QVERIFY(robots);
        QCOMPARE(robots->ops_per_s(), 200.f);
        QCOMPARE(robots->bucket_shares_size(), 7);   // six bounds and the one above them
        QCOMPARE(robots->bucket_shares(0), 0.75f);   // 150 of 200 under 1 ms
        QCOMPARE(robots->bucket_shares(1), 0.20f);
        QCOMPARE(robots->bucket_shares(2), 0.045f);
        QCOMPARE(robots->bucket_shares(3), 0.005f);
        QCOMPARE(robots->share_over_10ms(), 0.05f);
        QCOMPARE(robots->share_over_100ms(), 0.005f);
        QCOMPARE(robots->share_over_1s(), 0.f);
        QCOMPARE(robots->level(), fleet::v1::LEVEL_OK);
        QCOMPARE(point.proxy_ops_per_s(), 250.f);
        QCOMPARE(point.proxy_errors_per_s(), 0.1f);
    }

    void thresholdsTurnTilesAmberAndRed_data()
    {
        QTest::addColumn<double>("lagS");
        QTest::addColumn<double>("readP99S");
        QTest::addColumn<double>("errorsPerS");
        QTest::addColumn<int>("dbLevel");
        QTest::addColumn<int>("proxyLevel");
        QTest::newRow("healthy") << 1.5 << 0.020 << 0.1 << int(fleet::v1::LEVEL_OK) << int(fleet::v1::LEVEL_OK);
        QTest::newRow("lag amber") << 12.0 << 0.020 << 0.1 << int(fleet::v1::LEVEL_WARNING) << int(fleet::v1::LEVEL_OK);
        QTest::newRow("lag red") << 90.0 << 0.020 << 0.1 << int(fleet::v1::LEVEL_CRITICAL) << int(fleet::v1::LEVEL_OK);
        QTest::newRow("standby slow") << 1.5 << 0.400 << 0.1 << int(fleet::v1::LEVEL_CRITICAL) << int(fleet::v1::LEVEL_OK);
        QTest::newRow("error burst") << 1.5 << 0.020 << 5.0 << int(fleet::v1::LEVEL_OK) << int(fleet::v1::LEVEL_CRITICAL);
    }
    void thresholdsTurnTilesAmberAndRed()
    {
        QFETCH(double, lagS);
        QFETCH(double, readP99S);
        QFETCH(double, errorsPerS);
        QFETCH(int, dbLevel);
        QFETCH(int, proxyLevel);
        QueryResults answers = healthyAnswers();
        answers["replication_lag"][0].value = lagS;
        answers["probe_p99"][2].value = readP99S;
        answers["proxy_errors"][0].value = errorsPerS;
        fleet::v1::InfraPoint point;
        InfraService::fillFromMetrics(answers, {}, &point);
        QCOMPARE(int(point.db_level()), dbLevel);
        QCOMPARE(int(point.proxy_level()), proxyLevel);
        QCOMPARE(int(memberNamed(point, "mongo-0")->level()), int(fleet::v1::LEVEL_OK));  // the primary stays green
    }

    void downMemberIsRedAndNothingIsMadeUp()
    {
        QueryResults answers;
        answers["up"] = {{labels({{"instance", "mongo-2:9216"}}), 0}};
        fleet::v1::InfraPoint point;
        InfraService::fillFromMetrics(answers, {}, &point);
        QCOMPARE(point.members_size(), 1);
        QCOMPARE(point.members(0).level(), fleet::v1::LEVEL_CRITICAL);
        QVERIFY(std::isnan(point.members(0).replication_lag_s()));
        QCOMPARE(point.proxy_size(), 0);
        QCOMPARE(point.proxy_level(), fleet::v1::LEVEL_UNSPECIFIED);  // no traffic figures: no verdict
    }

    void consolesGetHistoryThenPoints()
    {
        ManualClock clock;
        TelemetryMailbox mailbox;
        FleetServer server({}, &mailbox, &clock);
        InfraService::Settings settings;
        settings.intervalMs = 1000;
        settings.historyMinutes = 10;   // 600 points kept
        InfraService::OwnFigures own;
        own.kafkaLag = [] {
            fleet::v1::PartitionLag lag;
            lag.set_topic("fleet.telemetry");
            lag.set_partition(2);
            lag.set_lag(150'000);
            return std::vector<fleet::v1::PartitionLag>{lag};
        };
        quint64 messages = 0;
        own.telemetryMessages = [&messages] { return messages; };
        bool reachable = true;
        own.kafkaReachable = [&reachable] { return reachable; };
        InfraService infra(settings, nullptr, own, &server, &clock);
        for (int i = 0; i < 700; ++i) {
            clock.advance(1000);
            messages += 500;
            infra.collect();
        }
        QCOMPARE(infra.history().size(), std::size_t(600));
        const fleet::v1::InfraPoint &last = infra.history().back();
        QCOMPARE(last.fleet().ingest_per_s(), 500.f);
        QCOMPARE(last.kafka_level(), fleet::v1::LEVEL_CRITICAL);   // 150,000 behind

        // Brokers unreachable: red whatever the (stale) lag figures say.
        own.kafkaLag = {};
        {
            InfraService quiet(settings, nullptr, own, &server, &clock);
            quiet.collect();
            QCOMPARE(quiet.history().back().kafka_level(), fleet::v1::LEVEL_UNSPECIFIED);
            reachable = false;
            quiet.collect();
            QCOMPARE(quiet.history().back().kafka_level(), fleet::v1::LEVEL_CRITICAL);
            QVERIFY(quiet.history().back().kafka_unreachable());
        }
        QCOMPARE(last.kafka_lag(0).partition(), 2);
        QVERIFY(!last.sources(0).up());
        QVERIFY(QString::fromStdString(last.sources(0).error()).contains(QStringLiteral("no metrics source")));

        // A console that joins now: thresholds, and the history thinned to at most 360 points with
        // the newest one kept, oldest first.
        fleet::v1::ServerMessage greeting;
        QVERIFY(codec::parse(infra.historyForNewConsole(), &greeting));
        QVERIFY(greeting.infra().history());
        QVERIFY(greeting.infra().has_thresholds());
        QCOMPARE(greeting.infra().thresholds().kafka_lag_critical(), 100'000);
        QCOMPARE(greeting.infra().points_size(), 300);   // every second point of 600
        QCOMPARE(greeting.infra().points(299).time_unix_ms(), last.time_unix_ms());
        QCOMPARE(greeting.infra().points(298).time_unix_ms(), last.time_unix_ms() - 2000);
    }
};

QTEST_GUILESS_MAIN(TestInfraService)
#include "tst_infraservice.moc"
