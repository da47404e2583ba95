// Fan-out: 10,000 robots at 1 Hz to 1, 10 and 100 WebSocket consoles. Prints the backend's CPU (its
// main thread: mailbox, diff, encode, send), bytes per console per second, and the same for a naive
// server that encodes and pushes a full snapshot to every console each tick — what a straightforward
// implementation does. The consoles run in a child process (this program with --consoles), so their
// CPU is not the backend's.

#include "benchsupport.h"
#include "clock.h"
#include "codec.h"
#include "fleetserver.h"
#include "fleetstore.h"
#include "telemetrymailbox.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <cstdio>
#include <memory>

using namespace fleetdeck;

namespace {

constexpr int kRobots = 10'000;
constexpr int kTickMs = 100;
constexpr int kWarmUpMs = 2000;
constexpr int kMeasureMs = 8000;

// Child mode: K consoles that say Hello and count what they receive until told to stop; with
// `zoomedIn`, each then watches one street-sized viewport (about 4 % of the synthetic fleet).
int runConsoles(const QUrl &url, int count, int durationMs, bool zoomedIn)
{
    fleet::v1::ClientMessage subscribe;
    subscribe.mutable_subscribe()->set_south_deg(53.545);
    subscribe.mutable_subscribe()->set_north_deg(53.5499);
    subscribe.mutable_subscribe()->set_west_deg(13.240);
    subscribe.mutable_subscribe()->set_east_deg(13.2489);
    const QByteArray subscribeBytes = codec::serialize(subscribe);
    std::vector<std::unique_ptr<QWebSocket>> sockets;
    quint64 bytes = 0, frames = 0, snapshots = 0;
    fleet::v1::ClientMessage hello;
    hello.mutable_hello()->set_protocol_version(fleet::v1::PROTOCOL_VERSION_1);
    const QByteArray helloBytes = codec::serialize(hello);
    for (int i = 0; i < count; ++i) {
        auto socket = std::make_unique<QWebSocket>();
        QWebSocket *s = socket.get();
        QObject::connect(s, &QWebSocket::connected, s, [s, helloBytes] { s->sendBinaryMessage(helloBytes); });
        QObject::connect(s, &QWebSocket::binaryMessageReceived, s, [&, s](const QByteArray &message) {
            bytes += quint64(message.size());
            ++frames;
            // Cheap check of the kind without a full parse: field 3 of ServerMessage is Snapshot.
            if (!message.isEmpty() && message.at(0) == char((3 << 3) | 2)) {
                if (++snapshots <= quint64(count) && zoomedIn)
                    s->sendBinaryMessage(subscribeBytes);
            }
        });
        s->open(url);
        sockets.push_back(std::move(socket));
    }
    QTimer::singleShot(durationMs, qApp, [] { QCoreApplication::quit(); });
    QCoreApplication::exec();
    std::printf("%llu %llu %llu\n", bytes, frames, snapshots);
    return 0;
}

// The comparison: a full snapshot encoded for and pushed to every console on every tick.
class NaiveServer : public QObject
{
public:
    NaiveServer(TelemetryMailbox *mailbox) : m_mailbox(mailbox)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *s = m_server.nextPendingConnection())
                m_clients.push_back(s);
        });
        connect(&m_timer, &QTimer::timeout, this, &NaiveServer::tick);
        m_timer.start(kTickMs);
    }
    [[nodiscard]] quint16 port() const { return m_server.serverPort(); }

private:
    void tick()
    {
        for (const RobotState &sample : m_mailbox->take())
            m_store.apply(sample, 0);
        for (QWebSocket *client : m_clients) {
            fleet::v1::ServerMessage message;
            auto *snapshot = message.mutable_snapshot();
            snapshot->set_sequence(++m_sequence);
            for (std::uint32_t slot = 0; slot < m_store.size(); ++slot)
                codec::writeRobotState(m_store.robot(slot), slot, FieldGroup::All, snapshot->add_robots());
            client->sendBinaryMessage(codec::serialize(message));
        }
    }

    TelemetryMailbox *m_mailbox;
    FleetStore m_store;
    QWebSocketServer m_server{QStringLiteral("naive"), QWebSocketServer::NonSecureMode};
    std::vector<QWebSocket *> m_clients;
    QTimer m_timer;
    quint64 m_sequence = 0;
};

struct Result {
    double cpuPct = 0;
    double bytesPerConsolePerS = 0;
    double framesPerConsolePerS = 0;
    double rssMiB = 0;
};

