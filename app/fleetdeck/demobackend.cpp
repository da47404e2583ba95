#include "demobackend.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace fleetdeck {

DemoBackend::DemoBackend(QObject *parent) : QObject(parent)
{
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] {
        m_stdout += m_process.readAllStandardOutput();
        int newline;
        while ((newline = m_stdout.indexOf('\n')) >= 0) {
            const QByteArray line = m_stdout.left(newline).trimmed();
            m_stdout.remove(0, newline + 1);
            if (!m_ready && line.startsWith("LISTENING ")) {
                m_ready = true;
                Q_EMIT ready(QUrl(QString::fromUtf8(line.mid(10))));
            }
        }
    });
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError) {
        Q_EMIT failed(tr("cannot run the demo backend %1: %2").arg(m_process.program(), m_process.errorString()));
    });
    connect(&m_process, qOverload<int, QProcess::ExitStatus>(&QProcess::finished), this,
            [this](int code, QProcess::ExitStatus) {
                Q_EMIT failed(tr("the demo backend exited with code %1").arg(code));
            });
}

DemoBackend::~DemoBackend()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.disconnect(this);
    m_process.closeWriteChannel();  // fleetdeckd --exit-on-stdin-eof shuts down cleanly
    if (!m_process.waitForFinished(3000)) {
        m_process.kill();
        m_process.waitForFinished(1000);
    }
}

void DemoBackend::start(int robots, int seed)
{
    const QString program = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("fleetdeckd"));
    m_process.start(program, {QStringLiteral("--demo"), QStringLiteral("--port"), QStringLiteral("0"),
                              QStringLiteral("--robots"), QString::number(robots), QStringLiteral("--seed"),
                              QString::number(seed), QStringLiteral("--exit-on-stdin-eof")});
}

}  // namespace fleetdeck
