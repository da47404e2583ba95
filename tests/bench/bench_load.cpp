// The backend under abuse while consoles watch: the real fleetdeckd reading an embedded Kafka where
// the simulator publishes (BENCH_LOAD_ROBOTS robots, default 1000; both in this process, so the
// backend's memory is its own and not the broker's log), 10 real consoles (FleetClient) and a probe console that times every delta (its
// age on arrival: the backend's send time to now, one clock) and checks its sequence. Phases of
// BENCH_LOAD_PHASE_S seconds (default 20), each printing the probe's figures, the backend's memory
// and descriptors, and whether every console kept receiving:
//   baseline  nothing else
//   deaf      5 consoles that never read (heartbeating, so only the pause limit closes them): until
//             the backend has closed all five
//   churn     consoles connecting, saying Hello and leaving, 20 at a time, as fast as they can
//   flood     consoles sending 5,000 messages a second (each closed by the rate limit, then back)
//   hey       `hey -z PHASE -c 300` on /metrics, then on /healthz (Debian package hey; skipped
//             when it is not installed)
// BENCH_LOAD_PHASES=baseline,churn,churn,… runs some of them, in that order.

#include "benchsupport.h"
#include "daemonprocess.h"
#include "deafconsole.h"
#include "simulatedfleet.h"

#include "clock.h"
#include "codec.h"
#include "fleetclient.h"
#include "websockettransport.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTimer>
#include <QWebSocket>

#include <cstdio>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <vector>

using namespace fleetdeck;
using namespace fleetdeck::testing;

namespace {

QByteArray helloBytes(const char *name)
{
    fleet::v1::ClientMessage hello;
    hello.mutable_hello()->set_protocol_version(fleet::v1::PROTOCOL_VERSION_1);
    hello.mutable_hello()->set_client_name(name);
    hello.mutable_hello()->set_read_only(true);
    return codec::serialize(hello);
}

// Times each delta on arrival and checks the sequence.
class Probe : public QObject
{
public:
    explicit Probe(const QUrl &url)
    {
        connect(&m_socket, &QWebSocket::connected, this, [this] { m_socket.sendBinaryMessage(helloBytes("probe")); });
        connect(&m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &bytes) {
            fleet::v1::ServerMessage message;
            if (!codec::parse(bytes, &message))
                return;
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            if (message.has_snapshot()) {
                m_sequence = message.snapshot().sequence();
            } else if (message.has_delta()) {
                if (m_sequence != 0 && message.delta().sequence() != m_sequence + 1)
                    ++gaps;
                m_sequence = message.delta().sequence();
                ages.push_back(double(now - message.delta().server_time_unix_ms()));
                if (m_lastDeltaMs > 0)
                    intervals.push_back(double(now - m_lastDeltaMs));
                m_lastDeltaMs = now;
            }
        });
        connect(&m_socket, &QWebSocket::disconnected, this, [this] { ++disconnects; });
        // Consoles heartbeat; the backend closes one silent for 10 s.
        connect(&m_heartbeat, &QTimer::timeout, this, [this] {
            fleet::v1::ClientMessage heartbeat;
            heartbeat.mutable_heartbeat()->set_sent_unix_ms(QDateTime::currentMSecsSinceEpoch());
            m_socket.sendBinaryMessage(codec::serialize(heartbeat));
        });
        m_heartbeat.start(1000);
        m_socket.open(url);
    }
    void reset()
    {
        ages.clear();
        intervals.clear();
    }

    std::vector<double> ages;       // ms from the backend's send time to arrival
    std::vector<double> intervals;  // ms between deltas
    int gaps = 0;
    int disconnects = 0;

private:
    QWebSocket m_socket;
    QTimer m_heartbeat;
    quint64 m_sequence = 0;
    qint64 m_lastDeltaMs = 0;
};

struct Console {
    SystemClock clock;
    WebSocketTransport transport;
    FleetClient client{&transport, &clock};
};

