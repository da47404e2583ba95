// The backend over time: the real fleetdeckd reading an embedded Kafka where the simulator publishes
// (BENCH_SOAK_ROBOTS robots, default 1000; both in this process, so the backend's memory is its own
// and not the broker's log), and BENCH_SOAK_CLIENTS headless consoles (default 4, FleetClient over
// real WebSockets, in this process) for BENCH_SOAK_S seconds (default 600; any length). Every BENCH_SOAK_INTERVAL_S (default 30) a line: the backend's memory, descriptors, frames
// it sent per console and frames each console received. At the end the delta stream is accounted
// for: each console's sequence advanced by exactly the deltas it applied (a gap would have been
// resynchronised by a snapshot, counted, and said), and the drift as BENCH lines (start and end
// as thirds' means after a warm-up, least-squares trend per hour). Exit status 1 when a delta was
// lost or a console dropped.

#include "benchsupport.h"
#include "daemonprocess.h"
#include "simulatedfleet.h"

#include "clock.h"
#include "fleetclient.h"
#include "websockettransport.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <cstdio>
#include <memory>
#include <vector>

using namespace fleetdeck;
using namespace fleetdeck::testing;

namespace {

int envInt(const char *name, int fallback)
{
    return qEnvironmentVariableIsSet(name) ? qEnvironmentVariableIntValue(name) : fallback;
}

// A headless console that accounts for every sequence number of its delta stream.
struct Console {
    SystemClock clock;
    WebSocketTransport transport;
    FleetClient client{&transport, &clock};
    bool started = false;
    quint64 firstSequence = 0;  // of its first snapshot
    quint64 lastSequence = 0;
    quint64 lastSnapshots = 0;
    quint64 resynced = 0;  // sequences a later snapshot stood in for (after a gap, or a pause the server chose)

    explicit Console(const QUrl &url)
    {
        client.setReadOnly(true);
        QObject::connect(&client, &FleetClient::updated, &client, [this] {
            const quint64 sequence = client.sequence();
            const quint64 snapshots = client.stats().snapshots;
            if (!started) {
                started = true;
                firstSequence = sequence;
            } else if (snapshots != lastSnapshots) {
                resynced += sequence - lastSequence;
            }
            lastSequence = sequence;
            lastSnapshots = snapshots;
        });
        client.setUrl(url);
    }
    // Sequences the backend issued since the first snapshot that arrived neither as an applied delta
    // nor inside a resynchronising snapshot: lost.
    [[nodiscard]] qint64 unaccounted() const
    {
        return qint64(client.sequence() - firstSequence) - qint64(client.stats().deltas) - qint64(resynced);
    }
};

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int soakS = envInt("BENCH_SOAK_S", 600);
    const int robots = envInt("BENCH_SOAK_ROBOTS", 1000);
    const int clientCount = envInt("BENCH_SOAK_CLIENTS", 4);
    const int intervalS = envInt("BENCH_SOAK_INTERVAL_S", 30);
    constexpr double kWarmUpS = 30;
    using bench::print;
    using bench::Sample;

    QString error;
    SimulatedFleet fleet;
    if (!fleet.start(robots, &error)) {
        std::fprintf(stderr, "bench_soak: %s\n", qPrintable(error));
        return 1;
    }
    DaemonProcess backend;
    if (!backend.start({QStringLiteral("--brokers"), fleet.brokers(), QStringLiteral("--port"), QStringLiteral("0"),
                        QStringLiteral("--auth-mode"), QStringLiteral("open")},
                       &error)) {
        std::fprintf(stderr, "bench_soak: %s\n", qPrintable(error));
        return 1;
    }
    std::vector<std::unique_ptr<Console>> consoles;
    for (int i = 0; i < clientCount; ++i)
        consoles.push_back(std::make_unique<Console>(backend.url()));
    if (waitFor([&] {
            for (const auto &console : consoles) {
                if (console->client.robots()->rowCount() < robots)
                    return false;
            }
            return true;
        }, 60'000) < 0) {
        std::fprintf(stderr, "bench_soak: the consoles never saw the whole fleet\n");
        return 1;
    }

    std::vector<Sample> rss, fds;
    QElapsedTimer elapsed;
    elapsed.start();
    int dropped = 0;
    for (const auto &console : consoles) {
        QObject::connect(&console->client, &FleetClient::stateChanged, &console->client, [&dropped, c = console.get()] {
            if (c->client.state() == FleetClient::ConnectionState::Reconnecting)
                ++dropped;
        });
    }
    std::printf("    t_s  rss_MiB  fds  frames_sent/console  frames_received (per console)  deltas_applied  unaccounted\n");
    while (elapsed.elapsed() < qint64(soakS) * 1000) {
        waitFor([] { return false; }, std::min<qint64>(qint64(intervalS) * 1000, qint64(soakS) * 1000 - elapsed.elapsed()));
        const double t = double(elapsed.elapsed()) / 1000;
        const double rssMiB = backend.residentKiB() / 1024;
        const int openFds = backend.openFds();
        const double sessions = backend.metric("fleetdeck_console_sessions");
        const double framesSent = backend.metric("fleetdeck_frames_sent_total");
        QString received, deltas, unaccounted;
        for (const auto &console : consoles) {
            received += QString::number(console->client.stats().framesReceived) + QLatin1Char(' ');
            deltas += QString::number(console->client.stats().deltas) + QLatin1Char(' ');
            unaccounted += QString::number(console->unaccounted()) + QLatin1Char(' ');
        }
        std::printf("  %5.0f  %7.1f  %3d  %19.0f  %s  %s  %s\n", t, rssMiB, openFds, sessions > 0 ? framesSent / sessions : 0,
                    qPrintable(received), qPrintable(deltas), qPrintable(unaccounted));
        std::fflush(stdout);
        if (t >= kWarmUpS) {
            rss.push_back({t, rssMiB});
            fds.push_back({t, double(openFds)});
        }
    }

    qint64 unaccounted = 0;
    quint64 gaps = 0, snapshots = 0, deltas = 0, resynced = 0;
    for (const auto &console : consoles) {
        resynced += console->resynced;
        unaccounted += std::abs(console->unaccounted());
        gaps += console->client.stats().gaps;
        snapshots += console->client.stats().snapshots;
        deltas += console->client.stats().deltas;
    }
    print("soak_seconds", soakS, "s");
    print("soak_robots", robots, "robots");
    print("soak_consoles", clientCount, "consoles");
    print("soak_backend_rss_start", bench::thirdMean(rss, false), "MiB");
    print("soak_backend_rss_end", bench::thirdMean(rss, true), "MiB");
    print("soak_backend_rss_trend", bench::slopePerHour(rss), "MiB/h");
    print("soak_backend_fds_start", fds.empty() ? 0 : fds.front().value, "fds");
    print("soak_backend_fds_end", fds.empty() ? 0 : fds.back().value, "fds");
    print("soak_deltas_applied", double(deltas), "deltas");
    print("soak_deltas_unaccounted", double(unaccounted), "deltas");
    print("soak_gaps_resynced", double(gaps), "gaps");
    print("soak_sequences_in_resync_snapshots", double(resynced), "deltas");
    print("soak_snapshots", double(snapshots), "snapshots");
    print("soak_server_paused_deltas", backend.metric("fleetdeck_deltas_dropped_slow_client_total"), "deltas");
    print("soak_console_drops", dropped, "drops");
    // A gap the console resynchronised is accounted for (its snapshot says so); only a delta that
    // vanished without one, or a console that lost its connection, fails the soak.
    return unaccounted == 0 && dropped == 0 && rss.size() >= 2 ? 0 : 1;
}
