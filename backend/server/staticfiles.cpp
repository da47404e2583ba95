#include "staticfiles.h"

#include "logging.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>

#include <zlib.h>

namespace fleetdeck {

namespace {

constexpr auto kPlain = "text/plain; charset=utf-8";

// What a user who opens the port before building the console needs to know.
constexpr auto kNoConsolePage =
    "fleetdeckd: no browser console here.\n\n"
    "Build it (packaging/wasm/README.md):\n"
    "  packaging/wasm/build-toolchain.sh   # once, about an hour\n"
    "  packaging/wasm/build-console.sh     # build/wasm/web\n"
    "then start fleetdeckd with --web-root build/wasm/web (server.web_root) and open this address again.\n"
    "The desktop console connects to this port as it is: fleetdeck --backend ws://HOST:PORT/\n";

// Text and the console's .wasm shrink to a third; images are compressed already.
bool worthCompressing(const QByteArray &contentType)
{
    return contentType.startsWith("text/") || contentType == "application/wasm" || contentType == "application/json"
        || contentType == "image/svg+xml" || contentType == "image/x-icon";
}

bool etagMatches(const QByteArray &ifNoneMatch, const QByteArray &etag)
{
    for (QByteArray candidate : ifNoneMatch.split(',')) {
        candidate = candidate.trimmed();
        if (candidate.startsWith("W/"))
            candidate = candidate.mid(2);  // weak comparison, as If-None-Match asks
        if (candidate == "*" || candidate == etag)
            return true;
    }
    return false;
}

}  // namespace

StaticFiles::StaticFiles(const QString &root, QObject *parent) : QObject(parent)
{
    const QFileInfo info(root);
    if (!root.isEmpty() && info.isDir())
        m_root = info.canonicalFilePath();
    // One compression at a time: the machine's other core keeps serving.
    m_pool.setMaxThreadCount(1);
    m_pool.setObjectName(QStringLiteral("staticfiles-gzip"));
}

StaticFiles::~StaticFiles() = default;

QByteArray StaticFiles::contentType(const QString &fileName)
{
    const QString suffix = QFileInfo(fileName).suffix().toLower();
    static const QHash<QString, QByteArray> types = {
        {QStringLiteral("html"), "text/html; charset=utf-8"},
        {QStringLiteral("js"), "text/javascript; charset=utf-8"},
        {QStringLiteral("mjs"), "text/javascript; charset=utf-8"},
        // Browsers compile a module while it downloads only when it says application/wasm.
        {QStringLiteral("wasm"), "application/wasm"},
        {QStringLiteral("css"), "text/css; charset=utf-8"},
        {QStringLiteral("json"), "application/json"},
        {QStringLiteral("map"), "application/json"},
        {QStringLiteral("txt"), "text/plain; charset=utf-8"},
        {QStringLiteral("png"), "image/png"},
        {QStringLiteral("jpg"), "image/jpeg"},
        {QStringLiteral("svg"), "image/svg+xml"},
        {QStringLiteral("ico"), "image/x-icon"},
        {QStringLiteral("gz"), "application/gzip"},
    };
    return types.value(suffix, "application/octet-stream");
}

bool StaticFiles::acceptsGzip(const QByteArray &acceptEncoding)
{
    std::optional<bool> gzip;
    bool anything = false;
    for (const QByteArray &item : acceptEncoding.split(',')) {
        const QList<QByteArray> parts = item.split(';');
        const QByteArray coding = parts.value(0).trimmed().toLower();
        double q = 1.0;
        for (int i = 1; i < parts.size(); ++i) {
            const QByteArray parameter = parts[i].trimmed().toLower();
            if (parameter.startsWith("q="))
                q = parameter.mid(2).toDouble();
        }
        if (coding == "gzip" || coding == "x-gzip")
            gzip = q > 0;
        else if (coding == "*")
            anything = q > 0;
    }
    return gzip.value_or(anything);
}

QByteArray StaticFiles::gzip(const QByteArray &data)
{
    z_stream stream{};
    // 15 + 16: a gzip header and trailer rather than zlib's, as Content-Encoding: gzip means.
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    QByteArray out(static_cast<qsizetype>(deflateBound(&stream, static_cast<uLong>(data.size()))), Qt::Uninitialized);
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int result = deflate(&stream, Z_FINISH);
    const auto written = static_cast<qsizetype>(stream.total_out);
    deflateEnd(&stream);
    if (result != Z_STREAM_END)
        return {};
    out.truncate(written);
    return out;
}

std::optional<QString> StaticFiles::resolve(const QString &root, const QByteArray &path)
{
    if (root.isEmpty() || !path.startsWith('/'))
        return std::nullopt;  // also absolute-form targets (http://…)
    const QByteArray decoded = QByteArray::fromPercentEncoding(path);
    if (decoded.contains('\0') || decoded.contains('\\'))
        return std::nullopt;
    QStringList candidates;
    if (decoded == "/") {
        candidates = {QStringLiteral("index.html"), QStringLiteral("fleetdeck.html")};
    } else {
        const QList<QByteArray> segments = decoded.mid(1).split('/');
        for (const QByteArray &segment : segments) {
            // Also `.` and `..`: no way up, and nothing hidden (.git, .env) goes out.
            if (segment.isEmpty() || segment.startsWith('.'))
                return std::nullopt;
        }
        candidates = {QString::fromUtf8(decoded.mid(1))};
    }
    for (const QString &candidate : std::as_const(candidates)) {
        const QFileInfo info(root + QLatin1Char('/') + candidate);
        // Symlinks resolved: one pointing out of the root is as good as `..`.
        const QString canonical = info.canonicalFilePath();
        if (canonical.startsWith(root + QLatin1Char('/')) && QFileInfo(canonical).isFile())
            return canonical;
    }
    return std::nullopt;
}

StaticFiles::Entry *StaticFiles::entry(const QString &path)
{
    const QFileInfo info(path);
    if (info.size() > kMaxFileBytes) {
        if (!m_tooLarge.contains(path)) {
            m_tooLarge.insert(path);
            qCWarning(lcServer).noquote() << "web root:" << path << "is" << info.size() / (1 << 20)
                                          << "MiB, over the" << kMaxFileBytes / (1 << 20) << "MiB a served file may have: not served";
        }
        m_entries.remove(path);
        return nullptr;
    }
    const auto found = m_entries.find(path);
    if (found != m_entries.end() && found->size == info.size() && found->modified == info.lastModified())
        return &*found;

    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        qCWarning(lcServer).noquote() << "web root:" << path << file.errorString();
        return nullptr;
    }
    Entry fresh;
    fresh.size = info.size();
    fresh.modified = info.lastModified();
    fresh.contentType = contentType(path);
    fresh.identity = file.readAll();
    fresh.etag = '"' + QByteArray::number(fresh.identity.size(), 16) + '-'
        + QByteArray::number(fresh.modified.toMSecsSinceEpoch(), 16) + '"';
    if (worthCompressing(fresh.contentType)) {
        const QFileInfo precompressed(path + QStringLiteral(".gz"));
        QFile gz(precompressed.filePath());
        if (precompressed.isFile() && precompressed.lastModified() >= fresh.modified && gz.open(QIODevice::ReadOnly)) {
            fresh.gzip = gz.readAll();
            fresh.gzipState = GzipState::Done;
        }
    } else {
        fresh.gzipState = GzipState::Done;
    }
    return &*m_entries.insert(path, std::move(fresh));
}

