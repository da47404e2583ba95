#include "httpfrontend.h"

#include "logging.h"

#include <QSslServer>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <memory>

namespace fleetdeck {
namespace {

// Counts its socket (its parent) among the open HTTP connections until the socket goes or is
// upgraded to a WebSocket (then it is deleted first). A child, not a signal: respond() disconnects
// every signal of the socket.
class OpenHttpConnection : public QObject
{
public:
    OpenHttpConnection(QTcpSocket *socket, std::shared_ptr<int> count) : QObject(socket), m_count(std::move(count))
    {
        setObjectName(QStringLiteral("httpOpen"));
        ++*m_count;
    }
    ~OpenHttpConnection() override { --*m_count; }

private:
    std::shared_ptr<int> m_count;
};

}  // namespace
namespace {

constexpr int kListenBacklog = 1024;

}  // namespace

QByteArray httpReasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    }
    return "Status";
}

HttpFrontend::HttpFrontend(QObject *parent) : QObject(parent), m_server(std::make_unique<QTcpServer>())
{
    // pendingConnectionAvailable, not newConnection: a TLS server queues a socket only once its
    // handshake is done.
    connect(m_server.get(), &QTcpServer::pendingConnectionAvailable, this, &HttpFrontend::onNewConnection);
}

HttpFrontend::~HttpFrontend() = default;

void HttpFrontend::setTlsConfiguration(const QSslConfiguration &configuration)
{
    auto server = std::make_unique<QSslServer>();
    server->setSslConfiguration(configuration);
    server->setHandshakeTimeout(kTlsHandshakeTimeoutMs);
    // A failed handshake (a plain-HTTP client, an untrusted certificate) ends that connection only.
    connect(server.get(), &QSslServer::errorOccurred, this, [](QSslSocket *socket, QAbstractSocket::SocketError) {
        qCDebug(lcServer).noquote() << "TLS connection from" << socket->peerAddress().toString() << "failed:" << socket->errorString();
    });
    connect(server.get(), &QTcpServer::pendingConnectionAvailable, this, &HttpFrontend::onNewConnection);
    m_server = std::move(server);
    m_tls = true;
}

bool HttpFrontend::listen(const QHostAddress &address, quint16 port, QString *error)
{
    // Qt's default of 50 overflows when a few hundred clients connect at once (a scrape storm, hey
    // -c 300, consoles reconnecting after a restart); the kernel then drops their SYNs and they retry
    // a second later, which showed as a 1.1 s p99 on /healthz (bench_load). The kernel caps it at
    // net.core.somaxconn.
    m_server->setListenBacklogSize(kListenBacklog);
    if (!m_server->listen(address, port)) {
        *error = QStringLiteral("cannot listen on %1:%2: %3").arg(address.toString()).arg(port).arg(m_server->errorString());
        return false;
    }
    return true;
}

void HttpFrontend::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        if (*m_openHttp >= m_maxHttpConnections) {
            if (m_refused++ % 1000 == 0)
                qCWarning(lcServer).noquote() << "more than" << m_maxHttpConnections << "HTTP connections open: refusing new ones with 503 ("
                                              << m_refused << "so far)";
            respond(socket, {503, "text/plain; charset=utf-8", "too many connections; try again\n", {{"Retry-After", "1"}}});
            continue;
        }
        new OpenHttpConnection(socket, m_openHttp);
        // A client that never completes its request is dropped; upgraded sockets stop this timer.
        auto *deadline = new QTimer(socket);
        deadline->setSingleShot(true);
        deadline->setObjectName(QStringLiteral("httpDeadline"));
        connect(deadline, &QTimer::timeout, socket, [socket] {
            respond(socket, {408, "text/plain; charset=utf-8", "request took too long\n", {}});
        });
        deadline->start(kRequestDeadlineMs);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        // Bytes that arrived with the end of the TLS handshake raise no readyRead of their own.
        if (socket->bytesAvailable() > 0)
            onReadyRead(socket);
    }
}