// Feeds the fleet at 1 Hz per robot (a tenth of the fleet per tick) and measures one configuration.
Result measure(TelemetryMailbox *mailbox, quint16 port, int consoles, bool zoomedIn = false)
{
    quint64 step = 0;
    QTimer feeder;
    feeder.setTimerType(Qt::PreciseTimer);
    QObject::connect(&feeder, &QTimer::timeout, [&] {
        std::vector<RobotState> batch;
        batch.reserve(kRobots / 10);
        const int first = int(step % 10) * (kRobots / 10);
        for (int i = first; i < first + kRobots / 10; ++i)
            batch.push_back(bench::syntheticRobot(i, step / 10 + 1));
        mailbox->put(std::move(batch));
        ++step;
    });
    feeder.start(kTickMs);

    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QCoreApplication::applicationFilePath(),
                {QStringLiteral("--consoles"), QStringLiteral("ws://127.0.0.1:%1").arg(port), QString::number(consoles),
                 QString::number(kWarmUpMs + kMeasureMs),
                 zoomedIn ? QStringLiteral("zoomed-in") : QStringLiteral("whole-fleet")});
    // Wait in a real event loop (never a spinning processEvents), so the CPU measured is the work.
    QEventLoop loop;
    QTimer::singleShot(kWarmUpMs, &loop, &QEventLoop::quit);
    loop.exec();
    QElapsedTimer wall;
    const double cpu0 = bench::threadCpuSeconds();
    wall.start();
    QObject::connect(&child, qOverload<int, QProcess::ExitStatus>(&QProcess::finished), &loop, &QEventLoop::quit);
    if (child.state() != QProcess::NotRunning)
        loop.exec();
    const double seconds = double(wall.nsecsElapsed()) / 1e9;
    Result result;
    result.cpuPct = 100.0 * (bench::threadCpuSeconds() - cpu0) / seconds;
    const QList<QByteArray> counts = child.readAllStandardOutput().trimmed().split(' ');
    const double totalS = double(kWarmUpMs + kMeasureMs) / 1000.0;
    result.bytesPerConsolePerS = counts.value(0).toDouble() / consoles / totalS;
    result.framesPerConsolePerS = counts.value(1).toDouble() / consoles / totalS;
    result.rssMiB = bench::rssKiB() / 1024.0;
    feeder.stop();
    return result;
}

void report(const char *kind, int consoles, const Result &r)
{
    const QByteArray suffix = "_consoles" + QByteArray::number(consoles);
    bench::print(QByteArray(kind) + "_cpu" + suffix, r.cpuPct, "%core");
    bench::print(QByteArray(kind) + "_bytes_per_console" + suffix, r.bytesPerConsolePerS, "B/s");
    bench::print(QByteArray(kind) + "_rss" + suffix, r.rssMiB, "MiB");
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    if (args.size() == 6 && args[1] == QLatin1String("--consoles"))
        return runConsoles(QUrl(args[2]), args[3].toInt(), args[4].toInt(), args[5] == QLatin1String("zoomed-in"));

    std::printf("fan-out of %d robots at 1 Hz, tick %d ms; %d s measured per configuration\n", kRobots, kTickMs,
                kMeasureMs / 1000);
    double deltaBytes1 = 0, naiveBytes1 = 0;
    const auto measureFleetServer = [](int consoles, bool zoomedIn, quint64 *encoded, quint64 *sent) {
        SystemClock clock;
        TelemetryMailbox mailbox;
        FleetServer::Settings settings;
        settings.tickIntervalMs = kTickMs;
        FleetServer server(settings, &mailbox, &clock);
        QString error;
        if (!server.listen(QHostAddress::LocalHost, 0, &error))
            std::exit(1);
        server.startTicking();
        const Result r = measure(&mailbox, server.port(), consoles, zoomedIn);
        *encoded = server.stats().deltasEncoded;
        *sent = server.stats().framesSent;
        return r;
    };
    for (const int consoles : {1, 10, 100}) {
        quint64 encoded = 0, sent = 0;
        const Result r = measureFleetServer(consoles, false, &encoded, &sent);
        report("fanout_delta", consoles, r);
        if (consoles == 1)
            deltaBytes1 = r.bytesPerConsolePerS;
        std::printf("  delta fan-out, %3d consoles: backend %.1f %% of a core, %.0f KiB/s per console, %.1f frames/s, "
                    "%llu deltas encoded for %llu frames sent\n",
                    consoles, r.cpuPct, r.bytesPerConsolePerS / 1024, r.framesPerConsolePerS, encoded, sent);
    }
    {
        quint64 encoded = 0, sent = 0;
        const Result r = measureFleetServer(100, true, &encoded, &sent);
        report("fanout_viewport", 100, r);
        std::printf("  viewport fan-out, 100 consoles zoomed in on ~4 %% of the fleet: backend %.1f %% of a core, "
                    "%.0f KiB/s per console\n",
                    r.cpuPct, r.bytesPerConsolePerS / 1024);
    }
    // 100 consoles of naive 10 Hz snapshots would queue about 1.5 GB/s: measured at 1 and 10 only.
    for (const int consoles : {1, 10}) {
        TelemetryMailbox mailbox;
        NaiveServer naive(&mailbox);
        const Result r = measure(&mailbox, naive.port(), consoles);
        report("fanout_naive_snapshots", consoles, r);
        if (consoles == 1)
            naiveBytes1 = r.bytesPerConsolePerS;
        std::printf("  naive snapshots, %3d consoles: backend %.1f %% of a core, %.0f KiB/s per console\n", consoles,
                    r.cpuPct, r.bytesPerConsolePerS / 1024);
    }
    bench::print("fanout_snapshot_to_delta_bytes_ratio", naiveBytes1 / std::max(1.0, deltaBytes1), "x");
    std::printf("summary: deltas are %.1fx smaller than full snapshots per console (target >= 5x)\n",
                naiveBytes1 / std::max(1.0, deltaBytes1));
    return 0;
}