void printPhase(const QByteArray &phase, Probe &probe, const DaemonProcess &backend, const std::vector<std::unique_ptr<Console>> &consoles,
                const std::vector<quint64> &deltasBefore)
{
    using bench::print;
    using bench::percentile;
    print("load_" + phase + "_delta_age_p50", percentile(probe.ages, 50), "ms");
    print("load_" + phase + "_delta_age_p99", percentile(probe.ages, 99), "ms");
    print("load_" + phase + "_delta_interval_p99", percentile(probe.intervals, 99), "ms");
    print("load_" + phase + "_delta_interval_max", percentile(probe.intervals, 100), "ms");
    print("load_" + phase + "_probe_deltas", double(probe.ages.size()), "deltas");
    print("load_" + phase + "_backend_rss", backend.residentKiB() / 1024, "MiB");
    print("load_" + phase + "_backend_fds", backend.openFds(), "fds");
    int live = 0;
    quint64 fewest = ~quint64(0);
    for (std::size_t i = 0; i < consoles.size(); ++i) {
        live += consoles[i]->client.state() == FleetClient::ConnectionState::Live ? 1 : 0;
        fewest = std::min(fewest, consoles[i]->client.stats().deltas - deltasBefore[i]);
    }
    print("load_" + phase + "_consoles_live", live, "consoles");
    print("load_" + phase + "_console_fewest_deltas", double(fewest), "deltas");
    probe.reset();
}

std::vector<quint64> deltaCounts(const std::vector<std::unique_ptr<Console>> &consoles)
{
    std::vector<quint64> counts;
    for (const auto &console : consoles)
        counts.push_back(console->client.stats().deltas);
    return counts;
}

// hey's summary: requests/s, p99 latency (ms), responses that were not 200, errors.
struct HeyResult {
    double requestsPerSecond = -1;
    double p99Ms = -1;
    double non200 = 0;
    double errors = 0;
};

