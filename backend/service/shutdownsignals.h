#pragma once

#include <QObject>

class QSocketNotifier;

namespace fleetdeck {

// Turns SIGINT/SIGTERM (and, optionally, end of standard input: the parent that started us is gone)
// into a Qt signal on the main thread, so shutdown runs through the event loop, not a signal handler.
// Thread: main. One instance per process.
class ShutdownSignals : public QObject
{
    Q_OBJECT

public:
    explicit ShutdownSignals(QObject *parent = nullptr);
    ~ShutdownSignals() override;

    void watchStandardInput();

Q_SIGNALS:
    void shutdownRequested(const QString &why);

private:
    QSocketNotifier *m_signalNotifier = nullptr;
    QSocketNotifier *m_stdinNotifier = nullptr;
};

}  // namespace fleetdeck
