// Alert rules: each one fires after its hold, does not flap inside its hysteresis band, clears after
// its hold, and the lifecycle (firing → acknowledged → resolved → dropped) holds. Time is passed by
// hand: no sleeping.

#include "alertengine.h"
#include "fleetstore.h"

#include <QTest>

using namespace fleetdeck;
using alerts::AlertEngine;

namespace {

constexpr double kLat = 53.5580;
constexpr double kLon = 13.2610;

// A fleet whose robots report when told to, on a clock moved by hand.
class Fleet
{
public:
    std::int64_t now = 1'700'000'000'000;
    FleetStore store;
    AlertEngine engine;
    std::vector<fleet::v1::Alert> changed;
    std::vector<std::uint64_t> removed;

    explicit Fleet(alerts::Rules rules = {}) : engine(rules) {}

    RobotState &robot(const QString &id)
    {
        auto it = m_robots.find(id);
        if (it == m_robots.end()) {
            RobotState r;
            r.robotId = id;
            r.latDeg = kLat;
            r.lonDeg = kLon;
            r.mode = Mode::Autonomous;
            r.batteryPct = 80;
            r.linkRttMs = 60;
            it = m_robots.emplace(id, r).first;
        }
        return it->second;
    }
    void report(const QString &id)
    {
        RobotState &r = robot(id);
        r.sequence = ++m_sequence;
        r.sampleTimeUnixMs = now;
        store.apply(r, now);
    }
    // Every robot in `talking` reports each second for `ms`, and the engine evaluates each second.
    void run(std::int64_t ms, const QStringList &talking, const fleet::v1::InfraPoint *infra = nullptr)
    {
        for (std::int64_t t = 0; t < ms; t += 1000) {
            now += 1000;
            for (const QString &id : talking)
                report(id);
            store.updateFreshness(now);
            (void)store.takeChanges();
            AlertEngine::Changes c = engine.evaluate(now, store, infra);
            changed.insert(changed.end(), c.changed.begin(), c.changed.end());
            removed.insert(removed.end(), c.removed.begin(), c.removed.end());
        }
    }
    [[nodiscard]] std::vector<fleet::v1::Alert> open(const std::string &rule) const
    {
        std::vector<fleet::v1::Alert> out;
        for (const fleet::v1::Alert &a : engine.alerts()) {
            if (a.rule() == rule && a.state() != fleet::v1::ALERT_STATE_RESOLVED)
                out.push_back(a);
        }
        return out;
    }
    [[nodiscard]] int fired(const std::string &rule) const
    {
        int n = 0;
        for (const fleet::v1::Alert &a : changed)
            n += a.rule() == rule && a.state() == fleet::v1::ALERT_STATE_FIRING && a.fired_unix_ms() == firedAt(a.id()) ? 1 : 0;
        return n;
    }

private:
    [[nodiscard]] std::int64_t firedAt(std::uint64_t id) const
    {
        for (const fleet::v1::Alert &a : changed) {
            if (a.id() == id)
                return a.fired_unix_ms();
        }
        return -1;
    }
    std::map<QString, RobotState> m_robots;
    std::uint64_t m_sequence = 0;
};

fleet::v1::InfraPoint replicaSet(double standbyLagS, float standbyReadP99Ms, bool standbyUp = true)
{
    fleet::v1::InfraPoint p;
    auto *primary = p.add_members();
    primary->set_name("mongo-0");
    primary->set_state("PRIMARY");
    primary->set_up(true);
    primary->set_ping_p99_ms(2);
    primary->set_worst_probe_p99_ms(2);
    auto *standby = p.add_members();
    standby->set_name("mongo-2");
    standby->set_state("SECONDARY");
    standby->set_up(standbyUp);
    standby->set_replication_lag_s(float(standbyLagS));
    standby->set_ping_p99_ms(2);
    standby->set_read_p99_ms(standbyReadP99Ms);
    standby->set_worst_probe_p99_ms(std::max(2.f, standbyReadP99Ms));   // as InfraService derives it
    return p;
}

}  // namespace

