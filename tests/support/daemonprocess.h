#pragma once

// A real fleetdeckd process for tests and benchmarks: started with flags, found by its LISTENING
// line, probed over plain HTTP, measured through /proc, and killed the way a crash would.

#include "benchsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QStringList>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <functional>

namespace fleetdeck::testing {

struct HttpReply {
    int status = 0;  // 0: no answer
    QByteArray body;
};

// One GET on a fresh connection, waiting at most `timeoutMs`; blocks the calling thread, so only
// for a server in another process.
inline HttpReply httpGet(quint16 port, const QByteArray &path, int timeoutMs = 5000)
{
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!socket.waitForConnected(timeoutMs))
        return {};
    socket.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QByteArray response;
    QElapsedTimer elapsed;
    elapsed.start();
    while (socket.state() == QAbstractSocket::ConnectedState && elapsed.elapsed() < timeoutMs) {
        if (socket.waitForReadyRead(int(std::max<qint64>(1, timeoutMs - elapsed.elapsed()))))
            response += socket.readAll();
    }
    response += socket.readAll();
    const int headerEnd = int(response.indexOf("\r\n\r\n"));
    if (!response.startsWith("HTTP/1.") || headerEnd < 0)
        return {};
    return {response.mid(9, 3).toInt(), response.mid(headerEnd + 4)};
}

// Runs the event loop until `done` or `timeoutMs`: the milliseconds it took, or -1 (for benchmarks,
// which have no QTest::qWaitFor).
inline qint64 waitFor(const std::function<bool()> &done, qint64 timeoutMs)
{
    QElapsedTimer elapsed;
    elapsed.start();
    while (!done()) {
        if (elapsed.elapsed() > timeoutMs)
            return -1;
        QEventLoop loop;
        QTimer::singleShot(10, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return elapsed.elapsed();
}

// /proc/PID/status VmRSS in KiB, or 0 when the process is gone.
inline double residentKiB(qint64 pid)
{
    return bench::residentKiBOf(QString::number(pid));
}

// Open file descriptors of a process (sockets included), or -1.
inline int openFds(qint64 pid)
{
    QDir fds(QStringLiteral("/proc/%1/fd").arg(pid));
    return fds.exists() ? int(fds.entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System).size()) : -1;
}

// fleetdeckd FLEETDECKD_BINARY with `arguments` (--port 0 picks a port, read back from the
// LISTENING line); it exits when this object goes (standard input closed), or is killed at once.
class DaemonProcess
{
public:
    DaemonProcess() { m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel); }
    ~DaemonProcess() { stop(); }
    DaemonProcess(const DaemonProcess &) = delete;
    DaemonProcess &operator=(const DaemonProcess &) = delete;

    // False with the process's output so far when it does not say where it listens in `timeoutMs`.
    bool start(const QStringList &arguments, QString *error, int timeoutMs = 60'000)
    {
        m_output.clear();
        m_port = 0;
        m_process.start(QStringLiteral(FLEETDECKD_BINARY), arguments + QStringList{QStringLiteral("--exit-on-stdin-eof")});
        if (!m_process.waitForStarted(10'000)) {
            *error = m_process.errorString();
            return false;
        }
        QElapsedTimer elapsed;
        elapsed.start();
        while (m_port == 0 && elapsed.elapsed() < timeoutMs && m_process.state() == QProcess::Running) {
            m_process.waitForReadyRead(200);
            while (m_process.canReadLine()) {
                const QByteArray line = m_process.readLine().trimmed();
                m_output += line + '\n';
                if (line.startsWith("LISTENING "))
                    m_port = quint16(QUrl(QString::fromUtf8(line.mid(10))).port());
            }
        }
        if (m_port == 0)
            *error = QStringLiteral("fleetdeckd did not start listening:\n") + QString::fromUtf8(m_output);
        return m_port != 0;
    }
    // SIGKILL: no goodbyes, no stops, sockets reset by the kernel, as in a crash.
    void kill()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.kill();
        m_process.waitForFinished(10'000);
    }
    void stop()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.closeWriteChannel();
        if (!m_process.waitForFinished(15'000))
            kill();
    }

    [[nodiscard]] quint16 port() const { return m_port; }
    [[nodiscard]] QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(m_port)); }
    [[nodiscard]] qint64 pid() const { return m_process.processId(); }
    [[nodiscard]] bool isRunning() const { return m_process.state() == QProcess::Running; }
    [[nodiscard]] HttpReply get(const QByteArray &path, int timeoutMs = 5000) const { return httpGet(m_port, path, timeoutMs); }
    [[nodiscard]] double residentKiB() const { return testing::residentKiB(pid()); }
    [[nodiscard]] int openFds() const { return testing::openFds(pid()); }
    // A value of the Prometheus exposition, e.g. "fleetdeck_frames_sent_total", or -1.
    [[nodiscard]] double metric(const QByteArray &nameAndLabels) const
    {
        const HttpReply reply = get("/metrics");
        const QByteArray prefix = nameAndLabels + ' ';
        for (const QByteArray &line : reply.body.split('\n')) {
            if (line.startsWith(prefix))
                return line.mid(nameAndLabels.size() + 1).toDouble();
        }
        return -1;
    }

private:
    QProcess m_process;
    QByteArray m_output;
    quint16 m_port = 0;
};

}  // namespace fleetdeck::testing
