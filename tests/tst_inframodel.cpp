// InfraModel: history replacement and appending, the ring's capacity, worst-first ordering, levels and
// thresholds, and in-place row updates (moves and dataChanged with the changed roles, never a reset).

#include "codec.h"
#include "faketransport.h"
#include "fleetclient.h"
#include "inframodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace fleetdeck;
using fleetdeck::testing::FakeTransport;

namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;
constexpr int kIntervalMs = 5000;

struct MemberSpec {
    const char *name;
    fleet::v1::Level level = fleet::v1::LEVEL_OK;
    float lagS = 0.5f;
    const char *state = "SECONDARY";
};

fleet::v1::InfraPoint point(std::int64_t timeMs, const std::vector<MemberSpec> &members = {})
{
    fleet::v1::InfraPoint p;
    p.set_time_unix_ms(timeMs);
    for (const MemberSpec &m : members) {
        auto *member = p.add_members();
        member->set_name(m.name);
        member->set_state(m.state);
        member->set_up(true);
        member->set_replication_lag_s(m.lagS);
        member->set_connections_current(100);
        member->set_connections_available(900);
        member->set_ping_p50_ms(1);
        member->set_ping_p99_ms(4);
        member->set_worst_probe_p99_ms(4);
        member->set_level(m.level);
    }
    p.set_db_level(fleet::v1::LEVEL_OK);
    p.set_proxy_level(fleet::v1::LEVEL_OK);
    p.set_kafka_level(fleet::v1::LEVEL_OK);
    p.mutable_fleet()->set_robots(200);
    p.mutable_fleet()->set_faulted(3);
    return p;
}

fleet::v1::InfraThresholds thresholds()
{
    fleet::v1::InfraThresholds t;
    t.set_replication_lag_warning_s(5);
    t.set_replication_lag_critical_s(10);
    t.set_latency_p99_warning_ms(100);
    t.set_latency_p99_critical_ms(500);
    t.set_connections_used_warning(0.8f);
    t.set_connections_used_critical(0.95f);
    t.set_proxy_error_rate_warning(0.01f);
    t.set_proxy_error_rate_critical(0.05f);
    t.set_proxy_share_over_100ms_warning(0.05f);
    t.set_proxy_share_over_100ms_critical(0.2f);
    t.set_kafka_lag_warning(1000);
    t.set_kafka_lag_critical(10000);
    return t;
}

fleet::v1::InfraUpdate history(int points, const std::vector<MemberSpec> &members = {})
{
    fleet::v1::InfraUpdate u;
    u.set_history(true);
    u.set_interval_ms(kIntervalMs);
    *u.mutable_thresholds() = thresholds();
    for (int i = 0; i < points; ++i)
        *u.add_points() = point(kT0 + std::int64_t(i) * kIntervalMs, members);
    return u;
}

fleet::v1::InfraUpdate next(const fleet::v1::InfraPoint &p)
{
    fleet::v1::InfraUpdate u;
    u.set_interval_ms(kIntervalMs);
    *u.add_points() = p;
    return u;
}

QByteArray frame(const fleet::v1::InfraUpdate &update)
{
    fleet::v1::ServerMessage m;
    *m.mutable_infra() = update;
    return codec::serialize(m);
}

QStringList names(std::initializer_list<const char *> list)
{
    QStringList out;
    for (const char *n : list)
        out.append(QString::fromUtf8(n));
    return out;
}

QStringList memberNames(InfraModel &model)
{
    QStringList names;
    for (const auto &r : model.members()->rows())
        names.append(r.name);
    return names;
}

QVector<int> rolesOf(const QList<QVariant> &dataChangedArguments)
{
    return dataChangedArguments.at(2).value<QVector<int>>();
}

}  // namespace

class TestInfraModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void historyFromTheClientReplacesThenPointsAppend()
    {
        ManualClock clock(kT0);
        FakeTransport transport;
        FleetClient client(&transport, &clock);
        InfraModel model(&clock);
        client.setInfraHandler([&model](const fleet::v1::ServerMessage &m) { model.handle(m); });
        client.setUrl(QUrl(QStringLiteral("ws://backend:8765")));
        QSignalSpy points(&model, &InfraModel::pointsChanged);

        transport.deliver(frame(history(3)));
        QCOMPARE(model.pointCount(), 3);
        QCOMPARE(points.count(), 1);
        QCOMPARE(points.last().at(0).toBool(), true);
        QVERIFY(model.hasThresholds());
        QCOMPARE(model.intervalMs(), kIntervalMs);

        transport.deliver(frame(next(point(kT0 + 3 * kIntervalMs))));
        QCOMPARE(model.pointCount(), 4);
        QCOMPARE(points.last().at(0).toBool(), false);
        QCOMPARE(model.latestTimeMs(), double(kT0 + 3 * kIntervalMs));

        // After a reconnect the backend sends its history again: it replaces, it does not add.
        transport.drop(QStringLiteral("gone"));
        transport.deliver(frame(history(2)));
        QCOMPARE(model.pointCount(), 2);
        QCOMPARE(points.last().at(0).toBool(), true);
        QCOMPARE(model.samples()[0].timeMs, kT0);
    }

    void repeatedOrOlderPointIsDropped()
    {
        ManualClock clock(kT0);
        InfraModel model(&clock);
        model.apply(history(3));
        QSignalSpy points(&model, &InfraModel::pointsChanged);
        model.apply(next(point(kT0 + 2 * kIntervalMs)));
        model.apply(next(point(kT0)));
        QCOMPARE(model.pointCount(), 3);
        QCOMPARE(points.count(), 0);
    }

    void ringKeepsItsCapacityAndTheNewest()
    {
        ManualClock clock(kT0);
        InfraModel model(&clock, 5);
        model.apply(history(8));
        QCOMPARE(model.pointCount(), 5);
        QCOMPARE(model.samples()[0].timeMs, kT0 + 3 * kIntervalMs);
        model.apply(next(point(kT0 + 8 * kIntervalMs)));
        QCOMPARE(model.pointCount(), 5);
        QCOMPARE(model.samples()[0].timeMs, kT0 + 4 * kIntervalMs);
        QCOMPARE(model.samples().back().timeMs, kT0 + 8 * kIntervalMs);
        // The shared axis spans at least five minutes, ending at the newest point.
        QCOMPARE(model.windowEndMs(), double(kT0 + 8 * kIntervalMs));
        QCOMPARE(model.windowStartMs(), double(kT0 + 8 * kIntervalMs - InfraModel::kMinWindowMs));
    }

    void membersSortWorstFirstThenByName_data()
    {
        QTest::addColumn<QStringList>("names");
        QTest::addColumn<QList<int>>("levels");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("all ok: by name") << names({"db-3", "db-1", "db-2"}) << QList<int>{1, 1, 1}
                                         << names({"db-1", "db-2", "db-3"});
        QTest::newRow("amber first") << names({"db-1", "db-2", "db-3"}) << QList<int>{1, 2, 1}
                                     << names({"db-2", "db-1", "db-3"});
        QTest::newRow("red before amber") << names({"db-1", "db-2", "db-3"}) << QList<int>{2, 1, 3}
                                          << names({"db-3", "db-1", "db-2"});
        QTest::newRow("unknown last") << names({"db-1", "db-2"}) << QList<int>{0, 1} << names({"db-2", "db-1"});
    }
    void membersSortWorstFirstThenByName()
    {
        QFETCH(QStringList, names);
        QFETCH(QList<int>, levels);
        QFETCH(QStringList, expected);
        std::vector<QByteArray> keep;
        std::vector<MemberSpec> members;
        for (int i = 0; i < names.size(); ++i) {
            keep.push_back(names[i].toUtf8());
            members.push_back({nullptr, fleet::v1::Level(levels[i])});
        }
        for (std::size_t i = 0; i < members.size(); ++i)
            members[i].name = keep[i].constData();
        ManualClock clock(kT0);
        InfraModel model(&clock);
        model.apply(history(1, members));
        QCOMPARE(memberNames(model), expected);
    }

    void levelChangeMovesTheRowInPlace()
    {
        ManualClock clock(kT0);
        InfraModel model(&clock);
        QAbstractItemModelTester tester(model.members(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.apply(history(2, {{"db-1"}, {"db-2"}, {"db-3"}}));
        QCOMPARE(memberNames(model), (names({"db-1", "db-2", "db-3"})));

        QSignalSpy resets(model.members(), &QAbstractItemModel::modelReset);
        QSignalSpy moves(model.members(), &QAbstractItemModel::rowsMoved);
        QSignalSpy inserts(model.members(), &QAbstractItemModel::rowsInserted);
        QSignalSpy changes(model.members(), &QAbstractItemModel::dataChanged);
        // db-3 falls behind: amber, with a lag over the warning threshold.
        model.apply(next(point(kT0 + 2 * kIntervalMs, {{"db-1"}, {"db-2"}, {"db-3", fleet::v1::LEVEL_WARNING, 7.5f}})));
        QCOMPARE(memberNames(model), (names({"db-3", "db-1", "db-2"})));
        QCOMPARE(resets.count(), 0);
        QCOMPARE(inserts.count(), 0);
        QCOMPARE(moves.count(), 1);
        QCOMPARE(changes.count(), 1);
        const auto args = changes.first();
        QCOMPARE(args.at(0).toModelIndex().row(), 0);
        QCOMPARE(args.at(1).toModelIndex().row(), 0);
        const QVector<int> roles = rolesOf(args);
        QVERIFY(roles.contains(InfraMemberModel::LevelRole));
        QVERIFY(roles.contains(InfraMemberModel::ReplicationLagRole));
        QVERIFY(roles.contains(InfraMemberModel::LagLevelRole));
        QVERIFY(roles.contains(InfraMemberModel::ReasonRole));
        QVERIFY(!roles.contains(InfraMemberModel::NameRole));
        QVERIFY(!roles.contains(InfraMemberModel::PingP99Role));
        const QModelIndex top = model.members()->index(0);
        QCOMPARE(top.data(InfraMemberModel::LevelRole).toInt(), int(InfraModel::Warning));
        QCOMPARE(top.data(InfraMemberModel::LagLevelRole).toInt(), int(InfraModel::Warning));
        QVERIFY(top.data(InfraMemberModel::ReasonRole).toString().contains(QStringLiteral("replication lag 7.5 s")));
    }

    void unchangedPointChangesNoRow()
    {
        ManualClock clock(kT0);
        InfraModel model(&clock);
        model.apply(history(1, {{"db-1"}, {"db-2"}}));
        QSignalSpy changes(model.members(), &QAbstractItemModel::dataChanged);
        QSignalSpy resets(model.members(), &QAbstractItemModel::modelReset);
        model.apply(next(point(kT0 + kIntervalMs, {{"db-1"}, {"db-2"}})));
        QCOMPARE(changes.count(), 0);
        QCOMPARE(resets.count(), 0);
        // One figure of one row: one dataChanged, that row, that role.
        model.apply(next(point(kT0 + 2 * kIntervalMs, {{"db-1"}, {"db-2", fleet::v1::LEVEL_OK, 0.75f}})));
        QCOMPARE(changes.count(), 1);
        QCOMPARE(changes.first().at(0).toModelIndex().row(), 1);
        QCOMPARE(rolesOf(changes.first()), QVector<int>{InfraMemberModel::ReplicationLagRole});
    }

    void membersComeAndGoWithoutReset()
    {
        ManualClock clock(kT0);
        InfraModel model(&clock);
        QAbstractItemModelTester tester(model.members(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.apply(history(1, {{"db-1"}, {"db-2"}}));
        QSignalSpy removes(model.members(), &QAbstractItemModel::rowsRemoved);
        QSignalSpy inserts(model.members(), &QAbstractItemModel::rowsInserted);
        QSignalSpy resets(model.members(), &QAbstractItemModel::modelReset);
        QSignalSpy count(model.members(), &InfraListModel::countChanged);
        model.apply(next(point(kT0 + kIntervalMs, {{"db-2"}, {"db-4"}})));
        QCOMPARE(memberNames(model), (names({"db-2", "db-4"})));
        QCOMPARE(removes.count(), 1);
        QCOMPARE(inserts.count(), 1);
        QCOMPARE(resets.count(), 0);
        QCOMPARE(count.count(), 0);
        // Each member keeps its chart line.
        QCOMPARE(model.memberSeriesNames(), (names({"db-1", "db-2", "db-4"})));
        QCOMPARE(model.members()->index(1).data(InfraMemberModel::SeriesRole).toInt(), 2);
    }

    void levelsThresholdsAndHeadlineAreExposed()
    {
        ManualClock clock(kT0);
        InfraModel model(&clock);
        QSignalSpy levels(&model, &InfraModel::levelsChanged);
        fleet::v1::InfraUpdate u = history(1, {{"db-1", fleet::v1::LEVEL_OK, NAN, "PRIMARY"},
                                               {"db-2", fleet::v1::LEVEL_CRITICAL, 12.f}});
        auto *p = u.mutable_points(0);
        p->set_db_level(fleet::v1::LEVEL_CRITICAL);
        p->set_kafka_level(fleet::v1::LEVEL_WARNING);
        model.apply(u);
        QVERIFY(levels.count() >= 1);
        QCOMPARE(model.dbLevel(), int(InfraModel::Critical));
        QCOMPARE(model.proxyLevel(), int(InfraModel::Ok));
        QCOMPARE(model.kafkaLevel(), int(InfraModel::Warning));
        QCOMPARE(model.overallLevel(), int(InfraModel::Critical));
        QVERIFY2(model.headline().startsWith(QStringLiteral("db-2")), qPrintable(model.headline()));
        QVERIFY2(model.headline().contains(QStringLiteral("red ≥ 10 s")), qPrintable(model.headline()));
        const QVariantMap t = model.thresholds();
        QCOMPARE(t.value(QStringLiteral("replicationLagCriticalS")).toDouble(), 10.0);
        QCOMPARE(t.value(QStringLiteral("kafkaLagWarning")).toDouble(), 1000.0);
        QCOMPARE(t.value(QStringLiteral("connectionsUsedWarning")).toDouble(), double(0.8f));
        // The primary's unknown lag stays unknown, not 0.
        const QModelIndex primary = model.members()->index(1);
        QCOMPARE(primary.data(InfraMemberModel::NameRole).toString(), QStringLiteral("db-1"));
        QVERIFY(std::isnan(primary.data(InfraMemberModel::ReplicationLagRole).toDouble()));
        QCOMPARE(primary.data(InfraMemberModel::LagLevelRole).toInt(), int(InfraModel::Unknown));
    }

    void proxyAndKafkaRowsAreJudgedAgainstThresholds()
    {
        ManualClock clock(kT0);
        InfraModel model(&clock);
        fleet::v1::InfraUpdate u = history(1);
        auto *p = u.mutable_points(0);
        for (const double b : {0.001, 0.01, 0.1, 1.0, 10.0, 60.0})
            p->add_proxy_bucket_bounds_s(b);
        const auto group = [p](const char *app, const char *collection, float ops, float errors, float over100) {
            auto *g = p->add_proxy();
            g->set_app(app);
            g->set_collection(collection);
            g->set_ops_per_s(ops);
            g->set_errors_per_s(errors);
            g->set_share_over_100ms(over100);
            for (const float s : {0.5f, 0.3f, 0.2f - over100, over100, 0.f, 0.f, 0.f})
                g->add_bucket_shares(s);
            g->set_level(errors / ops >= 0.05f || over100 >= 0.2f ? fleet::v1::LEVEL_CRITICAL : fleet::v1::LEVEL_OK);
        };
        group("router", "tasks", 100, 0, 0.01f);
        group("dispatcher", "robots", 300, 30, 0.01f);
        group("api", "orders", 100, 0, 0.0f);
        for (int i = 0; i < 3; ++i) {
            auto *lag = p->add_kafka_lag();
            lag->set_topic("telemetry");
            lag->set_partition(i);
            lag->set_lag(i == 1 ? 20000 : 10);
        }
        model.apply(u);

        const auto &proxy = model.proxyGroups()->rows();
        QCOMPARE(proxy.front().app, QStringLiteral("dispatcher"));
        QCOMPARE(proxy.front().errorLevel, int(InfraModel::Critical));
        QVERIFY2(proxy.front().reason.contains(QStringLiteral("errors 10.0 %")), qPrintable(proxy.front().reason));
        QCOMPARE(proxy[1].app, QStringLiteral("api"));
        QCOMPARE(proxy[2].app, QStringLiteral("router"));
        QCOMPARE(model.bucketLabels().size(), 7);
        QCOMPARE(model.bucketLabels().front(), QStringLiteral("< 1 ms"));
        QCOMPARE(model.bucketLabels().back(), QStringLiteral("> 60 s"));

        const auto &partitions = model.partitions()->rows();
        QCOMPARE(partitions.front().partition, 1);
        QCOMPARE(partitions.front().level, int(InfraModel::Critical));
        QCOMPARE(model.kafkaLagTotal(), 20020.0);

        // The heatmap's column: all traffic, each group weighted by its ops.
        const InfraModel::Sample &s = model.samples().back();
        QCOMPARE(s.bucketCount, 7);
        QCOMPARE(s.buckets[0], 0.5f);
        QVERIFY(std::abs(s.buckets[3] - (0.01f * 100 + 0.01f * 300) / 500) < 1e-6f);
    }

    void silentSourcesExplainTheirSection()
    {
        ManualClock clock(kT0);
        InfraModel model(&clock);
        fleet::v1::InfraUpdate u = history(1);
        auto *p = u.mutable_points(0);
        const auto source = [p](const char *name, bool up, const char *error) {
            auto *s = p->add_sources();
            s->set_name(name);
            s->set_up(up);
            s->set_error(error);
            s->set_last_success_unix_ms(up ? kT0 : 0);
        };
        source("mongoproxy:9898", true, "");
        source("mongodb_exporter:9216", false, "connection refused");
        source("kafka-consumer-lag", true, "");
        model.apply(u);
        QCOMPARE(model.sourceCount(), 3);
        QCOMPARE(model.sourcesUp(), 2);
        QVERIFY2(model.dbSourceProblem().contains(QStringLiteral("connection refused")), qPrintable(model.dbSourceProblem()));
        QVERIFY(model.proxySourceProblem().isEmpty());
        QVERIFY(model.kafkaSourceProblem().isEmpty());
        // The one that does not answer comes first.
        QCOMPARE(model.sources()->rows().front().name, QStringLiteral("mongodb_exporter:9216"));
    }

    void ageGrowsUntilTheNextUpdateAndTurnsStale()
    {
        ManualClock clock(kT0);
        InfraModel model(&clock);
        QCOMPARE(model.ageMs(), -1.0);
        QVERIFY(!model.stale());
        model.apply(history(2));
        QCOMPARE(model.ageMs(), 0.0);
        clock.advance(4000);
        QCOMPARE(model.ageMs(), 4000.0);
        QVERIFY(!model.stale());
        clock.advance(12'000);
        QVERIFY(model.stale());
        model.apply(next(point(kT0 + 2 * kIntervalMs)));
        QCOMPARE(model.ageMs(), 0.0);
        QVERIFY(!model.stale());
    }

    void seriesValuesPerMember()
    {
        ManualClock clock(kT0);
        InfraModel model(&clock);
        model.apply(history(1, {{"db-1", fleet::v1::LEVEL_OK, 0.25f}, {"db-2", fleet::v1::LEVEL_OK, 3.f}}));
        QCOMPARE(model.lineCount(InfraModel::MemberReplicationLag), 2);
        QCOMPARE(model.lineCount(InfraModel::ProxyOps), 1);
        const InfraModel::Sample &s = model.samples().back();
        QCOMPARE(InfraModel::value(s, InfraModel::MemberReplicationLag, 1), 3.f);
        QCOMPARE(InfraModel::value(s, InfraModel::FleetFaulted, 0), 3.f);
        QVERIFY(std::isnan(InfraModel::value(s, InfraModel::MemberReplicationLag, 5)));
        QVERIFY(std::isnan(InfraModel::value(s, InfraModel::KafkaLagTotal, 0)));   // no partitions: no value
    }
};

QTEST_GUILESS_MAIN(TestInfraModel)
#include "tst_inframodel.moc"