class TestAlertEngine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void faultFiresAtOnceAndResolvesAfterItsHold()
    {
        Fleet f;
        const QStringList all{QStringLiteral("nb-1")};
        f.run(3000, all);
        QVERIFY(f.open("robot_faulted").empty());
        f.robot(QStringLiteral("nb-1")).mode = Mode::Fault;
        f.robot(QStringLiteral("nb-1")).faults = {{1, f.now, QStringLiteral("left motor overheated")}};
        f.run(1000, all);
        const auto open = f.open("robot_faulted");
        QCOMPARE(open.size(), std::size_t(1));
        QCOMPARE(open[0].robot_id(), std::string("nb-1"));
        QCOMPARE(open[0].severity(), fleet::v1::SEVERITY_CRITICAL);
        QVERIFY(QString::fromStdString(open[0].detail()).contains(QStringLiteral("left motor overheated")));
        QVERIFY(!open[0].what_to_check().empty());

        f.robot(QStringLiteral("nb-1")).mode = Mode::Autonomous;
        f.robot(QStringLiteral("nb-1")).faults.clear();
        f.run(14'000, all);
        QCOMPARE(f.open("robot_faulted").size(), std::size_t(1));   // clear, but not for long enough yet
        f.run(2000, all);
        QVERIFY(f.open("robot_faulted").empty());
        QCOMPARE(f.changed.back().state(), fleet::v1::ALERT_STATE_RESOLVED);
    }

    void batteryDoesNotFlapInsideItsBand()
    {
        Fleet f;
        const QStringList all{QStringLiteral("nb-1")};
        f.robot(QStringLiteral("nb-1")).batteryPct = 14;
        f.run(4000, all);
        QVERIFY(f.open("battery_low").empty());   // must hold 5 s first
        f.run(2000, all);
        QCOMPARE(f.open("battery_low").size(), std::size_t(1));
        // Wobbling between 14 and 18 % (inside 15..20): one alert, never resolved, never refired.
        for (int i = 0; i < 20; ++i) {
            f.robot(QStringLiteral("nb-1")).batteryPct = i % 2 ? 14 : 18;
            f.run(3000, all);
        }
        QCOMPARE(f.fired("battery_low"), 1);
        QCOMPARE(f.open("battery_low").size(), std::size_t(1));
        f.robot(QStringLiteral("nb-1")).batteryPct = 25;
        f.run(16'000, all);
        QVERIFY(f.open("battery_low").empty());
        // Charging with a low battery is what it should do: no alert.
        f.robot(QStringLiteral("nb-1")).batteryPct = 5;
        f.robot(QStringLiteral("nb-1")).mode = Mode::Charging;
        f.run(30'000, all);
        QVERIFY(f.open("battery_low").empty());
    }

    void noProgressWhileWorkingIsStuck()
    {
        Fleet f;
        const QStringList all{QStringLiteral("nb-1")};
        f.robot(QStringLiteral("nb-1")).mode = Mode::Delivering;
        f.run(60'000, all);
        QVERIFY(f.open("robot_stuck").empty());
        f.run(6000, all);   // 60 s without progress, then the 5 s hold
        QCOMPARE(f.open("robot_stuck").size(), std::size_t(1));
        QVERIFY(QString::fromStdString(f.open("robot_stuck")[0].detail()).contains(QStringLiteral("no progress")));
        // Moving 10 m is progress; the alert resolves after its hold.
        f.robot(QStringLiteral("nb-1")).latDeg += 0.0001;
        f.run(16'000, all);
        QVERIFY(f.open("robot_stuck").empty());
        // Idle robots stand still by design.
        f.robot(QStringLiteral("nb-1")).mode = Mode::Idle;
        f.run(120'000, all);
        QVERIFY(f.open("robot_stuck").empty());
    }

    void silentRobotsEscalateAndCrowdsBecomeOneAreaAlert()
    {
        Fleet f;
        QStringList crowd;
        for (int i = 0; i < 6; ++i)
            crowd.append(QStringLiteral("nb-%1").arg(i));
        const QString loner = QStringLiteral("nb-far");
        f.robot(loner).latDeg = kLat + 0.05;   // about 5 km north: another area
        f.run(2000, crowd + QStringList{loner});
        // Everyone goes quiet: stale after 5 s, the area alert 5 s later.
        f.run(11'000, {});
        const auto area = f.open("area_stale");
        QCOMPARE(area.size(), std::size_t(1));
        QCOMPARE(area[0].severity(), fleet::v1::SEVERITY_CRITICAL);
        QVERIFY(QString::fromStdString(area[0].title()).contains(QStringLiteral("6 robots")));
        QVERIFY(std::abs(area[0].latitude_deg() - kLat) < 0.001);
        const auto single = f.open("robot_stale");
        QCOMPARE(single.size(), std::size_t(1));   // the loner only; the crowd is the area's
        QCOMPARE(single[0].robot_id(), std::string("nb-far"));
        QCOMPARE(single[0].severity(), fleet::v1::SEVERITY_WARNING);
        // Lost after 30 s: the same alert, escalated.
        f.run(21'000, {});
        QCOMPARE(f.open("robot_stale").size(), std::size_t(1));
        QCOMPARE(f.open("robot_stale")[0].severity(), fleet::v1::SEVERITY_CRITICAL);
        QCOMPARE(f.open("robot_stale")[0].id(), single[0].id());
        // They all come back: everything resolves after the hold.
        f.run(16'000, crowd + QStringList{loner});
        QVERIFY(f.open("area_stale").empty());
        QVERIFY(f.open("robot_stale").empty());
    }

    void brokerOutageIsOneAlertNotAThousand()
    {
        Fleet f;
        QStringList fleet;
        for (int i = 0; i < 30; ++i) {
            fleet.append(QStringLiteral("nb-%1").arg(i));
            f.robot(fleet.back()).latDeg = kLat + i * 0.02;   // spread over many areas
        }
        f.run(2000, fleet);
        f.engine.setKafkaReachable(false);
        f.run(40'000, {});   // every robot silent, then lost
        QCOMPARE(f.open("telemetry_outage").size(), std::size_t(1));
        QCOMPARE(f.open("telemetry_outage")[0].severity(), fleet::v1::SEVERITY_CRITICAL);
        QCOMPARE(f.open("telemetry_outage")[0].infra_tile(), std::string("kafka"));
        QVERIFY(f.open("robot_stale").empty());
        QVERIFY(f.open("area_stale").empty());
        // Back: the robots report again, the outage resolves after its hold, nothing else fired.
        f.engine.setKafkaReachable(true);
        f.run(16'000, fleet);
        QVERIFY(f.open("telemetry_outage").empty());
        QVERIFY(f.open("robot_stale").empty());
        QCOMPARE(f.fired("robot_stale"), 0);
    }

    void silenceHoldsRobotAlertsAndTheOutageHasAGrace()
    {
        Fleet f;
        const QStringList all{QStringLiteral("nb-1"), QStringLiteral("nb-2")};
        f.robot(QStringLiteral("nb-1")).mode = Mode::Stuck;
        f.run(7000, all);
        QCOMPARE(f.open("robot_stuck").size(), std::size_t(1));
        const std::uint64_t stuckId = f.open("robot_stuck")[0].id();
        // Kafka goes away for a minute: the stuck robot's alert is neither cleared nor refired.
        f.engine.setKafkaReachable(false);
        f.run(60'000, {});
        QCOMPARE(f.open("robot_stuck").size(), std::size_t(1));
        QCOMPARE(f.open("robot_stuck")[0].id(), stuckId);
        // Back: robots are stale until their next report, and a few report late; no stale alert.
        f.engine.setKafkaReachable(true);
        f.run(3000, {});
        f.run(8000, all);
        QCOMPARE(f.fired("robot_stale"), 0);
        QCOMPARE(f.open("robot_stuck")[0].id(), stuckId);
        QCOMPARE(f.fired("robot_stuck"), 1);   // nb-2 stood still while unheard: not stuck for that
    }

    void connectionsRunningOut()
    {
        Fleet f;
        fleet::v1::InfraPoint p = replicaSet(1, 8);
        p.mutable_members(0)->set_connections_current(4700);
        p.mutable_members(0)->set_connections_available(300);
        f.run(11'000, {}, &p);
        QCOMPARE(f.open("db_connections").size(), std::size_t(1));
        QCOMPARE(f.open("db_connections")[0].subject(), std::string("mongo-0"));
        QVERIFY(QString::fromStdString(f.open("db_connections")[0].detail()).contains(QStringLiteral("94 %")));
        p.mutable_members(0)->set_connections_current(4250);   // 85 %: inside the band
        p.mutable_members(0)->set_connections_available(750);
        f.run(30'000, {}, &p);
        QCOMPARE(f.open("db_connections").size(), std::size_t(1));
        p.mutable_members(0)->set_connections_current(1000);
        p.mutable_members(0)->set_connections_available(4000);
        f.run(16'000, {}, &p);
        QVERIFY(f.open("db_connections").empty());
    }

    void slowLinkFiresAndClearsWithHysteresis()
    {
        Fleet f;
        const QStringList all{QStringLiteral("nb-1")};
        f.robot(QStringLiteral("nb-1")).linkRttMs = 600;
        f.run(6000, all);
        QCOMPARE(f.open("link_rtt_high").size(), std::size_t(1));
        f.robot(QStringLiteral("nb-1")).linkRttMs = 300;   // better, not good
        f.run(30'000, all);
        QCOMPARE(f.open("link_rtt_high").size(), std::size_t(1));
        f.robot(QStringLiteral("nb-1")).linkRttMs = 100;
        f.run(16'000, all);
        QVERIFY(f.open("link_rtt_high").empty());
    }

    void standbyLagAndLatency()
    {
        Fleet f;
        fleet::v1::InfraPoint healthy = replicaSet(1, 8);
        f.run(20'000, {}, &healthy);
        QVERIFY(f.engine.alerts().empty());

        fleet::v1::InfraPoint backup = replicaSet(45, 400);
        f.run(9000, {}, &backup);
        QVERIFY(f.open("replication_lag").empty());   // infrastructure holds 10 s
        f.run(2000, {}, &backup);
        QCOMPARE(f.open("replication_lag").size(), std::size_t(1));
        QCOMPARE(f.open("replication_lag")[0].subject(), std::string("mongo-2"));
        QCOMPARE(f.open("replication_lag")[0].infra_tile(), std::string("db"));
        QCOMPARE(f.open("db_latency").size(), std::size_t(1));
        QVERIFY(QString::fromStdString(f.open("db_latency")[0].detail()).contains(QStringLiteral("400 ms")));

        fleet::v1::InfraPoint recovering = replicaSet(20, 200);   // inside both bands
        f.run(60'000, {}, &recovering);
        QCOMPARE(f.open("replication_lag").size(), std::size_t(1));
        QCOMPARE(f.open("db_latency").size(), std::size_t(1));
        f.run(16'000, {}, &healthy);
        QVERIFY(f.open("replication_lag").empty());
        QVERIFY(f.open("db_latency").empty());

        fleet::v1::InfraPoint down = replicaSet(0, 8, false);
        f.run(11'000, {}, &down);
        QCOMPARE(f.open("db_member_down").size(), std::size_t(1));
    }

    void proxyErrorsAndKafkaLag()
    {
        Fleet f;
        fleet::v1::InfraPoint p;
        auto *g = p.add_proxy();
        g->set_app("dispatcher");
        g->set_collection("tasks");
        g->set_ops_per_s(50);
        g->set_errors_per_s(10);
        auto *idle = p.add_proxy();
        idle->set_app("fleet-api");
        idle->set_collection("deliveries");
        idle->set_ops_per_s(0.2f);
        idle->set_errors_per_s(0.2f);   // every request failing, but one in five seconds says little
        auto *lag = p.add_kafka_lag();
        lag->set_topic("fleet.telemetry");
        lag->set_partition(3);
        lag->set_lag(250'000);
        f.run(11'000, {}, &p);
        QCOMPARE(f.open("proxy_errors").size(), std::size_t(1));
        QCOMPARE(f.open("proxy_errors")[0].subject(), std::string("dispatcher/tasks"));
        QCOMPARE(f.open("kafka_lag").size(), std::size_t(1));
        QCOMPARE(f.open("kafka_lag")[0].subject(), std::string("fleet.telemetry/3"));
    }

    void acknowledgementLifecycle()
    {
        Fleet f;
        f.robot(QStringLiteral("nb-1")).mode = Mode::Fault;
        f.run(1000, {QStringLiteral("nb-1")});
        const std::uint64_t id = f.open("robot_faulted").at(0).id();
        QString reason;
        const std::optional<fleet::v1::Alert> acked = f.engine.acknowledge(id, QStringLiteral("alice"), f.now, &reason);
        QVERIFY(acked);
        QCOMPARE(acked->state(), fleet::v1::ALERT_STATE_ACKNOWLEDGED);
        QCOMPARE(acked->acknowledged_by(), std::string("alice"));
        QCOMPARE(acked->acknowledged_unix_ms(), f.now);
        QVERIFY(!f.engine.acknowledge(id, QStringLiteral("bob"), f.now, &reason));
        QCOMPARE(reason, QStringLiteral("already acknowledged by alice"));
        QVERIFY(!f.engine.acknowledge(9999, QStringLiteral("bob"), f.now, &reason));
        QCOMPARE(reason, QStringLiteral("no such alert"));

        // Still true after the acknowledgement: stays acknowledged, not refired.
        f.run(30'000, {QStringLiteral("nb-1")});
        QCOMPARE(f.engine.find(id)->state(), fleet::v1::ALERT_STATE_ACKNOWLEDGED);
        f.robot(QStringLiteral("nb-1")).mode = Mode::Autonomous;
        f.run(16'000, {QStringLiteral("nb-1")});
        QCOMPARE(f.engine.find(id)->state(), fleet::v1::ALERT_STATE_RESOLVED);
        QCOMPARE(f.engine.find(id)->acknowledged_by(), std::string("alice"));   // who was on it stays on record
        QVERIFY(!f.engine.acknowledge(id, QStringLiteral("bob"), f.now, &reason));
        QCOMPARE(reason, QStringLiteral("already resolved"));

        // Faulting again later is a new alert; the old one is dropped after 15 minutes.
        f.robot(QStringLiteral("nb-1")).mode = Mode::Fault;
        f.run(1000, {QStringLiteral("nb-1")});
        QVERIFY(f.open("robot_faulted").at(0).id() != id);
        f.run(15 * 60'000, {QStringLiteral("nb-1")});
        QVERIFY(!f.engine.find(id));
        QVERIFY(std::find(f.removed.begin(), f.removed.end(), id) != f.removed.end());
    }

    void memoryIsBoundedInACityWideOutage()
    {
        alerts::Rules rules;
        rules.maxAlerts = 50;
        rules.areaStaleMinRobots = 1'000'000;   // no folding: the worst case for per-robot alerts
        Fleet f(rules);
        QStringList fleet;
        for (int i = 0; i < 200; ++i) {
            fleet.append(QStringLiteral("nb-%1").arg(i));
            f.robot(fleet.back()).latDeg = kLat + i * 0.01;
        }
        f.run(1000, fleet);
        f.run(10'000, {});
        QCOMPARE(f.engine.alerts().size(), std::size_t(50));
        QVERIFY(f.removed.size() >= 150);
    }

    void mostSevereFirst()
    {
        Fleet f;
        f.robot(QStringLiteral("nb-1")).batteryPct = 5;
        f.run(6000, {QStringLiteral("nb-1"), QStringLiteral("nb-2")});
        f.robot(QStringLiteral("nb-2")).mode = Mode::Fault;
        f.run(1000, {QStringLiteral("nb-1"), QStringLiteral("nb-2")});
        const auto all = f.engine.alerts();
        QCOMPARE(all.size(), std::size_t(2));
        QCOMPARE(all[0].rule(), std::string("robot_faulted"));
        QCOMPARE(all[1].rule(), std::string("battery_low"));
    }
};

QTEST_GUILESS_MAIN(TestAlertEngine)
#include "tst_alertengine.moc"
