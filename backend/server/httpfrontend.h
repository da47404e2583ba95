#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>
#include <QTcpServer>

#include <functional>
#include <memory>

class QTcpSocket;

namespace fleetdeck {

struct HttpRequest {
    QByteArray method;
    QByteArray path;   // without the query
    QByteArray query;  // after '?', undecoded
    QHash<QByteArray, QByteArray> headers;  // names lower-cased
};

struct HttpResponse {
    int status = 200;
    QByteArray contentType = "text/plain; charset=utf-8";
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;  // Cache-Control among them replaces the default no-store
};

// One port for everything a console and an operator's tools need: WebSocket upgrades are handed to
// the WebSocket server untouched (the request is only peeked at, never consumed), and plain GETs go
// to registered routes (/metrics, /healthz, …). Deliberately small: HTTP/1.1, one request per
// connection, bounded request heads, a deadline for slow senders. With a TLS configuration every
// connection is TLS (https:// and wss://): the request is peeked at once the handshake is done.
// Thread: main.
class HttpFrontend : public QObject
{
    Q_OBJECT

public:
    using Route = std::function<HttpResponse(const HttpRequest &)>;
    using UpgradeHandler = std::function<void(QTcpSocket *)>;

    static constexpr int kMaxRequestHeadBytes = 16 * 1024;
    static constexpr int kRequestDeadlineMs = 10'000;

    static constexpr int kTlsHandshakeTimeoutMs = 10'000;
    // A response the peer has not read any of for this long is abandoned.
    static constexpr int kStalledResponseMs = 30'000;
    // Over TLS a body is encrypted a slice at a time, at most a window ahead of what has left.
    static constexpr qsizetype kTlsSliceBytes = 64 * 1024;
    static constexpr qsizetype kTlsWindowBytes = 256 * 1024;
    // Connections not (yet) upgraded to WebSockets, at most: past it new ones get 503 at once, so a
    // flood of HTTP clients cannot take every file descriptor from the consoles (each connection is
    // one). Consoles already connected do not count.
    static constexpr int kDefaultMaxHttpConnections = 1024;

    explicit HttpFrontend(QObject *parent = nullptr);
    ~HttpFrontend() override;

    // Before listen(): serve TLS with this configuration (certificate and private key set).
    void setTlsConfiguration(const QSslConfiguration &configuration);
    [[nodiscard]] bool isTls() const { return m_tls; }
    [[nodiscard]] bool listen(const QHostAddress &address, quint16 port, QString *error);
    [[nodiscard]] quint16 port() const { return m_server->serverPort(); }
    void close() { m_server->close(); }

    // Receives sockets whose request asks for a WebSocket upgrade; takes ownership.
    void setUpgradeHandler(UpgradeHandler handler) { m_upgradeHandler = std::move(handler); }
    void addRoute(const QByteArray &path, Route route) { m_routes.insert(path, std::move(route)); }
    // GET and HEAD of any path no route claims (the browser console's files); unset: 404.
    void setFallbackRoute(Route route) { m_fallback = std::move(route); }

    [[nodiscard]] quint64 requestCount() const { return m_requests; }
    void setMaxHttpConnections(int max) { m_maxHttpConnections = max; }
    [[nodiscard]] int openHttpConnections() const { return *m_openHttp; }
    [[nodiscard]] quint64 refusedConnectionCount() const { return m_refused; }

private:
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    static void respond(QTcpSocket *socket, const HttpResponse &response, bool headOnly = false);

    std::unique_ptr<QTcpServer> m_server;
    bool m_tls = false;
    UpgradeHandler m_upgradeHandler;
    QHash<QByteArray, Route> m_routes;
    Route m_fallback;
    quint64 m_requests = 0;
    int m_maxHttpConnections = kDefaultMaxHttpConnections;
    // Shared with each connection's counter, which may outlive this object by a deleteLater.
    std::shared_ptr<int> m_openHttp = std::make_shared<int>(0);
    quint64 m_refused = 0;
};

[[nodiscard]] QByteArray httpReasonPhrase(int status);

}  // namespace fleetdeck
