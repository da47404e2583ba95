#pragma once

#include "transport.h"

#ifndef QT_NO_SSL
#include <QSslConfiguration>
#endif

#include <memory>

class QWebSocket;

namespace fleetdeck {

// Transport over Qt WebSockets (desktop builds). Thread: main.
class WebSocketTransport final : public Transport
{
    Q_OBJECT

public:
    explicit WebSocketTransport(QObject *parent = nullptr);
    ~WebSocketTransport() override;

    void open(const QUrl &url) override;
    void close() override;
    bool sendBinary(const QByteArray &message) override;
#ifndef QT_NO_SSL
    // For wss:// to a backend whose certificate the system does not trust (a private CA).
    void setSslConfiguration(const QSslConfiguration &configuration) { m_sslConfiguration = configuration; m_customSsl = true; }
#endif

private:
    void resetSocket();

    std::unique_ptr<QWebSocket> m_socket;
    bool m_open = false;
#ifndef QT_NO_SSL
    QSslConfiguration m_sslConfiguration;
    bool m_customSsl = false;
#endif
};

}  // namespace fleetdeck
