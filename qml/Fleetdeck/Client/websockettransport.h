#pragma once

#include "transport.h"

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

private:
    void resetSocket();

    std::unique_ptr<QWebSocket> m_socket;
    bool m_open = false;
};

}  // namespace fleetdeck
