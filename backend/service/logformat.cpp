#include "logformat.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <mutex>

namespace fleetdeck {
namespace {

const char *levelName(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg: return "debug";
    case QtInfoMsg: return "info";
    case QtWarningMsg: return "warning";
    case QtCriticalMsg: return "error";
    case QtFatalMsg: return "fatal";
    }
    return "info";
}

std::mutex g_logMutex;  // one whole line at a time from every thread

void jsonHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QJsonObject line{
        {QStringLiteral("ts"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
        {QStringLiteral("level"), QLatin1String(levelName(type))},
        {QStringLiteral("category"), QLatin1String(context.category ? context.category : "default")},
        {QStringLiteral("msg"), message},
        {QStringLiteral("pid"), QCoreApplication::applicationPid()},
    };
    // Line and newline in one write: container runtimes record each write to a pipe as it comes, and a
    // record written in two pieces was logged as a partial line, or glued to the next one.
    const QByteArray bytes = QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n';
    const std::lock_guard<std::mutex> lock(g_logMutex);
    std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), stderr);
    std::fflush(stderr);
    if (type == QtFatalMsg)
        std::abort();
}

}  // namespace

void installLogFormat(LogFormat format)
{
    if (format == LogFormat::Json) {
        qInstallMessageHandler(jsonHandler);
        return;
    }
    qSetMessagePattern(QStringLiteral("%{time yyyy-MM-ddThh:mm:ss.zzz} %{if-debug}debug%{endif}%{if-info}info%{endif}"
                                      "%{if-warning}warning%{endif}%{if-critical}error%{endif}%{if-fatal}fatal%{endif} "
                                      "%{category}: %{message}"));
}

bool parseLogFormat(const QString &name, LogFormat *format)
{
    if (name == QLatin1String("text")) {
        *format = LogFormat::Text;
        return true;
    }
    if (name == QLatin1String("json")) {
        *format = LogFormat::Json;
        return true;
    }
    return false;
}

}  // namespace fleetdeck
