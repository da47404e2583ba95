#pragma once

#include <QByteArray>
#include <QObject>
#include <QUrl>

namespace fleetdeck {

// A message-oriented connection to a backend. QWebSocket on the desktop; emscripten's WebSocket API
// in the browser build, where Qt WebSockets is not available (DESIGN.md §10).
// Thread: main.
class Transport : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;

    virtual void open(const QUrl &url) = 0;
    virtual void close() = 0;
    // False when the transport is not open; the message is then dropped.
    virtual bool sendBinary(const QByteArray &message) = 0;

Q_SIGNALS:
    void opened();
    // Emitted once per connection attempt that ends, whether it was ever open or not.
    void closed(const QString &reason);
    void binaryReceived(const QByteArray &message);
};

}  // namespace fleetdeck
