// The infrastructure page in a real window, fed by hand: amber and red reach the tiles and the
// headline, blank sections say why, and the heatmap writes one column per new point (a history
// rewrites them all). With FLEETDECK_INFRA_SCREENSHOTS=dir it also saves the page in both themes,
// for a person to look at (run under xvfb-run with QT_QPA_PLATFORM=xcb).

#include "clock.h"
#include "heatmapitem.h"
#include "inframodel.h"
#include "infratypes.h"

#include "fleet/v1/console.pb.h"

#include <QDir>
#include <QGuiApplication>
#include <QImage>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickView>
#include <QTest>

#include <cmath>
#include <memory>

using namespace fleetdeck;

namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;
constexpr int kIntervalMs = 5000;
constexpr int kHistoryPoints = 300;   // 25 minutes

const char kWrapper[] = R"(
import QtQuick 2.15
import Fleetdeck.Console 1.0
import Fleetdeck.Infra 1.0
Item {
    id: root
    required property var infra
    property bool dark: true
    Palette { id: palette_; dark: root.dark }
    InfraView { anchors.fill: parent; infra: root.infra; colors: palette_ }
}
)";

// A replica set of three where db-3 falls behind from minute 15 (amber, then red), an error burst on
// dispatcher/robots, slow responses on router/tasks, and Kafka lag growing on one partition.
fleet::v1::InfraPoint scenePoint(int i)
{
    fleet::v1::InfraPoint p;
    const std::int64_t t = kT0 + std::int64_t(i) * kIntervalMs;
    p.set_time_unix_ms(t);
    const double wave = std::sin(i / 9.0);
    const bool incident = i >= 180;
    const double lag = incident ? std::min(14.0, (i - 180) * 0.12) : 0.3 + 0.1 * wave;
    for (int m = 1; m <= 3; ++m) {
        auto *member = p.add_members();
        member->set_name(QStringLiteral("db-%1.fleet.internal:27017").arg(m).toStdString());
        member->set_state(m == 1 ? "PRIMARY" : "SECONDARY");
        member->set_up(true);
        member->set_replication_lag_s(m == 1 ? NAN : float(m == 3 ? lag : 0.2 + 0.05 * wave));
        member->set_connections_current(m == 1 ? 640 : 210);
        member->set_connections_available(m == 1 ? 160 : 590);
        member->set_ping_p50_ms(0.8f);
        member->set_ping_p99_ms(float(m == 3 && incident ? 40 + (i - 180) * 1.5 : 3 + wave));
        member->set_read_p99_ms(float(m == 3 && incident ? 120 + (i - 180) * 2.0 : 8 + 2 * wave));
        member->set_worst_probe_p99_ms(std::max(member->ping_p99_ms(), member->read_p99_ms()));
        member->set_write_p99_ms(m == 1 ? 14 : NAN);
        member->set_level(m == 3 && lag >= 10 ? fleet::v1::LEVEL_CRITICAL
                          : m == 3 && lag >= 5 ? fleet::v1::LEVEL_WARNING
                          : m == 1 ? fleet::v1::LEVEL_WARNING : fleet::v1::LEVEL_OK);
    }
    for (const double b : {0.001, 0.01, 0.1, 1.0, 10.0, 60.0})
        p.add_proxy_bucket_bounds_s(b);
    struct G { const char *app, *collection; double ops, errors, slow; };
    const bool burst = i >= 250 && i < 280;
    const G groups[] = {{"dispatcher", "robots", 420, burst ? 38 : 0.2, 0.004},
                        {"router", "tasks", 180, 0.1, incident ? 0.12 : 0.01},
                        {"api", "orders", 90, 0, 0.002},
                        {"telemetry-sink", "positions", 1300, 0.5, 0.001},
                        {"billing", "invoices", 12, 0, 0.0}};
    double ops = 0, errors = 0;
    for (const G &g : groups) {
        auto *group = p.add_proxy();
        group->set_app(g.app);
        group->set_collection(g.collection);
        group->set_ops_per_s(float(g.ops));
        group->set_errors_per_s(float(g.errors));
        const double over1s = g.slow * 0.05;
        const float shares[] = {0.55f, float(0.45 - 3 * g.slow), float(2 * g.slow), float(g.slow - over1s), float(over1s), 0, 0};
        for (const float s : shares)
            group->add_bucket_shares(s);
        group->set_share_over_10ms(float(3 * g.slow));
        group->set_share_over_100ms(float(g.slow));
        group->set_share_over_1s(float(over1s));
        const double rate = g.errors / g.ops;
        group->set_level(rate >= 0.05 || g.slow >= 0.2 ? fleet::v1::LEVEL_CRITICAL
                         : rate >= 0.01 || g.slow >= 0.05 ? fleet::v1::LEVEL_WARNING : fleet::v1::LEVEL_OK);
        ops += g.ops;
        errors += g.errors;
    }
    p.set_proxy_ops_per_s(float(ops));
    p.set_proxy_errors_per_s(float(errors));
    for (int part = 0; part < 6; ++part) {
        auto *l = p.add_kafka_lag();
        l->set_topic("fleet.telemetry.v1");
        l->set_partition(part);
        l->set_lag(part == 4 && incident ? 200 + (i - 180) * 60 : 20 + part * 3);
    }
    auto *f = p.mutable_fleet();
    f->set_robots(200);
    f->set_faulted(incident ? 3 + (i - 180) / 12 : 3);
    f->set_stale(incident && i > 220 ? (i - 220) / 3 : 1);
    f->set_teleop(2);
    f->set_teleop_rtt_p99_ms(float(incident ? 180 + (i - 180) * 3 : 140 + 10 * wave));
    const auto source = [&p, t](const char *name, bool up, const char *error) {
        auto *s = p.add_sources();
        s->set_name(name);
        s->set_up(up);
        s->set_error(error);
        s->set_last_success_unix_ms(up ? t : kT0 + 120 * kIntervalMs);
    };
    source("mongodb_exporter db-1:9216", true, "");
    source("mongodb_exporter db-2:9216", true, "");
    source("mongodb_exporter db-3:9216", i < 120, "context deadline exceeded");
    source("mongoproxy sidecars (PromQL)", true, "");
    source("kafka consumer stats", true, "");
    const int lagLevel = incident && i > 200 ? 3 : incident ? 2 : 1;
    p.set_db_level(fleet::v1::Level(lag >= 10 ? 3 : 2));
    p.set_proxy_level(fleet::v1::Level(burst ? 3 : incident ? 2 : 1));
    p.set_kafka_level(fleet::v1::Level(lagLevel));
    return p;
}