void StaticFiles::compress(const QString &path, Entry *entry, bool warmUp)
{
    entry->gzipState = GzipState::Running;
    if (warmUp)
        ++m_warming;
    m_pool.start([this, path, warmUp, identity = entry->identity, etag = entry->etag] {
        QElapsedTimer timer;
        timer.start();
        const QByteArray packed = gzip(identity);
        const qint64 ms = timer.elapsed();
        QMetaObject::invokeMethod(this, [this, path, warmUp, etag, packed, ms, size = identity.size()] {
            const auto found = m_entries.find(path);
            // Otherwise the file changed meanwhile: its new entry compresses afresh.
            const bool current = found != m_entries.end() && found->etag == etag;
            const bool smaller = !packed.isEmpty() && packed.size() < size;
            if (current) {
                found->gzipState = GzipState::Done;
                if (smaller)
                    found->gzip = packed;
            }
            qCDebug(lcServer).noquote() << "web root:" << path << "gzip" << size << "->" << packed.size() << "bytes in" << ms << "ms";
            if (warmUp) {
                m_warmBytes += size;
                m_warmGzipBytes += smaller ? packed.size() : size;
                if (--m_warming == 0)
                    qCInfo(lcServer).noquote() << QStringLiteral("browser console: compressed, %1 MiB as %2 MiB gzip, in %3 ms")
                                                      .arg(double(m_warmBytes) / (1 << 20), 0, 'f', 1)
                                                      .arg(double(m_warmGzipBytes) / (1 << 20), 0, 'f', 1)
                                                      .arg(m_warmTimer.elapsed());
            }
        }, Qt::QueuedConnection);
    });
}

