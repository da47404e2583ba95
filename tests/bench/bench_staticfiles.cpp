// The browser console's .wasm on fleetdeckd's event loop: what gzip costs (once per file, on a worker
// thread) and how long the event loop stalls while consoles download it, uncompressed and gzipped,
// beside the loop's gaps with nothing to serve. The real HttpFrontend and StaticFiles; clients on
// threads of their own with blocking sockets, so their reading is not on the loop being measured.
// The file: the built console (FLEETDECK_WASM_DIR or build/wasm/web), else 20 MiB of look-alike.

#include "benchsupport.h"
#include "httpfrontend.h"
#include "staticfiles.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>

#include <atomic>
#include <thread>

using namespace fleetdeck;

namespace {

constexpr int kClients = 4;

// Downloads `path` once per client, all at once; returns when every client is done.
void downloadAll(quint16 port, bool gzip, std::atomic<qint64> *bytes)
{
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.emplace_back([port, gzip, bytes] {
            QTcpSocket socket;
            socket.connectToHost(QStringLiteral("127.0.0.1"), port);
            if (!socket.waitForConnected(5000))
                return;
            socket.write(QByteArray("GET /fleetdeck.wasm HTTP/1.1\r\nHost: bench\r\n") + (gzip ? "Accept-Encoding: gzip\r\n" : "")
                         + "\r\n");
            while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(10'000))
                *bytes += socket.readAll().size();
            *bytes += socket.readAll().size();
        });
    }
    for (std::thread &client : clients)
        client.join();
}

// The longest gap between 1 ms timer ticks while `work` runs on another thread (or for `idleMs`).
double maxLoopGapMs(const std::function<void()> &work, int idleMs = 0)
{
    QElapsedTimer clock;
    clock.start();
    qint64 last = clock.nsecsElapsed(), worst = 0;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        worst = std::max(worst, now - last);
        last = now;
    });
    tick.start(1);
    std::atomic<bool> done = false;
    std::thread worker([&] {
        if (work)
            work();
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(idleMs));
        done = true;
    });
    while (!done)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);  // the tick wakes it
    worker.join();
    return double(worst) / 1e6;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTemporaryDir scratch;
    QString root = qEnvironmentVariable("FLEETDECK_WASM_DIR", QStringLiteral(FLEETDECK_SOURCE_DIR "/build/wasm/web"));
    if (!QFile::exists(root + QStringLiteral("/fleetdeck.wasm"))) {
        root = scratch.path();
        QByteArray bytes;
        QRandomGenerator random(20);
        while (bytes.size() < 20 * 1024 * 1024)
            bytes += QByteArray::number(random.bounded(100000)) + ' ';
        QFile file(root + QStringLiteral("/fleetdeck.wasm"));
        if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
            qFatal("cannot write %s", qPrintable(file.fileName()));
        std::printf("no console build: a synthetic .wasm\n");
    }
    QFile wasm(root + QStringLiteral("/fleetdeck.wasm"));
    if (!wasm.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(wasm.fileName()));
    std::printf("file: %s (%.1f MiB)\n", qPrintable(wasm.fileName()), double(wasm.size()) / (1 << 20));

    // Once per file: the read (baseline) and the compression a worker thread does.
    QElapsedTimer timer;
    timer.start();
    const QByteArray raw = wasm.readAll();
    const double readMs = double(timer.nsecsElapsed()) / 1e6;
    timer.restart();
    const QByteArray packed = StaticFiles::gzip(raw);
    const double gzipMs = double(timer.nsecsElapsed()) / 1e6;
    bench::print("staticfiles_wasm_read_ms", readMs, "ms");
    bench::print("staticfiles_wasm_gzip_ms", gzipMs, "ms");
    bench::print("staticfiles_wasm_bytes_identity", double(raw.size()), "bytes");
    bench::print("staticfiles_wasm_bytes_gzip", double(packed.size()), "bytes");

    HttpFrontend http;
    StaticFiles files(root);
    http.setFallbackRoute([&files](const HttpRequest &request) { return files.serve(request); });
    QString error;
    if (!http.listen(QHostAddress::LocalHost, 0, &error))
        qFatal("%s", qPrintable(error));
    // The first request reads the file on the loop (fleetdeckd's warm-up does it before listening).
    HttpRequest first;
    first.method = "GET";
    first.path = "/fleetdeck.wasm";
    timer.restart();
    (void)files.serve(first);
    bench::print("staticfiles_first_request_ms", double(timer.nsecsElapsed()) / 1e6, "ms");
    files.warmUp();
    files.waitForCompression();

    std::atomic<qint64> bytes = 0;
    bench::print("staticfiles_loop_max_gap_idle_ms", maxLoopGapMs({}, 1000), "ms");
    for (const bool gzip : {false, true}) {
        bytes = 0;
        timer.restart();
        const double gap = maxLoopGapMs([&] { downloadAll(http.port(), gzip, &bytes); });
        const QByteArray name = gzip ? "gzip" : "identity";
        bench::print("staticfiles_loop_max_gap_" + name + "_ms", gap, "ms");
        bench::print("staticfiles_" + name + "_download_4_clients_ms", double(timer.nsecsElapsed()) / 1e6, "ms");
        bench::print("staticfiles_" + name + "_bytes_per_client", double(bytes) / kClients, "bytes");
    }
    return 0;
}