fleet::v1::InfraUpdate sceneHistory(int points)
{
    fleet::v1::InfraUpdate u;
    u.set_history(true);
    u.set_interval_ms(kIntervalMs);
    auto *t = u.mutable_thresholds();
    t->set_replication_lag_warning_s(5);
    t->set_replication_lag_critical_s(10);
    t->set_latency_p99_warning_ms(100);
    t->set_latency_p99_critical_ms(500);
    t->set_connections_used_warning(0.75f);
    t->set_connections_used_critical(0.9f);
    t->set_proxy_error_rate_warning(0.01f);
    t->set_proxy_error_rate_critical(0.05f);
    t->set_proxy_share_over_100ms_warning(0.05f);
    t->set_proxy_share_over_100ms_critical(0.2f);
    t->set_kafka_lag_warning(1000);
    t->set_kafka_lag_critical(10000);
    for (int i = 0; i < points; ++i)
        *u.add_points() = scenePoint(i);
    return u;
}

// By the visual tree: delegates of a Repeater are not QObject children of anything findChild sees.
QQuickItem *findItem(QQuickItem *root, const QString &objectName)
{
    if (root->objectName() == objectName)
        return root;
    const auto children = root->childItems();
    for (QQuickItem *child : children) {
        if (QQuickItem *found = findItem(child, objectName))
            return found;
    }
    return nullptr;
}

}  // namespace