HeyResult parseHey(const QString &output)
{
    HeyResult result;
    const QRegularExpression rps(QStringLiteral("Requests/sec:\\s+([0-9.]+)"));
    const QRegularExpression p99(QStringLiteral("99% in ([0-9.]+) secs"));
    const QRegularExpression status(QStringLiteral("\\[(\\d+)\\]\\s+(\\d+) responses"));
    const QRegularExpression error(QStringLiteral("\\[(\\d+)\\]\\s+Get "));
    if (const auto m = rps.match(output); m.hasMatch())
        result.requestsPerSecond = m.captured(1).toDouble();
    if (const auto m = p99.match(output); m.hasMatch())
        result.p99Ms = m.captured(1).toDouble() * 1000;
    for (auto it = status.globalMatch(output); it.hasNext();) {
        const auto m = it.next();
        if (m.captured(1) != QLatin1String("200"))
            result.non200 += m.captured(2).toDouble();
    }
    for (auto it = error.globalMatch(output); it.hasNext();)
        result.errors += it.next().captured(1).toDouble();
    return result;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int phaseS = qEnvironmentVariableIsSet("BENCH_LOAD_PHASE_S") ? qEnvironmentVariableIntValue("BENCH_LOAD_PHASE_S") : 20;
    const int robots = qEnvironmentVariableIsSet("BENCH_LOAD_ROBOTS") ? qEnvironmentVariableIntValue("BENCH_LOAD_ROBOTS") : 1000;
    const qint64 phaseMs = qint64(phaseS) * 1000;
    using bench::print;

    QString error;
    SimulatedFleet fleet;
    if (!fleet.start(robots, &error)) {
        std::fprintf(stderr, "bench_load: %s\n", qPrintable(error));
        return 1;
    }
    DaemonProcess backend;
    if (!backend.start({QStringLiteral("--brokers"), fleet.brokers(), QStringLiteral("--port"), QStringLiteral("0"),
                        QStringLiteral("--auth-mode"), QStringLiteral("open")},
                       &error)) {
        std::fprintf(stderr, "bench_load: %s\n", qPrintable(error));
        return 1;
    }
    std::vector<std::unique_ptr<Console>> consoles;
    for (int i = 0; i < 10; ++i) {
        consoles.push_back(std::make_unique<Console>());
        consoles.back()->client.setReadOnly(true);
        consoles.back()->client.setUrl(backend.url());
    }
    Probe probe(backend.url());
    waitFor([&] {
        for (const auto &console : consoles) {
            if (console->client.robots()->rowCount() < robots)
                return false;
        }
        return true;
    }, 60'000);
    waitFor([] { return false; }, 5000);  // warm-up
    const double rssStart = backend.residentKiB() / 1024;
    const int fdsStart = backend.openFds();
    probe.reset();

    std::vector<quint64> before;
    const auto baseline = [&] {
        before = deltaCounts(consoles);
        waitFor([] { return false; }, phaseMs);
        printPhase("baseline", probe, backend, consoles, before);
    };

    // Consoles that never read.
    const auto deafPhase = [&] {
        before = deltaCounts(consoles);
        {
            std::vector<std::unique_ptr<DeafConsole>> deaf;
            for (int i = 0; i < 5; ++i) {
                deaf.push_back(std::make_unique<DeafConsole>());
                deaf.back()->open(backend.port());
            }
            QTimer heartbeats;
            QObject::connect(&heartbeats, &QTimer::timeout, [&] {
                for (const auto &d : deaf)
                    d->sendHeartbeat();
            });
            heartbeats.start(1000);
            // Until the backend has closed them all: their queues fill to the pause limit (8 MiB), then
            // the pause lasts 30 s.
            double mostPendingMiB = 0, mostRssMiB = 0;
            const double closedBefore = backend.metric("fleetdeck_clients_closed_not_reading_total");
            const qint64 tookMs = waitFor([&] {
                mostPendingMiB = std::max(mostPendingMiB, backend.metric("fleetdeck_console_pending_bytes") / (1 << 20));
                mostRssMiB = std::max(mostRssMiB, backend.residentKiB() / 1024);
                return backend.metric("fleetdeck_clients_closed_not_reading_total") >= closedBefore + 5;
            }, 300'000);
            print("load_deaf_all_closed_after", double(tookMs) / 1000, "s");
            print("load_deaf_closed_not_reading_total", backend.metric("fleetdeck_clients_closed_not_reading_total"), "consoles");
            print("load_deaf_most_pending", mostPendingMiB, "MiB");
            print("load_deaf_backend_rss_most", mostRssMiB, "MiB");
            waitFor([] { return false; }, 3000);  // aborted after the close grace
        }
        printPhase("deaf", probe, backend, consoles, before);
    };

    // Consoles coming and going.
    const auto churnPhase = [&] {
        before = deltaCounts(consoles);
        {
            int inFlight = 0;
            int cycles = 0;
            QTimer churn;
            QObject::connect(&churn, &QTimer::timeout, [&] {
                while (inFlight < 20) {
                    ++inFlight;
                    auto *socket = new QWebSocket;
                    QObject::connect(socket, &QWebSocket::connected, socket, [socket] { socket->sendBinaryMessage(helloBytes("churn")); });
                    QObject::connect(socket, &QWebSocket::binaryMessageReceived, socket, [socket] { socket->close(); });
                    QObject::connect(socket, &QWebSocket::disconnected, socket, [socket, &inFlight, &cycles] {
                        --inFlight;
                        ++cycles;
                        socket->deleteLater();
                    });
                    socket->open(backend.url());
                }
            });
            churn.start(5);
            waitFor([] { return false; }, phaseMs);
            churn.stop();
            waitFor([&] { return inFlight == 0; }, 10'000);
            print("load_churn_cycles_per_s", double(cycles) / phaseS, "connections/s");
        }
        waitFor([] { return false; }, 2000);  // closed sessions leave
        printPhase("churn", probe, backend, consoles, before);
    };

    // Consoles flooding messages.
    const auto floodPhase = [&] {
        before = deltaCounts(consoles);
        {
            bool flooding = true;
            std::list<QWebSocket> flooders;
            std::function<void()> addFlooder = [&] {
                QWebSocket &socket = flooders.emplace_back();
                QObject::connect(&socket, &QWebSocket::connected, &socket, [&socket] { socket.sendBinaryMessage(helloBytes("flood")); });
                QObject::connect(&socket, &QWebSocket::disconnected, &socket, [&] {
                    QTimer::singleShot(200, [&] {
                        if (flooding)
                            addFlooder();
                    });
                });
                socket.open(backend.url());
            };
            for (int i = 0; i < 2; ++i)
                addFlooder();
            fleet::v1::ClientMessage heartbeat;
            heartbeat.mutable_heartbeat()->set_sent_unix_ms(1);
            const QByteArray heartbeatBytes = codec::serialize(heartbeat);
            QTimer flood;
            QObject::connect(&flood, &QTimer::timeout, [&] {
                for (QWebSocket &socket : flooders) {
                    if (socket.state() == QAbstractSocket::ConnectedState) {
                        for (int i = 0; i < 50; ++i)
                            socket.sendBinaryMessage(heartbeatBytes);
                    }
                }
            });
            flood.start(10);
            waitFor([] { return false; }, phaseMs);
            flood.stop();
            flooding = false;
            waitFor([] { return false; }, 500);  // reconnections already scheduled see it
            for (QWebSocket &socket : flooders)
                socket.disconnect();
            print("load_flood_closed_by_rate_limit", backend.metric("fleetdeck_clients_closed_rate_total"), "consoles");
            flooders.clear();
        }
        printPhase("flood", probe, backend, consoles, before);
    };

    // HTTP under hey.
    const auto heyPhase = [&] {
        const QString hey = QStandardPaths::findExecutable(QStringLiteral("hey"));
        if (hey.isEmpty()) {
            std::printf("hey not installed (apt-get install hey): HTTP phase skipped\n");
        } else {
            for (const char *path : {"/metrics", "/healthz"}) {
                before = deltaCounts(consoles);
                const double rssBefore = backend.residentKiB() / 1024;
                QProcess load;
                load.setProcessChannelMode(QProcess::MergedChannels);
                load.start(hey, {QStringLiteral("-z"), QStringLiteral("%1s").arg(phaseS), QStringLiteral("-c"), QStringLiteral("300"),
                                 QStringLiteral("http://127.0.0.1:%1%2").arg(backend.port()).arg(QLatin1String(path))});
                double mostRss = rssBefore;
                int mostFds = 0;
                waitFor([&] {
                    mostRss = std::max(mostRss, backend.residentKiB() / 1024);
                    mostFds = std::max(mostFds, backend.openFds());
                    return load.state() == QProcess::NotRunning;
                }, phaseMs + 60'000);
                const HeyResult result = parseHey(QString::fromUtf8(load.readAll()));
                const QByteArray name = QByteArray("load_hey_") + (path + 1);
                print(name + "_requests_per_s", result.requestsPerSecond, "req/s");
                print(name + "_p99", result.p99Ms, "ms");
                print(name + "_non_200", result.non200, "responses");
                print(name + "_errors", result.errors, "requests");
                print(name + "_backend_rss_before", rssBefore, "MiB");
                print(name + "_backend_rss_most", mostRss, "MiB");
                print(name + "_backend_fds_most", mostFds, "fds");
                printPhase(name.mid(5), probe, backend, consoles, before);
            }
        }
    };

    // BENCH_LOAD_PHASES picks phases and their order (repeats allowed), for experiments.
    const std::map<QString, std::function<void()>> phases{{QStringLiteral("baseline"), baseline},
                                                          {QStringLiteral("deaf"), deafPhase},
                                                          {QStringLiteral("churn"), churnPhase},
                                                          {QStringLiteral("flood"), floodPhase},
                                                          {QStringLiteral("hey"), heyPhase}};
    const QString order = qEnvironmentVariableIsSet("BENCH_LOAD_PHASES") ? qEnvironmentVariable("BENCH_LOAD_PHASES")
                                                                          : QStringLiteral("baseline,deaf,churn,flood,hey");
    for (const QString &name : order.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const auto phase = phases.find(name);
        if (phase == phases.end()) {
            std::fprintf(stderr, "bench_load: no phase %s in BENCH_LOAD_PHASES\n", qPrintable(name));
            return 2;
        }
        phase->second();
    }

    waitFor([] { return false; }, 3000);
    print("load_backend_rss_start", rssStart, "MiB");
    print("load_backend_rss_end", backend.residentKiB() / 1024, "MiB");
    print("load_backend_fds_start", fdsStart, "fds");
    print("load_backend_fds_end", backend.openFds(), "fds");
    quint64 gaps = 0;
    for (const auto &console : consoles)
        gaps += console->client.stats().gaps;
    print("load_console_gaps", double(gaps), "gaps");
    print("load_probe_gaps", probe.gaps, "gaps");
    print("load_probe_disconnects", probe.disconnects, "disconnects");
    return 0;
}
