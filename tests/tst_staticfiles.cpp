// The browser console's files on fleetdeckd's port, through real sockets: a real FleetServer (its
// HTTP front end and WebSocket server) serving a temporary web root with StaticFiles, asked with raw
// HTTP requests. MIME types, gzip decoded and compared, ETag revalidation, HEAD, path traversal in
// several spellings, routes before files, and WebSocket upgrades still reaching the console server.

#include "clock.h"
#include "codec.h"
#include "fleetserver.h"
#include "httpfrontend.h"
#include "staticfiles.h"
#include "telemetrymailbox.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QWebSocket>

#include <memory>
#include <vector>

#include <zlib.h>

using namespace fleetdeck;

namespace {

struct Reply {
    int status = 0;  // 0: no answer
    QHash<QByteArray, QByteArray> headers;  // names lower-cased
    QByteArray body;
};

// One request on a fresh connection, read until the server closes it. The server runs on this
// thread, so this spins the event loop rather than blocking.
Reply fetch(quint16 port, const QByteArray &target, const QList<QByteArray> &headers = {}, const QByteArray &method = "GET")
{
    QTcpSocket socket;
    QByteArray received;
    QEventLoop loop;
    QObject::connect(&socket, &QTcpSocket::readyRead, &loop, [&] { received += socket.readAll(); });
    QObject::connect(&socket, &QTcpSocket::disconnected, &loop, &QEventLoop::quit);
    QObject::connect(&socket, &QTcpSocket::errorOccurred, &loop, &QEventLoop::quit);
    QTimer::singleShot(10'000, &loop, &QEventLoop::quit);
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    QByteArray request = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const QByteArray &header : headers)
        request += header + "\r\n";
    socket.write(request + "\r\n");
    loop.exec();
    received += socket.readAll();

    Reply reply;
    const int end = int(received.indexOf("\r\n\r\n"));
    if (!received.startsWith("HTTP/1.1 ") || end < 0)
        return reply;
    const QList<QByteArray> lines = received.left(end).split('\n');
    reply.status = lines[0].mid(9, 3).toInt();
    for (int i = 1; i < lines.size(); ++i) {
        const int colon = int(lines[i].indexOf(':'));
        reply.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
    }
    reply.body = received.mid(end + 4);
    return reply;
}

QByteArray gunzip(const QByteArray &data)
{
    z_stream stream{};
    if (inflateInit2(&stream, 15 + 16) != Z_OK)
        return {};
    QByteArray out;
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    stream.avail_in = static_cast<uInt>(data.size());
    int result = Z_OK;
    while (result == Z_OK) {
        char chunk[65536];
        stream.next_out = reinterpret_cast<Bytef *>(chunk);
        stream.avail_out = sizeof chunk;
        result = inflate(&stream, Z_NO_FLUSH);
        out.append(chunk, qsizetype(sizeof chunk - stream.avail_out));
    }
    inflateEnd(&stream);
    return result == Z_STREAM_END ? out : QByteArray();
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

// Like a .wasm: large, and compressible to about a third.
QByteArray fakeModule()
{
    QByteArray bytes;
    QRandomGenerator random(8);
    while (bytes.size() < 2 * 1024 * 1024)
        bytes += QByteArray::number(random.bounded(1000)) + (random.bounded(4) == 0 ? "\n" : " ");
    return bytes;
}

constexpr auto kSecret = "the outside world\n";

}  // namespace

class TestStaticFiles : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_root;
    QByteArray m_wasm;
    ManualClock m_clock;
    TelemetryMailbox m_mailbox;
    std::unique_ptr<FleetServer> m_server;
    std::unique_ptr<StaticFiles> m_files;

