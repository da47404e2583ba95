#pragma once

#include <QObject>
#include <QProcess>
#include <QUrl>

namespace fleetdeck {

// The console's demo: starts `fleetdeckd --demo` (embedded Kafka + simulator + backend) as a child
// process and reports the WebSocket URL it listens on. A child process rather than linking the
// backend in keeps the console free of Kafka, exactly as in production and in the browser, and the
// child exits by itself when the console goes (it watches its standard input).
// Thread: main.
class DemoBackend : public QObject
{
    Q_OBJECT

public:
    explicit DemoBackend(QObject *parent = nullptr);
    ~DemoBackend() override;

    // Starts the backend found next to this executable; `ready` or `failed` follows.
    void start(int robots, int seed);

Q_SIGNALS:
    void ready(const QUrl &url);
    void failed(const QString &reason);

private:
    QProcess m_process;
    QByteArray m_stdout;
    bool m_ready = false;
};

}  // namespace fleetdeck
