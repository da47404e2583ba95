// Writes seed inputs for the fuzzers from real producers: telemetry the fleet simulator publishes,
// ClientMessages of every kind as a console sends them, Prometheus text of the simulated database
// tier. `fuzz_seeds OUTDIR` fills OUTDIR/{telemetry,clientmessage,exposition}; packaging/fuzz.sh
// --reseed merges them (minimised) into tests/fuzz/corpus.

#include "codec.h"
#include "dbsimulator.h"
#include "fleetsimulator.h"
#include "fuzzframes.h"
#include "histogram.h"
#include "prometheustext.h"
#include "streetgraph.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>

#include <cmath>
#include <cstdio>
#include <limits>

namespace {

using namespace fleetdeck;

class SeedWriter
{
public:
    SeedWriter(const QString &root, const QString &target) : m_dir(root + QLatin1Char('/') + target)
    {
        QDir().mkpath(m_dir);
    }

    void write(const QString &name, const QByteArray &bytes)
    {
        QFile file(m_dir + QLatin1Char('/') + name);
        if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size()) {
            std::fprintf(stderr, "fuzz_seeds: cannot write %s\n", qPrintable(file.fileName()));
            std::exit(1);
        }
        ++m_count;
    }

    [[nodiscard]] int count() const { return m_count; }

private:
    QString m_dir;
    int m_count = 0;
};

QByteArray encode(const RobotState &state)
{
    fleet::v1::Telemetry wire;
    codec::stateToTelemetry(state, &wire);
    return codec::serialize(wire);
}

// Control byte of a telemetry frame (fuzz_telemetry.cpp): key, timestamp follows, clock step, tick.
std::uint8_t telemetryControl(int key, bool timestamp, int step, bool tick)
{
    return std::uint8_t((key & 7) | (timestamp ? 8 : 0) | ((step & 7) << 4) | (tick ? 0x80 : 0));
}