    [[nodiscard]] quint16 port() const { return m_server->port(); }
    [[nodiscard]] QByteArray file(const QString &name) const
    {
        QFile f(m_root + QLatin1Char('/') + name);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_root = m_dir.filePath(QStringLiteral("root"));
        m_wasm = fakeModule();
        QVERIFY(writeFile(m_root + QStringLiteral("/fleetdeck.html"), "<!doctype html><title>fleetdeck</title>\n"));
        QVERIFY(writeFile(m_root + QStringLiteral("/fleetdeck.js"), QByteArray("console.log('fleetdeck');\n").repeated(100)));
        QVERIFY(writeFile(m_root + QStringLiteral("/fleetdeck.wasm"), m_wasm));
        QVERIFY(writeFile(m_root + QStringLiteral("/style.css"), "body { margin: 0 }\n"));
        QVERIFY(writeFile(m_root + QStringLiteral("/icon.png"), QByteArray("\x89PNG\r\n\x1a\n", 8) + QByteArray(100, 'p')));
        QVERIFY(writeFile(m_root + QStringLiteral("/logo.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>\n"));
        QVERIFY(writeFile(m_root + QStringLiteral("/data.json"), "{\"a\": 1}\n"));
        QVERIFY(writeFile(m_root + QStringLiteral("/favicon.ico"), QByteArray(64, 'i')));
        QVERIFY(writeFile(m_root + QStringLiteral("/blob.bin"), QByteArray(64, 'b')));
        QVERIFY(writeFile(m_root + QStringLiteral("/sub/page.html"), "<p>sub</p>\n"));
        QVERIFY(writeFile(m_root + QStringLiteral("/.hidden"), "hidden\n"));
        QVERIFY(writeFile(m_root + QStringLiteral("/healthz"), "a file shadowed by the route\n"));
        // A precompressed neighbour wins over compressing (its bytes are told apart by content).
        QVERIFY(writeFile(m_root + QStringLiteral("/notes.txt"), "notes\n"));
        QVERIFY(writeFile(m_root + QStringLiteral("/notes.txt.gz"), StaticFiles::gzip("notes, precompressed\n")));
        QVERIFY(writeFile(m_dir.filePath(QStringLiteral("outside/secret.txt")), kSecret));
        QVERIFY(QFile::link(m_dir.filePath(QStringLiteral("outside/secret.txt")), m_root + QStringLiteral("/escape.txt")));
        QVERIFY(QFile::link(m_dir.filePath(QStringLiteral("outside")), m_root + QStringLiteral("/escape-dir")));

        m_server = std::make_unique<FleetServer>(FleetServer::Settings{}, &m_mailbox, &m_clock);
        m_files = std::make_unique<StaticFiles>(m_root);
        m_server->addHttpRoute("/healthz", [](const HttpRequest &) { return HttpResponse{200, "text/plain; charset=utf-8", "ok\n", {}}; });
        m_server->setHttpFallbackRoute([this](const HttpRequest &request) { return m_files->serve(request); });
        QString error;
        QVERIFY2(m_server->listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
    }

    void contentTypes_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("type");
        QTest::newRow("root is the console's page") << QByteArray("/") << "fleetdeck.html" << QByteArray("text/html; charset=utf-8");
        QTest::newRow("html") << QByteArray("/fleetdeck.html") << "fleetdeck.html" << QByteArray("text/html; charset=utf-8");
        QTest::newRow("js") << QByteArray("/fleetdeck.js") << "fleetdeck.js" << QByteArray("text/javascript; charset=utf-8");
        QTest::newRow("wasm") << QByteArray("/fleetdeck.wasm") << "fleetdeck.wasm" << QByteArray("application/wasm");
        QTest::newRow("css") << QByteArray("/style.css") << "style.css" << QByteArray("text/css; charset=utf-8");
        QTest::newRow("png") << QByteArray("/icon.png") << "icon.png" << QByteArray("image/png");
        QTest::newRow("svg") << QByteArray("/logo.svg") << "logo.svg" << QByteArray("image/svg+xml");
        QTest::newRow("json") << QByteArray("/data.json") << "data.json" << QByteArray("application/json");
        QTest::newRow("ico") << QByteArray("/favicon.ico") << "favicon.ico" << QByteArray("image/x-icon");
        QTest::newRow("unknown") << QByteArray("/blob.bin") << "blob.bin" << QByteArray("application/octet-stream");
        QTest::newRow("subdirectory") << QByteArray("/sub/page.html") << "sub/page.html" << QByteArray("text/html; charset=utf-8");
        QTest::newRow("query ignored") << QByteArray("/fleetdeck.html?backend=ws://x:1/") << "fleetdeck.html"
                                       << QByteArray("text/html; charset=utf-8");
    }
    void contentTypes()
    {
        QFETCH(QByteArray, path);
        QFETCH(QString, file);
        QFETCH(QByteArray, type);
        const Reply reply = fetch(port(), path);  // no Accept-Encoding: the file as it is
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.headers.value("content-type"), type);
        QCOMPARE(reply.body, this->file(file));
        QCOMPARE(reply.headers.value("content-length").toLongLong(), reply.body.size());
        QCOMPARE(reply.headers.value("cache-control"), QByteArray("no-cache"));
        QVERIFY(!reply.headers.contains("content-encoding"));
        QVERIFY(!reply.headers.value("etag").isEmpty());
    }