void StaticFiles::warmUp()
{
    if (!hasRoot())
        return;
    m_warmTimer.start();
    // The top level only: the console's files are there, and a build directory's CMakeFiles/ is not
    // worth compressing ahead (it is served on request like anything else under the root).
    QDirIterator files(m_root, QDir::Files);
    while (files.hasNext()) {
        const QString path = files.next();
        // Only what a request could reach (no dot files, nothing symlinked out).
        const std::optional<QString> resolved = resolve(m_root, '/' + QDir(m_root).relativeFilePath(path).toUtf8());
        if (!resolved)
            continue;
        if (Entry *found = entry(*resolved); found && found->gzipState == GzipState::NotStarted)
            compress(*resolved, found, true);
    }
}

void StaticFiles::waitForCompression()
{
    m_pool.waitForDone();
    QCoreApplication::sendPostedEvents(this);
}

HttpResponse StaticFiles::serve(const HttpRequest &request)
{
    if (!hasRoot())
        return {404, kPlain, request.path == "/" ? QByteArray(kNoConsolePage) : QByteArray("not found\n"), {}};
    const std::optional<QString> path = resolve(m_root, request.path);
    Entry *file = path ? entry(*path) : nullptr;
    if (!file)
        return {404, kPlain, "not found\n", {}};

    const bool wantsGzip = acceptsGzip(request.headers.value("accept-encoding"));
    if (wantsGzip && file->gzipState == GzipState::NotStarted)
        compress(*path, file);  // this answer goes out uncompressed; the next ones will not
    const bool gzipped = wantsGzip && !file->gzip.isEmpty();
    // A representation's tag: the compressed bytes are another representation of the same file.
    const QByteArray etag = gzipped ? file->etag.chopped(1) + "-gzip\"" : file->etag;

    HttpResponse response;
    response.contentType = file->contentType;
    response.headers = {{"ETag", etag}, {"Cache-Control", "no-cache"}, {"X-Content-Type-Options", "nosniff"}};
    if (worthCompressing(file->contentType))
        response.headers.append(qMakePair(QByteArray("Vary"), QByteArray("Accept-Encoding")));
    if (etagMatches(request.headers.value("if-none-match"), etag)) {
        response.status = 304;
        return response;
    }
    if (gzipped)
        response.headers.append(qMakePair(QByteArray("Content-Encoding"), QByteArray("gzip")));
    response.body = gzipped ? file->gzip : file->identity;
    return response;
}

}  // namespace fleetdeck