void writeTelemetry(const QString &root, const sim::StreetGraph &graph)
{
    SeedWriter out(root, QStringLiteral("telemetry"));
    sim::FleetSimulatorConfig config;
    config.robotCount = 7;
    config.stuckPerHour = config.sensorFaultPerHour = config.overtempPerHour = config.offlinePerHour = 50;
    sim::FleetSimulator fleet(graph, config);
    std::int64_t now = fuzz::kStartUnixMs;
    std::vector<RobotState> published;
    for (int step = 0; step < 600; ++step) {
        now += 100;
        fleet.step(now);
        for (const RobotState *state : fleet.takeDue(now))
            published.push_back(*state);
    }

    // Single payloads, bare: what the decoder sees for each message.
    for (std::size_t i = 0; i < published.size(); i += published.size() / 12 + 1)
        out.write(QStringLiteral("payload-sim-%1").arg(i), encode(published[i]));

    // Batches as Kafka delivers them: keyed by robot, ticks between, some with broker timestamps.
    for (int seed = 0; seed < 4; ++seed) {
        QByteArray input;
        const std::size_t first = std::size_t(seed) * published.size() / 4;
        for (std::size_t i = first; i < std::min(first + 24, published.size()); ++i) {
            const int key = published[i].robotId.right(1).toInt();
            const bool timestamp = seed % 2 == 1;
            fuzz::appendFrame(&input, telemetryControl(key, timestamp, 2 + (seed == 3 ? 4 : 0), i % 6 == 5),
                              encode(published[i]));
            if (timestamp)
                fuzz::appendInt64(&input, now - 1000 * std::int64_t(i));
        }
        out.write(QStringLiteral("batch-sim-%1").arg(seed), input);
    }

    // Values no robot should send, each alone, decoding or refused.
    RobotState base = published.empty() ? RobotState() : published.back();
    base.robotId = QStringLiteral("nb-0001");
    const auto variant = [&](const QString &name, auto change) {
        RobotState s = base;
        change(s);
        QByteArray input;
        fuzz::appendFrame(&input, telemetryControl(1, false, 2, true), encode(base));
        fuzz::appendFrame(&input, telemetryControl(1, false, 2, true), encode(s));
        out.write(QStringLiteral("edge-%1").arg(name), input);
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    variant(QStringLiteral("nan-lat"), [&](RobotState &s) { s.latDeg = nan; ++s.sequence; });
    variant(QStringLiteral("inf-lon"), [&](RobotState &s) { s.lonDeg = -inf; ++s.sequence; });
    variant(QStringLiteral("off-globe"), [&](RobotState &s) { s.latDeg = 91; ++s.sequence; });
    variant(QStringLiteral("nan-battery"), [&](RobotState &s) { s.batteryPct = float(nan); ++s.sequence; });
    variant(QStringLiteral("battery-over"), [&](RobotState &s) { s.batteryPct = 1e30f; ++s.sequence; });
    variant(QStringLiteral("inf-speed"), [&](RobotState &s) { s.speedMps = float(inf); s.headingDeg = float(nan); ++s.sequence; });
    variant(QStringLiteral("huge-speed"), [&](RobotState &s) { s.speedMps = 3e38f; s.linkRttMs = -1; ++s.sequence; });
    variant(QStringLiteral("unknown-mode"), [&](RobotState &s) { s.mode = Mode(200); s.lidar = SensorStatus(77); ++s.sequence; });
    variant(QStringLiteral("long-id"), [&](RobotState &s) { s.robotId = QString(129, QLatin1Char('x')); ++s.sequence; });
    variant(QStringLiteral("empty-id"), [&](RobotState &s) { s.robotId.clear(); ++s.sequence; });
    variant(QStringLiteral("many-faults"), [&](RobotState &s) {
        for (int i = 0; i < 100; ++i)
            s.faults.push_back({i % 12, 1000 + i, QStringLiteral("detail %1").arg(i)});
        ++s.sequence;
    });
    variant(QStringLiteral("reboot"), [&](RobotState &s) { s.sequence = 1; s.sampleTimeUnixMs += 60'000; });
    variant(QStringLiteral("duplicate"), [&](RobotState &) {});
    variant(QStringLiteral("old-time"), [&](RobotState &s) { s.sequence = 0; s.sampleTimeUnixMs = std::numeric_limits<std::int64_t>::min(); });
    std::printf("telemetry: %d seeds\n", out.count());
}

// Control byte of a clientmessage frame (fuzz_clientmessage.cpp): console or event, clock step, text.
std::uint8_t consoleControl(int console, int step = 1, bool text = false)
{
    return std::uint8_t((console & 3) | ((step & 7) << 2) | (text ? 0x20 : 0));
}

class ConsoleScript
{
public:
    ConsoleScript &send(int console, const fleet::v1::ClientMessage &message, int step = 1)
    {
        fuzz::appendFrame(&m_bytes, consoleControl(console, step), codec::serialize(message));
        return *this;
    }
    ConsoleScript &raw(int console, const QByteArray &bytes, bool text = false)
    {
        fuzz::appendFrame(&m_bytes, consoleControl(console, 1, text), bytes);
        return *this;
    }
    // Backend events: 0 disconnect, 1 command path toggle, 2 robot ack, 3 sink toggle, 4 tick, 5 drain.
    ConsoleScript &event(int kind, const QByteArray &argument = QByteArray(1, '\0'), int step = 1)
    {
        fuzz::appendFrame(&m_bytes, consoleControl(3, step), QByteArray(1, char(kind)) + argument);
        return *this;
    }
    [[nodiscard]] QByteArray bytes() const { return m_bytes; }

private:
    QByteArray m_bytes;
};

fleet::v1::ClientMessage hello(const char *operatorName, bool readOnly = false, int version = 1)
{
    fleet::v1::ClientMessage m;
    auto *h = m.mutable_hello();
    h->set_protocol_version(static_cast<fleet::v1::ProtocolVersion>(version));
    h->set_client_name("fleetdeck 0.1 desktop");
    h->set_operator_name(operatorName);
    h->set_read_only(readOnly);
    return m;
}

fleet::v1::ClientMessage subscribe(bool wholeFleet, double s, double w, double n, double e, int followed = 1)
{
    fleet::v1::ClientMessage m;
    auto *sub = m.mutable_subscribe();
    sub->set_whole_fleet(wholeFleet);
    sub->set_south_deg(s);
    sub->set_west_deg(w);
    sub->set_north_deg(n);
    sub->set_east_deg(e);
    for (int i = 0; i < followed; ++i)
        sub->add_followed_slots(std::uint32_t(i));
    return m;
}

fleet::v1::ClientMessage acquire(const char *robot, bool takeover = false, const char *reason = "")
{
    fleet::v1::ClientMessage m;
    m.mutable_acquire_lease()->set_robot_id(robot);
    m.mutable_acquire_lease()->set_takeover(takeover);
    m.mutable_acquire_lease()->set_reason(reason);
    return m;
}

fleet::v1::ClientMessage release(const char *leaseId)
{
    fleet::v1::ClientMessage m;
    m.mutable_release_lease()->set_lease_id(leaseId);
    return m;
}

fleet::v1::ClientMessage teleop(fleet::v1::TeleopCommand::Kind kind, const char *robot, const char *leaseId,
                                std::uint64_t sequence, std::int64_t sentMs, float linear = 0, float angular = 0)
{
    fleet::v1::ClientMessage m;
    auto *t = m.mutable_teleop();
    t->set_kind(kind);
    t->set_robot_id(robot);
    t->set_lease_id(leaseId);
    t->set_sequence(sequence);
    t->set_sent_unix_ms(sentMs);
    t->set_linear_mps(linear);
    t->set_angular_dps(angular);
    return m;
}

fleet::v1::ClientMessage heartbeat()
{
    fleet::v1::ClientMessage m;
    m.mutable_heartbeat()->set_sent_unix_ms(fuzz::kStartUnixMs);
    return m;
}

fleet::v1::ClientMessage resync()
{
    fleet::v1::ClientMessage m;
    m.mutable_resync()->set_last_good_sequence(3);
    return m;
}

QByteArray ack(const char *robot, std::uint64_t sequence)
{
    fleet::v1::CommandAck a;
    a.set_robot_id(robot);
    a.set_sequence(sequence);
    a.set_result(fleet::v1::CommandAck::RESULT_APPLIED);
    return codec::serialize(a);
}

void writeClientMessages(const QString &root)
{
    using Kind = fleet::v1::TeleopCommand;
    SeedWriter out(root, QStringLiteral("clientmessage"));
    // The clock moves 1 ms per frame in these scripts (step index 1), so "now" is start + frames.
    const std::int64_t t = fuzz::kStartUnixMs;

    out.write(QStringLiteral("hello-only"), ConsoleScript().send(0, hello("alice")).bytes());
    out.write(QStringLiteral("every-kind"),
              ConsoleScript()
                  .send(0, hello("alice"))
                  .send(0, heartbeat())
                  .send(0, resync())
                  .send(0, subscribe(false, 59.42, 24.74, 59.46, 24.78, 2))
                  .send(0, acquire("nb-0001"))
                  .send(0, teleop(Kind::KIND_DRIVE, "nb-0001", "#0", 1, t + 6, 1.5f, 30))
                  .send(0, teleop(Kind::KIND_STOP, "nb-0001", "#0", 2, t + 7))
                  .send(0, teleop(Kind::KIND_RESUME_AUTONOMY, "nb-0001", "#0", 3, t + 8))
                  .send(0, release("#0"))
                  .send(0, teleop(Kind::KIND_EMERGENCY_STOP, "nb-0002", "", 1, t + 10))
                  .bytes());
    out.write(QStringLiteral("drive-session"),
              ConsoleScript()
                  .send(0, hello("alice"))
                  .send(0, acquire("nb-0003"))
                  .send(0, teleop(Kind::KIND_DRIVE, "nb-0003", "#0", 1, t + 3, 0.8f, 10))
                  .event(2, ack("nb-0003", 1))
                  .send(0, teleop(Kind::KIND_DRIVE, "nb-0003", "#0", 2, t + 5, 5.0f, -400))
                  .send(0, teleop(Kind::KIND_DRIVE, "nb-0003", "#0", 2, t + 6, 1.0f, 0))
                  .send(0, teleop(Kind::KIND_DRIVE, "nb-0003", "#0", 9, t - 100'000, 1.0f, 0))
                  .send(0, teleop(Kind::KIND_DRIVE, "nb-0003", "#0", 10, t + 10, std::nanf(""), 0))
                  .event(4)
                  .event(4, QByteArray(1, '\0'), 5)
                  .bytes());
    out.write(QStringLiteral("takeover"),
              ConsoleScript()
                  .send(0, hello("alice"))
                  .send(1, hello("admin"))
                  .send(2, hello("wall", true))
                  .send(0, acquire("nb-0002"))
                  .send(1, acquire("nb-0002"))
                  .send(1, acquire("nb-0002", true, ""))
                  .send(1, acquire("nb-0002", true, "alice is not responding"))
                  .send(2, acquire("nb-0002"))
                  .send(2, teleop(Kind::KIND_EMERGENCY_STOP, "nb-0002", "", 1, t + 9))
                  .send(0, teleop(Kind::KIND_DRIVE, "nb-0002", "#1", 1, t + 10, 1, 0))
                  .event(0, QByteArray(1, '\1'))
                  .bytes());
    out.write(QStringLiteral("lease-limits"),
              ConsoleScript()
                  .send(0, hello("alice"))
                  .send(0, acquire("nb-0001"))
                  .send(0, acquire("nb-0002"))
                  .send(0, acquire("nb-0003"))
                  .send(0, acquire("nb-0004"))
                  .send(0, acquire("nb-0005"))
                  .send(0, acquire("nb-0001"))
                  .send(0, acquire("nb-9999"))
                  .send(0, release("no-such-lease"))
                  .event(4, QByteArray(1, '\0'), 5)
                  .send(0, teleop(Kind::KIND_DRIVE, "nb-0001", "#3", 1, t + 3100, 1, 0))
                  .bytes());
    out.write(QStringLiteral("command-path-down"),
              ConsoleScript()
                  .send(0, hello("alice"))
                  .send(0, acquire("nb-0001"))
                  .event(1)
                  .send(0, teleop(Kind::KIND_DRIVE, "nb-0001", "#0", 1, t + 4, 1, 0))
                  .send(0, acquire("nb-0002"))
                  .event(1)
                  .event(3)
                  .send(0, teleop(Kind::KIND_DRIVE, "nb-0001", "#0", 2, t + 8, 1, 0))
                  .event(3)
                  .send(0, teleop(Kind::KIND_UNSPECIFIED, "nb-0001", "#0", 3, t + 10, 1, 0))
                  .bytes());
    out.write(QStringLiteral("rate-limit"), [&] {
        ConsoleScript script;
        script.send(0, hello("alice")).send(0, acquire("nb-0004"));
        for (int i = 1; i <= 14; ++i)
            script.send(0, teleop(Kind::KIND_DRIVE, "nb-0004", "#0", std::uint64_t(i), t + 2 + i, 1, 0), 0);
        return script.bytes();
    }());
    out.write(QStringLiteral("slow-console"), [&] {
        ConsoleScript script;
        script.send(0, hello("alice"));
        for (int i = 0; i < 12; ++i)
            script.send(0, resync());
        script.send(0, subscribe(true, 0, 0, 0, 0, 0)).event(4).event(5, QByteArray(1, '\0')).event(4);
        return script.bytes();
    }());
    const double nan = std::numeric_limits<double>::quiet_NaN();
    out.write(QStringLiteral("bad-subscribe-nan"),
              ConsoleScript().send(0, hello("alice")).send(0, subscribe(false, nan, 0, 1, 1)).bytes());
    out.write(QStringLiteral("bad-subscribe-box"),
              ConsoleScript().send(0, hello("alice")).send(0, subscribe(false, 10, 10, -10, 200)).bytes());
    out.write(QStringLiteral("bad-subscribe-followed"),
              ConsoleScript().send(0, hello("alice")).send(0, subscribe(true, 0, 0, 0, 0, 65)).bytes());
    out.write(QStringLiteral("protocol-errors"),
              ConsoleScript()
                  .send(0, heartbeat())
                  .send(1, hello("bob", false, 7))
                  .send(2, hello("carol"))
                  .send(2, hello("carol"))
                  .raw(0, QByteArray("\xff\xff\xff", 3))
                  .raw(1, QByteArray())
                  .raw(2, QByteArrayLiteral("hello"), true)
                  .bytes());
    out.write(QStringLiteral("timeouts"),
              ConsoleScript()
                  .send(0, hello("alice"))
                  .send(1, heartbeat())
                  .event(4, QByteArray(1, '\0'), 5)
                  .event(4, QByteArray(1, '\0'), 6)
                  .send(0, hello("alice"))
                  .bytes());
    std::printf("clientmessage: %d seeds\n", out.count());
}

void writeExpositions(const QString &root)
{
    SeedWriter out(root, QStringLiteral("exposition"));
    sim::DbSimulator db;
    sim::DbActivity activity;
    activity.robotsOnline = 200;
    activity.robotsMoving = 120;
    activity.telemetryPerSecond = 400;
    activity.deliveriesPerSecond = 0.1;
    activity.teleopSessions = 1;
    std::int64_t now = fuzz::kStartUnixMs;
    QString error;
    (void)db.addIncident(sim::DbIncident::errorBurst(QStringLiteral("fleet-api"), QStringLiteral("deliveries"),
                                                     now + 5'000, 60'000),
                         &error);
    db.advance(now, activity);
    for (int i = 0; i < 4; ++i)
        db.advance(now += 5000, activity);
    const std::vector<std::pair<QString, QByteArray>> first = db.expositions();
    for (int i = 0; i < 3; ++i)
        db.advance(now += 5000, activity);
    const std::vector<std::pair<QString, QByteArray>> second = db.expositions();
    // A proxy's full text (per client and collection) runs to 200 KB: its head, cut at a line, has every
    // kind of family, and a fuzzer mutates small inputs faster.
    const auto head = [](const QByteArray &text) {
        constexpr qsizetype kMaxSeedBytes = 12 << 10;
        return text.size() <= kMaxSeedBytes ? text : text.left(text.lastIndexOf('\n', kMaxSeedBytes) + 1);
    };
    for (std::size_t i = 0; i < first.size(); ++i) {
        const QString name = QString(first[i].first).replace(QLatin1Char('/'), QLatin1Char('-'));
        out.write(name, head(first[i].second));
        // Two scrapes of one endpoint, for rates and histogram windows.
        out.write(name + QStringLiteral("-twice"), head(first[i].second) + '\f' + head(second[i].second));
    }

    // The backend's own exposition, as PrometheusText writes it.
    PrometheusText text;
    text.counter("fleetdeck_ticks_total", "Fan-out ticks run.", 1234);
    text.gauge("fleetdeck_robots", "Robots known to the backend, by data freshness.", 180, {{"freshness", "live"}});
    text.gauge("fleetdeck_robots", "", 20, {{"freshness", "stale"}});
    Histogram histogram({0.001, 0.01, 0.1});
    for (const double v : {0.0005, 0.004, 0.02, 0.5})
        histogram.observe(v);
    text.histogram("fleetdeck_tick_duration_seconds", "Time to drain, diff, encode and send one tick.", histogram);
    out.write(QStringLiteral("fleetdeckd"), text.text());

    // What the format allows and the parser must refuse or take.
    out.write(QStringLiteral("edge-format"),
              QByteArrayLiteral("# HELP x_seconds A \\\\ help\\n with escapes\n"
                                "# TYPE x_seconds histogram\n"
                                "x_seconds_bucket{le=\"0.1\",path=\"/a\\\"b\"} 1 1700000000000\n"
                                "x_seconds_bucket{path=\"/a\\\"b\",le=\"+Inf\"} 3\n"
                                "x_seconds_sum{path=\"/a\\\"b\"} 0.5\n"
                                "x_seconds_count{path=\"/a\\\"b\"} 3\n"
                                "# TYPE q summary\n"
                                "q{quantile=\"0.99\"} NaN\n"
                                "q_sum 1e-400\n"
                                "q_count -Inf\n"
                                "untyped_thing{a=\"1\",a=\"2\"} 1\n"
                                "bad{le=\"x\"} 1e999\n"
                                "#TYPE plain comment\r\n"
                                "x_seconds 7\n"));
    std::printf("exposition: %d seeds\n", out.count());
}

}  // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_seeds OUTDIR\n");
        return 2;
    }
    const QString root = QString::fromLocal8Bit(argv[1]);
    QString error;
    const std::optional<sim::StreetGraph> graph = sim::StreetGraph::loadShipped(&error);
    if (!graph) {
        std::fprintf(stderr, "fuzz_seeds: %s\n", qPrintable(error));
        return 1;
    }
    writeTelemetry(root, *graph);
    writeClientMessages(root);
    writeExpositions(root);
    return 0;
}