void HttpFrontend::onReadyRead(QTcpSocket *socket)
{
    const QByteArray head = socket->peek(kMaxRequestHeadBytes + 4);
    const int end = head.indexOf("\r\n\r\n");
    if (end < 0) {
        if (head.size() > kMaxRequestHeadBytes)
            respond(socket, {431, "text/plain; charset=utf-8", "request head too large\n", {}});
        return;  // wait for the rest of the head
    }

    HttpRequest request;
    const QList<QByteArray> lines = head.left(end).split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/1.")) {
        respond(socket, {400, "text/plain; charset=utf-8", "malformed request line\n", {}});
        return;
    }
    request.method = requestLine[0];
    const QByteArray target = requestLine[1];
    const int question = target.indexOf('?');
    request.path = question < 0 ? target : target.left(question);
    request.query = question < 0 ? QByteArray() : target.mid(question + 1);
    for (int i = 1; i < lines.size(); ++i) {
        const int colon = lines[i].indexOf(':');
        if (colon > 0)
            request.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
    }
    ++m_requests;

    if (request.headers.value("upgrade").toLower() == "websocket" && m_upgradeHandler) {
        socket->disconnect(this);
        delete socket->findChild<QTimer *>(QStringLiteral("httpDeadline"));
        delete socket->findChild<QObject *>(QStringLiteral("httpOpen"));
        m_upgradeHandler(socket);  // reads the handshake itself: nothing was consumed
        return;
    }

    socket->read(end + 4);
    socket->disconnect(this);
    const bool head_ = request.method == "HEAD";
    if (request.method != "GET" && !head_) {
        respond(socket, {405, "text/plain; charset=utf-8", "only GET and HEAD\n", {{"Allow", "GET, HEAD"}}});
        return;
    }
    const auto route = m_routes.constFind(request.path);
    if (route != m_routes.cend())
        respond(socket, (*route)(request), head_);
    else if (m_fallback)
        respond(socket, m_fallback(request), head_);
    else
        respond(socket, {404, "text/plain; charset=utf-8", "not found\n", {}});
}

void HttpFrontend::respond(QTcpSocket *socket, const HttpResponse &response, bool headOnly)
{
    QByteArray head = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + httpReasonPhrase(response.status) + "\r\n";
    // A 304 describes the representation the client already has: no body, no length of its own.
    if (response.status != 304)
        head += "Content-Type: " + response.contentType + "\r\nContent-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    head += "Connection: close\r\n";
    bool cacheControl = false;
    for (const auto &header : response.headers) {
        head += header.first + ": " + header.second + "\r\n";
        cacheControl = cacheControl || header.first.compare("Cache-Control", Qt::CaseInsensitive) == 0;
    }
    if (!cacheControl)
        head += "Cache-Control: no-store\r\n";
    head += "\r\n";
    delete socket->findChild<QTimer *>(QStringLiteral("httpDeadline"));
    socket->disconnect();
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    socket->write(head);
    // A peer that stops reading would hold its connection for ever: dropped after kStalledResponseMs
    // without progress.
    auto *stall = new QTimer(socket);
    stall->setSingleShot(true);
    connect(stall, &QTimer::timeout, socket, &QTcpSocket::abort);
    stall->start(kStalledResponseMs);
    auto *tls = qobject_cast<QSslSocket *>(socket);
    if (!tls || headOnly || response.status == 304 || response.body.isEmpty()) {
        // Plain TCP: queued whole and sent as the peer reads. The write buffer keeps a reference to
        // the body, not a copy (100 stalled downloads of the cached 7 MiB .wasm: RSS 47 -> 48 MiB), and
        // a 20 MiB .wasm does not hold up the event loop.
        if (!headOnly && response.status != 304)
            socket->write(response.body);
        connect(socket, &QTcpSocket::bytesWritten, stall, [stall] { stall->start(); });
        socket->disconnectFromHost();
        return;
    }
    // TLS encrypts whatever is written at once into a buffer of its own (a full encrypted copy per
    // download) and reports it written then, not when the peer has it: the body goes a slice at a time
    // as the encrypted bytes leave, and only their leaving counts as progress.
    struct Feed {
        QByteArray body;
        qsizetype offset = 0;
    };
    auto feed = std::make_shared<Feed>(Feed{response.body, 0});
    const auto send = [tls, feed, stall] {
        stall->start();
        while (feed->offset < feed->body.size() && tls->encryptedBytesToWrite() + tls->bytesToWrite() < kTlsWindowBytes) {
            const qsizetype slice = std::min<qsizetype>(kTlsSliceBytes, feed->body.size() - feed->offset);
            tls->write(feed->body.constData() + feed->offset, slice);
            feed->offset += slice;
            if (feed->offset == feed->body.size())
                tls->disconnectFromHost();  // after what is queued has gone
        }
    };
    connect(tls, &QSslSocket::encryptedBytesWritten, stall, send);
    send();
}

}  // namespace fleetdeck
