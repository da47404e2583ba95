#pragma once

// A console that never reads, not even the answer to its handshake: a raw TCP peer that upgrades to
// a WebSocket, says Hello and can send heartbeats (so only its reading, not its silence, gives it
// away), and leaves everything the server sends in the kernel's buffers.

#include "codec.h"

#include <QTcpSocket>
#include <QTimer>

namespace fleetdeck::testing {

class DeafConsole
{
public:
    void open(quint16 port, const QByteArray &clientName = "never reads")
    {
        // A small window, so the kernel holds little for it and the server's own queue has to grow;
        // and a small read buffer, or QTcpSocket would read everything into memory itself.
        m_socket.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 4096);
        m_socket.setReadBufferSize(1024);
        m_socket.connectToHost(QStringLiteral("127.0.0.1"), port);
        m_socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        fleet::v1::ClientMessage hello;
        hello.mutable_hello()->set_protocol_version(fleet::v1::PROTOCOL_VERSION_1);
        hello.mutable_hello()->set_client_name(clientName.toStdString());
        // Not in the same segment as the upgrade request: QWebSocketServer would leave it unread
        // until more bytes come. It cannot read the answer, so it gives the handshake a moment.
        QTimer::singleShot(200, &m_socket, [this, bytes = frame(hello)] { m_socket.write(bytes); });
    }
    void sendHeartbeat()
    {
        fleet::v1::ClientMessage heartbeat;
        heartbeat.mutable_heartbeat()->set_sent_unix_ms(1);
        m_socket.write(frame(heartbeat));
    }

private:
    // A client-to-server binary frame (RFC 6455: always masked).
    static QByteArray frame(const fleet::v1::ClientMessage &message)
    {
        const QByteArray payload = codec::serialize(message);
        QByteArray frame;
        frame.append(char(0x82));
        if (payload.size() < 126) {
            frame.append(char(0x80 | payload.size()));
        } else {
            frame.append(char(0x80 | 126));
            frame.append(char((payload.size() >> 8) & 0xff));
            frame.append(char(payload.size() & 0xff));
        }
        const char mask[4] = {0x12, 0x34, 0x56, 0x78};
        frame.append(mask, 4);
        for (int i = 0; i < payload.size(); ++i)
            frame.append(char(payload[i] ^ mask[i % 4]));
        return frame;
    }

    QTcpSocket m_socket;
};

}  // namespace fleetdeck::testing
