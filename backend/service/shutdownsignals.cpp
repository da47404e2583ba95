#include "shutdownsignals.h"

#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace fleetdeck {
namespace {
int g_signalFds[2] = {-1, -1};

extern "C" void onUnixSignal(int signo)
{
    const char byte = static_cast<char>(signo);
    [[maybe_unused]] const auto written = ::write(g_signalFds[0], &byte, 1);
}
}  // namespace

ShutdownSignals::ShutdownSignals(QObject *parent) : QObject(parent)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFds) != 0)
        return;
    m_signalNotifier = new QSocketNotifier(g_signalFds[1], QSocketNotifier::Read, this);
    connect(m_signalNotifier, &QSocketNotifier::activated, this, [this] {
        char signo = 0;
        [[maybe_unused]] const auto read = ::read(g_signalFds[1], &signo, 1);
        Q_EMIT shutdownRequested(signo == SIGTERM ? QStringLiteral("SIGTERM") : QStringLiteral("SIGINT"));
    });
    struct sigaction action = {};
    action.sa_handler = onUnixSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

ShutdownSignals::~ShutdownSignals()
{
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
}

void ShutdownSignals::watchStandardInput()
{
    m_stdinNotifier = new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this);
    connect(m_stdinNotifier, &QSocketNotifier::activated, this, [this] {
        char buffer[256];
        if (::read(STDIN_FILENO, buffer, sizeof buffer) <= 0) {
            m_stdinNotifier->setEnabled(false);
            Q_EMIT shutdownRequested(QStringLiteral("standard input closed"));
        }
    });
}

}  // namespace fleetdeck
