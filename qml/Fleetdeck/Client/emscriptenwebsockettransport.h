#pragma once

#include "transport.h"

namespace fleetdeck {

// Transport over the browser's WebSocket through emscripten's API (emscripten/websocket.h), for the
// browser console, which has no Qt WebSockets (DESIGN.md §10). The browser calls back from its own
// event loop; nothing here blocks or spins a nested loop. Browsers cannot send WebSocket pings, so
// liveness is the application heartbeat's job (FleetClient).
// Thread: main (the only one in the browser build).
class EmscriptenWebSocketTransport final : public Transport
{
    Q_OBJECT

public:
    explicit EmscriptenWebSocketTransport(QObject *parent = nullptr);
    ~EmscriptenWebSocketTransport() override;

    void open(const QUrl &url) override;
    void close() override;
    bool sendBinary(const QByteArray &message) override;

private:
    // Called from the browser's WebSocket event handlers, for the current socket only.
    void handleOpen();
    void handleClose(int code, const char *reason);
    void handleMessage(const char *data, int size, bool isText);
    // Ends a connection attempt that never reached the browser (bad URL, no WebSocket), after
    // open() has returned, as a real attempt would.
    void failLater(const QString &reason);

    // Detaches the handlers and forgets the socket, closing it first when `closeFirst`.
    void release(bool closeFirst);

    int m_socket = 0;  // EMSCRIPTEN_WEBSOCKET_T; 0: none (emscripten's ids start at 1)
    bool m_open = false;
    QString m_error;  // the browser tells only that an error happened; the close event follows
};

}  // namespace fleetdeck
