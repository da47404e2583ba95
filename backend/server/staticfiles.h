#pragma once

#include "httpfrontend.h"

#include <QByteArray>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>
#include <QThreadPool>

#include <optional>

namespace fleetdeck {

// The browser console's files (fleetdeck.html, .js, .wasm, qtloader.js) served from one directory:
// `/` is its index.html or fleetdeck.html, other paths are files under it. Nothing outside the
// directory is reachable: paths are percent-decoded once, `.` and `..` segments, dot files, NUL and
// backslashes refused, and the canonical path (symlinks resolved) must stay inside the root.
// Encode once: each file is read, tagged and gzip-compressed once per (path, size, mtime) and kept
// in memory; compression runs on a worker thread, so until it is done a file goes out uncompressed
// rather than holding up the event loop (the console's .wasm takes a second or more). A FILE.gz
// beside a file, no older than it, is used instead of compressing. Files are not content-hashed,
// hence `Cache-Control: no-cache` with an ETag: a browser revalidates and gets 304 while unchanged.
// Thread: main (compression on its own pool).
class StaticFiles : public QObject
{
    Q_OBJECT

public:
    // A file is read whole into memory and kept: one larger than this is not served (404, logged once),
    // so a careless web root ($HOME, a build tree) cannot stall the event loop or fill memory with it.
    static constexpr qint64 kMaxFileBytes = qint64(64) << 20;

    // `root` empty or missing: nothing to serve; `/` then says how to build the console.
    explicit StaticFiles(const QString &root, QObject *parent = nullptr);
    ~StaticFiles() override;

    [[nodiscard]] bool hasRoot() const { return !m_root.isEmpty(); }
    [[nodiscard]] QString root() const { return m_root; }
    // Reads the root's files now and compresses them off the main thread, so that the first browser
    // gets compressed files too; logs once when done.
    void warmUp();
    // For HttpFrontend::setFallbackRoute: GET and HEAD of any path no route claimed.
    [[nodiscard]] HttpResponse serve(const HttpRequest &request);
    // Waits for compressions in flight (tests, benchmarks).
    void waitForCompression();

    [[nodiscard]] static QByteArray contentType(const QString &fileName);
    // Whether an Accept-Encoding header value accepts gzip (a q of 0 refuses it).
    [[nodiscard]] static bool acceptsGzip(const QByteArray &acceptEncoding);
    [[nodiscard]] static QByteArray gzip(const QByteArray &data);
    // The file a request path names, canonical and inside `root`, or nullopt.
    [[nodiscard]] static std::optional<QString> resolve(const QString &root, const QByteArray &path);

private:
    enum class GzipState { NotStarted, Running, Done };
    struct Entry {
        qint64 size = -1;
        QDateTime modified;
        QByteArray contentType;
        QByteArray identity;
        QByteArray etag;
        QByteArray gzip;  // empty until compressed, or when that saves nothing
        GzipState gzipState = GzipState::NotStarted;
    };

    // The entry for a canonical file path, (re)read when its size or time changed; null if unreadable.
    Entry *entry(const QString &path);
    void compress(const QString &path, Entry *entry, bool warmUp = false);

    QString m_root;  // canonical; empty when there is nothing to serve
    // The warm-up's compressions still running, and what it has done so far (for its one log line).
    int m_warming = 0;
    qint64 m_warmBytes = 0;
    qint64 m_warmGzipBytes = 0;
    QElapsedTimer m_warmTimer;
    QHash<QString, Entry> m_entries;
    QSet<QString> m_tooLarge;  // files over kMaxFileBytes, each logged once
    QThreadPool m_pool;  // last: destroyed (joined) first
};

}  // namespace fleetdeck