class TestInfraView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { registerInfraTypes(); }

    void amberAndRedReachTheTiles()
    {
        ManualClock clock(kT0 + kHistoryPoints * kIntervalMs);
        InfraModel model(&clock);
        model.apply(sceneHistory(kHistoryPoints));

        QQuickView view;
        view.engine()->addImportPath(QStringLiteral("qrc:/qt/qml"));
        view.setInitialProperties({{QStringLiteral("infra"), QVariant::fromValue(&model)}});
        view.setResizeMode(QQuickView::SizeRootObjectToView);
        view.resize(1600, 956);
        QQmlComponent component(view.engine());
        component.setData(kWrapper, QUrl(QStringLiteral("qrc:/tst_infraview/Wrapper.qml")));
        QVERIFY2(component.isReady(), qPrintable(component.errorString()));
        std::unique_ptr<QObject> object(component.createWithInitialProperties(
            {{QStringLiteral("infra"), QVariant::fromValue(&model)}}));
        QVERIFY2(object, qPrintable(component.errorString()));
        auto *root = qobject_cast<QQuickItem *>(object.get());
        root->setParentItem(view.contentItem());
        root->setSize(QSizeF(1600, 956));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));

        // db-3 is red and comes first; the overall badge and the headline say so.
        auto *overall = findItem(root, QStringLiteral("overallLevel"));
        QVERIFY(overall);
        QCOMPARE(overall->property("level").toInt(), int(InfraModel::Critical));
        auto *headline = findItem(root, QStringLiteral("headline"));
        QVERIFY(headline);
        QVERIFY2(headline->property("text").toString().startsWith(QStringLiteral("db-3")),
                 qPrintable(headline->property("text").toString()));
        auto *red = findItem(root, QStringLiteral("memberTile:db-3.fleet.internal:27017"));
        QVERIFY(red);
        QCOMPARE(red->property("level").toInt(), int(InfraModel::Critical));
        auto *amber = findItem(root, QStringLiteral("memberTile:db-1.fleet.internal:27017"));
        QVERIFY(amber);
        QCOMPARE(amber->property("level").toInt(), int(InfraModel::Warning));
        QVERIFY(red->y() < amber->y() || (red->y() == amber->y() && red->x() < amber->x()));
        // The source that stopped answering is named in the database section.
        QVERIFY(model.dbSourceProblem().contains(QStringLiteral("context deadline exceeded")));

        // The heatmap: one full write for the history, then one column per point.
        auto *heatmap = qobject_cast<HeatmapItem *>(findItem(root, QStringLiteral("heatmap")));
        QVERIFY(heatmap);
        QCOMPARE(heatmap->bucketCount(), 7);
        const QImage first = view.grabWindow();
        QVERIFY(!first.isNull());
        QCOMPARE(heatmap->fullRebuilds(), 1);
        QCOMPARE(heatmap->columnsWritten(), kHistoryPoints);
        fleet::v1::InfraUpdate update;
        *update.add_points() = scenePoint(kHistoryPoints);
        model.apply(update);
        (void)view.grabWindow();
        QCOMPARE(heatmap->fullRebuilds(), 1);
        QCOMPARE(heatmap->columnsWritten(), kHistoryPoints + 1);

        // For a person to look at.
        const QString dir = qEnvironmentVariable("FLEETDECK_INFRA_SCREENSHOTS");
        if (!dir.isEmpty()) {
            QDir().mkpath(dir);
            for (const bool dark : {true, false}) {
                root->setProperty("dark", dark);
                QTest::qWait(50);
                const QImage image = view.grabWindow();
                QVERIFY(image.save(QDir(dir).filePath(dark ? QStringLiteral("infra-dark.png") : QStringLiteral("infra-light.png"))));
            }
        }
    }

    void blankSectionsSayWhy()
    {
        ManualClock clock(kT0);
        InfraModel model(&clock);
        fleet::v1::InfraUpdate u;
        u.set_history(true);
        u.set_interval_ms(kIntervalMs);
        auto *p = u.add_points();
        p->set_time_unix_ms(kT0);
        auto *s = p->add_sources();
        s->set_name("mongodb_exporter db-1:9216");
        s->set_up(false);
        s->set_error("connection refused");
        model.apply(u);

        QQuickView view;
        view.engine()->addImportPath(QStringLiteral("qrc:/qt/qml"));
        QQmlComponent component(view.engine());
        component.setData(kWrapper, QUrl(QStringLiteral("qrc:/tst_infraview/Wrapper.qml")));
        std::unique_ptr<QObject> object(component.createWithInitialProperties(
            {{QStringLiteral("infra"), QVariant::fromValue(&model)}}));
        QVERIFY2(object, qPrintable(component.errorString()));
        auto *root = qobject_cast<QQuickItem *>(object.get());
        root->setSize(QSizeF(1600, 956));
        auto *db = findItem(root, QStringLiteral("dbBlank"));
        QVERIFY(db);
        QVERIFY(db->isVisible());
        QVERIFY2(db->property("text").toString().contains(QStringLiteral("connection refused")),
                 qPrintable(db->property("text").toString()));
        auto *kafka = findItem(root, QStringLiteral("kafkaBlank"));
        QVERIFY(kafka);
        QVERIFY(kafka->property("text").toString().contains(QStringLiteral("no Kafka partitions")));
    }
};

QTEST_MAIN(TestInfraView)
#include "tst_infraview.moc"