    // The first request finds nothing compressed: it gets the file as it is and starts the work.
    void gzipRoundTrip()
    {
        const QList<QByteArray> gzipOk = {"Accept-Encoding: gzip, deflate, br"};
        Reply reply = fetch(port(), "/fleetdeck.wasm", gzipOk);
        QCOMPARE(reply.status, 200);
        if (!reply.headers.contains("content-encoding"))
            QCOMPARE(reply.body, m_wasm);
        m_files->waitForCompression();

        reply = fetch(port(), "/fleetdeck.wasm", gzipOk);
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.headers.value("content-encoding"), QByteArray("gzip"));
        QCOMPARE(reply.headers.value("content-type"), QByteArray("application/wasm"));
        QCOMPARE(reply.headers.value("vary"), QByteArray("Accept-Encoding"));
        QCOMPARE(reply.headers.value("content-length").toLongLong(), reply.body.size());
        QVERIFY2(reply.body.size() < m_wasm.size() / 2, QByteArray::number(reply.body.size()).constData());
        QCOMPARE(gunzip(reply.body), m_wasm);

        // Refused gzip (q=0), or accepted only through "*".
        reply = fetch(port(), "/fleetdeck.wasm", {"Accept-Encoding: gzip;q=0, identity"});
        QVERIFY(!reply.headers.contains("content-encoding"));
        QCOMPARE(reply.body, m_wasm);
        reply = fetch(port(), "/fleetdeck.wasm", {"Accept-Encoding: *"});
        QCOMPARE(reply.headers.value("content-encoding"), QByteArray("gzip"));
        QCOMPARE(gunzip(reply.body), m_wasm);
    }

    void gzipNotForImages()
    {
        const Reply reply = fetch(port(), "/icon.png", {"Accept-Encoding: gzip"});
        QCOMPARE(reply.status, 200);
        QVERIFY(!reply.headers.contains("content-encoding"));
        QCOMPARE(reply.body, file(QStringLiteral("icon.png")));
    }

    void precompressedNeighbour()
    {
        const Reply reply = fetch(port(), "/notes.txt", {"Accept-Encoding: gzip"});
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.headers.value("content-encoding"), QByteArray("gzip"));
        QCOMPARE(gunzip(reply.body), QByteArray("notes, precompressed\n"));
    }

    // Past the cap on open HTTP connections a new one gets 503 at once; one that closes frees its place,
    // and one upgraded to a WebSocket no longer counts.
    void connectionCap()
    {
        HttpFrontend http;
        http.addRoute("/x", [](const HttpRequest &) { return HttpResponse{200, "text/plain", "x\n", {}}; });
        http.setMaxHttpConnections(2);
        QString error;
        QVERIFY2(http.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        std::vector<std::unique_ptr<QTcpSocket>> idle;  // connected, saying nothing
        for (int i = 0; i < 2; ++i) {
            idle.push_back(std::make_unique<QTcpSocket>());
            idle.back()->connectToHost(QStringLiteral("127.0.0.1"), http.port());
            QVERIFY(idle.back()->waitForConnected(5000));
        }
        QTRY_COMPARE(http.openHttpConnections(), 2);
        const Reply refused = fetch(http.port(), "/x");
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.headers.value("retry-after"), QByteArray("1"));
        QCOMPARE(http.refusedConnectionCount(), quint64(1));
        idle.pop_back();
        QTRY_COMPARE(http.openHttpConnections(), 1);
        QCOMPARE(fetch(http.port(), "/x").status, 200);
        QTRY_COMPARE(http.openHttpConnections(), 1);
    }

    // A file too large to keep in memory is not served, and the server stays up for the rest.
    void tooLargeIsNotServed()
    {
        QFile big(m_root + QStringLiteral("/huge.bin"));
        QVERIFY(big.open(QIODevice::WriteOnly));
        QVERIFY(big.resize(StaticFiles::kMaxFileBytes + 1));  // sparse: no 64 MiB written
        big.close();
        QCOMPARE(fetch(port(), "/huge.bin").status, 404);
        QCOMPARE(fetch(port(), "/style.css").status, 200);
        QVERIFY(big.remove());
    }

    void notModified()
    {
        const Reply first = fetch(port(), "/fleetdeck.js");
        const QByteArray etag = first.headers.value("etag");
        QVERIFY(etag.startsWith('"') && etag.endsWith('"'));
        Reply again = fetch(port(), "/fleetdeck.js", {"If-None-Match: " + etag});
        QCOMPARE(again.status, 304);
        QVERIFY(again.body.isEmpty());
        QCOMPARE(again.headers.value("etag"), etag);
        again = fetch(port(), "/fleetdeck.js", {"If-None-Match: \"other\", W/" + etag});
        QCOMPARE(again.status, 304);
        again = fetch(port(), "/fleetdeck.js", {"If-None-Match: \"other\""});
        QCOMPARE(again.status, 200);
        QCOMPARE(again.body, first.body);

        // The compressed bytes are another representation: another tag.
        m_files->waitForCompression();
        fetch(port(), "/fleetdeck.js", {"Accept-Encoding: gzip"});
        m_files->waitForCompression();
        const Reply gzipped = fetch(port(), "/fleetdeck.js", {"Accept-Encoding: gzip"});
        QCOMPARE(gzipped.headers.value("content-encoding"), QByteArray("gzip"));
        QVERIFY(gzipped.headers.value("etag") != etag);
        QCOMPARE(fetch(port(), "/fleetdeck.js", {"Accept-Encoding: gzip", "If-None-Match: " + etag}).status, 200);

        // A changed file is read again and gets a new tag.
        QTest::qWait(20);  // a newer modification time
        QVERIFY(writeFile(m_root + QStringLiteral("/fleetdeck.js"), "console.log('fleetdeck, rebuilt');\n"));
        const Reply changed = fetch(port(), "/fleetdeck.js", {"If-None-Match: " + etag});
        QCOMPARE(changed.status, 200);
        QCOMPARE(changed.body, QByteArray("console.log('fleetdeck, rebuilt');\n"));
        QVERIFY(changed.headers.value("etag") != etag);
    }

    void head()
    {
        const Reply reply = fetch(port(), "/fleetdeck.wasm", {}, "HEAD");
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.headers.value("content-type"), QByteArray("application/wasm"));
        QCOMPARE(reply.headers.value("content-length").toLongLong(), m_wasm.size());
        QVERIFY(reply.body.isEmpty());
        QCOMPARE(fetch(port(), "/fleetdeck.wasm", {}, "POST").status, 405);
    }

    void traversal_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::newRow("..") << QByteArray("/../outside/secret.txt");
        QTest::newRow("sub/../..") << QByteArray("/sub/../../outside/secret.txt");
        QTest::newRow("%2e%2e") << QByteArray("/%2e%2e/outside/secret.txt");
        QTest::newRow("%2E%2E%2F") << QByteArray("/%2E%2E%2Foutside%2Fsecret.txt");
        QTest::newRow("..%2f") << QByteArray("/..%2foutside/secret.txt");
        QTest::newRow("double-encoded") << QByteArray("/%252e%252e/outside/secret.txt");
        QTest::newRow("backslash") << QByteArray("/..\\outside\\secret.txt");
        QTest::newRow("%5c") << QByteArray("/..%5coutside%5csecret.txt");
        QTest::newRow("symlink to a file outside") << QByteArray("/escape.txt");
        QTest::newRow("symlink to a directory outside") << QByteArray("/escape-dir/secret.txt");
        QTest::newRow("absolute") << QByteArray("//etc/passwd");
        QTest::newRow("absolute-form") << QByteArray("http://127.0.0.1/../outside/secret.txt");
        QTest::newRow("no slash") << QByteArray("fleetdeck.html");
        QTest::newRow("NUL") << QByteArray("/fleetdeck.html%00.png");
        QTest::newRow("dot file") << QByteArray("/.hidden");
        QTest::newRow("dot segment") << QByteArray("/./fleetdeck.html");
        QTest::newRow("directory") << QByteArray("/sub");
        QTest::newRow("directory slash") << QByteArray("/sub/");
        QTest::newRow("missing") << QByteArray("/nothing.js");
    }
    void traversal()
    {
        QFETCH(QByteArray, path);
        const Reply reply = fetch(port(), path);
        QCOMPARE(reply.status, 404);
        QVERIFY(!reply.body.contains(kSecret));
    }

    void routesBeforeFiles()
    {
        const Reply reply = fetch(port(), "/healthz");
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.body, QByteArray("ok\n"));
    }

    // The console's page connects to the origin that served it; any path upgrades.
    void webSocketUpgradeStillWorks_data()
    {
        QTest::addColumn<QString>("path");
        QTest::newRow("root") << QStringLiteral("/");
        QTest::newRow("a file's path") << QStringLiteral("/fleetdeck.html");
    }
    void webSocketUpgradeStillWorks()
    {
        QFETCH(QString, path);
        QWebSocket socket;
        QSignalSpy frames(&socket, &QWebSocket::binaryMessageReceived);
        socket.open(QUrl(QStringLiteral("ws://127.0.0.1:%1%2").arg(port()).arg(path)));
        QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QAbstractSocket::ConnectedState, 5000);
        fleet::v1::ClientMessage hello;
        hello.mutable_hello()->set_protocol_version(fleet::v1::PROTOCOL_VERSION_1);
        socket.sendBinaryMessage(codec::serialize(hello));
        QTRY_VERIFY_WITH_TIMEOUT(!frames.isEmpty(), 5000);
        fleet::v1::ServerMessage welcome;
        QVERIFY(welcome.ParseFromString(frames.first().first().toByteArray().toStdString()));
        QVERIFY(welcome.has_welcome());
        socket.close();
    }

    void missingRoot()
    {
        StaticFiles none(m_dir.filePath(QStringLiteral("no-such-directory")));
        QVERIFY(!none.hasRoot());
        HttpRequest request;
        request.method = "GET";
        request.path = "/";
        HttpResponse response = none.serve(request);
        QCOMPARE(response.status, 404);
        QVERIFY(response.body.contains("build-console.sh"));
        QVERIFY(response.body.contains("--web-root"));
        request.path = "/fleetdeck.js";
        response = none.serve(request);
        QCOMPARE(response.status, 404);
        QVERIFY(!response.body.contains("build-console.sh"));
    }

    // A configured web root that is not there stops fleetdeckd at start, naming the key.
    void daemonRefusesMissingRoot()
    {
        QProcess daemon;
        daemon.start(QStringLiteral(FLEETDECKD_BINARY),
                     {QStringLiteral("--web-root"), m_dir.filePath(QStringLiteral("no-such-directory")), QStringLiteral("--port"),
                      QStringLiteral("0")});
        QVERIFY(daemon.waitForFinished(20'000));
        QCOMPARE(daemon.exitCode(), 2);
        const QByteArray err = daemon.readAllStandardError();
        QVERIFY2(err.contains("server.web_root") && err.contains("no such directory"), err.constData());
    }

    void cleanupTestCase()
    {
        m_server.reset();
        m_files.reset();
    }
};

QTEST_GUILESS_MAIN(TestStaticFiles)
#include "tst_staticfiles.moc"
