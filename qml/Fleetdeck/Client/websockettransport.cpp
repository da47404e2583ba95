#include "websockettransport.h"

#include <QWebSocket>

namespace fleetdeck {

WebSocketTransport::WebSocketTransport(QObject *parent) : Transport(parent) {}

WebSocketTransport::~WebSocketTransport()
{
    if (m_socket)
        m_socket->disconnect(this);
}

void WebSocketTransport::resetSocket()
{
    if (!m_socket)
        return;
    m_socket->disconnect(this);
    m_socket->abort();
    m_socket.release()->deleteLater();  // may be inside one of its own signals
    m_open = false;
}

void WebSocketTransport::open(const QUrl &url)
{
    resetSocket();
    m_socket = std::make_unique<QWebSocket>();
    QWebSocket *socket = m_socket.get();
    connect(socket, &QWebSocket::connected, this, [this] {
        m_open = true;
        Q_EMIT opened();
    });
    // stateChanged rather than disconnected/error: it reports a refused connection and a closed one
    // alike, and has the same name in every Qt version.
    connect(socket, &QWebSocket::stateChanged, this, [this, socket](QAbstractSocket::SocketState state) {
        if (state != QAbstractSocket::UnconnectedState)
            return;
        QString reason = socket->closeReason();
        if (reason.isEmpty())
            reason = socket->error() != QAbstractSocket::UnknownSocketError ? socket->errorString()
                                                                             : QStringLiteral("connection closed");
        resetSocket();
        Q_EMIT closed(reason);
    });
    connect(socket, &QWebSocket::binaryMessageReceived, this, &Transport::binaryReceived);
#ifndef QT_NO_SSL
    if (m_customSsl)
        socket->setSslConfiguration(m_sslConfiguration);
#endif
    socket->open(url);
}

void WebSocketTransport::close()
{
    if (m_socket)
        m_socket->close();
}

bool WebSocketTransport::sendBinary(const QByteArray &message)
{
    if (!m_open)
        return false;
    m_socket->sendBinaryMessage(message);
    return true;
}

}  // namespace fleetdeck
